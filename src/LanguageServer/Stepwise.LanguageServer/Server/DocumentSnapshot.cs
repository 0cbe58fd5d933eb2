using Stepwise.Core.Text;
using Stepwise.LanguageServer.Protocol;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// One open document at one version: immutable. Its analysis is computed at most once, on first use, by whoever
/// needs it first (the diagnostics loop or a request). A settings or watched-file change makes a new snapshot of the
/// same text with a higher <see cref="Generation"/>.
/// </summary>
public sealed class DocumentSnapshot
{
    private readonly Lazy<DocumentAnalysis> _analysis;
    private LineIndex? _lines;

    public DocumentSnapshot(string uri, string path, string? languageId, int version, string text, int generation, Func<DocumentSnapshot, DocumentAnalysis> analyze)
    {
        Uri = uri; Path = path; LanguageId = languageId; Version = version; Text = text; Generation = generation;
        _analysis = new Lazy<DocumentAnalysis>(() => analyze(this), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Uri { get; }
    /// <summary>File-system path of the document (a made-up one for untitled buffers).</summary>
    public string Path { get; }
    public string? LanguageId { get; }
    public int Version { get; }
    public string Text { get; }
    public int Generation { get; }
    public LineIndex Lines => _lines ??= new LineIndex(Text, Path);
    public DocumentAnalysis Analysis => _analysis.Value;
    public bool IsAnalyzed => _analysis.IsValueCreated;
    public string ResultId => $"{Version}.{Generation}";

    public DocumentSnapshot With(int version, string text, Func<DocumentSnapshot, DocumentAnalysis> analyze) =>
        new(Uri, Path, LanguageId, version, text, Generation, analyze);

    public DocumentSnapshot Regenerate(Func<DocumentSnapshot, DocumentAnalysis> analyze) =>
        new(Uri, Path, LanguageId, Version, Text, Generation + 1, analyze);

    /// <summary>
    /// Applies LSP content changes in order. Positions past a line's end or past the last line clamp to the text, as
    /// VS Code's own TextDocument does; a range whose start is after its end is an error (the change is refused).
    /// </summary>
    /// <returns>The new text, or null when the changes are refused (<paramref name="problem"/> says why; a clamp is only noted).</returns>
    public static string? ApplyChanges(string text, IReadOnlyList<TextDocumentContentChangeEvent>? changes, out string? problem)
    {
        problem = null;
        if (changes is null) { problem = "contentChanges is missing"; return null; }
        foreach (var change in changes)
        {
            if (change is null) { problem = "a content change is null"; return null; }
            if (change.Range is not { } r) { text = change.Text ?? ""; continue; }
            if (r.Start is null || r.End is null) { problem = "a change range lacks start or end"; return null; }
            if (new Position(r.Start.Line, r.Start.Character).CompareTo(new Position(r.End.Line, r.End.Character)) > 0)
            {
                problem = $"change range start {r.Start.Line}:{r.Start.Character} is after its end {r.End.Line}:{r.End.Character}";
                return null;
            }
            // Offsets found by scanning line breaks up to the position only: an edit near the top of a 2 MB
            // document does not index all its lines.
            int start = OffsetOf(text, r.Start.Line, r.Start.Character, out bool clampedStart);
            int end = Math.Max(start, OffsetOf(text, r.End.Line, r.End.Character, out bool clampedEnd));
            if (clampedStart || clampedEnd)
                problem = $"change range {r.Start.Line}:{r.Start.Character}-{r.End.Line}:{r.End.Character} is outside the text; clamped";
            text = string.Concat(text.AsSpan(0, start), change.Text ?? "", text.AsSpan(end));
        }
        return text;
    }

    private static readonly System.Buffers.SearchValues<char> LineBreaks = System.Buffers.SearchValues.Create("\r\n");

    /// <summary>UTF-16 offset of (line, character) as LineIndex counts lines (\n, \r\n, \r); positions past a
    /// line's end or past the last line clamp, and say so.</summary>
    public static int OffsetOf(string text, int line, int character, out bool clamped)
    {
        clamped = line < 0 || character < 0;
        int pos = 0;
        for (int l = 0; l < line; l++)
        {
            int nl = text.AsSpan(pos).IndexOfAny(LineBreaks);
            if (nl < 0) { clamped = true; return text.Length; }
            nl += pos;
            pos = nl + (text[nl] == '\r' && nl + 1 < text.Length && text[nl + 1] == '\n' ? 2 : 1);
        }
        int lineEnd = text.AsSpan(pos).IndexOfAny(LineBreaks);
        int length = lineEnd < 0 ? text.Length - pos : lineEnd;
        if (character > length) clamped = true;
        return pos + Math.Clamp(character, 0, length);
    }
}
