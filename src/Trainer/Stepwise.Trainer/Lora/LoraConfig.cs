namespace Stepwise.Trainer.Lora;

/// <summary>PEFT's LoraConfig fields that shape the adapters (names as in peft/tuners/lora/config.py).</summary>
public sealed record LoraConfig
{
    public int R { get; init; } = 8;
    public double LoraAlpha { get; init; } = 8;
    public double LoraDropout { get; init; }
    /// <summary>Module names ("q_proj", or a full path), or the single entry "all-linear".</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = new[] { "q_proj", "v_proj" };
    public bool UseRslora { get; init; }
    public string BaseModelNameOrPath { get; init; } = "";

    /// <summary>lora_alpha / r, or lora_alpha / sqrt(r) with rsLoRA (peft LoraLayer.update_layer).</summary>
    public double Scaling => UseRslora ? LoraAlpha / Math.Sqrt(R) : LoraAlpha / R;

    public const string AllLinear = "all-linear";

    /// <summary>
    /// PEFT's matching: a module is targeted when its full name equals an entry or ends with "." + entry.
    /// "all-linear" means every linear layer except the output layer (lm_head).
    /// </summary>
    public bool Targets(string modulePath)
    {
        if (TargetModules.Count == 1 && TargetModules[0] == AllLinear) return modulePath != "lm_head";
        return TargetModules.Any(t => modulePath == t || modulePath.EndsWith("." + t, StringComparison.Ordinal));
    }

    public void Validate()
    {
        if (R <= 0) throw new ArgumentException($"r must be positive, got {R}");
        if (LoraDropout < 0 || LoraDropout >= 1) throw new ArgumentException($"lora_dropout must be in [0, 1), got {LoraDropout}");
        if (TargetModules.Count == 0) throw new ArgumentException("target_modules is empty");
    }
}
