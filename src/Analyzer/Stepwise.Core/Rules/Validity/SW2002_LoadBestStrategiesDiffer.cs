using FluentValidation;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2002: load_best_model_at_end with eval_strategy != save_strategy.</summary>
public sealed class SW2002_LoadBestStrategiesDiffer : Rule
{
    public static readonly RuleDescriptor Rule = new("SW2002", "load_best_model_at_end needs matching eval and save strategies", Severity.Error, "Validity",
        "Reports `load_best_model_at_end: true` when `eval_strategy` and `save_strategy` differ (defaults count: eval `no`, " +
        "save `steps`), unless `save_strategy` is `best`.",
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
                // axolotl derives the strategies from evals_per_epoch/saves_per_epoch itself: judge only what is written there.
                .When(s => !s.IsAxolotl || (s.Has("eval_strategy") && s.Has("save_strategy")))
                .WithMessage(s => $"{s.Spell("load_best_model_at_end")} needs {s.Spell("eval_strategy")} and {s.Spell("save_strategy")} to match, " +
                    $"but they are {s.EvalStrategy}{(s.Has("eval_strategy") ? "" : " (default)")} and {s.SaveStrategy}{(s.Has("save_strategy") ? "" : " (default)")} " +
                    $"(TrainingArguments raises ValueError at start-up)");
        }
    }

    private static readonly Checks Validator = new();

    public override void Check(RuleContext c)
    {
        var snap = c.SnapshotCache();
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
