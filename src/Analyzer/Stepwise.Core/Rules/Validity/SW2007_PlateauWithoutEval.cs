using FluentValidation;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2007: reduce_lr_on_plateau with no evaluation.</summary>
public sealed class SW2007_PlateauWithoutEval : Rule
{
    public static readonly RuleDescriptor Rule = new("SW2007", "reduce_lr_on_plateau without evaluation", Severity.Error, "Validity",
        "Reports `lr_scheduler_type: reduce_lr_on_plateau` while `eval_strategy` is `no`.",
        "This scheduler lowers the learning rate when the evaluation metric stops improving; without evaluations it has " +
        "nothing to watch, and TrainingArguments raises ValueError (\"lr_scheduler_type reduce_lr_on_plateau requires an eval strategy\").",
        "```yaml\nlr_scheduler_type: reduce_lr_on_plateau\neval_strategy: no\n```",
        "Turn evaluation on (`eval_strategy: steps` or `epoch`, with an eval dataset), or choose another scheduler.");

    public override RuleDescriptor Descriptor => Rule;

    private sealed class Checks : SnapshotValidator
    {
        public Checks()
        {
            RuleFor(s => s.LrSchedulerType)
                .Must((s, sched) => !(sched == "reduce_lr_on_plateau" && s.EvalStrategy == "no"))
                .When(s => !s.IsAxolotl || s.Has("eval_strategy"))
                .WithMessage(s => $"{s.Spell("lr_scheduler_type")}=reduce_lr_on_plateau needs evaluations, but {s.Spell("eval_strategy")} is no{(s.Has("eval_strategy") ? "" : " (default)")} (TrainingArguments raises ValueError)");
        }
    }

    private static readonly Checks Validator = new();

    public override void Check(RuleContext c) => Validator.Report(c, Rule);
}
