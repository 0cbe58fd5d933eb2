using System.Text.Json;
using System.Text.Json.Serialization;

namespace Stepwise.LanguageServer.Protocol;

// The subset of LSP 3.17 this server speaks, as plain records. Every property is named explicitly because
// StreamJsonRpc's SystemTextJsonFormatter applies no naming policy; nulls are omitted by the serializer options
// (LspJson.Options), as LSP treats an absent optional property and null differently in places.

public sealed record LspPosition(
    [property: JsonPropertyName("line")] int Line,
    [property: JsonPropertyName("character")] int Character);

public sealed record LspRange(
    [property: JsonPropertyName("start")] LspPosition Start,
    [property: JsonPropertyName("end")] LspPosition End);

public sealed record Location(
    [property: JsonPropertyName("uri")] string Uri,
    [property: JsonPropertyName("range")] LspRange Range);

public sealed record TextDocumentIdentifier([property: JsonPropertyName("uri")] string Uri);

public sealed record VersionedTextDocumentIdentifier(
    [property: JsonPropertyName("uri")] string Uri,
    [property: JsonPropertyName("version")] int Version);

/// <summary>The identifier inside a TextDocumentEdit: version null means "the file on disk".</summary>
public sealed record OptionalVersionedTextDocumentIdentifier(
    [property: JsonPropertyName("uri")] string Uri,
    [property: JsonPropertyName("version")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? Version);

public sealed record TextDocumentItem(
    [property: JsonPropertyName("uri")] string Uri,
    [property: JsonPropertyName("languageId")] string? LanguageId,
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("text")] string Text);

public sealed record TextDocumentPositionParams(
    [property: JsonPropertyName("textDocument")] TextDocumentIdentifier TextDocument,
    [property: JsonPropertyName("position")] LspPosition Position);

public sealed record TextDocumentParams([property: JsonPropertyName("textDocument")] TextDocumentIdentifier TextDocument);

public sealed record RangeParams(
    [property: JsonPropertyName("textDocument")] TextDocumentIdentifier TextDocument,
    [property: JsonPropertyName("range")] LspRange Range);

public sealed record LspTextEdit(
    [property: JsonPropertyName("range")] LspRange Range,
    [property: JsonPropertyName("newText")] string NewText);

public sealed record TextDocumentEdit(
    [property: JsonPropertyName("textDocument")] OptionalVersionedTextDocumentIdentifier TextDocument,
    [property: JsonPropertyName("edits")] IReadOnlyList<LspTextEdit> Edits);

public sealed record WorkspaceEdit
{
    [JsonPropertyName("changes")] public Dictionary<string, List<LspTextEdit>>? Changes { get; init; }
    [JsonPropertyName("documentChanges")] public List<TextDocumentEdit>? DocumentChanges { get; init; }
}

public sealed record MarkupContent(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("value")] string Value)
{
    public static MarkupContent Markdown(string value) => new("markdown", value);
}

public sealed record Command
{
    [JsonPropertyName("title")] public required string Title { get; init; }
    [JsonPropertyName("command")] public required string CommandId { get; init; }
    [JsonPropertyName("arguments")] public List<JsonElement>? Arguments { get; init; }
}

public static class MessageType
{
    public const int Error = 1, Warning = 2, Info = 3, Log = 4;
}

public sealed record LogMessageParams(
    [property: JsonPropertyName("type")] int Type,
    [property: JsonPropertyName("message")] string Message);

/// <summary>JSON-RPC / LSP error codes the server answers with.</summary>
public static class ErrorCodes
{
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;
    public const int ServerNotInitialized = -32002;
    public const int InvalidRequest = -32600;
    public const int RequestCancelled = -32800;
    public const int ContentModified = -32801;
}
