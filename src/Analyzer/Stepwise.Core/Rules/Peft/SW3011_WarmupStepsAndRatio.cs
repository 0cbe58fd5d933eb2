using FluentValidation;
using Stepwise.Core.Rules.Validity;

namespace Stepwise.Core.Rules.Peft;

/// <summary>SW3011: warmup_steps and warmup_ratio both written.</summary>
public sealed class SW3011_WarmupStepsAndRatio : Rule
{
    public static readonly RuleDescriptor Rule = new("SW3011", "warmup_steps and warmup_ratio both set", Severity.Error, "Schedule",
        "Reports `warmup_steps` and `warmup_ratio` written together: an error in axolotl (where a null or 0 is not set), a " +
        "warning elsewhere when `warmup_steps` is above 0 (Hugging Face then ignores the ratio).",
        "axolotl refuses the pair (\"warmup_steps and warmup_ratio are mutually exclusive\"). TrainingArguments' " +
        "`get_warmup_steps` uses warmup_steps whenever it is above 0, so the ratio is silently ignored.",
        "```yaml\nwarmup_steps: 100\nwarmup_ratio: 0.03\n```",
        "Keep one; the fix removes `warmup_ratio`.");

    public override RuleDescriptor Descriptor => Rule;

    private sealed class Checks : SnapshotValidator
    {
        public Checks()
        {
            // axolotl utils/schemas/validation.py check_warmup (v0.18.0, line 297): `data.get("warmup_steps") and data.get("warmup_ratio")`.
            RuleFor(s => s.WarmupRatio).Must(_ => false)
                .When(s => s.IsAxolotl && s.IsTruthy("warmup_steps") && s.IsTruthy("warmup_ratio"))
                .WithMessage("warmup_steps and warmup_ratio are both written: axolotl accepts only one of them");
            RuleFor(s => s.WarmupRatio).Must(_ => false)
                .When(s => !s.IsAxolotl && s.Has("warmup_steps") && s.Has("warmup_ratio") && s.WarmupSteps > 0 && s.WarmupRatio > 0)
                .WithMessage(s => $"{s.Spell("warmup_ratio")}={F(s.WarmupRatio)} is ignored: {s.Spell("warmup_steps")}={F(s.WarmupSteps)} is above 0 and takes precedence")
                .WithState(_ => Mild.Warning);
        }
    }

    private static readonly Checks Validator = new();

    public override void Check(RuleContext c) => Validator.Report(c, Rule, (_, setting) =>
        setting.IsWritten && setting.Entry is { } e && setting.Document == c.Document ? new[] { Fixes.Remove(c, e) } : Fixes.None);
}
