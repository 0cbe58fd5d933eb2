using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Trainer.SafeTensors;
using Stepwise.Trainer.Tokenization;

namespace Stepwise.Trainer.Models;

/// <summary>
/// The embedded default model: a tiny Llama (about 3M parameters, grouped-query attention, byte-level vocabulary)
/// whose weights are drawn from a seeded generator, written as an ordinary Hugging Face folder so every path of the
/// trainer (load, quantize, LoRA, generate) runs with no download. Same seed, same bytes.
/// </summary>
public static class DefaultModel
{
    public static LlamaConfig Config() => new()
    {
        VocabSize = ByteTokenizer.VocabSize,
        HiddenSize = 256,
        IntermediateSize = 688,
        NumHiddenLayers = 4,
        NumAttentionHeads = 8,
        NumKeyValueHeads = 4,
        HeadDim = 32,
        RmsNormEps = 1e-6,
        RopeTheta = 10000,
        MaxPositionEmbeddings = 512,
        TieWordEmbeddings = false,
        TorchDtype = "float32",
        BosTokenId = 1,
        EosTokenId = 2,
        Raw = new JsonObject { ["initializer_range"] = 0.02, ["_name_or_path"] = "stepwise/default-tiny-llama" },
    };

    /// <summary>Creates the folder: config.json, model.safetensors (float32), tokenizer.json, tokenizer_config.json.</summary>
    public static void Create(string folder, long seed = 0, LlamaConfig? config = null, ScalarType? dtype = null)
    {
        config ??= Config();
        var dt = dtype ?? DTypes.FromTorchDtypeName(config.TorchDtype);
        Directory.CreateDirectory(folder);
        using var model = new LlamaForCausalLM(config with { TorchDtype = DTypes.ToTorchDtypeName(dt) }, dt, torch.CPU);
        Initialize(model, seed, config.Raw["initializer_range"]?.GetValue<double>() ?? 0.02);
        ModelFiles.SaveFloat(model, folder, dt);
        ByteTokenizer.WriteFiles(folder);
        var gen = new JsonObject { ["bos_token_id"] = config.BosTokenId, ["eos_token_id"] = config.EosTokenId, ["do_sample"] = false };
        File.WriteAllText(Path.Combine(folder, "generation_config.json"), gen.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>HF's _init_weights for Llama: normal(0, initializer_range) for matrices, ones for RMSNorm weights.</summary>
    public static void Initialize(LlamaForCausalLM model, long seed, double std = 0.02)
    {
        using var gen = new torch.Generator((ulong)seed);
        using var _ = torch.no_grad();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, _, _) in model.Config.ExpectedWeights())
        {
            var p = parameters[name];
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.fill_(1.0);
            else
            {
                using var r = torch.randn(p.shape, ScalarType.Float32, generator: gen);
                p.copy_(r * std);
            }
        }
    }
}
