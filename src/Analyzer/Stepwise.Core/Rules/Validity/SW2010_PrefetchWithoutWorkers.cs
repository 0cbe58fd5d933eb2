using FluentValidation;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2010: dataloader_prefetch_factor with dataloader_num_workers 0.</summary>
public sealed class SW2010_PrefetchWithoutWorkers : ValidatorRule, IChecks<TrainingArgumentsView>
{
    public static readonly RuleDescriptor Rule = new("SW2010", "dataloader_prefetch_factor without workers", Severity.Error, "Validity",
        "Reports `dataloader_prefetch_factor` set while `dataloader_num_workers` is 0 (its default).",
        "Prefetching is done by worker processes; PyTorch's DataLoader refuses a prefetch factor in the main process, and " +
        "TrainingArguments raises ValueError (\"--dataloader_prefetch_factor can only be set when data is loaded in a different process\").",
        "```yaml\ndataloader_prefetch_factor: 2\n```",
        "Set `dataloader_num_workers` above 0, or remove `dataloader_prefetch_factor` (the fix).");

    public override RuleDescriptor Descriptor => Rule;

    public void Define(ConfigValidator<TrainingArgumentsView> checks)
    {
        checks.RuleFor(v => v.DataloaderPrefetchFactor).Must((v, p) => p.Value is null || !(v.DataloaderNumWorkers.Value is null or 0))
            .When(v => v.DataloaderPrefetchFactor.IsWritten)
            .Reports(v => $"dataloader_prefetch_factor={F(v.DataloaderPrefetchFactor.Value)} needs worker processes, but dataloader_num_workers is " +
                    $"{F(v.DataloaderNumWorkers.Value ?? 0)}{(v.DataloaderNumWorkers.IsWritten ? "" : " (default)")} (TrainingArguments raises ValueError)",
                (c, _, p) => Fixes.RemoveWritten(c, p));
    }
}
