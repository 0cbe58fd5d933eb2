using FluentValidation;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2010: dataloader_prefetch_factor with dataloader_num_workers 0.</summary>
public sealed class SW2010_PrefetchWithoutWorkers : Rule
{
    public static readonly RuleDescriptor Rule = new("SW2010", "dataloader_prefetch_factor without workers", Severity.Error, "Validity",
        "Reports `dataloader_prefetch_factor` set while `dataloader_num_workers` is 0 (its default).",
        "Prefetching is done by worker processes; PyTorch's DataLoader refuses a prefetch factor in the main process, and " +
        "TrainingArguments raises ValueError (\"--dataloader_prefetch_factor can only be set when data is loaded in a different process\").",
        "```yaml\ndataloader_prefetch_factor: 2\n```",
        "Set `dataloader_num_workers` above 0, or remove `dataloader_prefetch_factor` (the fix).");

    public override RuleDescriptor Descriptor => Rule;

    private sealed class Checks : SnapshotValidator
    {
        public Checks()
        {
            RuleFor(s => s.DataloaderPrefetchFactor).Must((s, p) => p is null || !(s.DataloaderNumWorkers is null or 0))
                .When(s => s.Has("dataloader_prefetch_factor"))
                .WithMessage(s => $"dataloader_prefetch_factor={F(s.DataloaderPrefetchFactor)} needs worker processes, but dataloader_num_workers is " +
                    $"{F(s.DataloaderNumWorkers ?? 0)}{(s.Has("dataloader_num_workers") ? "" : " (default)")} (TrainingArguments raises ValueError)");
        }
    }

    private static readonly Checks Validator = new();

    public override void Check(RuleContext c) => Validator.Report(c, Rule, (_, setting) =>
        setting.IsWritten && setting.Entry is { } e && setting.Document == c.Document ? new[] { Fixes.Remove(c, e) } : Fixes.None);
}
