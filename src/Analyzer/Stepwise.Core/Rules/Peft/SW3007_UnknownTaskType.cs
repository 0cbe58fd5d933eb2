using FluentValidation;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Peft;

/// <summary>SW3007: PEFT task_type that is not a TaskType.</summary>
public sealed class SW3007_UnknownTaskType : ValidatorRule, IChecks<LoraConfigView>
{
    public static readonly RuleDescriptor Rule = new("SW3007", "Unknown PEFT task type", Severity.Error, "LoRA",
        "Reports a `task_type` that is not one of SEQ_CLS, SEQ_2_SEQ_LM, CAUSAL_LM, TOKEN_CLS, QUESTION_ANS, FEATURE_EXTRACTION (upper case).",
        "PeftConfig checks the name in `__post_init__` and raises \"Invalid task type\"; the task type decides which PEFT model " +
        "class wraps the base model (and so which forward signature training uses).",
        "```yaml\ntask_type: causal_lm\n```",
        "Write the upper-case name; the fix picks the closest (`CAUSAL_LM` for a chat/instruction model).");

    public override RuleDescriptor Descriptor => Rule;

    internal static readonly string[] Types = { "SEQ_CLS", "SEQ_2_SEQ_LM", "CAUSAL_LM", "TOKEN_CLS", "QUESTION_ANS", "FEATURE_EXTRACTION" };

    public void Define(ConfigValidator<LoraConfigView> checks)
    {
        checks.RuleFor(v => v.TaskType).Must(f => f.Value is null || System.Array.IndexOf(Types, f.Value) >= 0).When(v => v.TaskType.IsWritten)
            .Reports(v => $"task_type={v.TaskType.Value} is not a PEFT TaskType" + (Suggest.Closest(v.TaskType.Value!, Types) is { } n ? $"; did you mean {n}?" : "") +
                    $" Valid: {string.Join(", ", Types)}",
                (c, _, f) => f.Entry is { } e && Suggest.Closest(f.Raw.AsString() ?? "", Types) is { } n ? new[] { Fixes.Set(c, e, n) } : Fixes.None);
    }
}
