using FluentValidation;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2005: logging_strategy steps with logging_steps 0.</summary>
public sealed class SW2005_LoggingStepsZero : ValidatorRule, IChecks<TrainingArgumentsView>
{
    public static readonly RuleDescriptor Rule = new("SW2005", "logging_steps is 0 with logging_strategy steps", Severity.Error, "Validity",
        "Reports `logging_steps: 0` while `logging_strategy` is `steps` (its default).",
        "Logging every 0 steps is meaningless; TrainingArguments raises ValueError (\"logging strategy steps requires non-zero --logging_steps\") at start-up.",
        "```yaml\nlogging_steps: 0\n```",
        "Write a positive `logging_steps` (the fix restores the default 500), or `logging_strategy: no`.");

    public override RuleDescriptor Descriptor => Rule;

    public void Define(ConfigValidator<TrainingArgumentsView> checks)
    {
        checks.RuleFor(v => v.LoggingSteps).Must((v, steps) => !(v.LoggingStrategy.Value == "steps" && steps.Value == 0))
            .Reports(v => $"{v.Spell("logging_steps")} is 0 but {v.Spell("logging_strategy")} is steps{(v.LoggingStrategy.IsWritten ? "" : " (default)")}: TrainingArguments raises ValueError",
                (c, _, steps) => Fixes.SetWritten(c, steps, 500L));
    }
}
