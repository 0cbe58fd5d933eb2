using System;
using Stepwise.Core.Packing;

namespace Stepwise.Core.Arithmetic;

/// <summary>The range a packed run's numbers lie in when the tool packs a shuffled order (see <see cref="PackingPlan.Simulations"/>).</summary>
public sealed record ScheduleSpread(CountRange? TotalSteps, CountRange? StepsPerEpoch, CountRange? MicroBatchesPerEpoch, double? EpochsLow, double? EpochsHigh, CountRange? WarmupSteps);

/// <summary>
/// What HF Trainer will do, computed from <see cref="ScheduleInputs"/> exactly as transformers
/// <c>Trainer.set_initial_training_values</c> and <c>_inner_training_loop</c> and accelerate
/// <c>BatchSamplerShard.__len__</c> do. Values that depend on an unknown N are null.
/// </summary>
public sealed record Schedule
{
    public ScheduleInputs Inputs { get; init; } = new();
    /// <summary>b = B x max(1, G): the per-process batch ("train_batch_size").</summary>
    public long ProcessBatch { get; init; }
    /// <summary>nb: batches of b over the whole dataset.</summary>
    public long? Batches { get; init; }
    /// <summary>L: micro-batches each process runs per epoch (len(train_dataloader)).</summary>
    public long? MicroBatchesPerEpoch { get; init; }
    /// <summary>U: optimizer steps per epoch as transformers plans them (num_update_steps_per_epoch, at least 1).</summary>
    public long? StepsPerEpoch { get; init; }
    /// <summary>S: optimizer steps the run makes (null when it depends on an unknown N; 0 when the dataloader is empty).</summary>
    public long? TotalSteps { get; init; }
    /// <summary>
    /// Epochs trained, as trainer_state.json's <c>epoch</c> will show them: HF sets
    /// <c>epoch = epoch_index + (micro-batches of this epoch so far) / L</c> at every optimizer step, so a run that stops
    /// inside an epoch counts the micro-batches it consumed there, not steps / U.
    /// </summary>
    public double? Epochs { get; init; }
    /// <summary>The 0-based epoch in which the last optimizer step falls (Epochs = this + <see cref="FinalEpochMicroBatches"/> / L).</summary>
    public long? FinalEpochIndex { get; init; }
    /// <summary>Micro-batches of the final epoch consumed when the last optimizer step is made.</summary>
    public long? FinalEpochMicroBatches { get; init; }
    /// <summary>Bound of the epoch loop: ceil(max_steps / U) or ceil(num_train_epochs).</summary>
    public long? EpochLoopBound { get; init; }
    /// <summary>Samples processed over the run (counting the short last batch of each epoch and padding across processes).</summary>
    public long? Samples { get; init; }
    /// <summary>Nominal samples per optimizer step: b x A x W.</summary>
    public long SamplesPerStep { get; init; }
    public bool MaxStepsSetsLength => Inputs.MaxSteps > 0;
    /// <summary>
    /// L = 0: dataloader_drop_last with fewer examples than one batch per process (or no examples at all). HF stops at
    /// step 0 with only a warning when max_steps is set, and raises at start-up when it is not.
    /// </summary>
    public bool EmptyDataloader => MicroBatchesPerEpoch == 0;
    public long? WarmupSteps { get; init; }
    /// <summary>Micro-batches in the last, partial accumulation window of each epoch (0 when L divides by A).</summary>
    public long? PartialWindowMicroBatches { get; init; }
    /// <summary>How the tool's length handling and packing shaped the rows (null for a dialect without one).</summary>
    public PackingPlan? Packing { get; init; }
    /// <summary>Where the outcomes of a shuffled packing differ: the range of each number (the single values are then null).</summary>
    public ScheduleSpread? Spread { get; init; }
    /// <summary>Packed and the rows are unknown (or lie in a range): why steps per epoch and epochs are not single numbers.</summary>
    public string? PackedUnknown => Inputs.StepsUnknown;

    /// <summary>A ratio (&lt; 1) of total steps as HF turns it into steps: ceil(S x ratio); counts &gt;= 1 stay.</summary>
    public long? RatioToSteps(double value)
    {
        if (value >= 1) return (long)Math.Round(value);
        if (TotalSteps is not long s) return null;
        return (long)Math.Ceiling(s * value);
    }

    /// <summary>trainer_state.json's epoch after <paramref name="steps"/> optimizer steps (null when N is unknown).</summary>
    public double? EpochsAt(long steps) =>
        MicroBatchesPerEpoch is long l && l > 0 && StepsPerEpoch is long u && Inputs.DatasetSize is long n
            ? Schedules.Position(Inputs.Loop, steps, l, u, Inputs.GradientAccumulation, n).Epochs
            : null;

    public string Format(double d, int decimals = 2) => Schedules.Num(d, decimals);
}
