using FluentValidation;
using Stepwise.Core.Rules.Validity;

namespace Stepwise.Core.Rules.Peft;

/// <summary>SW3006: LoraConfig bias other than none/all/lora_only.</summary>
public sealed class SW3006_UnknownLoraBias : Rule
{
    public static readonly RuleDescriptor Rule = new("SW3006", "Unknown LoRA bias mode", Severity.Error, "LoRA",
        "Reports a LoraConfig `bias` other than `none`, `all` or `lora_only` (PEFT also takes any other `..._only`).",
        "PEFT decides which bias vectors to train from this string and raises NotImplementedError for any other value, when the adapter is attached.",
        "```yaml\nbias: None\n```",
        "Write `none` (the default), `all` or `lora_only`; the fix picks the closest.");

    public override RuleDescriptor Descriptor => Rule;

    private static readonly string[] Modes = { "none", "all", "lora_only" };

    private sealed class Checks : SnapshotValidator
    {
        public Checks()
        {
            // peft tuners/tuners_utils.py _mark_only_adapters_as_trainable (v0.19.1, line 502): "none", "all" and any
            // "*_only" are accepted; anything else raises NotImplementedError when the adapter is attached.
            RuleFor(s => s.Bias).Must(v => v is null || System.Array.IndexOf(Modes, v) >= 0 || v.EndsWith("_only", System.StringComparison.Ordinal)).When(s => s.Has("bias"))
                .WithMessage(s => $"bias={s.Bias} is not a LoRA bias mode" + (Suggest.Closest(s.Bias!, Modes) is { } n ? $"; did you mean {n}?" : "") + " Valid: none, all, lora_only");
        }
    }

    private static readonly Checks Validator = new();

    public override void Check(RuleContext c) => Validator.Report(c, Rule, (_, setting) =>
        setting.IsWritten && setting.Entry is { } e && setting.Document == c.Document && Suggest.Closest(setting.Value.AsString() ?? "", Modes) is { } n
            ? new[] { Fixes.Set(c, e, n) } : Fixes.None);
}
