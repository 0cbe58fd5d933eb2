using System;
using System.Collections.Generic;

namespace Stepwise.Core.Text;

/// <summary>A 0-based position as LSP counts it: line, and UTF-16 code units into the line.</summary>
public readonly record struct Position(int Line, int Character) : IComparable<Position>
{
    public int CompareTo(Position other) => Line != other.Line ? Line.CompareTo(other.Line) : Character.CompareTo(other.Character);
    public override string ToString() => $"{Line + 1}:{Character + 1}";
}

/// <summary>A half-open range [Start, End) of positions.</summary>
public readonly record struct TextRange(Position Start, Position End)
{
    public bool Contains(Position p) => p.CompareTo(Start) >= 0 && p.CompareTo(End) <= 0;
}

/// <summary>
/// Where a value came from: the file (null for an in-memory document), UTF-16 offsets into its text,
/// and the same place as an LSP range.
/// </summary>
public sealed record SourceSpan(string? File, int Start, int Length, TextRange Range)
{
    public int End => Start + Length;
    public override string ToString() => $"{File}:{Range.Start}";
}

/// <summary>A replacement of [Start, Start+Length) by NewText. Range is the same place for LSP clients.</summary>
public sealed record TextEdit(int Start, int Length, TextRange Range, string NewText)
{
    /// <summary>Applies edits that do not overlap (any order given) to the text.</summary>
    public static string Apply(string text, IEnumerable<TextEdit> edits)
    {
        var list = new List<TextEdit>(edits);
        list.Sort((a, b) => a.Start != b.Start ? b.Start.CompareTo(a.Start) : b.Length.CompareTo(a.Length));
        var sb = new System.Text.StringBuilder(text);
        int lastStart = int.MaxValue;
        foreach (var e in list)
        {
            if (e.Start < 0 || e.Start + e.Length > sb.Length)
                throw new ArgumentOutOfRangeException(nameof(edits), $"edit {e.Start}+{e.Length} is outside the text ({sb.Length})");
            if (e.Start + e.Length > lastStart)
                throw new ArgumentException("edits overlap", nameof(edits));
            sb.Remove(e.Start, e.Length).Insert(e.Start, e.NewText);
            lastStart = e.Start;
        }
        return sb.ToString();
    }
}

/// <summary>Maps UTF-16 offsets to (line, character) and back for one text. Lines end at \n, \r\n or \r.</summary>
public sealed class LineIndex
{
    private readonly int[] _lineStarts;
    public string Text { get; }
    public string? File { get; }

    public LineIndex(string text, string? file = null)
    {
        Text = text;
        File = file;
        // Two passes (count, then fill) so the table is allocated once at its size: a 30-million-line config costs
        // 120 MB, not three times that in a growing list and its copy.
        int count = 1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\r' || c == '\n')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                count++;
            }
        }
        _lineStarts = new int[count];
        int line = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\r' || c == '\n')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                _lineStarts[++line] = i + 1;
            }
        }
    }

    public int LineCount => _lineStarts.Length;
    public int LineStart(int line) => _lineStarts[Math.Max(0, Math.Min(line, _lineStarts.Length - 1))];

    /// <summary>Offset just past the line's last character, before its line break.</summary>
    public int LineContentEnd(int line)
    {
        int end = line + 1 < _lineStarts.Length ? _lineStarts[line + 1] : Text.Length;
        while (end > _lineStarts[line] && (Text[end - 1] == '\n' || Text[end - 1] == '\r')) end--;
        return end;
    }

    /// <summary>Offset of the next line's start (or the end of text).</summary>
    public int LineEndIncludingBreak(int line) => line + 1 < _lineStarts.Length ? _lineStarts[line + 1] : Text.Length;

    public Position PositionOf(int offset)
    {
        offset = Math.Max(0, Math.Min(offset, Text.Length));
        int lo = 0, hi = _lineStarts.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (_lineStarts[mid] <= offset) lo = mid; else hi = mid - 1;
        }
        return new Position(lo, offset - _lineStarts[lo]);
    }

    /// <summary>Offset of a position; positions past a line's end clamp to it (as LSP asks).</summary>
    public int OffsetOf(Position p)
    {
        if (p.Line < 0) return 0;
        if (p.Line >= _lineStarts.Length) return Text.Length;
        int start = _lineStarts[p.Line];
        int end = LineContentEnd(p.Line);
        return Math.Min(start + Math.Max(0, p.Character), end);
    }

    public SourceSpan Span(int start, int length) =>
        new(File, start, length, new TextRange(PositionOf(start), PositionOf(start + length)));

    public TextEdit Edit(int start, int length, string newText) =>
        new(start, length, new TextRange(PositionOf(start), PositionOf(start + length)), newText);

    public TextEdit Edit(SourceSpan span, string newText) => Edit(span.Start, span.Length, newText);
}
