using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.SafeTensors;

namespace Stepwise.Trainer.Lora;

/// <summary>
/// A PEFT LoRA adapter folder as peft 0.19.1 writes it (utils/save_and_load.get_peft_model_state_dict):
/// adapter_model.safetensors with keys "base_model.model.{module}.lora_A.weight" / ".lora_B.weight", DoRA magnitudes as
/// "base_model.model.{module}.lora_magnitude_vector" (the ".weight" of DoraLinearLayer removed), modules_to_save as
/// "base_model.model.{module}.weight" (ModulesToSaveWrapper.adapter_state_dict), metadata {"format": "pt"}; and
/// adapter_config.json written with sorted keys as PeftConfig.save_pretrained does.
/// </summary>
public static class PeftAdapter
{
    public const string WeightsFile = "adapter_model.safetensors";
    public const string ConfigFile = "adapter_config.json";
    private const string Prefix = "base_model.model.";

    public static string KeyA(string modulePath) => Prefix + modulePath + ".lora_A.weight";
    public static string KeyB(string modulePath) => Prefix + modulePath + ".lora_B.weight";
    public static string KeyMagnitude(string modulePath) => Prefix + modulePath + ".lora_magnitude_vector";
    public static string KeySaved(string modulePath, string parameter = "weight") => Prefix + modulePath + "." + parameter;

    /// <summary>Every tensor of the adapter under its file key, with the parameter it is read into / written from.</summary>
    public static List<(string Key, Parameter Parameter)> Tensors(LlamaForCausalLM model, LoraConfig config)
    {
        var list = new List<(string, Parameter)>();
        foreach (var (path, layer) in LoraModel.Adapters(model))
        {
            list.Add((KeyA(path), layer.lora_A.weight));
            list.Add((KeyB(path), layer.lora_B.weight));
            if (layer.lora_magnitude_vector is { } m) list.Add((KeyMagnitude(path), m.weight));
        }
        foreach (var (path, module) in SavedModules(model, config))
            foreach (var (name, p) in module.named_parameters())
                list.Add((KeySaved(path, name), p));
        return list;
    }

    /// <summary>The modules_to_save modules (after LoRA was applied: those whose parameters train in full).</summary>
    private static IEnumerable<(string Path, Module Module)> SavedModules(LlamaForCausalLM model, LoraConfig config)
    {
        if (config.ModulesToSave is not { Count: > 0 }) yield break;
        foreach (var (path, module) in model.named_modules())
            if (path.Length > 0 && module is Models.Embedding or LlamaRMSNorm or DenseLinear && config.SavesInFull(path)
                && !path.Contains(".lora_", StringComparison.Ordinal) && module.parameters().All(p => p.requires_grad))
                yield return (path, module);
    }

    public static void Save(LlamaForCausalLM model, LoraConfig config, string folder)
    {
        Directory.CreateDirectory(folder);
        var adapters = LoraModel.Adapters(model).ToList();
        if (adapters.Count == 0) throw new InvalidOperationException("the model has no LoRA adapters to save");
        var entries = Tensors(model, config).Select(t => TensorToWrite.Of(t.Key, t.Parameter.detach())).ToList();
        SafeTensorsWriter.Write(Path.Combine(folder, WeightsFile), entries, new Dictionary<string, string> { ["format"] = "pt" });

        // PEFT saves the resolved module names, so "all-linear" becomes the list it expanded to; a regex stays a string.
        JsonNode targets = config.TargetRegex is { } re ? JsonValue.Create(re)!
            : new JsonArray(adapters.Select(a => a.Path.Split('.')[^1]).Distinct().OrderBy(s => s, StringComparer.Ordinal).Select(t => (JsonNode)JsonValue.Create(t)!).ToArray());
        File.WriteAllText(Path.Combine(folder, ConfigFile), ConfigJson(config, targets));
    }

    public static string ConfigJson(LoraConfig c, IReadOnlyList<string> targets) =>
        ConfigJson(c, new JsonArray(targets.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()));

    public static string ConfigJson(LoraConfig c, JsonNode targets)
    {
        static JsonNode Number(double d) => d % 1 == 0 && Math.Abs(d) < 1e15 ? JsonValue.Create((long)d) : JsonValue.Create(d);
        var ranks = new JsonObject();
        foreach (var (k, v) in c.RankPattern) ranks[k] = v;
        var alphas = new JsonObject();
        foreach (var (k, v) in c.AlphaPattern) alphas[k] = Number(v);
        var o = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["alpha_pattern"] = alphas,
            ["base_model_name_or_path"] = c.BaseModelNameOrPath,
            ["bias"] = "none",
            ["exclude_modules"] = null,
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["layers_pattern"] = c.LayersPattern is { } lp ? (lp.Count == 1 ? JsonValue.Create(lp[0]) : new JsonArray(lp.Select(x => (JsonNode)JsonValue.Create(x)!).ToArray())) : null,
            ["layers_to_transform"] = c.LayersToTransform is { } lt ? new JsonArray(lt.Select(x => (JsonNode)JsonValue.Create(x)).ToArray()) : null,
            ["lora_alpha"] = Number(c.LoraAlpha),
            ["lora_bias"] = false,
            ["lora_dropout"] = c.LoraDropout,
            ["modules_to_save"] = c.ModulesToSave is { } ms ? new JsonArray(ms.Select(x => (JsonNode)JsonValue.Create(x)!).ToArray()) : null,
            ["peft_type"] = "LORA",
            ["r"] = c.R,
            ["rank_pattern"] = ranks,
            ["revision"] = null,
            ["target_modules"] = targets,
            ["task_type"] = "CAUSAL_LM",
            ["use_dora"] = c.UseDora,
            ["use_rslora"] = c.UseRslora,
        };
        var obj = new JsonObject();
        foreach (var (k, v) in o) obj[k] = v;
        return obj.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>adapter_config.json fields that change what the adapter computes and that this loader does not do: refused.</summary>
    private static readonly (string Key, Func<JsonNode?, bool> IsDefault)[] MustBeDefault =
    {
        ("fan_in_fan_out", n => n is null || n.GetValueKind() == JsonValueKind.False),
        ("lora_bias", n => n is null || n.GetValueKind() == JsonValueKind.False),
        ("use_qalora", n => n is null || n.GetValueKind() == JsonValueKind.False),
        ("layer_replication", IsEmpty),
        ("target_parameters", IsEmpty),
        ("trainable_token_indices", IsEmpty),
        ("alora_invocation_tokens", IsEmpty),
        ("use_bdlora", IsEmpty),
        ("arrow_config", IsEmpty),
    };

    private static bool IsEmpty(JsonNode? n) => n is null || n is JsonArray { Count: 0 } || n is JsonObject { Count: 0 } || n.GetValueKind() == JsonValueKind.False;

    public static LoraConfig ReadConfig(string folder)
    {
        string path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path)) throw new CheckpointFormatException($"{path}: adapter_config.json not found");
        JsonObject o;
        try { o = JsonNode.Parse(File.ReadAllText(path))!.AsObject(); }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new CheckpointFormatException($"{path}: not a JSON object: {e.Message}"); }
        string peftType = o["peft_type"]?.GetValue<string>() ?? "";
        if (peftType != "LORA") throw new CheckpointFormatException($"{path}: peft_type '{peftType}' is not LORA (the bundled trainer loads LoRA adapters only)");
        if (o["bias"] is JsonValue b && b.GetValue<string>() != "none") throw new CheckpointFormatException($"{path}: bias '{b}' is not supported (only \"none\")");
        foreach (var (key, isDefault) in MustBeDefault)
            if (!isDefault(o[key])) throw new CheckpointFormatException($"{path}: {key} = {o[key]!.ToJsonString()} is not supported by the bundled trainer");
        // Inits that rewrite the base weights (PiSSA, OLoRA, CorDA, LoftQ, LoRA-GA) make the adapter meaningless on the
        // unmodified base; those that only choose the starting A and B are irrelevant when the weights are loaded.
        if (o["init_lora_weights"] is JsonValue init && init.GetValueKind() == JsonValueKind.String
            && init.GetValue<string>() is var scheme && scheme is not ("gaussian" or "eva" or "orthogonal"))
            throw new CheckpointFormatException($"{path}: init_lora_weights '{scheme}' changes the base weights; convert the adapter to plain LoRA first");
        try
        {
            var config = new LoraConfig
            {
                R = o["r"]!.GetValue<int>(),
                LoraAlpha = o["lora_alpha"]!.GetValue<double>(),
                LoraDropout = o["lora_dropout"]?.GetValue<double>() ?? 0,
                TargetModules = o["target_modules"] switch
                {
                    JsonArray a => a.Select(x => x!.GetValue<string>()).ToArray(),
                    JsonValue => Array.Empty<string>(),
                    _ => throw new CheckpointFormatException($"{path}: target_modules missing"),
                },
                TargetRegex = o["target_modules"] is JsonValue v ? v.GetValue<string>() : null,
                UseRslora = o["use_rslora"] is JsonValue r && r.GetValue<bool>(),
                UseDora = o["use_dora"] is JsonValue d && d.GetValue<bool>(),
                RankPattern = o["rank_pattern"] is JsonObject rp ? rp.Select(kv => new KeyValuePair<string, int>(kv.Key, kv.Value!.GetValue<int>())).ToList() : Array.Empty<KeyValuePair<string, int>>(),
                AlphaPattern = o["alpha_pattern"] is JsonObject ap ? ap.Select(kv => new KeyValuePair<string, double>(kv.Key, kv.Value!.GetValue<double>())).ToList() : Array.Empty<KeyValuePair<string, double>>(),
                LayersToTransform = o["layers_to_transform"] switch
                {
                    JsonArray a => a.Select(x => x!.GetValue<int>()).ToList(),
                    JsonValue x => new[] { x.GetValue<int>() },
                    _ => null,
                },
                LayersPattern = o["layers_pattern"] switch
                {
                    JsonArray a => a.Select(x => x!.GetValue<string>()).ToList(),
                    JsonValue x => new[] { x.GetValue<string>() },
                    _ => null,
                },
                ModulesToSave = o["modules_to_save"] is JsonArray m ? m.Select(x => x!.GetValue<string>()).ToList() : null,
                ExcludeRegex = o["exclude_modules"] is JsonValue ev ? ev.GetValue<string>() : null,
                ExcludeModules = o["exclude_modules"] is JsonArray ea ? ea.Select(x => x!.GetValue<string>()).ToList() : null,
                BaseModelNameOrPath = o["base_model_name_or_path"]?.GetValue<string>() ?? "",
            };
            config.Validate();
            return config;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or NullReferenceException)
        {
            throw new CheckpointFormatException($"{path}: {e.Message}");
        }
    }

    /// <summary>Adds the adapter's LoRA layers (and modules_to_save) to <paramref name="model"/> and fills them from the folder.</summary>
    public static LoraConfig Load(LlamaForCausalLM model, string folder)
    {
        var config = ReadConfig(folder);
        try { LoraModel.Apply(model, config); }
        catch (ArgumentException e) { throw new CheckpointFormatException($"{Path.Combine(folder, ConfigFile)}: {e.Message}"); }
        LoadWeights(model, config, Path.Combine(folder, WeightsFile));
        return config;
    }

    /// <summary>Fills the model's existing adapters (and modules_to_save) from a PEFT adapter file; every key and shape is checked.</summary>
    public static void LoadWeights(LlamaForCausalLM model, LoraConfig config, string weightsPath)
    {
        using var file = SafeTensorsFile.Open(weightsPath);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        using (torch.no_grad())
        {
            foreach (var (key, param) in Tensors(model, config))
            {
                expected.Add(key);
                if (!file.Contains(key))
                    throw new CheckpointFormatException($"{file.Path}: missing '{key}' (was the adapter trained with other target_modules, use_dora or modules_to_save?)");
                var info = file[key];
                if (!info.Shape.SequenceEqual(param.shape))
                    throw new CheckpointFormatException($"{file.Path}: '{key}' has shape {SafeTensorsFile.FormatShape(info.Shape)}, the model needs {SafeTensorsFile.FormatShape(param.shape)} (another r or rank_pattern?)");
                using var t = file.Read(info);
                param.copy_(t);
            }
        }
        var extra = file.Tensors.Select(t => t.Name).Where(n => !expected.Contains(n)).ToList();
        if (extra.Count > 0)
            throw new CheckpointFormatException($"{file.Path}: tensors this model's adapters do not have: {string.Join(", ", extra.Take(5))}{(extra.Count > 5 ? string.Format(CultureInfo.InvariantCulture, " and {0} more", extra.Count - 5) : "")}");
    }
}
