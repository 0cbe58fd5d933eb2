using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.SafeTensors;

namespace Stepwise.Trainer.Lora;

/// <summary>
/// A PEFT LoRA adapter folder: adapter_model.safetensors with keys
/// "base_model.model.{module path}.lora_A.weight" / ".lora_B.weight" (metadata {"format": "pt"}), and
/// adapter_config.json written with sorted keys as peft's PeftConfig.save_pretrained does.
/// </summary>
public static class PeftAdapter
{
    public const string WeightsFile = "adapter_model.safetensors";
    public const string ConfigFile = "adapter_config.json";
    private const string Prefix = "base_model.model.";

    public static string KeyA(string modulePath) => Prefix + modulePath + ".lora_A.weight";
    public static string KeyB(string modulePath) => Prefix + modulePath + ".lora_B.weight";

    public static void Save(LlamaForCausalLM model, LoraConfig config, string folder)
    {
        Directory.CreateDirectory(folder);
        var adapters = LoraModel.Adapters(model).ToList();
        if (adapters.Count == 0) throw new InvalidOperationException("the model has no LoRA adapters to save");
        var entries = new List<TensorToWrite>();
        foreach (var (path, layer) in adapters)
        {
            entries.Add(TensorToWrite.Of(KeyA(path), layer.lora_A.weight.detach()));
            entries.Add(TensorToWrite.Of(KeyB(path), layer.lora_B.weight.detach()));
        }
        SafeTensorsWriter.Write(Path.Combine(folder, WeightsFile), entries, new Dictionary<string, string> { ["format"] = "pt" });

        // PEFT saves the resolved module names, so "all-linear" becomes the list it expanded to.
        var targets = adapters.Select(a => a.Path.Split('.')[^1]).Distinct().OrderBy(s => s, StringComparer.Ordinal).ToList();
        File.WriteAllText(Path.Combine(folder, ConfigFile), ConfigJson(config, targets));
    }

    public static string ConfigJson(LoraConfig c, IReadOnlyList<string> targets)
    {
        var o = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["alpha_pattern"] = new JsonObject(),
            ["base_model_name_or_path"] = c.BaseModelNameOrPath,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["layers_pattern"] = null,
            ["layers_to_transform"] = null,
            ["lora_alpha"] = c.LoraAlpha % 1 == 0 ? JsonValue.Create((long)c.LoraAlpha) : JsonValue.Create(c.LoraAlpha),
            ["lora_dropout"] = c.LoraDropout,
            ["modules_to_save"] = null,
            ["peft_type"] = "LORA",
            ["r"] = c.R,
            ["rank_pattern"] = new JsonObject(),
            ["revision"] = null,
            ["target_modules"] = new JsonArray(targets.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
            ["task_type"] = "CAUSAL_LM",
            ["use_dora"] = false,
            ["use_rslora"] = c.UseRslora,
        };
        var obj = new JsonObject();
        foreach (var (k, v) in o) obj[k] = v;
        return obj.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    public static LoraConfig ReadConfig(string folder)
    {
        string path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path)) throw new CheckpointFormatException($"{path}: adapter_config.json not found");
        var o = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        string peftType = o["peft_type"]?.GetValue<string>() ?? "";
        if (peftType != "LORA") throw new CheckpointFormatException($"{path}: peft_type '{peftType}' is not LORA");
        if (o["use_dora"] is JsonValue d && d.GetValue<bool>()) throw new CheckpointFormatException($"{path}: DoRA adapters are not supported");
        if (o["bias"] is JsonValue b && b.GetValue<string>() != "none") throw new CheckpointFormatException($"{path}: bias '{b}' is not supported (only \"none\")");
        var targets = o["target_modules"] switch
        {
            JsonArray a => a.Select(x => x!.GetValue<string>()).ToArray(),
            JsonValue v => new[] { v.GetValue<string>() },
            _ => throw new CheckpointFormatException($"{path}: target_modules missing"),
        };
        return new LoraConfig
        {
            R = o["r"]!.GetValue<int>(),
            LoraAlpha = o["lora_alpha"]!.GetValue<double>(),
            LoraDropout = o["lora_dropout"]?.GetValue<double>() ?? 0,
            TargetModules = targets,
            UseRslora = o["use_rslora"] is JsonValue r && r.GetValue<bool>(),
            BaseModelNameOrPath = o["base_model_name_or_path"]?.GetValue<string>() ?? "",
        };
    }

    /// <summary>Adds the adapter's LoRA layers to <paramref name="model"/> and fills them from the folder.</summary>
    public static LoraConfig Load(LlamaForCausalLM model, string folder)
    {
        var config = ReadConfig(folder);
        var paths = LoraModel.Apply(model, config);
        using var file = SafeTensorsFile.Open(Path.Combine(folder, WeightsFile));
        var layers = LoraModel.Adapters(model).ToDictionary(a => a.Path, a => a.Layer);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        using (torch.no_grad())
        {
            foreach (var p in paths)
            {
                foreach (var (key, param) in new[] { (KeyA(p), layers[p].lora_A.weight), (KeyB(p), layers[p].lora_B.weight) })
                {
                    expected.Add(key);
                    if (!file.Contains(key)) throw new CheckpointFormatException($"{file.Path}: missing '{key}'");
                    var info = file[key];
                    if (!info.Shape.SequenceEqual(param.shape))
                        throw new CheckpointFormatException($"{file.Path}: '{key}' has shape {SafeTensorsFile.FormatShape(info.Shape)}, the model needs {SafeTensorsFile.FormatShape(param.shape)}");
                    using var t = file.Read(info);
                    param.copy_(t);
                }
            }
        }
        var extra = file.Tensors.Select(t => t.Name).Where(n => !expected.Contains(n)).ToList();
        if (extra.Count > 0) throw new CheckpointFormatException($"{file.Path}: tensors for modules this model does not have: {string.Join(", ", extra.Take(5))}");
        return config;
    }
}
