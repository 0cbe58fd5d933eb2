using System.Text.Json;
using System.Text.Json.Serialization;

namespace Stepwise.LanguageServer.Protocol;

public static class DiagnosticSeverity
{
    public const int Error = 1, Warning = 2, Information = 3, Hint = 4;
}

public sealed record CodeDescription([property: JsonPropertyName("href")] string Href);

public sealed record DiagnosticRelatedInformation(
    [property: JsonPropertyName("location")] Location Location,
    [property: JsonPropertyName("message")] string Message);

public sealed record Diagnostic
{
    [JsonPropertyName("range")] public required LspRange Range { get; init; }
    [JsonPropertyName("severity")] public int? Severity { get; init; }
    [JsonPropertyName("code")] public string? Code { get; init; }
    [JsonPropertyName("codeDescription")] public CodeDescription? CodeDescription { get; init; }
    [JsonPropertyName("source")] public string? Source { get; init; }
    [JsonPropertyName("message")] public required string Message { get; init; }
    [JsonPropertyName("relatedInformation")] public List<DiagnosticRelatedInformation>? RelatedInformation { get; init; }
    /// <summary>Round-trips to textDocument/codeAction: our <c>DiagnosticData</c>.</summary>
    [JsonPropertyName("data")] public JsonElement? Data { get; init; }
}

public sealed record PublishDiagnosticsParams(
    [property: JsonPropertyName("uri")] string Uri,
    [property: JsonPropertyName("version")] int? Version,
    [property: JsonPropertyName("diagnostics")] IReadOnlyList<Diagnostic> Diagnostics);

public sealed record DocumentDiagnosticParams
{
    [JsonPropertyName("textDocument")] public required TextDocumentIdentifier TextDocument { get; init; }
    [JsonPropertyName("identifier")] public string? Identifier { get; init; }
    [JsonPropertyName("previousResultId")] public string? PreviousResultId { get; init; }
}

/// <summary>A full or unchanged document diagnostic report (kind "full" / "unchanged").</summary>
public sealed record DocumentDiagnosticReport
{
    [JsonPropertyName("kind")] public required string Kind { get; init; }
    [JsonPropertyName("resultId")] public string? ResultId { get; init; }
    [JsonPropertyName("items")] public IReadOnlyList<Diagnostic>? Items { get; init; }
}

public sealed record CodeActionContext
{
    [JsonPropertyName("diagnostics")] public IReadOnlyList<Diagnostic> Diagnostics { get; init; } = Array.Empty<Diagnostic>();
    [JsonPropertyName("only")] public IReadOnlyList<string>? Only { get; init; }
}

public sealed record CodeActionParams
{
    [JsonPropertyName("textDocument")] public required TextDocumentIdentifier TextDocument { get; init; }
    [JsonPropertyName("range")] public required LspRange Range { get; init; }
    [JsonPropertyName("context")] public CodeActionContext Context { get; init; } = new();
}

public sealed record CodeAction
{
    [JsonPropertyName("title")] public required string Title { get; init; }
    [JsonPropertyName("kind")] public string? Kind { get; init; }
    [JsonPropertyName("diagnostics")] public IReadOnlyList<Diagnostic>? Diagnostics { get; init; }
    [JsonPropertyName("isPreferred")] public bool? IsPreferred { get; init; }
    [JsonPropertyName("edit")] public WorkspaceEdit? Edit { get; init; }
}

public sealed record Hover(
    [property: JsonPropertyName("contents")] MarkupContent Contents,
    [property: JsonPropertyName("range")] LspRange? Range);

public static class InlayHintKind
{
    public const int Type = 1, Parameter = 2;
}

public sealed record InlayHint
{
    [JsonPropertyName("position")] public required LspPosition Position { get; init; }
    [JsonPropertyName("label")] public required string Label { get; init; }
    [JsonPropertyName("kind")] public int? Kind { get; init; }
    [JsonPropertyName("tooltip")] public MarkupContent? Tooltip { get; init; }
    [JsonPropertyName("paddingLeft")] public bool? PaddingLeft { get; init; }
}

public sealed record CodeLens
{
    [JsonPropertyName("range")] public required LspRange Range { get; init; }
    [JsonPropertyName("command")] public Command? Command { get; init; }
}

public sealed record CompletionParams
{
    [JsonPropertyName("textDocument")] public required TextDocumentIdentifier TextDocument { get; init; }
    [JsonPropertyName("position")] public required LspPosition Position { get; init; }
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
    [JsonPropertyName("label")] public required string Label { get; init; }
    [JsonPropertyName("kind")] public int? Kind { get; init; }
    [JsonPropertyName("detail")] public string? Detail { get; init; }
    [JsonPropertyName("documentation")] public MarkupContent? Documentation { get; init; }
    [JsonPropertyName("sortText")] public string? SortText { get; init; }
    [JsonPropertyName("filterText")] public string? FilterText { get; init; }
    [JsonPropertyName("insertText")] public string? InsertText { get; init; }
    [JsonPropertyName("insertTextFormat")] public int? InsertTextFormat { get; init; }
    [JsonPropertyName("textEdit")] public LspTextEdit? TextEdit { get; init; }
    [JsonPropertyName("deprecated")] public bool? Deprecated { get; init; }
}

public sealed record CompletionList(
    [property: JsonPropertyName("isIncomplete")] bool IsIncomplete,
    [property: JsonPropertyName("items")] IReadOnlyList<CompletionItem> Items);

public static class SymbolKind
{
    public const int Module = 2, Namespace = 3, Property = 7, Field = 8, String = 15, Number = 16, Boolean = 17, Array = 18, Object = 19, Key = 20, Null = 21;
}

public sealed record DocumentSymbol
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("detail")] public string? Detail { get; init; }
    [JsonPropertyName("kind")] public required int Kind { get; init; }
    [JsonPropertyName("range")] public required LspRange Range { get; init; }
    [JsonPropertyName("selectionRange")] public required LspRange SelectionRange { get; init; }
    [JsonPropertyName("children")] public List<DocumentSymbol>? Children { get; init; }
}
