using System.Text.Json;

namespace Stepwise.LanguageServer.Server;

/// <summary>What the client said it can do, read once from initialize (only the bits this server acts on).</summary>
public sealed record ClientCapabilities
{
    public bool PullDiagnostics { get; init; }
    public bool DiagnosticRefresh { get; init; }
    public bool InlayHintRefresh { get; init; }
    public bool CodeLensRefresh { get; init; }
    public bool Configuration { get; init; }
    public bool WatchedFilesDynamicRegistration { get; init; }
    public bool DocumentChanges { get; init; }
    public bool SnippetSupport { get; init; }
    public bool MarkdownHover { get; init; } = true;

    public static ClientCapabilities From(JsonElement caps) => new()
    {
        PullDiagnostics = LspJson.Probe(caps, "textDocument", "diagnostic") is { ValueKind: JsonValueKind.Object },
        DiagnosticRefresh = LspJson.IsTrue(caps, "workspace", "diagnostics", "refreshSupport"),
        InlayHintRefresh = LspJson.IsTrue(caps, "workspace", "inlayHint", "refreshSupport"),
        CodeLensRefresh = LspJson.IsTrue(caps, "workspace", "codeLens", "refreshSupport"),
        Configuration = LspJson.IsTrue(caps, "workspace", "configuration"),
        WatchedFilesDynamicRegistration = LspJson.IsTrue(caps, "workspace", "didChangeWatchedFiles", "dynamicRegistration"),
        DocumentChanges = LspJson.IsTrue(caps, "workspace", "workspaceEdit", "documentChanges"),
        SnippetSupport = LspJson.IsTrue(caps, "textDocument", "completion", "completionItem", "snippetSupport"),
    };
}
