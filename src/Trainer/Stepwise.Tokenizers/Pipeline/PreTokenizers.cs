using Stepwise.Tokenizers.Text;
using Stepwise.Tokenizers.Unicode;

namespace Stepwise.Tokenizers.Pipeline;

/// <summary>
/// A tokenizer.json pre-tokenizer (tokenizers/src/pre_tokenizers/*.rs). It works on the pieces that are not added
/// tokens yet (the crate's PreTokenizedString::split), replacing each by its splits; empty splits are dropped.
/// </summary>
public abstract class PreTokenizer
{
    public void PreTokenize(List<PreToken> pieces)
    {
        var result = new List<PreToken>(pieces.Count * 2);
        var splits = new List<NormalizedString>();
        foreach (var p in pieces)
        {
            if (p.TokenId is not null) { result.Add(p); continue; }
            splits.Clear();
            Split(p.Text, splits);
            foreach (var s in splits) if (!s.IsEmpty) result.Add(new PreToken(s));
        }
        pieces.Clear();
        pieces.AddRange(result);
    }

    /// <summary>Splits one piece (which it may also normalize, as ByteLevel and Metaspace do).</summary>
    protected abstract void Split(NormalizedString piece, List<NormalizedString> output);
}

public sealed class SequencePreTokenizer(IReadOnlyList<PreTokenizer> steps) : PreTokenizer
{
    protected override void Split(NormalizedString piece, List<NormalizedString> output)
    {
        var pieces = new List<PreToken> { new(piece) };
        foreach (var step in steps) step.PreTokenize(pieces);
        foreach (var p in pieces) output.Add(p.Text);
    }
}

/// <summary>Split: the pattern's matches (or, with invert, the text between them) cut the piece as the behaviour says.</summary>
public sealed class SplitPreTokenizer(IPattern pattern, SplitBehavior behavior, bool invert) : PreTokenizer
{
    private readonly IPattern _pattern = invert ? new InvertPattern(pattern) : pattern;
    protected override void Split(NormalizedString piece, List<NormalizedString> output) => output.AddRange(piece.Split(_pattern, behavior));
}

/// <summary>
/// ByteLevel: optionally a space in front (unless the piece starts with one), the GPT-2 regex split when use_regex,
/// then every piece turned into byte-alphabet characters (pre_tokenizers/byte_level.rs).
/// </summary>
public sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : PreTokenizer
{
    public bool AddPrefixSpace => addPrefixSpace;

    /// <summary>The GPT-2 split pattern the crate compiles with Oniguruma.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    private static readonly Lazy<OnigRegex> Gpt2 = new(() => OnigRegex.Compile(Gpt2Pattern));

    protected override void Split(NormalizedString piece, List<NormalizedString> output)
    {
        if (addPrefixSpace && !piece.Text.StartsWith(' ')) piece.Prepend(" ");
        int from = output.Count;
        if (useRegex) output.AddRange(piece.Split(Gpt2.Value, SplitBehavior.Isolated));
        else output.Add(piece);
        for (int i = from; i < output.Count; i++) if (!output[i].IsEmpty) ByteLevelAlphabet.Transform(output[i]);
    }
}

public enum PrependScheme { Always, First, Never }

/// <summary>
/// Metaspace: spaces become the replacement character, which is prepended per the prepend_scheme (first: only to the
/// piece that starts the original text), then with split the piece is cut before each replacement character.
/// </summary>
public sealed class MetaspacePreTokenizer(string replacement, PrependScheme scheme, bool split) : PreTokenizer
{
    private readonly IPattern _space = OnigRegex.Literal(" ");
    private readonly IPattern _replacementChar = new CharPattern(c => c == char.ConvertToUtf32(replacement, 0));

    protected override void Split(NormalizedString piece, List<NormalizedString> output)
    {
        piece.Replace(_space, replacement);
        bool starts = piece.Text.StartsWith(replacement, StringComparison.Ordinal);
        if (!starts && (scheme == PrependScheme.Always || (scheme == PrependScheme.First && piece.OriginalStart == 0)))
            piece.Prepend(replacement);
        if (split) output.AddRange(piece.Split(_replacementChar, SplitBehavior.MergedWithNext));
        else output.Add(piece);
    }
}

/// <summary>Digits: numeric characters (Rust char::is_numeric) isolated one by one, or grouped (Contiguous).</summary>
public sealed class DigitsPreTokenizer(bool individualDigits) : PreTokenizer
{
    private static readonly IPattern Numeric = new CharPattern(UnicodeChars.IsNumeric);
    protected override void Split(NormalizedString piece, List<NormalizedString> output) =>
        output.AddRange(piece.Split(Numeric, individualDigits ? SplitBehavior.Isolated : SplitBehavior.Contiguous));
}

/// <summary>Punctuation: ASCII punctuation and general category P, with the given behaviour.</summary>
public sealed class PunctuationPreTokenizer(SplitBehavior behavior) : PreTokenizer
{
    private static readonly IPattern Punct = new CharPattern(c => UnicodeChars.IsAsciiPunctuation(c) || UnicodeChars.IsPunctuation(c));
    protected override void Split(NormalizedString piece, List<NormalizedString> output) => output.AddRange(piece.Split(Punct, behavior));
}

/// <summary>WhitespaceSplit: split on White_Space, which is removed.</summary>
public sealed class WhitespaceSplitPreTokenizer : PreTokenizer
{
    private static readonly IPattern Space = new CharPattern(UnicodeChars.IsWhiteSpace);
    protected override void Split(NormalizedString piece, List<NormalizedString> output) => output.AddRange(piece.Split(Space, SplitBehavior.Removed));
}

/// <summary>CharDelimiterSplit: split on one character, which is removed.</summary>
public sealed class CharDelimiterPreTokenizer(int delimiter) : PreTokenizer
{
    private readonly IPattern _delimiter = new CharPattern(c => c == delimiter);
    protected override void Split(NormalizedString piece, List<NormalizedString> output) => output.AddRange(piece.Split(_delimiter, SplitBehavior.Removed));
}

/// <summary>BertPreTokenizer: split on White_Space (removed), then isolate punctuation.</summary>
public sealed class BertPreTokenizer : PreTokenizer
{
    private static readonly IPattern Space = new CharPattern(UnicodeChars.IsWhiteSpace);
    private static readonly IPattern Punct = new CharPattern(c => UnicodeChars.IsAsciiPunctuation(c) || UnicodeChars.IsPunctuation(c));
    protected override void Split(NormalizedString piece, List<NormalizedString> output)
    {
        foreach (var s in piece.Split(Space, SplitBehavior.Removed))
            if (!s.IsEmpty) output.AddRange(s.Split(Punct, SplitBehavior.Isolated));
    }
}

/// <summary>
/// Whitespace: the regex crate's \w+|[^\w\s]+ (Unicode \w), the text between matches removed. Implemented as a
/// scan, since .NET's \w is not the regex crate's (it lacks Mc, Me, Nl and Other_Alphabetic).
/// </summary>
public sealed class WhitespacePreTokenizer : PreTokenizer
{
    private sealed class WordOrPunct : IPattern
    {
        public void FindMatches(string text, List<SplitRange> result)
        {
            if (text.Length == 0) { result.Add(new SplitRange(0, 0, false)); return; }
            int prev = 0, i = 0;
            while (i < text.Length)
            {
                int cp = UnicodeChars.At(text, i, out int n);
                int kind = UnicodeChars.IsWordChar(cp) ? 1 : UnicodeChars.IsWhiteSpace(cp) ? 0 : 2;
                if (kind == 0) { i += n; continue; }
                int start = i;
                while (i < text.Length)
                {
                    int c2 = UnicodeChars.At(text, i, out int m);
                    int k2 = UnicodeChars.IsWordChar(c2) ? 1 : UnicodeChars.IsWhiteSpace(c2) ? 0 : 2;
                    if (k2 != kind) break;
                    i += m;
                }
                if (prev < start) result.Add(new SplitRange(prev, start, false));
                result.Add(new SplitRange(start, i, true));
                prev = i;
            }
            if (prev < text.Length) result.Add(new SplitRange(prev, text.Length, false));
        }
    }

    private static readonly IPattern Words = new InvertPattern(new WordOrPunct());
    protected override void Split(NormalizedString piece, List<NormalizedString> output) => output.AddRange(piece.Split(Words, SplitBehavior.Removed));
}
