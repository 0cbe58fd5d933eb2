using System;

namespace Stepwise.Core.Arithmetic;

/// <summary>How steps per epoch are rounded when the run is planned (<c>num_update_steps_per_epoch</c>): ceil from
/// transformers 4.52 on (PR #37923), floor before.</summary>
public enum StepsPerEpochRounding { Ceil, Floor }

/// <summary>
/// Which generation of transformers' <c>Trainer._inner_training_loop</c> runs the epochs. They differ in where the
/// optimizer steps fall inside an epoch, and so in the <c>epoch</c> that trainer_state.json records.
/// </summary>
public enum TrainerLoop
{
    /// <summary>transformers &gt;= 4.52 (PR #37923): U = ceil(L / A) steps per epoch; windows of A micro-batches
    /// restart at every epoch and the last, partial window still makes an optimizer step.</summary>
    Current,
    /// <summary>transformers 4.46 - 4.51 (PR #34198 prefetches each window): U = floor(L / A) plans the run, but the
    /// epoch's last window fetches <c>num_examples % A</c> batches (A when that is 0) and steps only if that reaches the
    /// end of the epoch.</summary>
    PrefetchWindows,
    /// <summary>transformers &lt; 4.46: one loop over micro-batches with a step every A of them, counted over the
    /// whole run (<c>total_batched_samples</c>), so windows run across epoch ends; U = floor(L / A).</summary>
    RunningCount,
}

/// <summary>Who decides the total steps when max_steps is not set.</summary>
public enum RunLengthEstimator
{
    /// <summary>HF Trainer: ceil(num_train_epochs x U).</summary>
    HuggingFace,
    /// <summary>axolotl (since PR #2133) always passes max_steps = ceil(N x num_epochs / (B x A x W)).</summary>
    Axolotl,
}

/// <summary>Everything the step/epoch arithmetic depends on. N, B, G, W, A as in transformers' Trainer and accelerate's BatchSamplerShard.</summary>
public sealed record ScheduleInputs
{
    /// <summary>N: training examples after preprocessing (null = unknown).</summary>
    public long? DatasetSize { get; init; }
    /// <summary>B: per_device_train_batch_size.</summary>
    public long PerDeviceBatch { get; init; } = 8;
    /// <summary>G: n_gpu inside one process (0 on CPU, 1 under distributed launch). b = B x max(1, G).</summary>
    public long NGpu { get; init; } = 1;
    /// <summary>W: data-parallel processes.</summary>
    public long WorldSize { get; init; } = 1;
    /// <summary>A: gradient_accumulation_steps.</summary>
    public long GradientAccumulation { get; init; } = 1;
    public bool DropLast { get; init; }
    /// <summary>max_steps; &lt;= 0 means "not set".</summary>
    public long MaxSteps { get; init; } = -1;
    public double NumTrainEpochs { get; init; } = 3.0;
    /// <summary>The transformers loop that runs the epochs (from the release; the bundled trainer runs <see cref="TrainerLoop.Current"/>).</summary>
    public TrainerLoop Loop { get; init; } = TrainerLoop.Current;
    /// <summary>How U is rounded, which follows from the loop.</summary>
    public StepsPerEpochRounding Rounding => Loop == TrainerLoop.Current ? StepsPerEpochRounding.Ceil : StepsPerEpochRounding.Floor;
    public RunLengthEstimator Estimator { get; init; } = RunLengthEstimator.HuggingFace;
    /// <summary>warmup_steps as written (v5 allows a float ratio in [0,1)).</summary>
    public double WarmupSteps { get; init; }
    public double WarmupRatio { get; init; }
    /// <summary>transformers v5 semantics for warmup_steps floats.</summary>
    public bool V5 { get; init; }
    /// <summary>axolotl only: warmup_steps as the config states it (null: not written or null), which axolotl passes on as is.</summary>
    public double? StatedWarmupSteps { get; init; }
    /// <summary>axolotl only: warmup_ratio as the config states it (null: not written or null), which axolotl turns into steps itself.</summary>
    public double? StatedWarmupRatio { get; init; }
    /// <summary>
    /// Packed runs whose batches come from the tool's own batch sampler (axolotl's MultipackBatchSampler): the batches it
    /// yields per epoch over all processes, which replace ceil(N / b). Each process gets every W-th of them, and the
    /// sampler's drop_last makes accelerate's BatchSamplerShard drop the remainder: L = floor(nb / W).
    /// </summary>
    public long? SamplerBatches { get; init; }
    /// <summary>The max_steps the tool computes itself and passes when max_steps is not set (axolotl's packed total_num_steps).</summary>
    public long? ToolSteps { get; init; }
    /// <summary>
    /// Packing is on and the rows it makes are unknown (why): batches, steps per epoch and epochs stay unknown, and the
    /// total too unless max_steps sets it. N is never used unpacked.
    /// </summary>
    public string? StepsUnknown { get; init; }
}
