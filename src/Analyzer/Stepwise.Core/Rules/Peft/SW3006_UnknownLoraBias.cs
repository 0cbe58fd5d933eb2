using FluentValidation;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Peft;

/// <summary>SW3006: LoraConfig bias other than none/all/lora_only.</summary>
public sealed class SW3006_UnknownLoraBias : ValidatorRule, IChecks<LoraConfigView>
{
    public static readonly RuleDescriptor Rule = new("SW3006", "Unknown LoRA bias mode", Severity.Error, "LoRA",
        "Reports a LoraConfig `bias` other than `none`, `all` or `lora_only` (PEFT also takes any other `..._only`).",
        "PEFT decides which bias vectors to train from this string and raises NotImplementedError for any other value, when the adapter is attached.",
        "```yaml\nbias: None\n```",
        "Write `none` (the default), `all` or `lora_only`; the fix picks the closest.");

    public override RuleDescriptor Descriptor => Rule;

    private static readonly string[] Modes = { "none", "all", "lora_only" };

    public void Define(ConfigValidator<LoraConfigView> checks)
    {
        // peft tuners/tuners_utils.py _mark_only_adapters_as_trainable (v0.19.1, line 502): "none", "all" and any
        // "*_only" are accepted; anything else raises NotImplementedError when the adapter is attached.
        checks.RuleFor(v => v.Bias).Must(f => f.Value is null || System.Array.IndexOf(Modes, f.Value) >= 0 || f.Value.EndsWith("_only", System.StringComparison.Ordinal))
            .When(v => v.Bias.IsWritten)
            .Reports(v => $"bias={v.Bias.Value} is not a LoRA bias mode" + (Suggest.Closest(v.Bias.Value!, Modes) is { } n ? $"; did you mean {n}?" : "") + " Valid: none, all, lora_only",
                (c, _, f) => f.Entry is { } e && Suggest.Closest(f.Raw.AsString() ?? "", Modes) is { } n ? new[] { Fixes.Set(c, e, n) } : Fixes.None);
    }
}
