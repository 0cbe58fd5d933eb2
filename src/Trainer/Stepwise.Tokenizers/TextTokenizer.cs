using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stepwise.Tokenizers;

/// <summary>
/// A model folder's tokenizer as transformers' AutoTokenizer builds it: text to token ids (with each token's range in
/// the text) and back, and the BOS / EOS tokens. One code path for training, the `tokenize` command and token counts.
/// </summary>
public abstract class TextTokenizer
{
    public abstract int? BosId { get; }
    public abstract int? EosId { get; }
    public abstract string? BosToken { get; }
    public abstract string? EosToken { get; }
    /// <summary>What was loaded, for logs: "tokenizer.json (BPE, 128,000 tokens) + tokenizer_config.json (LlamaTokenizerFast)".</summary>
    public abstract string Description { get; }

    /// <summary>
    /// tokenizer(text, add_special_tokens=..., return_offsets_mapping=True): special-token strings in the text always
    /// become their ids (split_special_tokens=False); add_special_tokens adds what the post-processor adds (BOS).
    /// </summary>
    public abstract TokenEncoding EncodeWithOffsets(string text, bool addSpecialTokens);

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true) => EncodeWithOffsets(text, addSpecialTokens).Ids;

    /// <summary>
    /// The tokenizer's decode (the tokenizers crate's Tokenizer::decode for tokenizer.json). transformers' decode adds
    /// clean_up_tokenization_spaces on top when the config asks for it; that is not applied here (decoding is only
    /// used to show text, never to train).
    /// </summary>
    public abstract string Decode(IEnumerable<int> ids, bool skipSpecialTokens);

    /// <summary>Decodes without the special tokens (BOS, EOS, ...), as generation output is shown.</summary>
    public string Decode(IEnumerable<int> ids) => Decode(ids, skipSpecialTokens: true);

    /// <summary>The token string of an id (for display), or null.</summary>
    public abstract string? IdToToken(int id);

    /// <summary>
    /// The tokenizer of a model folder as AutoTokenizer loads it: tokenizer.json with its tokenizer_config.json when the
    /// folder has one (the fast tokenizer, transformers' default even when tokenizer.model is there too), else
    /// tokenizer.model (SentencePiece: Llama 1/2, OpenLLaMA). Throws <see cref="TokenizerFormatException"/> for a folder
    /// with neither, or a file the pipeline cannot reproduce exactly.
    /// </summary>
    public static TextTokenizer Load(string folder)
    {
        string tj = Path.Combine(folder, "tokenizer.json");
        if (File.Exists(tj))
        {
            var tok = JsonTextTokenizer.LoadFolder(folder);
            return ByteTokenizer.Matches(tok.Pipeline) ? new ByteTokenizer(tok) : tok;
        }
        string spPath = Path.Combine(folder, "tokenizer.model");
        if (File.Exists(spPath)) return SentencePieceTextTokenizer.LoadModel(spPath);
        throw new TokenizerFormatException($"{folder}: no tokenizer.json or tokenizer.model");
    }

    /// <summary>A string or an AddedToken object ({"content": ...}) of tokenizer_config.json.</summary>
    internal static string? TokenString(JsonNode? n) =>
        n is JsonValue v && v.TryGetValue<string>(out var s) ? s : (n as JsonObject)?["content"]?.GetValue<string>();
}

/// <summary>
/// tokenizer.json through <see cref="HfTokenizer"/>, with what transformers' tokenizer class adds on top from
/// tokenizer_config.json: LlamaTokenizerFast, CodeLlamaTokenizerFast and GemmaTokenizerFast replace the file's
/// post-processor by BOS $A EOS per add_bos_token (default true) and add_eos_token (default false)
/// (update_post_processor in transformers' models/llama/tokenization_llama_fast.py), and the BOS / EOS tokens come
/// from the config.
/// </summary>
public class JsonTextTokenizer : TextTokenizer
{
    public HfTokenizer Pipeline { get; }
    public override int? BosId { get; }
    public override int? EosId { get; }
    public override string? BosToken { get; }
    public override string? EosToken { get; }
    public override string Description { get; }
    /// <summary>The tokenizer_class of tokenizer_config.json, if any.</summary>
    public string? TokenizerClass { get; }

    protected JsonTextTokenizer(JsonTextTokenizer other)
    {
        Pipeline = other.Pipeline; BosId = other.BosId; EosId = other.EosId; BosToken = other.BosToken; EosToken = other.EosToken;
        Description = other.Description; TokenizerClass = other.TokenizerClass;
    }

    private JsonTextTokenizer(HfTokenizer pipeline, string? bos, string? eos, string description, string? tokenizerClass)
    {
        Pipeline = pipeline; BosToken = bos; EosToken = eos; Description = description; TokenizerClass = tokenizerClass;
        BosId = bos is null ? null : pipeline.TokenToId(bos);
        EosId = eos is null ? null : pipeline.TokenToId(eos);
    }

    public static JsonTextTokenizer LoadFolder(string folder)
    {
        string tj = Path.Combine(folder, "tokenizer.json");
        var pipeline = TokenizerJson.Load(tj);
        string cfgPath = Path.Combine(folder, "tokenizer_config.json");
        JsonObject? cfg = null;
        if (File.Exists(cfgPath))
        {
            try { cfg = JsonNode.Parse(File.ReadAllText(cfgPath)) as JsonObject; }
            catch (JsonException e) { throw new TokenizerFormatException($"{cfgPath}: not valid JSON: {e.Message}"); }
        }
        return FromParts(pipeline, cfg, tj, cfgPath);
    }

    public static JsonTextTokenizer FromParts(HfTokenizer pipeline, JsonObject? cfg, string tokenizerJsonPath, string configPath)
    {
        string vocab = $"BPE, {pipeline.Model.VocabSize:N0} tokens";
        if (cfg is null)
        {
            // No config: the BOS / EOS strings families use, when the file has them as added tokens.
            string? Find(params string[] names) => names.FirstOrDefault(n => pipeline.Added.Tokens.ContainsKey(n));
            return new JsonTextTokenizer(pipeline, Find("<s>", "<|begin_of_text|>", "<bos>"), Find("</s>", "<|end_of_text|>", "<eos>", "<|endoftext|>"),
                $"{tokenizerJsonPath} ({vocab}; no tokenizer_config.json)", null);
        }
        string? cls = cfg["tokenizer_class"]?.GetValue<string>();
        string? bos = TokenString(cfg["bos_token"]), eos = TokenString(cfg["eos_token"]);
        string baseClass = cls is null ? "" : cls.EndsWith("Fast", StringComparison.Ordinal) ? cls[..^4] : cls;
        if (baseClass is "LlamaTokenizer" or "CodeLlamaTokenizer" or "GemmaTokenizer")
        {
            if (cfg["add_prefix_space"] is JsonValue { } apsLlama && apsLlama.GetValueKind() != JsonValueKind.Null)
                throw new TokenizerFormatException($"{configPath}: add_prefix_space makes transformers' {cls}Fast rebuild the tokenizer from the slow one (tokenizer.model) instead of reading {tokenizerJsonPath}; this is not reproduced");
            bool addBos = cfg["add_bos_token"]?.GetValue<bool>() ?? true;
            bool addEos = cfg["add_eos_token"]?.GetValue<bool>() ?? false;
            var pieces = new List<Pipeline.TemplatePiece>();
            Pipeline.TemplatePiece Special(string? token, string what)
            {
                if (token is null) throw new TokenizerFormatException($"{configPath}: add_{what}_token is true but {what}_token is not set (transformers refuses this too)");
                int id = pipeline.TokenToId(token) ?? throw new TokenizerFormatException($"{configPath}: {what}_token '{token}' is not in {tokenizerJsonPath}");
                return new Pipeline.TemplatePiece(false, token, new[] { id }, new[] { token });
            }
            if (addBos) pieces.Add(Special(bos, "bos"));
            pieces.Add(new Pipeline.TemplatePiece(true, "", Array.Empty<int>(), Array.Empty<string>()));
            if (addEos) pieces.Add(Special(eos, "eos"));
            pipeline = pipeline.WithPostProcessor(new Pipeline.TemplatePostProcessor(pieces));
        }
        if (cfg["add_prefix_space"] is JsonValue aps && aps.TryGetValue<bool>(out bool addPrefixSpace) && pipeline.PreTokenizer is Pipeline.ByteLevelPreTokenizer bl
            && bl.AddPrefixSpace != addPrefixSpace)
            throw new TokenizerFormatException($"{configPath}: add_prefix_space {addPrefixSpace.ToString().ToLowerInvariant()} differs from the ByteLevel pre-tokenizer of {tokenizerJsonPath}, which transformers would rewrite; this is not reproduced");
        return new JsonTextTokenizer(pipeline, bos, eos, $"{tokenizerJsonPath} ({vocab}) + {configPath}{(cls is null ? "" : $" ({cls})")}", cls);
    }

    public override TokenEncoding EncodeWithOffsets(string text, bool addSpecialTokens) => Pipeline.Encode(text, addSpecialTokens);
    public override string Decode(IEnumerable<int> ids, bool skipSpecialTokens) => Pipeline.Decode(ids, skipSpecialTokens);
    public override string? IdToToken(int id) => Pipeline.IdToToken(id);
}
