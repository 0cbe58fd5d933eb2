using FluentValidation;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2002: load_best_model_at_end with eval_strategy != save_strategy.</summary>
public sealed class SW2002_LoadBestStrategiesDiffer : Rule
{
    public static readonly RuleDescriptor Rule = new("SW2002", "load_best_model_at_end needs matching eval and save strategies", Severity.Error, "Validity",
        "Reports `load_best_model_at_end: true` when `eval_strategy` and `save_strategy` differ (defaults count: eval `no`, " +
        "save `steps`), unless `save_strategy` is `best`. axolotl decides load_best_model_at_end itself and drops a written " +
        "`true` unless save_steps is a multiple of eval_steps with an evaluation set: there it is a warning.",
        "The best checkpoint can only be picked among checkpoints that were evaluated, so TrainingArguments refuses the " +
        "combination (\"--load_best_model_at_end requires the save and eval strategy to match\") after the model has loaded.",
        "```yaml\nload_best_model_at_end: true\neval_strategy: epoch\nsave_strategy: steps\n```",
        "Use the same strategy for both (the fix sets `save_strategy` to the eval strategy), or drop `load_best_model_at_end`.");

    public override RuleDescriptor Descriptor => Rule;

    private sealed class Checks : SnapshotValidator
    {
        public Checks()
        {
            RuleFor(s => s.LoadBestModelAtEnd)
                .Must((s, best) => best != true || s.SaveStrategy is null || s.EvalStrategy is null || s.SaveStrategy == "best" || s.EvalStrategy == s.SaveStrategy)
                // transformers training_args.py __post_init__ (4.57: lines 1458-1463; 5.x the same check). axolotl never
                // passes the written value (see AxolotlDropsIt).
                .When(s => !s.IsAxolotl)
                .WithMessage(s => $"{s.Spell("load_best_model_at_end")} needs {s.Spell("eval_strategy")} and {s.Spell("save_strategy")} to match, " +
                    $"but they are {s.EvalStrategy}{(s.Has("eval_strategy") ? "" : " (default)")} and {s.SaveStrategy}{(s.Has("save_strategy") ? "" : " (default)")} " +
                    $"(TrainingArguments raises ValueError at start-up)");
        }
    }

    private static readonly Checks Validator = new();

    /// <summary>
    /// axolotl core/builders/causal.py (v0.18.0) computes load_best_model_at_end itself: on only when it is not written
    /// false (or early stopping is on), there is an evaluation set (val_set_size &gt; 0 without test_datasets, or
    /// test_datasets with val_set_size 0), and save_steps and eval_steps are both set with save_steps a multiple of
    /// eval_steps. Otherwise it passes false, so a written `true` is silently dropped rather than refused.
    /// </summary>
    private static string? AxolotlDropsIt(RuleContext c, SetupSnapshot s)
    {
        bool tests = c.Document.FindSet("test_datasets") is not null;
        double val = s.ValSetSize ?? 0;
        if (!(tests ? val == 0 : val > 0))
            return tests ? "test_datasets is set but so is val_set_size" : "there is no evaluation set (val_set_size is 0 and no test_datasets)";
        if (!(s.SaveSteps is > 0) || !(s.EvalSteps is > 0))
            return "save_steps and eval_steps are not both set (per-epoch or strategy-based saving and evaluation do not count)";
        if (s.SaveSteps!.Value % s.EvalSteps!.Value != 0)
            return $"save_steps={F(s.SaveSteps)} is not a multiple of eval_steps={F(s.EvalSteps)}";
        return null;
    }

    private static string F(double? d) => SnapshotValidator.F(d);

    public override void Check(RuleContext c)
    {
        var snap = c.SnapshotCache();
        if (snap.IsAxolotl)
        {
            var best = Fixes.Written(c, "load_best_model_at_end");
            if (best is null || snap.LoadBestModelAtEnd != true) return;
            if (AxolotlDropsIt(c, snap) is not { } why) return;
            c.Report(Rule, best.ValueSpan, $"load_best_model_at_end: true is dropped: {why}, so axolotl passes load_best_model_at_end=False and the last checkpoint is kept, not the best",
                Severity.Warning, Fixes.Remove(c, best, preferred: false));
            return;
        }
        Validator.Report(c, Rule, (_, _) =>
        {
            var save = Fixes.Written(c, "save_strategy");
            var eval = Fixes.Written(c, "eval_strategy");
            var best = Fixes.Written(c, "load_best_model_at_end");
            Fix? match = null;
            if (snap.EvalStrategy is "steps" or "epoch")
                match = save is not null ? Fixes.Set(c, save, snap.EvalStrategy)
                    : eval is not null ? Fixes.Add(c, eval, "save_strategy", snap.EvalStrategy) : null;
            else if (snap.SaveStrategy is "steps" or "epoch" && eval is not null)
                match = Fixes.Set(c, eval, snap.SaveStrategy, preferred: false);
            var drop = best is null ? null : Fixes.Remove(c, best, preferred: match is null);
            return Fixes.Of(match, drop);
        });
    }
}
