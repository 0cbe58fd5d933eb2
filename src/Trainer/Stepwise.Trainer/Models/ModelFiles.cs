using System.Text.Json;
using Stepwise.Trainer.SafeTensors;

namespace Stepwise.Trainer.Models;

/// <summary>Writing whole model folders: float weights, and the files that travel with them.</summary>
public static class ModelFiles
{
    public static readonly string[] TokenizerFiles =
        { "tokenizer.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json" };

    public static void CopyTokenizerFiles(string from, string to)
    {
        if (Path.GetFullPath(from) == Path.GetFullPath(to)) return;
        foreach (var f in TokenizerFiles)
        {
            var src = Path.Combine(from, f);
            if (File.Exists(src)) File.Copy(src, Path.Combine(to, f), overwrite: true);
        }
    }

    /// <summary>Saves a float model (no 4-bit layers) as config.json + model.safetensors in <paramref name="dtype"/>.</summary>
    public static void SaveFloat(LlamaForCausalLM model, string outFolder, ScalarType dtype)
    {
        Directory.CreateDirectory(outFolder);
        var weights = new Dictionary<string, Func<Tensor>>();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var linears = model.LinearLayers().ToDictionary(l => l.Path + ".weight", l => l.Layer);
        var entries = new List<TensorToWrite>();
        foreach (var (name, shape, _) in model.Config.ExpectedWeights())
        {
            Func<Tensor> produce = linears.TryGetValue(name, out var layer) && layer is ILinearLayer lin
                ? () => lin.DequantizedWeight(dtype)
                : () => parameters[name].detach().to(dtype);
            entries.Add(new TensorToWrite(name, DTypes.FromTorch(dtype), shape, produce));
        }
        SafeTensorsWriter.Write(Path.Combine(outFolder, "model.safetensors"), entries, new Dictionary<string, string> { ["format"] = "pt" });
        var json = model.Config.ToJson();
        json.Remove("quantization_config");
        json["torch_dtype"] = DTypes.ToTorchDtypeName(dtype);
        File.WriteAllText(Path.Combine(outFolder, "config.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
