using FluentValidation;
using Stepwise.Core.Rules.Validity;

namespace Stepwise.Core.Rules.Peft;

/// <summary>SW3012: axolotl saves_per_epoch with save_steps, evals_per_epoch with eval_steps.</summary>
public sealed class SW3012_PerEpochAndSteps : Rule
{
    public static readonly RuleDescriptor Rule = new("SW3012", "Per-epoch count and step interval both set", Severity.Error, "Schedule",
        "Reports an axolotl config that sets `saves_per_epoch` with `save_steps`, or `evals_per_epoch` with `eval_steps`. " +
        "As in axolotl, a value left empty (null) or 0 is not set.",
        "Both say how often to save (or evaluate). axolotl refuses the pair as mutually exclusive at config validation.",
        "```yaml\nsaves_per_epoch: 4\nsave_steps: 100\n```",
        "Keep one; the fix removes the per-epoch count (it becomes a ratio of max_steps anyway: see SW1006).");

    public override RuleDescriptor Descriptor => Rule;

    private sealed class Checks : SnapshotValidator
    {
        public Checks()
        {
            // axolotl utils/schemas/validation.py check_saves / check_evals (v0.18.0, lines 312 and 350) test
            // `data.get("saves_per_epoch") and data.get("save_steps")`: truthiness, so null and 0 do not count.
            RuleFor(s => s.SavesPerEpoch).Must(_ => false)
                .When(s => s.IsAxolotl && s.IsTruthy("saves_per_epoch") && s.IsTruthy("save_steps"))
                .WithMessage(s => $"saves_per_epoch={F(s.SavesPerEpoch)} and save_steps={F(s.SaveSteps)} are both written: axolotl accepts only one of them");
            RuleFor(s => s.EvalsPerEpoch).Must(_ => false)
                .When(s => s.IsAxolotl && s.IsTruthy("evals_per_epoch") && s.IsTruthy("eval_steps"))
                .WithMessage(s => $"evals_per_epoch={F(s.EvalsPerEpoch)} and eval_steps={F(s.EvalSteps)} are both written: axolotl accepts only one of them");
        }
    }

    private static readonly Checks Validator = new();

    public override void Check(RuleContext c) => Validator.Report(c, Rule, (_, setting) =>
        setting.IsWritten && setting.Entry is { } e && setting.Document == c.Document ? new[] { Fixes.Remove(c, e) } : Fixes.None);
}
