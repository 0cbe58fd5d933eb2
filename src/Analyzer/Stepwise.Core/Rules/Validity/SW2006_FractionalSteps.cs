using System;
using FluentValidation;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2006: logging/eval/save steps above 1 that are not whole numbers.</summary>
public sealed class SW2006_FractionalSteps : Rule
{
    public static readonly RuleDescriptor Rule = new("SW2006", "Step interval above 1 is not a whole number", Severity.Error, "Validity",
        "Reports `logging_steps`, `eval_steps` or `save_steps` greater than 1 with a fractional part (`save_steps: 250.5`), " +
        "when its strategy is `steps` (transformers checks nothing else).",
        "Below 1 these values are ratios of the total steps; above 1 they count steps and must be integers. TrainingArguments " +
        "raises ValueError (\"--save_steps must be an integer if bigger than 1\").",
        "```yaml\nsave_steps: 250.5\n```",
        "Round to a whole number of steps (the fix rounds to the nearest).");

    public override RuleDescriptor Descriptor => Rule;

    private static bool Whole(double? v) => v is not double d || d <= 1 || Math.Abs(d - Math.Round(d)) < 1e-9;

    private sealed class Checks : SnapshotValidator
    {
        public Checks()
        {
            // transformers training_args.py __post_init__ (4.57: lines 1444-1455): each interval is checked only when its
            // strategy is "steps". axolotl passes eval_steps / save_steps with strategy "steps" whenever they are set
            // (core/builders/base.py _configure_save_and_eval_strategy, v0.18.0).
            RuleFor(s => s.LoggingSteps).Must(Whole).When(s => s.LoggingStrategy == "steps").WithMessage(s => Message(s, "logging_steps", s.LoggingSteps));
            RuleFor(s => s.EvalSteps).Must(Whole).When(s => s.IsAxolotl || s.EvalStrategy == "steps").WithMessage(s => Message(s, "eval_steps", s.EvalSteps));
            RuleFor(s => s.SaveSteps).Must(Whole).When(s => s.IsAxolotl || s.SaveStrategy == "steps").WithMessage(s => Message(s, "save_steps", s.SaveSteps));
        }

        private static string Message(SetupSnapshot s, string key, double? v) =>
            $"{s.Spell(key)}={F(v)} is above 1, so it counts steps and must be a whole number (TrainingArguments raises ValueError)";
    }

    private static readonly Checks Validator = new();

    public override void Check(RuleContext c) => Validator.Report(c, Rule, (_, setting) =>
        setting.IsWritten && setting.Entry is { } e && setting.Document == c.Document && setting.Value.AsDouble() is double d
            ? new[] { Fixes.Set(c, e, (long)Math.Round(d, MidpointRounding.AwayFromZero)) } : Fixes.None);
}
