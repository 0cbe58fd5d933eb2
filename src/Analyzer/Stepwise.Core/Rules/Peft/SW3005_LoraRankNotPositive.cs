using FluentValidation;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Peft;

/// <summary>SW3005: LoRA rank r &lt;= 0.</summary>
public sealed class SW3005_LoraRankNotPositive : ValidatorRule, IChecks<LoraConfigView>
{
    public static readonly RuleDescriptor Rule = new("SW3005", "LoRA rank is not positive", Severity.Error, "LoRA",
        "Reports a LoRA rank (`r`; axolotl `lora_r`, LLaMA-Factory `lora_rank`) of 0 or below, or not a whole number.",
        "The rank is the inner size of the adapter matrices. PEFT's LoraConfig raises \"`r` should be a positive integer value\".",
        "```yaml\nlora_r: 0\n```",
        "Use a positive rank: 8 (PEFT's default) to 64 (the QLoRA paper).");

    public override RuleDescriptor Descriptor => Rule;

    public void Define(ConfigValidator<LoraConfigView> checks)
    {
        checks.RuleFor(v => v.R).Must(f => f.Value is not double r || (r > 0 && System.Math.Abs(r - System.Math.Round(r)) < 1e-9))
            .When(v => v.R.IsWritten)
            .Reports(v => $"{v.Spell("r")}={F(v.R.Value)}: the LoRA rank must be a positive integer (PEFT raises ValueError)",
                (c, _, r) => Fixes.SetWritten(c, r, 8L));
    }
}
