using System;
using FluentValidation;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2003: with load_best_model_at_end and step strategies, save_steps must be a round multiple of eval_steps.</summary>
public sealed class SW2003_SaveStepsNotMultipleOfEvalSteps : Rule
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
    internal static double? EffectiveEvalSteps(SetupSnapshot s) => s.EvalSteps is double e && e > 0 ? e : s.LoggingSteps;

    // transformers training_args.py __post_init__ (4.57: lines 1464-1486). axolotl computes load_best_model_at_end itself
    // and turns it off unless save_steps % eval_steps == 0 (SW2002 says so), so it never reaches this check.
    private static bool Applies(SetupSnapshot s) =>
        !s.IsAxolotl && s.LoadBestModelAtEnd == true && s.SaveStrategy == "steps" && s.EvalStrategy == "steps"
        && EffectiveEvalSteps(s) is > 0 && s.SaveSteps is > 0;

    private static bool Mixed(SetupSnapshot s) => (EffectiveEvalSteps(s) < 1) != (s.SaveSteps < 1);

    private static bool NotMultiple(SetupSnapshot s)
    {
        double e = EffectiveEvalSteps(s)!.Value, v = s.SaveSteps!.Value;
        // transformers compares ratios after scaling by 1,000,000 (LARGE_MULTIPLIER) to dodge float remainders.
        long E = (long)Math.Round(e * (e < 1 ? 1_000_000 : 1)), V = (long)Math.Round(v * (v < 1 ? 1_000_000 : 1));
        return E > 0 && V % E != 0;
    }

    private sealed class Checks : SnapshotValidator
    {
        public Checks()
        {
            RuleFor(s => s.SaveSteps).Must((s, _) => !Mixed(s)).When(Applies)
                .WithMessage(s => $"{s.Spell("save_steps")}={F(s.SaveSteps)} and {s.Spell("eval_steps")}={F(EffectiveEvalSteps(s))} mix a ratio of total steps with an absolute count: " +
                    "load_best_model_at_end cannot line them up (TrainingArguments raises ValueError)");
            RuleFor(s => s.SaveSteps).Must((s, _) => !NotMultiple(s)).When(s => Applies(s) && !Mixed(s))
                .WithMessage(s => $"{s.Spell("save_steps")}={F(s.SaveSteps)} is not a round multiple of {s.Spell("eval_steps")}={F(EffectiveEvalSteps(s))}" +
                    $"{(s.EvalSteps is > 0 ? "" : $" (taken from {s.Spell("logging_steps")})")}: with load_best_model_at_end every checkpoint needs an evaluation (TrainingArguments raises ValueError)");
        }
    }

    private static readonly Checks Validator = new();

    public override void Check(RuleContext c)
    {
        var s = c.SnapshotCache();
        Validator.Report(c, Rule, (_, setting) =>
        {
            if (setting.Entry is not { } e || !setting.IsWritten || setting.Document != c.Document || Mixed(s)) return Fixes.None;
            double ev = EffectiveEvalSteps(s)!.Value;
            if (ev < 1) return Fixes.None;
            long multiple = (long)(Math.Ceiling(s.SaveSteps!.Value / ev) * ev);
            return new[] { Fixes.Set(c, e, multiple) };
        });
    }
}
