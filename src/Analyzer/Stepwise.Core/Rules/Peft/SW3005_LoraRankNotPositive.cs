using FluentValidation;
using Stepwise.Core.Rules.Validity;

namespace Stepwise.Core.Rules.Peft;

/// <summary>SW3005: LoRA rank r &lt;= 0.</summary>
public sealed class SW3005_LoraRankNotPositive : Rule
{
    public static readonly RuleDescriptor Rule = new("SW3005", "LoRA rank is not positive", Severity.Error, "LoRA",
        "Reports a LoRA rank (`r`; axolotl `lora_r`, LLaMA-Factory `lora_rank`) of 0 or below, or not a whole number.",
        "The rank is the inner size of the adapter matrices. PEFT's LoraConfig raises \"`r` should be a positive integer value\".",
        "```yaml\nlora_r: 0\n```",
        "Use a positive rank: 8 (PEFT's default) to 64 (the QLoRA paper).");

    public override RuleDescriptor Descriptor => Rule;

    private sealed class Checks : SnapshotValidator
    {
        public Checks()
        {
            RuleFor(s => s.R).Must(r => r is null || (r > 0 && System.Math.Abs(r.Value - System.Math.Round(r.Value)) < 1e-9))
                .When(s => s.Has("r"))
                .WithMessage(s => $"{s.Spell("r")}={F(s.R)}: the LoRA rank must be a positive integer (PEFT raises ValueError)");
        }
    }

    private static readonly Checks Validator = new();

    public override void Check(RuleContext c) => Validator.Report(c, Rule, (_, setting) =>
        setting.IsWritten && setting.Entry is { } e && setting.Document == c.Document ? new[] { Fixes.Set(c, e, 8L) } : Fixes.None);
}
