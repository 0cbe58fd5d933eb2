using FluentValidation;
using Stepwise.Core.Rules.Validity;

namespace Stepwise.Core.Rules.Peft;

/// <summary>SW3007: PEFT task_type that is not a TaskType.</summary>
public sealed class SW3007_UnknownTaskType : Rule
{
    public static readonly RuleDescriptor Rule = new("SW3007", "Unknown PEFT task type", Severity.Error, "LoRA",
        "Reports a `task_type` that is not one of SEQ_CLS, SEQ_2_SEQ_LM, CAUSAL_LM, TOKEN_CLS, QUESTION_ANS, FEATURE_EXTRACTION (upper case).",
        "PeftConfig checks the name in `__post_init__` and raises \"Invalid task type\"; the task type decides which PEFT model " +
        "class wraps the base model (and so which forward signature training uses).",
        "```yaml\ntask_type: causal_lm\n```",
        "Write the upper-case name; the fix picks the closest (`CAUSAL_LM` for a chat/instruction model).");

    public override RuleDescriptor Descriptor => Rule;

    internal static readonly string[] Types = { "SEQ_CLS", "SEQ_2_SEQ_LM", "CAUSAL_LM", "TOKEN_CLS", "QUESTION_ANS", "FEATURE_EXTRACTION" };

    private sealed class Checks : SnapshotValidator
    {
        public Checks()
        {
            RuleFor(s => s.TaskType).Must(v => v is null || System.Array.IndexOf(Types, v) >= 0).When(s => s.Has("task_type"))
                .WithMessage(s => $"task_type={s.TaskType} is not a PEFT TaskType" + (Suggest.Closest(s.TaskType!, Types) is { } n ? $"; did you mean {n}?" : "") +
                    $" Valid: {string.Join(", ", Types)}");
        }
    }

    private static readonly Checks Validator = new();

    public override void Check(RuleContext c) => Validator.Report(c, Rule, (_, setting) =>
        setting.IsWritten && setting.Entry is { } e && setting.Document == c.Document && Suggest.Closest(setting.Value.AsString() ?? "", Types) is { } n
            ? new[] { Fixes.Set(c, e, n) } : Fixes.None);
}
