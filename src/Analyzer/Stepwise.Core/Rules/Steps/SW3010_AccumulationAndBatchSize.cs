using FluentValidation;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Steps;

/// <summary>SW3010: axolotl gradient_accumulation_steps and batch_size both written.</summary>
public sealed class SW3010_AccumulationAndBatchSize : ValidatorRule, IChecks<AxolotlConfigView>
{
    public static readonly RuleDescriptor Rule = new("SW3010", "gradient_accumulation_steps and batch_size both set", Severity.Error, "Batch",
        "Reports an axolotl config that sets both `gradient_accumulation_steps` and `batch_size` (a null or 0 is not set).",
        "axolotl derives one from the other (batch_size = micro_batch_size x gradient_accumulation_steps per process) and " +
        "refuses a config that states both, since they can disagree.",
        "```yaml\nmicro_batch_size: 4\ngradient_accumulation_steps: 4\nbatch_size: 32\n```",
        "Keep one; the fix removes `batch_size` (accumulation is what the step arithmetic reads).");

    public override RuleDescriptor Descriptor => Rule;

    public void Define(ConfigValidator<AxolotlConfigView> checks)
    {
        // axolotl utils/schemas/validation.py check_gas_bsz (v0.18.0, line 275): truthiness of both values.
        checks.RuleFor(v => v.BatchSize).Must((v, batch) => !(batch.IsTruthy && v.GradientAccumulationSteps.IsTruthy))
            .Reports(v => $"batch_size={F(v.BatchSize.Value)} and gradient_accumulation_steps={F(v.GradientAccumulationSteps.Value)} are both written: axolotl accepts only one of them",
                (c, _, batch) => Fixes.RemoveWritten(c, batch));
    }
}
