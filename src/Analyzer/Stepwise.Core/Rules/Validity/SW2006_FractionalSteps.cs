using System;
using FluentValidation;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2006: logging/eval/save steps above 1 that are not whole numbers.</summary>
public sealed class SW2006_FractionalSteps : ValidatorRule, IChecks<TrainingArgumentsView>
{
    public static readonly RuleDescriptor Rule = new("SW2006", "Step interval above 1 is not a whole number", Severity.Error, "Validity",
        "Reports `logging_steps`, `eval_steps` or `save_steps` greater than 1 with a fractional part (`save_steps: 250.5`), " +
        "when its strategy is `steps` (transformers checks nothing else).",
        "Below 1 these values are ratios of the total steps; above 1 they count steps and must be integers. TrainingArguments " +
        "raises ValueError (\"--save_steps must be an integer if bigger than 1\").",
        "```yaml\nsave_steps: 250.5\n```",
        "Round to a whole number of steps (the fix rounds to the nearest).");

    public override RuleDescriptor Descriptor => Rule;

    private static bool Whole(NumberField f) => f.Value is not double d || d <= 1 || Math.Abs(d - Math.Round(d)) < 1e-9;

    public void Define(ConfigValidator<TrainingArgumentsView> checks)
    {
        // transformers training_args.py __post_init__ (4.57: lines 1444-1455): each interval is checked only when its
        // strategy is "steps". axolotl passes eval_steps / save_steps with strategy "steps" whenever they are set
        // (core/builders/base.py _configure_save_and_eval_strategy, v0.18.0).
        checks.RuleFor(v => v.LoggingSteps).Must(Whole).When(v => v.LoggingStrategy.Value == "steps").Reports(v => Message(v, "logging_steps", v.LoggingSteps), Round);
        checks.RuleFor(v => v.EvalSteps).Must(Whole).When(v => v.IsAxolotl || v.EvalStrategy.Value == "steps").Reports(v => Message(v, "eval_steps", v.EvalSteps), Round);
        checks.RuleFor(v => v.SaveSteps).Must(Whole).When(v => v.IsAxolotl || v.SaveStrategy.Value == "steps").Reports(v => Message(v, "save_steps", v.SaveSteps), Round);
    }

    private static string Message(TrainingArgumentsView v, string key, NumberField f) =>
        $"{v.Spell(key)}={F(f.Value)} is above 1, so it counts steps and must be a whole number (TrainingArguments raises ValueError)";

    private static Fix[] Round(RuleContext c, TrainingArgumentsView _, NumberField f) =>
        f.Entry is { } e && f.Raw.AsDouble() is double d ? new[] { Fixes.Set(c, e, (long)Math.Round(d, MidpointRounding.AwayFromZero)) } : Fixes.None;
}
