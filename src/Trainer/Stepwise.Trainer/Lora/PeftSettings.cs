using System.Globalization;
using Stepwise.Core.Model;
using Stepwise.Core.Rules.Trainer;

namespace Stepwise.Trainer.Lora;

/// <summary>
/// The LoRA settings of a config as PEFT receives them from each stack: HF/TRL (LoraConfig's own names), axolotl
/// (loaders/adapter.py: lora_r, lora_target_modules + lora_target_linear's linear names, peft_use_dora,
/// lora_rank_pattern, lora_alpha_pattern, peft_layers_to_transform, peft_layers_pattern, lora_modules_to_save) and
/// LLaMA-Factory (lora_rank, lora_target as a comma list with "all", use_dora, additional_target).
/// </summary>
public static class PeftSettings
{
    /// <summary>Llama's linear layers but the output layer: what "all-linear" (PEFT), lora_target_linear (axolotl) and "all" (LLaMA-Factory) name.</summary>
    public static readonly string[] LlamaLinear = { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj" };

    public static LoraConfig Read(TrainingSetup setup, TrainingArguments args, string baseModel)
    {
        var doc = setup.Document;
        ConfigValue? V(string canonical) => BundledTrainerSupport.Entry(doc, canonical)?.Value;

        // target_modules: a list, or one string. PEFT reads a lone string as a regular expression for the whole module
        // name ("all-linear" aside); LLaMA-Factory's lora_target is a comma-separated list where "all" means every linear.
        List<string>? targets = null;
        string? regex = null;
        var tm = V("target_modules");
        if (tm?.Kind == ValueKind.Sequence) targets = tm.Items.Select(i => i.AsString() ?? "").Where(s => s.Length > 0).ToList();
        else if (tm?.AsString() is { } s)
        {
            if (setup.Dialect == Dialect.LlamaFactory) targets = s.Split(',').Select(x => x.Trim()).Where(x => x.Length > 0).ToList();
            else if (s == LoraConfig.AllLinear) targets = new() { LoraConfig.AllLinear };
            else if (setup.Dialect == Dialect.Axolotl && setup.Bool("lora_target_linear")) targets = new() { s };
            else regex = s;
        }
        if (setup.Dialect == Dialect.LlamaFactory && (targets is null || targets is ["all"])) targets = new() { LoraConfig.AllLinear };
        // axolotl adds the model's linear layer names to lora_target_modules (by their last name component).
        if (setup.Bool("lora_target_linear")) targets = (targets ?? new()).Concat(LlamaLinear).Distinct().ToList();

        var config = new LoraConfig
        {
            R = args.LoraR,
            // LLaMA-Factory's FinetuningArguments.__post_init__ sets `lora_alpha = lora_alpha or lora_rank * 2`
            // (hparams/finetuning_args.py, v0.9.0 through v0.9.5): an unset (or 0) lora_alpha is twice the rank there.
            LoraAlpha = setup.Dialect == Dialect.LlamaFactory && (setup.Find("lora_alpha")?.Value.AsDouble() ?? 0) == 0 ? 2.0 * args.LoraR : args.LoraAlpha,
            LoraDropout = args.LoraDropout,
            TargetModules = targets ?? (regex is null ? new List<string> { "q_proj", "v_proj" } : new List<string>()),
            TargetRegex = regex,
            UseRslora = args.UseRslora,
            UseDora = V("use_dora")?.AsBool() == true || V("peft_use_dora")?.AsBool() == true,
            RankPattern = Pattern<int>(V("rank_pattern"), "rank_pattern", v => v.AsLong() is long l && l is > 0 and <= int.MaxValue ? (int)l : (int?)null),
            AlphaPattern = Pattern<double>(V("alpha_pattern"), "alpha_pattern", v => v.AsDouble()),
            LayersToTransform = Ints(V("layers_to_transform")),
            LayersPattern = Strings(V("layers_pattern"), split: false),
            ModulesToSave = Strings(V("modules_to_save"), split: setup.Dialect == Dialect.LlamaFactory) ?? Strings(V("lora_modules_to_save"), split: false),
            ExcludeModules = V("exclude_modules") is { Kind: ValueKind.Sequence } ex ? Strings(ex, false) : null,
            ExcludeRegex = V("exclude_modules") is { Kind: ValueKind.String } exr ? exr.AsString() : null,
            BaseModelNameOrPath = baseModel,
        };
        config.Validate();
        if (config.TargetModules is [LoraConfig.AllLinear] && config.LayersToTransform is { Count: > 0 })
            throw new ArgumentException("target_modules all-linear with layers_to_transform: PEFT (>= 0.15) expands all-linear to full module names, " +
                                        "which skip the layer filter; list the module names (q_proj, k_proj, ...) instead");
        return config;
    }

    private static IReadOnlyList<KeyValuePair<string, T>> Pattern<T>(ConfigValue? v, string what, Func<ConfigValue, T?> convert) where T : struct
    {
        if (v is null || v.Kind == ValueKind.Null) return Array.Empty<KeyValuePair<string, T>>();
        if (v.Kind != ValueKind.Mapping) throw new ArgumentException($"{what} must be a mapping of module patterns to values, not {v}");
        return v.Entries.Select(e => new KeyValuePair<string, T>(e.Key,
            convert(e.Value) ?? throw new ArgumentException($"{what}: '{e.Key}' has {e.Value}, not a valid value"))).ToList();
    }

    private static IReadOnlyList<int>? Ints(ConfigValue? v)
    {
        if (v is null || v.Kind == ValueKind.Null) return null;
        if (v.Kind == ValueKind.Sequence)
            return v.Items.Select(i => i.AsLong() is long l && l is >= 0 and <= int.MaxValue ? (int)l
                : throw new ArgumentException($"layers_to_transform: {i} is not a layer index")).ToList();
        return v.AsLong() is long one && one is >= 0 and <= int.MaxValue ? new[] { (int)one }
            : throw new ArgumentException($"layers_to_transform must be a layer index or a list of them, not {v}");
    }

    private static IReadOnlyList<string>? Strings(ConfigValue? v, bool split)
    {
        if (v is null || v.Kind == ValueKind.Null) return null;
        if (v.Kind == ValueKind.Sequence) return v.Items.Select(i => i.AsString() ?? "").Where(s => s.Length > 0).ToList();
        var s = v.AsString();
        if (string.IsNullOrWhiteSpace(s)) return null;
        return split ? s.Split(',').Select(x => x.Trim()).Where(x => x.Length > 0).ToList() : new[] { s };
    }
}
