using System;
using FluentValidation;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2003: with load_best_model_at_end and step strategies, save_steps must be a round multiple of eval_steps.</summary>
public sealed class SW2003_SaveStepsNotMultipleOfEvalSteps : ValidatorRule, IChecks<TrainingArgumentsView>
{
    public static readonly RuleDescriptor Rule = new("SW2003", "save_steps is not a round multiple of eval_steps", Severity.Error, "Validity",
        "With `load_best_model_at_end` and `steps` for both strategies, reports a `save_steps` that is not a round multiple " +
        "of `eval_steps` (which takes `logging_steps` when unset), and a ratio (below 1) mixed with an absolute count.",
        "Every checkpoint must come with a fresh evaluation for the best one to be known. TrainingArguments checks " +
        "`save_steps % eval_steps` in `__post_init__` and raises ValueError; ratios and counts cannot be compared at all.",
        "```yaml\nload_best_model_at_end: true\neval_strategy: steps\nsave_strategy: steps\neval_steps: 300\nsave_steps: 500\n```",
        "Make `save_steps` a multiple of `eval_steps` (the fix rounds it up: 600), or write both as ratios or both as counts.");

    public override RuleDescriptor Descriptor => Rule;

    /// <summary>eval_steps as TrainingArguments ends up with it: unset or 0 takes logging_steps.</summary>
    private static double? EffectiveEvalSteps(TrainingArgumentsView v) => v.EvalSteps.Value is double e && e > 0 ? e : v.LoggingSteps.Value;

    // transformers training_args.py __post_init__ (4.57: lines 1464-1486). axolotl computes load_best_model_at_end itself
    // and turns it off unless save_steps % eval_steps == 0 (SW2002 says so), so it never reaches this check.
    private static bool Applies(TrainingArgumentsView v) =>
        !v.IsAxolotl && v.LoadBestModelAtEnd.Value == true && v.SaveStrategy.Value == "steps" && v.EvalStrategy.Value == "steps"
        && EffectiveEvalSteps(v) is > 0 && v.SaveSteps.Value is > 0;

    private static bool Mixed(TrainingArgumentsView v) => (EffectiveEvalSteps(v) < 1) != (v.SaveSteps.Value < 1);

    private static bool NotMultiple(TrainingArgumentsView v)
    {
        double e = EffectiveEvalSteps(v)!.Value, s = v.SaveSteps.Value!.Value;
        // transformers compares ratios after scaling by 1,000,000 (LARGE_MULTIPLIER) to dodge float remainders.
        long E = (long)Math.Round(e * (e < 1 ? 1_000_000 : 1)), S = (long)Math.Round(s * (s < 1 ? 1_000_000 : 1));
        return E > 0 && S % E != 0;
    }

    public void Define(ConfigValidator<TrainingArgumentsView> checks)
    {
        checks.RuleFor(v => v.SaveSteps).Must((v, _) => !Mixed(v)).When(Applies)
            .Reports(v => $"{v.Spell("save_steps")}={F(v.SaveSteps.Value)} and {v.Spell("eval_steps")}={F(EffectiveEvalSteps(v))} mix a ratio of total steps with an absolute count: " +
                "load_best_model_at_end cannot line them up (TrainingArguments raises ValueError)", RoundUp);
        checks.RuleFor(v => v.SaveSteps).Must((v, _) => !NotMultiple(v)).When(v => Applies(v) && !Mixed(v))
            .Reports(v => $"{v.Spell("save_steps")}={F(v.SaveSteps.Value)} is not a round multiple of {v.Spell("eval_steps")}={F(EffectiveEvalSteps(v))}" +
                $"{(v.EvalSteps.Value is > 0 ? "" : $" (taken from {v.Spell("logging_steps")})")}: with load_best_model_at_end every checkpoint needs an evaluation (TrainingArguments raises ValueError)",
                RoundUp);
    }

    /// <summary>save_steps rounded up to the next multiple of eval_steps (counts only: a ratio has no such fix).</summary>
    private static Fix[] RoundUp(RuleContext c, TrainingArgumentsView v, NumberField saveSteps)
    {
        if (saveSteps.Entry is not { } e || Mixed(v)) return Fixes.None;
        double ev = EffectiveEvalSteps(v)!.Value;
        if (ev < 1) return Fixes.None;
        long multiple = (long)(Math.Ceiling(saveSteps.Value!.Value / ev) * ev);
        return new[] { Fixes.Set(c, e, multiple) };
    }
}
