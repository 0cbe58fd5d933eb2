using FluentValidation;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Steps;

/// <summary>SW3012: axolotl saves_per_epoch with save_steps, evals_per_epoch with eval_steps.</summary>
public sealed class SW3012_PerEpochAndSteps : ValidatorRule, IChecks<AxolotlConfigView>
{
    public static readonly RuleDescriptor Rule = new("SW3012", "Per-epoch count and step interval both set", Severity.Error, "Schedule",
        "Reports an axolotl config that sets `saves_per_epoch` with `save_steps`, or `evals_per_epoch` with `eval_steps`. " +
        "As in axolotl, a value left empty (null) or 0 is not set.",
        "Both say how often to save (or evaluate). axolotl refuses the pair as mutually exclusive at config validation.",
        "```yaml\nsaves_per_epoch: 4\nsave_steps: 100\n```",
        "Keep one; the fix removes the per-epoch count (it becomes a ratio of max_steps anyway: see SW1006).");

    public override RuleDescriptor Descriptor => Rule;

    public void Define(ConfigValidator<AxolotlConfigView> checks)
    {
        // axolotl utils/schemas/validation.py check_saves / check_evals (v0.18.0, lines 312 and 350) test
        // `data.get("saves_per_epoch") and data.get("save_steps")`: truthiness, so null and 0 do not count.
        checks.RuleFor(v => v.SavesPerEpoch).Must((v, saves) => !(saves.IsTruthy && v.SaveSteps.IsTruthy))
            .Reports(v => $"saves_per_epoch={F(v.SavesPerEpoch.Value)} and save_steps={F(v.SaveSteps.Value)} are both written: axolotl accepts only one of them", RemovePerEpoch);
        checks.RuleFor(v => v.EvalsPerEpoch).Must((v, evals) => !(evals.IsTruthy && v.EvalSteps.IsTruthy))
            .Reports(v => $"evals_per_epoch={F(v.EvalsPerEpoch.Value)} and eval_steps={F(v.EvalSteps.Value)} are both written: axolotl accepts only one of them", RemovePerEpoch);
    }

    private static Fix[] RemovePerEpoch(RuleContext c, AxolotlConfigView _, NumberField perEpoch) => Fixes.RemoveWritten(c, perEpoch);
}
