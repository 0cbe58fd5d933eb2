using System.Text;
using Stepwise.Tokenizers.Unicode;

namespace Stepwise.Tokenizers.Text;

/// <summary>
/// A piece of the input being normalized, with, for every UTF-16 unit of the normalized text, the range of the original
/// input it came from (absolute UTF-16 indices). It plays the part of the Rust crate's NormalizedString
/// (tokenizers/src/tokenizer/normalizer.rs): token offsets into the original text, which the chat masks need, are read
/// from these alignments. The alignment rules follow its transform_range: a character that replaces another takes its
/// alignment, an inserted character takes the alignment of the character before it, or an empty range at the start of
/// the piece when there is none.
/// </summary>
public sealed class NormalizedString
{
    private int[] _start;
    private int[] _end;

    public string Text { get; private set; }
    /// <summary>Where this piece starts in the original input (the crate's original_shift).</summary>
    public int OriginalStart { get; }
    public int OriginalEnd { get; }

    private NormalizedString(string text, int[] start, int[] end, int originalStart, int originalEnd)
    {
        Text = text; _start = start; _end = end; OriginalStart = originalStart; OriginalEnd = originalEnd;
    }

    /// <summary>The original text <paramref name="text"/>, which starts at <paramref name="offset"/> of the whole input.</summary>
    public static NormalizedString FromOriginal(string text, int offset = 0)
    {
        var start = new int[text.Length];
        var end = new int[text.Length];
        for (int i = 0; i < text.Length;)
        {
            UnicodeChars.At(text, i, out int n);
            for (int k = 0; k < n; k++) { start[i + k] = offset + i; end[i + k] = offset + i + n; }
            i += n;
        }
        return new NormalizedString(text, start, end, offset, offset + text.Length);
    }

    public int Length => Text.Length;
    public bool IsEmpty => Text.Length == 0;

    /// <summary>The original range of the normalized range [start, end) (the crate's convert_offsets).</summary>
    public (int Start, int End) OriginalRange(int start, int end) =>
        end > start ? (_start[start], _end[end - 1]) : (start < _start.Length ? _start[start] : OriginalEnd, start < _start.Length ? _start[start] : OriginalEnd);

    /// <summary>The normalized range [start, end) as its own piece.</summary>
    public NormalizedString Slice(int start, int end)
    {
        var (os, oe) = end > start ? (_start[start], _end[end - 1]) : (OriginalStart, OriginalStart);
        return new NormalizedString(Text[start..end], _start[start..end], _end[start..end], os, oe);
    }

    /// <summary>Collects a new normalized text; each code point is aligned like the old unit it names (-1: the piece's start).</summary>
    public sealed class Builder
    {
        internal readonly StringBuilder Sb;
        internal readonly List<int> Start;
        internal readonly List<int> End;
        private readonly NormalizedString _from;

        internal Builder(NormalizedString from, int capacity)
        {
            _from = from; Sb = new StringBuilder(capacity); Start = new List<int>(capacity); End = new List<int>(capacity);
        }

        public void Add(int cp, int sourceUnit)
        {
            int s, e;
            if (sourceUnit < 0) { s = e = _from.OriginalStart; }
            else { s = _from._start[sourceUnit]; e = _from._end[sourceUnit]; }
            int n = UnicodeChars.Utf16Length(cp);
            UnicodeChars.Append(Sb, cp);
            for (int k = 0; k < n; k++) { Start.Add(s); End.Add(e); }
        }
    }

    public Builder NewBuilder(int capacity = 0) => new(this, Math.Max(capacity, Text.Length));

    public void Apply(Builder b)
    {
        Text = b.Sb.ToString();
        _start = b.Start.ToArray();
        _end = b.End.ToArray();
    }

    /// <summary>Each code point mapped to one (Rust NormalizedString::map).</summary>
    public void Map(Func<int, int> map)
    {
        var b = NewBuilder();
        for (int i = 0; i < Text.Length;) { int cp = UnicodeChars.At(Text, i, out int n); b.Add(map(cp), i); i += n; }
        Apply(b);
    }

    /// <summary>Keeps the code points <paramref name="keep"/> accepts (Rust NormalizedString::filter).</summary>
    public void Filter(Func<int, bool> keep)
    {
        var b = NewBuilder();
        for (int i = 0; i < Text.Length;) { int cp = UnicodeChars.At(Text, i, out int n); if (keep(cp)) b.Add(cp, i); i += n; }
        Apply(b);
    }

    /// <summary>Each code point replaced by one or more (all aligned to it).</summary>
    public void Expand(Func<int, string> map)
    {
        var b = NewBuilder();
        for (int i = 0; i < Text.Length;)
        {
            int cp = UnicodeChars.At(Text, i, out int n);
            string s = map(cp);
            for (int k = 0; k < s.Length;) { b.Add(UnicodeChars.At(s, k, out int m), i); k += m; }
            i += n;
        }
        Apply(b);
    }

    /// <summary>Rust NormalizedString::lowercase (char::to_lowercase, which may give several characters).</summary>
    public void Lowercase()
    {
        bool ascii = true;
        foreach (char c in Text) if (c >= 0x80 || (c >= 'A' && c <= 'Z')) { ascii = false; break; }
        if (!ascii) Expand(UnicodeChars.ToLower);
    }

    /// <summary>NFC / NFD / NFKC / NFKD; each output code point aligned to the input code point it came from.</summary>
    public void Normalize(UnicodeForm form)
    {
        bool plain = true;
        foreach (char c in Text)
            if (c >= 0x300 || (c >= 0xA0 && form != UnicodeForm.NFC)) { plain = false; break; }
        if (plain) return; // below U+0300 only NFD/NFKD (decomposing Latin-1) and NFKC (compatibility Latin-1) change anything
        var cps = new List<int>(Text.Length);
        var units = new List<int>(Text.Length);
        for (int i = 0; i < Text.Length;) { cps.Add(UnicodeChars.At(Text, i, out int n)); units.Add(i); i += n; }
        var sources = new List<int>();
        var output = UnicodeNormalizer.Normalize(cps, form, sources);
        var b = NewBuilder(output.Count);
        for (int k = 0; k < output.Count; k++) b.Add(output[k], units[sources[k]]);
        Apply(b);
    }

    /// <summary>Rust NormalizedString::prepend: the new text and the first character take the first character's alignment.</summary>
    public void Prepend(string s)
    {
        if (Text.Length == 0) return;
        var b = NewBuilder(Text.Length + s.Length);
        for (int k = 0; k < s.Length;) { b.Add(UnicodeChars.At(s, k, out int m), 0); k += m; }
        for (int i = 0; i < Text.Length;) { b.Add(UnicodeChars.At(Text, i, out int n), i); i += n; }
        Apply(b);
    }

    /// <summary>Rust NormalizedString::append: the new text takes the last character's alignment.</summary>
    public void Append(string s)
    {
        var b = NewBuilder(Text.Length + s.Length);
        for (int i = 0; i < Text.Length;) { b.Add(UnicodeChars.At(Text, i, out int n), i); i += n; }
        for (int k = 0; k < s.Length;) { b.Add(UnicodeChars.At(s, k, out int m), Text.Length - 1); k += m; }
        Apply(b);
    }

    /// <summary>Rust NormalizedString::lrstrip: removes leading / trailing White_Space.</summary>
    public void Strip(bool left, bool right)
    {
        int s = 0, e = Text.Length;
        if (left) while (s < e) { int cp = UnicodeChars.At(Text, s, out int n); if (!UnicodeChars.IsWhiteSpace(cp)) break; s += n; }
        if (right) while (e > s) { int i = char.IsLowSurrogate(Text[e - 1]) && e - 2 >= s ? e - 2 : e - 1; if (!UnicodeChars.IsWhiteSpace(UnicodeChars.At(Text, i, out _))) break; e = i; }
        if (s == 0 && e == Text.Length) return;
        Text = Text[s..e]; _start = _start[s..e]; _end = _end[s..e];
    }

    /// <summary>
    /// Rust NormalizedString::replace: each match of <paramref name="pattern"/> becomes <paramref name="content"/>,
    /// aligned to the last character of the match (the character before it for an empty match).
    /// </summary>
    public void Replace(IPattern pattern, string content)
    {
        var matches = new List<SplitRange>();
        pattern.FindMatches(Text, matches);
        if (!matches.Any(m => m.IsMatch)) return;
        var b = NewBuilder(Text.Length + content.Length);
        foreach (var m in matches)
        {
            if (!m.IsMatch)
            {
                for (int i = m.Start; i < m.End;) { b.Add(UnicodeChars.At(Text, i, out int n), i); i += n; }
                continue;
            }
            int source = m.End - 1; // the last unit of the match, or the unit before an empty match (-1: piece start)
            for (int k = 0; k < content.Length;) { b.Add(UnicodeChars.At(content, k, out int n), source); k += n; }
        }
        Apply(b);
    }

    /// <summary>Rust NormalizedString::split with a delimiter behaviour; empty pieces are kept (the caller drops them).</summary>
    public List<NormalizedString> Split(IPattern pattern, SplitBehavior behavior)
    {
        var matches = new List<SplitRange>();
        pattern.FindMatches(Text, matches);
        var splits = new List<(int Start, int End, bool Remove)>(matches.Count);
        switch (behavior)
        {
            case SplitBehavior.Isolated:
                foreach (var m in matches) splits.Add((m.Start, m.End, false));
                break;
            case SplitBehavior.Removed:
                foreach (var m in matches) splits.Add((m.Start, m.End, m.IsMatch));
                break;
            case SplitBehavior.Contiguous:
            {
                bool previous = false;
                foreach (var m in matches)
                {
                    if (m.IsMatch == previous && splits.Count > 0) splits[^1] = (splits[^1].Start, m.End, false);
                    else splits.Add((m.Start, m.End, false));
                    previous = m.IsMatch;
                }
                break;
            }
            case SplitBehavior.MergedWithPrevious:
            {
                bool previous = false;
                foreach (var m in matches)
                {
                    if (m.IsMatch && !previous && splits.Count > 0) splits[^1] = (splits[^1].Start, m.End, false);
                    else splits.Add((m.Start, m.End, false));
                    previous = m.IsMatch;
                }
                break;
            }
            case SplitBehavior.MergedWithNext:
            {
                bool previous = false;
                for (int k = matches.Count - 1; k >= 0; k--)
                {
                    var m = matches[k];
                    if (m.IsMatch && !previous && splits.Count > 0) splits[^1] = (m.Start, splits[^1].End, false);
                    else splits.Add((m.Start, m.End, false));
                    previous = m.IsMatch;
                }
                splits.Reverse();
                break;
            }
        }
        var result = new List<NormalizedString>(splits.Count);
        foreach (var (s, e, remove) in splits) if (!remove) result.Add(Slice(s, e));
        return result;
    }
}

/// <summary>How a split pattern's matches are kept (the crate's SplitDelimiterBehavior).</summary>
public enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

/// <summary>A range of a text and whether a pattern matched it.</summary>
public readonly record struct SplitRange(int Start, int End, bool IsMatch);

/// <summary>Something that cuts a text into matched and unmatched ranges, covering it (the crate's Pattern::find_matches).</summary>
public interface IPattern
{
    void FindMatches(string text, List<SplitRange> result);
}
