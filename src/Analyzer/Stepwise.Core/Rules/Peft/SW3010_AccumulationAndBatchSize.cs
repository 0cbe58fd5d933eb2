using FluentValidation;
using Stepwise.Core.Rules.Validity;

namespace Stepwise.Core.Rules.Peft;

/// <summary>SW3010: axolotl gradient_accumulation_steps and batch_size both written.</summary>
public sealed class SW3010_AccumulationAndBatchSize : Rule
{
    public static readonly RuleDescriptor Rule = new("SW3010", "gradient_accumulation_steps and batch_size both set", Severity.Error, "Batch",
        "Reports an axolotl config that sets both `gradient_accumulation_steps` and `batch_size` (a null or 0 is not set).",
        "axolotl derives one from the other (batch_size = micro_batch_size x gradient_accumulation_steps per process) and " +
        "refuses a config that states both, since they can disagree.",
        "```yaml\nmicro_batch_size: 4\ngradient_accumulation_steps: 4\nbatch_size: 32\n```",
        "Keep one; the fix removes `batch_size` (accumulation is what the step arithmetic reads).");

    public override RuleDescriptor Descriptor => Rule;

    private sealed class Checks : SnapshotValidator
    {
        public Checks()
        {
            // axolotl utils/schemas/validation.py check_gas_bsz (v0.18.0, line 275): truthiness of both values.
            RuleFor(s => s.BatchSize).Must(_ => false)
                .When(s => s.IsAxolotl && s.IsTruthy("batch_size") && s.IsTruthy("gradient_accumulation_steps"))
                .WithMessage(s => $"batch_size={F(s.BatchSize)} and gradient_accumulation_steps={F(s.GradientAccumulationSteps)} are both written: axolotl accepts only one of them");
        }
    }

    private static readonly Checks Validator = new();

    public override void Check(RuleContext c) => Validator.Report(c, Rule, (_, setting) =>
        setting.IsWritten && setting.Entry is { } e && setting.Document == c.Document ? new[] { Fixes.Remove(c, e) } : Fixes.None);
}
