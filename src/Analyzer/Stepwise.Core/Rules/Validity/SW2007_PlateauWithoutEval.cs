using FluentValidation;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2007: reduce_lr_on_plateau with no evaluation.</summary>
public sealed class SW2007_PlateauWithoutEval : ValidatorRule, IChecks<TrainingArgumentsView>
{
    public static readonly RuleDescriptor Rule = new("SW2007", "reduce_lr_on_plateau without evaluation", Severity.Error, "Validity",
        "Reports `lr_scheduler_type: reduce_lr_on_plateau` while `eval_strategy` is `no`.",
        "This scheduler lowers the learning rate when the evaluation metric stops improving; without evaluations it has " +
        "nothing to watch, and TrainingArguments raises ValueError (\"lr_scheduler_type reduce_lr_on_plateau requires an eval strategy\").",
        "```yaml\nlr_scheduler_type: reduce_lr_on_plateau\neval_strategy: no\n```",
        "Turn evaluation on (`eval_strategy: steps` or `epoch`, with an eval dataset), or choose another scheduler.");

    public override RuleDescriptor Descriptor => Rule;

    public void Define(ConfigValidator<TrainingArgumentsView> checks)
    {
        checks.RuleFor(v => v.LrSchedulerType)
            .Must((v, scheduler) => !(scheduler.Value == "reduce_lr_on_plateau" && v.EvalStrategy.Value == "no"))
            .When(v => !v.IsAxolotl || v.EvalStrategy.IsWritten)
            .Reports(v => $"{v.Spell("lr_scheduler_type")}=reduce_lr_on_plateau needs evaluations, but {v.Spell("eval_strategy")} is no{(v.EvalStrategy.IsWritten ? "" : " (default)")} (TrainingArguments raises ValueError)");
    }
}
