using System.Buffers;
using System.Text.Json;

namespace Stepwise.LanguageServer.Protocol;

public static class TextDocumentSyncKind
{
    public const int None = 0, Full = 1, Incremental = 2;
}

public static class CodeActionKind
{
    public const string QuickFix = "quickfix";
    public const string SourceFixAll = "source.fixAll";
}

/// <summary>
/// The answer to initialize (capabilities and serverInfo), written with Utf8JsonWriter rather than serialized from
/// records: it is the first answer the client waits for, and building serializer metadata for a dozen one-off types
/// (each generic instantiation compiled by the JIT at start-up) cost more than the whole answer is worth.
/// </summary>
public static class InitializeAnswer
{
    public static JsonElement For(bool pullDiagnostics, IReadOnlyList<string> commands, string version)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("capabilities");
            w.WriteString("positionEncoding", "utf-16");
            w.WriteStartObject("textDocumentSync");
            w.WriteBoolean("openClose", true);
            w.WriteNumber("change", TextDocumentSyncKind.Incremental);
            w.WriteStartObject("save");
            w.WriteBoolean("includeText", false);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteBoolean("hoverProvider", true);
            w.WriteStartObject("completionProvider");
            w.WriteStartArray("triggerCharacters");
            w.WriteStringValue(":");
            w.WriteEndArray();
            w.WriteBoolean("resolveProvider", false);
            w.WriteEndObject();
            w.WriteStartObject("codeActionProvider");
            w.WriteStartArray("codeActionKinds");
            w.WriteStringValue(CodeActionKind.QuickFix);
            w.WriteEndArray();
            w.WriteBoolean("resolveProvider", false);
            w.WriteEndObject();
            w.WriteStartObject("codeLensProvider");
            w.WriteBoolean("resolveProvider", false);
            w.WriteEndObject();
            w.WriteStartObject("executeCommandProvider");
            w.WriteStartArray("commands");
            foreach (var c in commands) w.WriteStringValue(c);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteBoolean("inlayHintProvider", true);
            w.WriteBoolean("documentSymbolProvider", true);
            // Advertised only when the client can pull diagnostics; otherwise the server pushes.
            if (pullDiagnostics)
            {
                w.WriteStartObject("diagnosticProvider");
                w.WriteString("identifier", "stepwise");
                w.WriteBoolean("interFileDependencies", true);
                w.WriteBoolean("workspaceDiagnostics", false);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteStartObject("serverInfo");
            w.WriteString("name", "stepwise-lsp");
            w.WriteString("version", version);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }
}

public sealed record Registration(string Id, string Method, object? RegisterOptions);

public sealed record RegistrationParams(IReadOnlyList<Registration> Registrations);

public sealed record Unregistration(string Id, string Method);

public sealed record UnregistrationParams(IReadOnlyList<Unregistration> Unregisterations);

public sealed record FileSystemWatcher(string GlobPattern, int? Kind = null);

public sealed record DidChangeWatchedFilesRegistrationOptions(IReadOnlyList<FileSystemWatcher> Watchers);

public sealed record FileEvent(string Uri, int Type);

public sealed record DidChangeWatchedFilesParams(IReadOnlyList<FileEvent> Changes);

public sealed record DidChangeConfigurationParams(JsonElement? Settings);

public sealed record ConfigurationItem(string? ScopeUri, string? Section);

public sealed record ConfigurationParams(IReadOnlyList<ConfigurationItem> Items);
