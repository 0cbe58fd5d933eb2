using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;
using Stepwise.Trainer.SafeTensors;

namespace Stepwise.Trainer.Tokenization;

/// <summary>Text to token ids and back, with the model's BOS/EOS ids.</summary>
public abstract class TextTokenizer
{
    public abstract int? BosId { get; }
    public abstract int? EosId { get; }
    public abstract IReadOnlyList<int> Encode(string text, bool addBos = true);
    public abstract string Decode(IEnumerable<int> ids);

    /// <summary>The added/special tokens whose text maps straight to one id ("&lt;s&gt;" -> 1).</summary>
    public virtual IReadOnlyDictionary<string, int> SpecialTokens { get; } = new Dictionary<string, int>();

    /// <summary>
    /// Text that already holds special-token strings (a rendered chat template: "&lt;s&gt;[INST] ... &lt;/s&gt;"): those
    /// become their ids, the text between them is encoded without BOS/EOS - as transformers tokenizes the output of
    /// apply_chat_template (added tokens are split out first; add_special_tokens=False).
    /// </summary>
    public IReadOnlyList<int> EncodeWithSpecialTokens(string text)
    {
        var specials = SpecialTokens.Keys.Where(k => k.Length > 0).OrderByDescending(k => k.Length).ToList();
        var ids = new List<int>();
        int pos = 0;
        while (pos < text.Length)
        {
            int best = -1; string? tok = null;
            foreach (var s in specials)
            {
                int i = text.IndexOf(s, pos, StringComparison.Ordinal);
                if (i >= 0 && (best < 0 || i < best)) { best = i; tok = s; }
            }
            int end = best < 0 ? text.Length : best;
            if (end > pos) ids.AddRange(Encode(text[pos..end], addBos: false));
            if (tok is null) break;
            ids.Add(SpecialTokens[tok]);
            pos = best + tok.Length;
        }
        return ids;
    }

    /// <summary>
    /// The tokenizer of a model folder: tokenizer.model (SentencePiece: Llama 1/2, OpenLLaMA) first, then
    /// tokenizer.json (our byte-level one, or a BPE vocabulary + merges).
    /// </summary>
    public static TextTokenizer Load(string folder)
    {
        string spPath = Path.Combine(folder, "tokenizer.model");
        if (File.Exists(spPath))
        {
            using var s = File.OpenRead(spPath);
            var sp = LlamaTokenizer.Create(s, addBeginOfSentence: false, addEndOfSentence: false);
            var spSpecial = new Dictionary<string, int>
            {
                [sp.BeginningOfSentenceToken] = sp.BeginningOfSentenceId, [sp.EndOfSentenceToken] = sp.EndOfSentenceId, [sp.UnknownToken] = sp.UnknownId,
            };
            return new MlTokenizer(sp, sp.BeginningOfSentenceId, sp.EndOfSentenceId, spSpecial);
        }
        string tj = Path.Combine(folder, "tokenizer.json");
        if (File.Exists(tj))
        {
            var o = JsonNode.Parse(File.ReadAllText(tj))!.AsObject();
            if (ByteTokenizer.Matches(o)) return new ByteTokenizer();
            return BpeFromTokenizerJson(o, tj);
        }
        throw new CheckpointFormatException($"{folder}: no tokenizer.model or tokenizer.json");
    }

    private static TextTokenizer BpeFromTokenizerJson(JsonObject o, string path)
    {
        var model = o["model"] as JsonObject;
        if (model?["type"]?.GetValue<string>() != "BPE")
            throw new CheckpointFormatException($"{path}: only BPE tokenizer.json models are supported, found '{model?["type"]}'");
        var vocab = model["vocab"]!.AsObject().Select(kv => new KeyValuePair<string, int>(kv.Key, kv.Value!.GetValue<int>())).ToList();
        var merges = model["merges"]!.AsArray().Select(m => m is JsonArray pair ? $"{pair[0]} {pair[1]}" : m!.GetValue<string>()).ToList();
        bool byteLevel = o["pre_tokenizer"]?.ToJsonString().Contains("ByteLevel", StringComparison.Ordinal) ?? false;
        var special = new Dictionary<string, int>();
        if (o["added_tokens"] is JsonArray added)
            foreach (var t in added.OfType<JsonObject>())
                special[t["content"]!.GetValue<string>()] = t["id"]!.GetValue<int>();
        var options = new BpeOptions(vocab)
        {
            Merges = merges,
            ByteLevel = byteLevel,
            SpecialTokens = special.Count > 0 ? special : null,
            UnknownToken = model["unk_token"]?.GetValue<string>(),
        };
        if (byteLevel) options.PreTokenizer = PreTokenizer.CreateWordOrNonWord();
        int? Find(params string[] names) { foreach (var n in names) if (special.TryGetValue(n, out var id)) return id; return null; }
        return new MlTokenizer(BpeTokenizer.Create(options), Find("<s>", "<|begin_of_text|>", "<|endoftext|>"), Find("</s>", "<|end_of_text|>", "<|endoftext|>"), special);
    }
}

/// <summary>A Microsoft.ML.Tokenizers tokenizer with the model's special ids.</summary>
public sealed class MlTokenizer : TextTokenizer
{
    private readonly Tokenizer _inner;
    public MlTokenizer(Tokenizer inner, int? bos, int? eos, IReadOnlyDictionary<string, int>? special = null)
    {
        _inner = inner; BosId = bos; EosId = eos; SpecialTokens = special ?? new Dictionary<string, int>();
    }
    public override IReadOnlyDictionary<string, int> SpecialTokens { get; }
    public override int? BosId { get; }
    public override int? EosId { get; }

    public override IReadOnlyList<int> Encode(string text, bool addBos = true)
    {
        var ids = _inner.EncodeToIds(text);
        return addBos && BosId is int b ? ids.Prepend(b).ToList() : ids.ToList();
    }

    public override string Decode(IEnumerable<int> ids) => _inner.Decode(ids.Where(i => i != BosId && i != EosId));
}

/// <summary>
/// The built-in tokenizer of the embedded default model: UTF-8 bytes with SentencePiece's byte-fallback layout
/// (0 &lt;unk&gt;, 1 &lt;s&gt;, 2 &lt;/s&gt;, 3 + b for byte b). It needs no data, so the default model runs offline, and
/// its tokenizer.json (a BPE with no merges and byte_fallback) is one transformers can load as well.
/// </summary>
public sealed class ByteTokenizer : TextTokenizer
{
    public const int VocabSize = 259;
    /// <summary>The added tokens of its tokenizer.json, which transformers splits out of text.</summary>
    public override IReadOnlyDictionary<string, int> SpecialTokens { get; } = new Dictionary<string, int> { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
    public override int? BosId => 1;
    public override int? EosId => 2;

    public override IReadOnlyList<int> Encode(string text, bool addBos = true)
    {
        var ids = new List<int>();
        if (addBos) ids.Add(1);
        foreach (var b in Encoding.UTF8.GetBytes(text)) ids.Add(3 + b);
        return ids;
    }

    public override string Decode(IEnumerable<int> ids) =>
        Encoding.UTF8.GetString(ids.Where(i => i >= 3 && i < VocabSize).Select(i => (byte)(i - 3)).ToArray());

    public static bool Matches(JsonObject o) =>
        o["model"] is JsonObject m && m["type"]?.GetValue<string>() == "BPE" && m["byte_fallback"] is JsonValue bf && bf.GetValue<bool>()
        && m["merges"] is JsonArray { Count: 0 } && m["vocab"] is JsonObject v && v.Count == VocabSize && v["<0x00>"]?.GetValue<int>() == 3;

    /// <summary>tokenizer.json and tokenizer_config.json for a model folder.</summary>
    public static void WriteFiles(string folder)
    {
        var vocab = new JsonObject { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        for (int b = 0; b < 256; b++) vocab[$"<0x{b:X2}>"] = 3 + b;
        JsonObject Added(int id, string content) => new()
        {
            ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
        };
        var tok = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(Added(0, "<unk>"), Added(1, "<s>"), Added(2, "</s>")),
            ["normalizer"] = null,
            ["pre_tokenizer"] = null,
            ["post_processor"] = null,
            ["decoder"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["decoders"] = new JsonArray(new JsonObject { ["type"] = "ByteFallback" }, new JsonObject { ["type"] = "Fuse" }),
            },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = "<unk>", ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = true, ["byte_fallback"] = true, ["ignore_merges"] = false,
                ["vocab"] = vocab, ["merges"] = new JsonArray(),
            },
        };
        var opts = new JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), tok.ToJsonString(opts) + "\n");
        var cfg = new JsonObject
        {
            ["tokenizer_class"] = "LlamaTokenizerFast", ["bos_token"] = "<s>", ["eos_token"] = "</s>", ["unk_token"] = "<unk>",
            ["add_bos_token"] = true, ["add_eos_token"] = false, ["model_max_length"] = 512,
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), cfg.ToJsonString(opts) + "\n");
    }
}
