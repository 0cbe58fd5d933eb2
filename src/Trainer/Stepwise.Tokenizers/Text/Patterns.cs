using Stepwise.Tokenizers.Unicode;

namespace Stepwise.Tokenizers.Text;

/// <summary>
/// Each code point <see cref="Is"/> accepts is a match of its own (the crate's Pattern for Fn(char) -> bool).
/// </summary>
public sealed class CharPattern : IPattern
{
    public Func<int, bool> Is { get; }
    public CharPattern(Func<int, bool> predicate) => Is = predicate;

    public void FindMatches(string text, List<SplitRange> result)
    {
        if (text.Length == 0) { result.Add(new SplitRange(0, 0, false)); return; }
        int last = 0;
        for (int i = 0; i < text.Length;)
        {
            int cp = UnicodeChars.At(text, i, out int n);
            if (Is(cp))
            {
                if (last < i) result.Add(new SplitRange(last, i, false));
                result.Add(new SplitRange(i, i + n, true));
                last = i + n;
            }
            i += n;
        }
        if (last < text.Length) result.Add(new SplitRange(last, text.Length, false));
    }
}

/// <summary>The crate's Invert: the same ranges with matched and unmatched swapped.</summary>
public sealed class InvertPattern : IPattern
{
    private readonly IPattern _inner;
    public InvertPattern(IPattern inner) => _inner = inner;

    public void FindMatches(string text, List<SplitRange> result)
    {
        int from = result.Count;
        _inner.FindMatches(text, result);
        for (int i = from; i < result.Count; i++) result[i] = result[i] with { IsMatch = !result[i].IsMatch };
    }
}
