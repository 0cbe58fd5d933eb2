using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Tokenizers.Pipeline;

namespace Stepwise.Tokenizers;

/// <summary>
/// The built-in tokenizer of the embedded default model: UTF-8 bytes with SentencePiece's byte-fallback layout
/// (0 &lt;unk&gt;, 1 &lt;s&gt;, 2 &lt;/s&gt;, 3 + b for byte b). It needs no data, so the default model runs offline. It is its
/// own tokenizer.json (a BPE with no merges and byte_fallback) and tokenizer_config.json (LlamaTokenizerFast), read by
/// the same pipeline as any other, so transformers loads the files it writes to the same tokens.
/// </summary>
public sealed class ByteTokenizer : JsonTextTokenizer
{
    public const int VocabSize = 259;

    public ByteTokenizer() : base(JsonTextTokenizer.FromParts(TokenizerJson.Parse(System.Text.Encoding.UTF8.GetBytes(TokenizerJsonText()), "built-in byte tokenizer.json"),
        ConfigJson(), "built-in byte tokenizer.json", "built-in tokenizer_config.json")) { }

    internal ByteTokenizer(JsonTextTokenizer fromFolder) : base(fromFolder) { }

    /// <summary>Whether a tokenizer.json is this layout (259 tokens, &lt;0x00&gt; at 3, byte fallback, no merges).</summary>
    public static bool Matches(HfTokenizer t) =>
        t.Model.ByteFallback && t.Model.VocabSize == VocabSize && t.Model.TokenToId("<0x00>") == 3 && t.Model.MergeCount == 0;

    private static string TokenizerJsonText()
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
        return tok.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static JsonObject ConfigJson() => new()
    {
        ["tokenizer_class"] = "LlamaTokenizerFast", ["bos_token"] = "<s>", ["eos_token"] = "</s>", ["unk_token"] = "<unk>",
        ["add_bos_token"] = true, ["add_eos_token"] = false, ["model_max_length"] = 512,
    };

    /// <summary>tokenizer.json and tokenizer_config.json for a model folder.</summary>
    public static void WriteFiles(string folder)
    {
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), TokenizerJsonText());
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), ConfigJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
