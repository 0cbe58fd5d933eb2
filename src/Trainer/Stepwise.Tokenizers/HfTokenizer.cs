using Stepwise.Tokenizers.Pipeline;
using Stepwise.Tokenizers.Text;
using Stepwise.Tokenizers.Unicode;

namespace Stepwise.Tokenizers;

/// <summary>
/// A tokenizer.json pipeline run as the Rust tokenizers crate runs it (tokenizers/src/tokenizer/mod.rs
/// encode_single_sequence and decode): added tokens split out, normalizer, pre-tokenizer, BPE model, post-processor;
/// decoding maps ids to tokens (added tokens first) and runs the decoder. The file's truncation and padding are not
/// applied: transformers turns them off for every call it makes without truncation / padding arguments.
/// </summary>
public sealed class HfTokenizer
{
    public Normalizer? Normalizer { get; }
    public PreTokenizer? PreTokenizer { get; }
    public BpeModel Model { get; }
    public AddedVocabulary Added { get; }
    public PostProcessor? PostProcessor { get; private set; }
    public Decoder? Decoder { get; }

    public HfTokenizer(Normalizer? normalizer, PreTokenizer? preTokenizer, BpeModel model, IReadOnlyList<AddedToken> addedTokens,
        PostProcessor? postProcessor, Decoder? decoder)
    {
        Normalizer = normalizer; PreTokenizer = preTokenizer; Model = model; PostProcessor = postProcessor; Decoder = decoder;
        Added = new AddedVocabulary(addedTokens, model, normalizer);
    }

    /// <summary>A copy whose post-processor is replaced (transformers' LlamaTokenizerFast.update_post_processor does this).</summary>
    public HfTokenizer WithPostProcessor(PostProcessor? postProcessor)
    {
        var copy = (HfTokenizer)MemberwiseClone();
        copy.PostProcessor = postProcessor;
        return copy;
    }

    public int? TokenToId(string token) => Added.TokenToId(token, Model);
    public string? IdToToken(int id) => Added.IdToToken(id) ?? Model.IdToToken(id);

    /// <summary>Encodes one text (Tokenizer::encode with a single sequence).</summary>
    public TokenEncoding Encode(string text, bool addSpecialTokens)
    {
        int bad = UnicodeChars.UnpairedSurrogate(text);
        if (bad >= 0) throw new ArgumentException($"the text has an unpaired surrogate at character {bad}; it is not valid Unicode");
        var pieces = Added.ExtractAndNormalize(text, Normalizer);
        PreTokenizer?.PreTokenize(pieces);
        var tokens = new List<OutToken>(text.Length / 3 + 4);
        var modelTokens = new List<ModelToken>();
        foreach (var p in pieces)
        {
            if (p.TokenId is int id)
            {
                var (s, e) = p.Text.OriginalRange(0, p.Text.Length);
                tokens.Add(new OutToken(id, p.Text.Text, s, e, false));
                continue;
            }
            modelTokens.Clear();
            Model.Tokenize(p.Text.Text, modelTokens);
            foreach (var t in modelTokens)
            {
                var (s, e) = p.Text.OriginalRange(t.Start, t.End);
                tokens.Add(new OutToken(t.Id, Model.IdToToken(t.Id) ?? "", s, e, false));
            }
        }
        PostProcessor?.Process(tokens, addSpecialTokens);
        int first = tokens.FindIndex(t => !t.Added);
        int last = tokens.FindLastIndex(t => !t.Added);
        return new TokenEncoding
        {
            Ids = tokens.Select(t => t.Id).ToArray(),
            Tokens = tokens.Select(t => t.Value).ToArray(),
            Offsets = tokens.Select(t => (t.Start, t.End)).ToArray(),
            SequenceStart = first < 0 ? 0 : first,
            SequenceEnd = first < 0 ? 0 : last + 1,
        };
    }

    /// <summary>
    /// The pieces the model sees, as ranges of the original text (added tokens included, with their id): what the
    /// normalizer and pre-tokenizer made of the text, for the `tokenize` command's view and for tests.
    /// </summary>
    public List<(int Start, int End, int? AddedId)> PreTokenize(string text)
    {
        var pieces = Added.ExtractAndNormalize(text, Normalizer);
        PreTokenizer?.PreTokenize(pieces);
        return pieces.Select(p => { var (s, e) = p.Text.OriginalRange(0, p.Text.Length); return (s, e, p.TokenId); }).ToList();
    }

    /// <summary>Tokenizer::decode: unknown ids are dropped; special tokens too when asked.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens)
    {
        var tokens = new List<string>();
        foreach (var id in ids)
        {
            var t = IdToToken(id);
            if (t is null || (skipSpecialTokens && Added.IsSpecial(t))) continue;
            tokens.Add(t);
        }
        return Decoder is not null ? Decoder.Decode(tokens) : string.Join(" ", tokens);
    }
}
