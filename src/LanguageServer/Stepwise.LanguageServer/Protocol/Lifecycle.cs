using System.Text.Json;
using System.Text.Json.Serialization;

namespace Stepwise.LanguageServer.Protocol;

public sealed record InitializeParams
{
    [JsonPropertyName("processId")] public int? ProcessId { get; init; }
    [JsonPropertyName("rootUri")] public string? RootUri { get; init; }
    /// <summary>Kept as JSON: the server only probes a few paths in it (ClientCapabilities).</summary>
    [JsonPropertyName("capabilities")] public JsonElement Capabilities { get; init; }
    [JsonPropertyName("initializationOptions")] public JsonElement? InitializationOptions { get; init; }
    [JsonPropertyName("clientInfo")] public ClientInfo? ClientInfo { get; init; }
}

public sealed record ClientInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string? Version);

public sealed record InitializeResult(
    [property: JsonPropertyName("capabilities")] ServerCapabilities Capabilities,
    [property: JsonPropertyName("serverInfo")] ServerInfo ServerInfo);

public sealed record ServerInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version);

public static class TextDocumentSyncKind
{
    public const int None = 0, Full = 1, Incremental = 2;
}

public sealed record TextDocumentSyncOptions(
    [property: JsonPropertyName("openClose")] bool OpenClose,
    [property: JsonPropertyName("change")] int Change,
    [property: JsonPropertyName("save")] SaveOptions? Save);

public sealed record SaveOptions([property: JsonPropertyName("includeText")] bool IncludeText);

public sealed record CompletionOptions(
    [property: JsonPropertyName("triggerCharacters")] IReadOnlyList<string> TriggerCharacters,
    [property: JsonPropertyName("resolveProvider")] bool ResolveProvider);

public sealed record CodeActionOptions(
    [property: JsonPropertyName("codeActionKinds")] IReadOnlyList<string> CodeActionKinds,
    [property: JsonPropertyName("resolveProvider")] bool ResolveProvider);

public sealed record CodeLensOptions([property: JsonPropertyName("resolveProvider")] bool ResolveProvider);

public sealed record DiagnosticOptions(
    [property: JsonPropertyName("identifier")] string Identifier,
    [property: JsonPropertyName("interFileDependencies")] bool InterFileDependencies,
    [property: JsonPropertyName("workspaceDiagnostics")] bool WorkspaceDiagnostics);

public sealed record ServerCapabilities
{
    [JsonPropertyName("positionEncoding")] public string PositionEncoding { get; init; } = "utf-16";
    [JsonPropertyName("textDocumentSync")] public required TextDocumentSyncOptions TextDocumentSync { get; init; }
    [JsonPropertyName("hoverProvider")] public bool HoverProvider { get; init; }
    [JsonPropertyName("completionProvider")] public CompletionOptions? CompletionProvider { get; init; }
    [JsonPropertyName("codeActionProvider")] public CodeActionOptions? CodeActionProvider { get; init; }
    [JsonPropertyName("codeLensProvider")] public CodeLensOptions? CodeLensProvider { get; init; }
    [JsonPropertyName("inlayHintProvider")] public bool InlayHintProvider { get; init; }
    [JsonPropertyName("documentSymbolProvider")] public bool DocumentSymbolProvider { get; init; }
    /// <summary>Advertised only when the client can pull diagnostics; otherwise the server pushes.</summary>
    [JsonPropertyName("diagnosticProvider")] public DiagnosticOptions? DiagnosticProvider { get; init; }
}

public sealed record Registration(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("registerOptions")] object? RegisterOptions);

public sealed record RegistrationParams([property: JsonPropertyName("registrations")] IReadOnlyList<Registration> Registrations);

public sealed record Unregistration(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("method")] string Method);

public sealed record UnregistrationParams([property: JsonPropertyName("unregisterations")] IReadOnlyList<Unregistration> Unregisterations);

public sealed record FileSystemWatcher(
    [property: JsonPropertyName("globPattern")] string GlobPattern,
    [property: JsonPropertyName("kind")] int? Kind = null);

public sealed record DidChangeWatchedFilesRegistrationOptions(
    [property: JsonPropertyName("watchers")] IReadOnlyList<FileSystemWatcher> Watchers);

public sealed record FileEvent(
    [property: JsonPropertyName("uri")] string Uri,
    [property: JsonPropertyName("type")] int Type);

public sealed record DidChangeWatchedFilesParams([property: JsonPropertyName("changes")] IReadOnlyList<FileEvent> Changes);

public sealed record DidChangeConfigurationParams([property: JsonPropertyName("settings")] JsonElement? Settings);

public sealed record ConfigurationItem(
    [property: JsonPropertyName("scopeUri")] string? ScopeUri,
    [property: JsonPropertyName("section")] string? Section);

public sealed record ConfigurationParams([property: JsonPropertyName("items")] IReadOnlyList<ConfigurationItem> Items);
