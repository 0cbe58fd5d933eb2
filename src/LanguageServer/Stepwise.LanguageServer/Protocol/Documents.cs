using System.Text.Json.Serialization;

namespace Stepwise.LanguageServer.Protocol;

public sealed record DidOpenTextDocumentParams([property: JsonPropertyName("textDocument")] TextDocumentItem TextDocument);

/// <summary>One change: with a range it is incremental; without, the whole new text.</summary>
public sealed record TextDocumentContentChangeEvent
{
    [JsonPropertyName("range")] public LspRange? Range { get; init; }
    [JsonPropertyName("rangeLength")] public int? RangeLength { get; init; }
    [JsonPropertyName("text")] public required string Text { get; init; }
}

public sealed record DidChangeTextDocumentParams(
    [property: JsonPropertyName("textDocument")] VersionedTextDocumentIdentifier TextDocument,
    [property: JsonPropertyName("contentChanges")] IReadOnlyList<TextDocumentContentChangeEvent> ContentChanges);

public sealed record DidCloseTextDocumentParams([property: JsonPropertyName("textDocument")] TextDocumentIdentifier TextDocument);

public sealed record DidSaveTextDocumentParams(
    [property: JsonPropertyName("textDocument")] TextDocumentIdentifier TextDocument,
    [property: JsonPropertyName("text")] string? Text);
