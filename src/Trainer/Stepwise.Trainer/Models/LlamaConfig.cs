using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Trainer.SafeTensors;

namespace Stepwise.Trainer.Models;

/// <summary>The fields of a Hugging Face Llama config.json that the model uses (names as in transformers' LlamaConfig).</summary>
public sealed record LlamaConfig
{
    public required long VocabSize { get; init; }
    public required long HiddenSize { get; init; }
    public required long IntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int NumKeyValueHeads { get; init; }
    public long HeadDim { get; init; }
    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000.0;
    public long MaxPositionEmbeddings { get; init; } = 2048;
    public bool TieWordEmbeddings { get; init; }
    public string TorchDtype { get; init; } = "float32";
    public int? BosTokenId { get; init; } = 1;
    public int? EosTokenId { get; init; } = 2;
    public int? PadTokenId { get; init; }
    /// <summary>rope_scaling; null = plain rotary embeddings.</summary>
    public RopeScaling? RopeScaling { get; init; }
    /// <summary>The whole config.json as read, so writing it back keeps fields we do not model.</summary>
    public JsonObject Raw { get; init; } = new();

    public static LlamaConfig Load(string folder)
    {
        string path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) throw new CheckpointFormatException($"{path}: config.json not found (is this a Hugging Face model folder?)");
        JsonObject o;
        try { o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new CheckpointFormatException($"{path}: not a JSON object"); }
        catch (JsonException e) { throw new CheckpointFormatException($"{path}: not valid JSON: {e.Message}"); }
        return FromJson(o, path);
    }

    public static LlamaConfig FromJson(JsonObject o, string path = "config.json")
    {
        string? modelType = o["model_type"]?.GetValue<string>();
        var archs = (o["architectures"] as JsonArray)?.Select(a => a?.GetValue<string>()).ToList();
        if (modelType != "llama" && !(archs?.Contains("LlamaForCausalLM") ?? false))
            throw new CheckpointFormatException(
                $"{path}: model_type '{modelType ?? "(none)"}' / architectures [{string.Join(", ", archs ?? new())}] is not a Llama model; " +
                "the trainer supports LlamaForCausalLM checkpoints (Llama 1/2, OpenLLaMA, TinyLlama and compatible)");
        long Req(string key)
        {
            var n = o[key] ?? throw new CheckpointFormatException($"{path}: missing \"{key}\"");
            try { long v = n.GetValue<long>(); if (v <= 0) throw new FormatException(); return v; }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            { throw new CheckpointFormatException($"{path}: \"{key}\" must be a positive integer, got {n.ToJsonString()}"); }
        }
        double Num(string key, double dflt) => o[key] is JsonValue v ? v.GetValue<double>() : dflt;
        int? Id(string key, int? dflt) => o.ContainsKey(key) ? (o[key] is JsonValue v && v.TryGetValue<int>(out var i) ? i : null) : dflt;

        if (o["hidden_act"] is JsonValue act && act.GetValue<string>() != "silu")
            throw new CheckpointFormatException($"{path}: hidden_act '{act.GetValue<string>()}' is not supported (Llama uses silu)");
        var ropeScaling = o["rope_scaling"] is JsonObject rs ? RopeScaling.FromJson(rs, path) : null;
        foreach (var b in new[] { "attention_bias", "mlp_bias" })
            if (o[b] is JsonValue bv && bv.GetValue<bool>())
                throw new CheckpointFormatException($"{path}: {b}=true is not supported (Llama projections have no bias)");

        long hidden = Req("hidden_size");
        int heads = (int)Req("num_attention_heads");
        int kvHeads = o["num_key_value_heads"] is JsonValue ? (int)Req("num_key_value_heads") : heads;
        long headDim = o["head_dim"] is JsonValue ? Req("head_dim") : hidden / heads;
        if (o["head_dim"] is null && hidden % heads != 0)
            throw new CheckpointFormatException($"{path}: hidden_size {hidden} is not divisible by num_attention_heads {heads}");
        if (heads % kvHeads != 0)
            throw new CheckpointFormatException($"{path}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kvHeads}");
        if (headDim % 2 != 0) throw new CheckpointFormatException($"{path}: head dimension {headDim} must be even for rotary embeddings");

        return new LlamaConfig
        {
            VocabSize = Req("vocab_size"),
            HiddenSize = hidden,
            IntermediateSize = Req("intermediate_size"),
            NumHiddenLayers = (int)Req("num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim,
            RmsNormEps = Num("rms_norm_eps", 1e-6),
            RopeTheta = Num("rope_theta", 10000.0),
            MaxPositionEmbeddings = o["max_position_embeddings"] is JsonValue ? Req("max_position_embeddings") : 2048,
            TieWordEmbeddings = o["tie_word_embeddings"] is JsonValue t && t.GetValue<bool>(),
            TorchDtype = o["torch_dtype"]?.GetValue<string>() ?? o["dtype"]?.GetValue<string>() ?? "float32",
            BosTokenId = Id("bos_token_id", 1),
            EosTokenId = Id("eos_token_id", 2),
            PadTokenId = Id("pad_token_id", null),
            RopeScaling = ropeScaling,
            Raw = o,
        };
    }

    /// <summary>config.json text for this configuration (the raw fields kept, ours written over them).</summary>
    public JsonObject ToJson()
    {
        var o = JsonNode.Parse(Raw.ToJsonString())!.AsObject();
        o["architectures"] = new JsonArray("LlamaForCausalLM");
        o["model_type"] = "llama";
        o["vocab_size"] = VocabSize;
        o["hidden_size"] = HiddenSize;
        o["intermediate_size"] = IntermediateSize;
        o["num_hidden_layers"] = NumHiddenLayers;
        o["num_attention_heads"] = NumAttentionHeads;
        o["num_key_value_heads"] = NumKeyValueHeads;
        o["head_dim"] = HeadDim;
        o["hidden_act"] = "silu";
        o["rms_norm_eps"] = RmsNormEps;
        o["rope_theta"] = RopeTheta;
        o["max_position_embeddings"] = MaxPositionEmbeddings;
        o["tie_word_embeddings"] = TieWordEmbeddings;
        o["torch_dtype"] = TorchDtype;
        o["bos_token_id"] = BosTokenId;
        o["eos_token_id"] = EosTokenId;
        if (PadTokenId is not null) o["pad_token_id"] = PadTokenId;
        return o;
    }

    public void Save(string folder) =>
        File.WriteAllText(Path.Combine(folder, "config.json"), ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

    /// <summary>Every weight a checkpoint of this config must hold, with its shape (HF names).</summary>
    public IEnumerable<(string Name, long[] Shape, bool IsLinear)> ExpectedWeights()
    {
        long q = NumAttentionHeads * HeadDim, kv = NumKeyValueHeads * HeadDim;
        yield return ("model.embed_tokens.weight", new[] { VocabSize, HiddenSize }, false);
        for (int i = 0; i < NumHiddenLayers; i++)
        {
            string p = $"model.layers.{i}.";
            yield return (p + "input_layernorm.weight", new[] { HiddenSize }, false);
            yield return (p + "self_attn.q_proj.weight", new[] { q, HiddenSize }, true);
            yield return (p + "self_attn.k_proj.weight", new[] { kv, HiddenSize }, true);
            yield return (p + "self_attn.v_proj.weight", new[] { kv, HiddenSize }, true);
            yield return (p + "self_attn.o_proj.weight", new[] { HiddenSize, q }, true);
            yield return (p + "post_attention_layernorm.weight", new[] { HiddenSize }, false);
            yield return (p + "mlp.gate_proj.weight", new[] { IntermediateSize, HiddenSize }, true);
            yield return (p + "mlp.up_proj.weight", new[] { IntermediateSize, HiddenSize }, true);
            yield return (p + "mlp.down_proj.weight", new[] { HiddenSize, IntermediateSize }, true);
        }
        yield return ("model.norm.weight", new[] { HiddenSize }, false);
        if (!TieWordEmbeddings) yield return ("lm_head.weight", new[] { VocabSize, HiddenSize }, false);
    }

    public long ParameterCount() => ExpectedWeights().Sum(w => w.Shape.Aggregate(1L, (a, b) => a * b));
}

/// <summary>
/// transformers' rope_scaling for Llama (modeling_rope_utils.py): "linear" divides every inverse frequency by the
/// factor; "llama3" (Llama 3.1 and later) divides the low frequencies by it, keeps the high ones and blends in
/// between. The types that change more than the frequencies (dynamic NTK, yarn, longrope) are refused.
/// </summary>
public sealed record RopeScaling(string Type, double Factor, double LowFreqFactor = 1, double HighFreqFactor = 4, long OriginalMaxPositionEmbeddings = 8192)
{
    public static RopeScaling? FromJson(JsonObject rs, string path)
    {
        string type = (rs["rope_type"] ?? rs["type"])?.GetValue<string>() ?? "default";
        double Num(string key)
        {
            if (rs[key] is JsonValue v && v.TryGetValue<double>(out var d) && d > 0) return d;
            throw new CheckpointFormatException($"{path}: rope_scaling ({type}) needs a positive \"{key}\", got {rs[key]?.ToJsonString() ?? "nothing"}");
        }
        switch (type)
        {
            case "default":
                return null;
            case "linear":
                return new RopeScaling(type, Num("factor"));
            case "llama3":
            {
                double low = Num("low_freq_factor"), high = Num("high_freq_factor");
                if (high <= low) throw new CheckpointFormatException($"{path}: rope_scaling high_freq_factor ({high}) must exceed low_freq_factor ({low})");
                return new RopeScaling(type, Num("factor"), low, high, (long)Num("original_max_position_embeddings"));
            }
            default:
                throw new CheckpointFormatException($"{path}: rope_scaling type '{type}' is not supported (supported: linear, llama3; " +
                    "dynamic, yarn and longrope also change how positions or attention are scaled)");
        }
    }

    /// <summary>Scales inverse frequencies [d/2] (float32, as transformers computes them).</summary>
    public Tensor Apply(Tensor invFreq)
    {
        if (Type == "linear") return invFreq / Factor;
        // _compute_llama3_parameters
        double lowWavelen = OriginalMaxPositionEmbeddings / LowFreqFactor, highWavelen = OriginalMaxPositionEmbeddings / HighFreqFactor;
        var wavelen = 2 * Math.PI / invFreq;
        var scaled = torch.where(wavelen > lowWavelen, invFreq / Factor, invFreq);
        var smooth = (OriginalMaxPositionEmbeddings / wavelen - LowFreqFactor) / (HighFreqFactor - LowFreqFactor);
        var smoothed = (1 - smooth) * scaled / Factor + smooth * scaled;
        var medium = (wavelen < highWavelen).logical_not().logical_and((wavelen > lowWavelen).logical_not());
        return torch.where(medium, smoothed, scaled);
    }
}
