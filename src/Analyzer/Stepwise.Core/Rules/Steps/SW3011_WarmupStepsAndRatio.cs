using FluentValidation;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Steps;

/// <summary>SW3011: warmup_steps and warmup_ratio both written.</summary>
public sealed class SW3011_WarmupStepsAndRatio : ValidatorRule, IChecks<AxolotlConfigView>, IChecks<TrainingArgumentsView>
{
    public static readonly RuleDescriptor Rule = new("SW3011", "warmup_steps and warmup_ratio both set", Severity.Error, "Schedule",
        "Reports `warmup_steps` and `warmup_ratio` written together: an error in axolotl (where a null or 0 is not set), a " +
        "warning elsewhere when `warmup_steps` is above 0 (Hugging Face then ignores the ratio).",
        "axolotl refuses the pair (\"warmup_steps and warmup_ratio are mutually exclusive\"). TrainingArguments' " +
        "`get_warmup_steps` uses warmup_steps whenever it is above 0, so the ratio is silently ignored.",
        "```yaml\nwarmup_steps: 100\nwarmup_ratio: 0.03\n```",
        "Keep one; the fix removes `warmup_ratio`.");

    public override RuleDescriptor Descriptor => Rule;

    public void Define(ConfigValidator<AxolotlConfigView> checks)
    {
        // axolotl utils/schemas/validation.py check_warmup (v0.18.0, line 297): `data.get("warmup_steps") and data.get("warmup_ratio")`.
        checks.RuleFor(v => v.WarmupRatio).Must((v, ratio) => !(v.WarmupSteps.IsTruthy && ratio.IsTruthy))
            .Reports(_ => "warmup_steps and warmup_ratio are both written: axolotl accepts only one of them", RemoveRatio);
    }

    public void Define(ConfigValidator<TrainingArgumentsView> checks)
    {
        // TrainingArguments.get_warmup_steps: warmup_steps wins whenever it is above 0.
        checks.RuleFor(v => v.WarmupRatio).Must((v, ratio) => !(v.WarmupSteps.IsWritten && ratio.IsWritten && v.WarmupSteps.Value > 0 && ratio.Value > 0))
            .When(v => !v.IsAxolotl)
            .Reports(v => $"{v.Spell("warmup_ratio")}={F(v.WarmupRatio.Value)} is ignored: {v.Spell("warmup_steps")}={F(v.WarmupSteps.Value)} is above 0 and takes precedence",
                RemoveRatio, Severity.Warning);
    }

    private static Fix[] RemoveRatio(RuleContext c, ConfigView _, NumberField ratio) => Fixes.RemoveWritten(c, ratio);
}
