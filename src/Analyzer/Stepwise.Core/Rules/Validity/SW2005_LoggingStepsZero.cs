using FluentValidation;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2005: logging_strategy steps with logging_steps 0.</summary>
public sealed class SW2005_LoggingStepsZero : Rule
{
    public static readonly RuleDescriptor Rule = new("SW2005", "logging_steps is 0 with logging_strategy steps", Severity.Error, "Validity",
        "Reports `logging_steps: 0` while `logging_strategy` is `steps` (its default).",
        "Logging every 0 steps is meaningless; TrainingArguments raises ValueError (\"logging strategy steps requires non-zero --logging_steps\") at start-up.",
        "```yaml\nlogging_steps: 0\n```",
        "Write a positive `logging_steps` (the fix restores the default 500), or `logging_strategy: no`.");

    public override RuleDescriptor Descriptor => Rule;

    private sealed class Checks : SnapshotValidator
    {
        public Checks()
        {
            RuleFor(s => s.LoggingSteps).Must((s, steps) => !(s.LoggingStrategy == "steps" && steps == 0))
                .WithMessage(s => $"{s.Spell("logging_steps")} is 0 but {s.Spell("logging_strategy")} is steps{(s.Has("logging_strategy") ? "" : " (default)")}: TrainingArguments raises ValueError");
        }
    }

    private static readonly Checks Validator = new();

    public override void Check(RuleContext c) => Validator.Report(c, Rule, (_, setting) =>
        setting.IsWritten && setting.Entry is { } e && setting.Document == c.Document ? new[] { Fixes.Set(c, e, 500L) } : Fixes.None);
}
