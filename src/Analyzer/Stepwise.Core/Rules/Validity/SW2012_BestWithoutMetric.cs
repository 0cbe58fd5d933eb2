using FluentValidation;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2012: save_strategy best with no metric_for_best_model.</summary>
public sealed class SW2012_BestWithoutMetric : ValidatorRule, IChecks<TrainingArgumentsView>, IChecks<AxolotlConfigView>
{
    public static readonly RuleDescriptor Rule = new("SW2012", "save_strategy best has no metric", Severity.Error, "Validity",
        "Reports `save_strategy: best` without `metric_for_best_model` (and without `load_best_model_at_end`, which would default the metric to the loss).",
        "\"Best\" needs a metric to compare checkpoints by. Trainer raises ValueError (\"args.metric_for_best_model must be " +
        "provided when using 'best' save_strategy\") when it is created, after the model has loaded.",
        "```yaml\nsave_strategy: best\neval_strategy: steps\n```",
        "Name the metric: the fix adds `metric_for_best_model: eval_loss`.");

    public override RuleDescriptor Descriptor => Rule;

    public void Define(ConfigValidator<TrainingArgumentsView> checks)
    {
        // transformers Trainer.__init__ (4.57 trainer.py lines 420-424): load_best_model_at_end alone is fine there,
        // because TrainingArguments.__post_init__ (line 1493) sets metric_for_best_model to "loss" for it.
        checks.RuleFor(v => v.SaveStrategy)
            .Must((v, f) => !(f.Value == "best" && v.MetricForBestModel.Value is null && v.LoadBestModelAtEnd.Value != true)).When(v => !v.IsAxolotl)
            .Reports(v => $"{v.Spell("save_strategy")}=best but no {v.Spell("metric_for_best_model")} says what \"best\" means (Trainer raises ValueError)", AddMetric);
    }

    public void Define(ConfigValidator<AxolotlConfigView> checks)
    {
        // axolotl utils/schemas/config.py check_save_strategy_best_requires_metric (v0.18.0): raised while the config
        // is validated, whatever load_best_model_at_end says.
        checks.RuleFor(v => v.SaveStrategy)
            .Must((v, f) => !(f.Value == "best" && string.IsNullOrEmpty(v.MetricForBestModel.Value)))
            .Reports(_ => "save_strategy=best but no metric_for_best_model says what \"best\" means: axolotl refuses the config (\"save_strategy: 'best' requires metric_for_best_model to be set\")", AddMetric);
    }

    private static Fix[] AddMetric(RuleContext c, ConfigView _, TextField strategy) =>
        strategy.Entry is { } e ? new[] { Fixes.Add(c, e, "metric_for_best_model", "eval_loss") } : Fixes.None;
}
