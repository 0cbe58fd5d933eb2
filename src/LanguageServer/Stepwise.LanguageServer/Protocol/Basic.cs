using System.Text.Json;
using System.Text.Json.Serialization;

namespace Stepwise.LanguageServer.Protocol;

// The subset of LSP 3.17 this server speaks, as plain records. A property's JSON name is its C# name in camelCase
// (the naming policy of LspJsonContext and LspJson.Configure); only a name that differs from that carries
// [JsonPropertyName]. Nulls are omitted by the serializer options (LspJson.Options), as LSP treats an absent optional
// property and null differently in places.

public sealed record LspPosition(int Line, int Character);

public sealed record LspRange(LspPosition Start, LspPosition End);

public sealed record Location(string Uri, LspRange Range);

public sealed record TextDocumentIdentifier(string Uri);

public sealed record VersionedTextDocumentIdentifier(string Uri, int Version);

/// <summary>The identifier inside a TextDocumentEdit: version null means "the file on disk".</summary>
public sealed record OptionalVersionedTextDocumentIdentifier(
    string Uri,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? Version);

public sealed record TextDocumentItem(string Uri, string? LanguageId, int Version, string Text);

public sealed record TextDocumentPositionParams(TextDocumentIdentifier TextDocument, LspPosition Position);

public sealed record TextDocumentParams(TextDocumentIdentifier TextDocument);

public sealed record RangeParams(TextDocumentIdentifier TextDocument, LspRange Range);

public sealed record LspTextEdit(LspRange Range, string NewText);

public sealed record TextDocumentEdit(
    OptionalVersionedTextDocumentIdentifier TextDocument,
    IReadOnlyList<LspTextEdit> Edits);

public sealed record WorkspaceEdit
{
    public Dictionary<string, List<LspTextEdit>>? Changes { get; init; }
    public List<TextDocumentEdit>? DocumentChanges { get; init; }
}

public sealed record MarkupContent(string Kind, string Value)
{
    public static MarkupContent Markdown(string value) => new("markdown", value);
}

public sealed record Command
{
    public required string Title { get; init; }
    [JsonPropertyName("command")] public required string CommandId { get; init; }
    public List<JsonElement>? Arguments { get; init; }
}

public static class MessageType
{
    public const int Error = 1, Warning = 2, Info = 3, Log = 4;
}

public sealed record LogMessageParams(int Type, string Message);

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
