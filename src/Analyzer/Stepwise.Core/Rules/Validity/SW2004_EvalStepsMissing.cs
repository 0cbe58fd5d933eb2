using FluentValidation;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2004: eval_strategy steps with no eval_steps and logging_steps 0.</summary>
public sealed class SW2004_EvalStepsMissing : ValidatorRule, IChecks<TrainingArgumentsView>
{
    public static readonly RuleDescriptor Rule = new("SW2004", "eval_strategy steps has no eval_steps to use", Severity.Error, "Validity",
        "Reports `eval_strategy: steps` with `eval_steps` unset (or 0) while `logging_steps` is 0.",
        "An unset `eval_steps` silently takes the value of `logging_steps`; with `logging_steps: 0` there is nothing to take " +
        "and TrainingArguments raises ValueError (\"evaluation strategy steps requires either non-zero --eval_steps or --logging_steps\").",
        "```yaml\neval_strategy: steps\nlogging_steps: 0\n```",
        "Write `eval_steps` (the fix uses `save_steps`, so evaluations line up with checkpoints).");

    public override RuleDescriptor Descriptor => Rule;

    public void Define(ConfigValidator<TrainingArgumentsView> checks)
    {
        checks.RuleFor(v => v.EvalStrategy)
            .Must((v, strategy) => !(strategy.Value == "steps" && !(v.EvalSteps.Value > 0) && v.LoggingSteps.Value == 0))
            .Reports(v => $"{v.Spell("eval_strategy")}=steps but {v.Spell("eval_steps")} is unset and {v.Spell("logging_steps")} is 0, so there is no evaluation interval (TrainingArguments raises ValueError)",
                (c, v, strategy) =>
                {
                    long steps = v.SaveSteps.Value is double s && s >= 1 ? (long)s : 500;
                    if (v.EvalSteps.Entry is { } existing) return new[] { Fixes.Set(c, existing, steps) };
                    return strategy.Entry is { } e ? new[] { Fixes.Add(c, e, "eval_steps", steps) } : Fixes.None;
                });
    }
}
