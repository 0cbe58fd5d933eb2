namespace Stepwise.Tokenizers;

/// <summary>
/// The tokens of one text: ids, token strings, and for each token its UTF-16 range in the text ((0, 0) for tokens a
/// post-processor added). Tokens [SequenceStart, SequenceEnd) came from the text; the others were added around it.
/// </summary>
public sealed class TokenEncoding
{
    public required int[] Ids { get; init; }
    public required string[] Tokens { get; init; }
    public required (int Start, int End)[] Offsets { get; init; }
    public required int SequenceStart { get; init; }
    public required int SequenceEnd { get; init; }

    public int Count => Ids.Length;

    /// <summary>
    /// The first token of the text whose range holds character <paramref name="position"/> (the crate's
    /// Encoding::char_to_token for sequence 0, which transformers' BatchEncoding.char_to_token calls); null if none.
    /// </summary>
    public int? CharToToken(int position)
    {
        for (int i = SequenceStart; i < SequenceEnd; i++)
            if (position >= Offsets[i].Start && position < Offsets[i].End) return i;
        return null;
    }

    /// <summary>
    /// Which tokens the character spans cover, as transformers' apply_chat_template(return_assistant_tokens_mask=True)
    /// computes its assistant mask (tokenization_utils_base.py, PreTrainedTokenizerBase.apply_chat_template): for each
    /// span, the tokens from char_to_token(start) to char_to_token(end - 1), both included; a span whose start falls in
    /// no token stops the scan; when the end falls in no token (or in token 0, which Python's `if end_token` reads as
    /// missing) the span runs to the last token. A token that merges across a span boundary is trained when it holds
    /// the span's first or last character.
    /// </summary>
    public bool[] SpanMask(IEnumerable<(int Start, int End)> spans)
    {
        var mask = new bool[Ids.Length];
        foreach (var (start, end) in spans)
        {
            int? first = CharToToken(start);
            int? last = CharToToken(end - 1);
            if (first is not int f) break;
            int stop = last is int l && l != 0 ? l + 1 : Ids.Length;
            for (int t = f; t < stop; t++) mask[t] = true;
        }
        return mask;
    }
}
