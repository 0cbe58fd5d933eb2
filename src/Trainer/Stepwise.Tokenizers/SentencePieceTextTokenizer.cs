using Microsoft.ML.Tokenizers;

namespace Stepwise.Tokenizers;

/// <summary>
/// tokenizer.model (SentencePiece: Llama 1/2, OpenLLaMA) through Microsoft.ML.Tokenizers' LlamaTokenizer, which the
/// tests check against Debian's python3-sentencepiece. Special-token strings in the text (&lt;s&gt;, &lt;/s&gt;,
/// &lt;unk&gt;) are split out first, as transformers splits added tokens; add_special_tokens adds BOS (Llama's
/// add_bos_token default).
/// </summary>
public sealed class SentencePieceTextTokenizer : TextTokenizer
{
    private readonly LlamaTokenizer _sp;
    private readonly List<(string Text, int Id)> _specials;

    private SentencePieceTextTokenizer(LlamaTokenizer sp, string path)
    {
        _sp = sp;
        Description = $"{path} (SentencePiece, {sp.Vocabulary.Count:N0} pieces)";
        _specials = new List<(string, int)> { (sp.BeginningOfSentenceToken, sp.BeginningOfSentenceId), (sp.EndOfSentenceToken, sp.EndOfSentenceId), (sp.UnknownToken, sp.UnknownId) };
        _specials.RemoveAll(s => s.Text.Length == 0);
        _specials.Sort((a, b) => b.Text.Length.CompareTo(a.Text.Length));
    }

    public static SentencePieceTextTokenizer LoadModel(string path)
    {
        try
        {
            using var s = File.OpenRead(path);
            return new SentencePieceTextTokenizer(LlamaTokenizer.Create(s, addBeginOfSentence: false, addEndOfSentence: false), path);
        }
        catch (Exception e) when (e is not TokenizerFormatException and not OutOfMemoryException)
        {
            throw new TokenizerFormatException($"{path}: not a SentencePiece model Microsoft.ML.Tokenizers can read: {e.Message}");
        }
    }

    public override int? BosId => _sp.BeginningOfSentenceId;
    public override int? EosId => _sp.EndOfSentenceId;
    public override string? BosToken => _sp.BeginningOfSentenceToken;
    public override string? EosToken => _sp.EndOfSentenceToken;
    public override string Description { get; }

    public override TokenEncoding EncodeWithOffsets(string text, bool addSpecialTokens)
    {
        var ids = new List<int>();
        var tokens = new List<string>();
        var offsets = new List<(int, int)>();
        int pos = 0;
        while (pos < text.Length)
        {
            int best = -1; (string Text, int Id) found = default;
            foreach (var s in _specials)
            {
                int i = text.IndexOf(s.Text, pos, StringComparison.Ordinal);
                if (i >= 0 && (best < 0 || i < best)) { best = i; found = s; }
            }
            int end = best < 0 ? text.Length : best;
            if (end > pos) EncodePiece(text, pos, end, ids, tokens, offsets);
            if (best < 0) break;
            ids.Add(found.Id); tokens.Add(found.Text!); offsets.Add((best, best + found.Text!.Length));
            pos = best + found.Text!.Length;
        }
        int start = 0, count = ids.Count;
        if (addSpecialTokens)
        {
            ids.Insert(0, _sp.BeginningOfSentenceId); tokens.Insert(0, _sp.BeginningOfSentenceToken ?? ""); offsets.Insert(0, (0, 0));
            start = 1;
        }
        return new TokenEncoding { Ids = ids.ToArray(), Tokens = tokens.ToArray(), Offsets = offsets.ToArray(), SequenceStart = start, SequenceEnd = start + count };
    }

    private void EncodePiece(string text, int from, int to, List<int> ids, List<string> tokens, List<(int, int)> offsets)
    {
        string piece = text[from..to];
        var encoded = _sp.EncodeToTokens(piece, out string? normalized);
        // Offsets come relative to the normalized text: Llama's SentencePiece normalization prepends the dummy-prefix
        // "▁" and writes spaces as "▁", so a normalized index i is the piece's i - 1.
        int shift = normalized is not null && normalized.Length == piece.Length + 1 ? 1 : 0;
        if (normalized is not null && normalized.Length != piece.Length + shift)
            throw new NotSupportedException($"SentencePiece normalized \"{piece}\" to \"{normalized}\", whose offsets cannot be mapped back");
        foreach (var t in encoded)
        {
            var (o, len) = t.Offset.GetOffsetAndLength(shift + piece.Length);
            int s = Math.Clamp(o - shift, 0, piece.Length), e = Math.Clamp(o + len - shift, 0, piece.Length);
            ids.Add(t.Id); tokens.Add(t.Value); offsets.Add((from + s, from + e));
        }
    }

    public override string Decode(IEnumerable<int> ids, bool skipSpecialTokens)
    {
        var list = skipSpecialTokens ? ids.Where(i => i != BosId && i != EosId && i != _sp.UnknownId) : ids;
        return _sp.Decode(list) ?? "";
    }

    public override string? IdToToken(int id) => _sp.Vocabulary.FirstOrDefault(kv => kv.Value == id).Key;
}
