namespace Stepwise.LanguageServer.Protocol;

public sealed record DidOpenTextDocumentParams(TextDocumentItem TextDocument);

/// <summary>One change: with a range it is incremental; without, the whole new text.</summary>
public sealed record TextDocumentContentChangeEvent
{
    public LspRange? Range { get; init; }
    public int? RangeLength { get; init; }
    public required string Text { get; init; }
}

public sealed record DidChangeTextDocumentParams(
    VersionedTextDocumentIdentifier TextDocument,
    IReadOnlyList<TextDocumentContentChangeEvent> ContentChanges);

public sealed record DidCloseTextDocumentParams(TextDocumentIdentifier TextDocument);

public sealed record DidSaveTextDocumentParams(TextDocumentIdentifier TextDocument, string? Text);
