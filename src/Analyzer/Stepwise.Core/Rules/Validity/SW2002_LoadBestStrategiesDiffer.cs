using FluentValidation;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2002: load_best_model_at_end with eval_strategy != save_strategy.</summary>
public sealed class SW2002_LoadBestStrategiesDiffer : ValidatorRule, IChecks<TrainingArgumentsView>, IChecks<AxolotlConfigView>
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

    public void Define(ConfigValidator<TrainingArgumentsView> checks)
    {
        // transformers training_args.py __post_init__ (4.57: lines 1458-1463; 5.x the same check). axolotl never
        // passes the written value (see AxolotlDropsIt).
        checks.RuleFor(v => v.LoadBestModelAtEnd)
            .Must((v, best) => best.Value != true || v.SaveStrategy.Value is null || v.EvalStrategy.Value is null || v.SaveStrategy.Value == "best" || v.EvalStrategy.Value == v.SaveStrategy.Value)
            .When(v => !v.IsAxolotl)
            .Reports(v => $"{v.Spell("load_best_model_at_end")} needs {v.Spell("eval_strategy")} and {v.Spell("save_strategy")} to match, " +
                    $"but they are {v.EvalStrategy.Value}{(v.EvalStrategy.IsWritten ? "" : " (default)")} and {v.SaveStrategy.Value}{(v.SaveStrategy.IsWritten ? "" : " (default)")} " +
                    $"(TrainingArguments raises ValueError at start-up)",
                (c, v, best) =>
                {
                    var save = v.SaveStrategy.Entry;
                    var eval = v.EvalStrategy.Entry;
                    Fix? match = null;
                    if (v.EvalStrategy.Value is "steps" or "epoch")
                        match = save is not null ? Fixes.Set(c, save, v.EvalStrategy.Value)
                            : eval is not null ? Fixes.Add(c, eval, "save_strategy", v.EvalStrategy.Value) : null;
                    else if (v.SaveStrategy.Value is "steps" or "epoch" && eval is not null)
                        match = Fixes.Set(c, eval, v.SaveStrategy.Value, preferred: false);
                    var drop = best.Entry is { } b ? Fixes.Remove(c, b, preferred: match is null) : null;
                    return Fixes.Of(match, drop);
                });
    }

    public void Define(ConfigValidator<AxolotlConfigView> checks)
    {
        checks.RuleFor(v => v.LoadBestModelAtEnd)
            .Must((v, best) => !(best.IsWritten && best.Value == true && AxolotlDropsIt(v) is not null))
            .Reports(v => $"load_best_model_at_end: true is dropped: {AxolotlDropsIt(v)}, so axolotl passes load_best_model_at_end=False and the last checkpoint is kept, not the best",
                (c, _, best) => new[] { Fixes.Remove(c, best.Entry!, preferred: false) }, Severity.Warning);
    }

    /// <summary>
    /// axolotl core/builders/causal.py (v0.18.0) computes load_best_model_at_end itself: on only when it is not written
    /// false (or early stopping is on), there is an evaluation set (val_set_size &gt; 0 without test_datasets, or
    /// test_datasets with val_set_size 0), and save_steps and eval_steps are both set with save_steps a multiple of
    /// eval_steps. Otherwise it passes false, so a written `true` is silently dropped rather than refused.
    /// </summary>
    private static string? AxolotlDropsIt(AxolotlConfigView v)
    {
        bool tests = v.Document.FindSet("test_datasets") is not null;
        double val = v.ValSetSize.Value ?? 0;
        if (!(tests ? val == 0 : val > 0))
            return tests ? "test_datasets is set but so is val_set_size" : "there is no evaluation set (val_set_size is 0 and no test_datasets)";
        if (!(v.SaveSteps.Value is > 0) || !(v.EvalSteps.Value is > 0))
            return "save_steps and eval_steps are not both set (per-epoch or strategy-based saving and evaluation do not count)";
        if (v.SaveSteps.Value!.Value % v.EvalSteps.Value!.Value != 0)
            return $"save_steps={F(v.SaveSteps.Value)} is not a multiple of eval_steps={F(v.EvalSteps.Value)}";
        return null;
    }
}
