using System.Text.Json;

namespace Stepwise.LanguageServer.Protocol;

public static class DiagnosticSeverity
{
    public const int Error = 1, Warning = 2, Information = 3, Hint = 4;
}

public sealed record CodeDescription(string Href);

public sealed record DiagnosticRelatedInformation(Location Location, string Message);

public sealed record Diagnostic
{
    public required LspRange Range { get; init; }
    public int? Severity { get; init; }
    public string? Code { get; init; }
    public CodeDescription? CodeDescription { get; init; }
    public string? Source { get; init; }
    public required string Message { get; init; }
    public List<DiagnosticRelatedInformation>? RelatedInformation { get; init; }
    /// <summary>Round-trips to textDocument/codeAction: our <c>DiagnosticData</c>.</summary>
    public JsonElement? Data { get; init; }
}

public sealed record PublishDiagnosticsParams(string Uri, int? Version, IReadOnlyList<Diagnostic> Diagnostics);

public sealed record DocumentDiagnosticParams
{
    public required TextDocumentIdentifier TextDocument { get; init; }
    public string? Identifier { get; init; }
    public string? PreviousResultId { get; init; }
}

/// <summary>A full or unchanged document diagnostic report (kind "full" / "unchanged").</summary>
public sealed record DocumentDiagnosticReport
{
    public required string Kind { get; init; }
    public string? ResultId { get; init; }
    public IReadOnlyList<Diagnostic>? Items { get; init; }
}

public sealed record CodeActionContext
{
    public IReadOnlyList<Diagnostic> Diagnostics { get; init; } = Array.Empty<Diagnostic>();
    public IReadOnlyList<string>? Only { get; init; }
}

public sealed record CodeActionParams
{
    public required TextDocumentIdentifier TextDocument { get; init; }
    public required LspRange Range { get; init; }
    public CodeActionContext Context { get; init; } = new();
}

public sealed record CodeAction
{
    public required string Title { get; init; }
    public string? Kind { get; init; }
    public IReadOnlyList<Diagnostic>? Diagnostics { get; init; }
    public bool? IsPreferred { get; init; }
    public WorkspaceEdit? Edit { get; init; }
}

public sealed record Hover(MarkupContent Contents, LspRange? Range);

public static class InlayHintKind
{
    public const int Type = 1, Parameter = 2;
}

public sealed record InlayHint
{
    public required LspPosition Position { get; init; }
    public required string Label { get; init; }
    public int? Kind { get; init; }
    public MarkupContent? Tooltip { get; init; }
    public bool? PaddingLeft { get; init; }
}

public sealed record CodeLens
{
    public required LspRange Range { get; init; }
    public Command? Command { get; init; }
}

public sealed record CompletionParams
{
    public required TextDocumentIdentifier TextDocument { get; init; }
    public required LspPosition Position { get; init; }
}

public static class CompletionItemKind
{
    public const int Value = 12, Enum = 13, Property = 10, Snippet = 15, EnumMember = 20;
}

public static class InsertTextFormat
{
    public const int PlainText = 1, Snippet = 2;
}

public sealed record CompletionItem
{
    public required string Label { get; init; }
    public int? Kind { get; init; }
    public string? Detail { get; init; }
    public MarkupContent? Documentation { get; init; }
    public string? SortText { get; init; }
    public string? FilterText { get; init; }
    public string? InsertText { get; init; }
    public int? InsertTextFormat { get; init; }
    public LspTextEdit? TextEdit { get; init; }
    public bool? Deprecated { get; init; }
}

public sealed record CompletionList(bool IsIncomplete, IReadOnlyList<CompletionItem> Items);

public static class SymbolKind
{
    public const int Module = 2, Namespace = 3, Property = 7, Field = 8, String = 15, Number = 16, Boolean = 17, Array = 18, Object = 19, Key = 20, Null = 21;
}

public sealed record DocumentSymbol
{
    public required string Name { get; init; }
    public string? Detail { get; init; }
    public required int Kind { get; init; }
    public required LspRange Range { get; init; }
    public required LspRange SelectionRange { get; init; }
    public List<DocumentSymbol>? Children { get; init; }
}
