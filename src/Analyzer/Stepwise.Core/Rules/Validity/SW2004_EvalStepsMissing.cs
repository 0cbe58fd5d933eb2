using FluentValidation;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2004: eval_strategy steps with no eval_steps and logging_steps 0.</summary>
public sealed class SW2004_EvalStepsMissing : Rule
{
    public static readonly RuleDescriptor Rule = new("SW2004", "eval_strategy steps has no eval_steps to use", Severity.Error, "Validity",
        "Reports `eval_strategy: steps` with `eval_steps` unset (or 0) while `logging_steps` is 0.",
        "An unset `eval_steps` silently takes the value of `logging_steps`; with `logging_steps: 0` there is nothing to take " +
        "and TrainingArguments raises ValueError (\"evaluation strategy steps requires either non-zero --eval_steps or --logging_steps\").",
        "```yaml\neval_strategy: steps\nlogging_steps: 0\n```",
        "Write `eval_steps` (the fix uses `save_steps`, so evaluations line up with checkpoints).");

    public override RuleDescriptor Descriptor => Rule;

    private sealed class Checks : SnapshotValidator
    {
        public Checks()
        {
            RuleFor(s => s.EvalStrategy)
                .Must((s, strategy) => !(strategy == "steps" && !(s.EvalSteps > 0) && s.LoggingSteps == 0))
                .WithMessage(s => $"{s.Spell("eval_strategy")}=steps but {s.Spell("eval_steps")} is unset and {s.Spell("logging_steps")} is 0, so there is no evaluation interval (TrainingArguments raises ValueError)");
        }
    }

    private static readonly Checks Validator = new();

    public override void Check(RuleContext c)
    {
        var s = c.SnapshotCache();
        Validator.Report(c, Rule, (_, setting) =>
        {
            long steps = s.SaveSteps is double v && v >= 1 ? (long)v : 500;
            var existing = Fixes.Written(c, "eval_steps");
            if (existing is not null) return new[] { Fixes.Set(c, existing, steps) };
            return setting.IsWritten && setting.Entry is { } e && setting.Document == c.Document ? new[] { Fixes.Add(c, e, "eval_steps", steps) } : Fixes.None;
        });
    }
}
