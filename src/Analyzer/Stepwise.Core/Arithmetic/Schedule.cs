using System;
using System.Globalization;

namespace Stepwise.Core.Arithmetic;

/// <summary>How steps per epoch are rounded. transformers &gt;= 4.52 (PR #37923) counts the last partial
/// accumulation window as a step (ceil); older releases used floor and rolled leftovers into the next epoch.</summary>
public enum StepsPerEpochRounding { Ceil, Floor }

/// <summary>Who decides the total steps when max_steps is not set.</summary>
public enum RunLengthEstimator
{
    /// <summary>HF Trainer: ceil(num_train_epochs x U).</summary>
    HuggingFace,
    /// <summary>axolotl (since PR #2133) always passes max_steps = ceil(N x num_epochs / (B x A x W)).</summary>
    Axolotl,
}

/// <summary>Everything the step/epoch arithmetic depends on. Symbols as in shared/reference/epochs.md.</summary>
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
    public StepsPerEpochRounding Rounding { get; init; } = StepsPerEpochRounding.Ceil;
    public RunLengthEstimator Estimator { get; init; } = RunLengthEstimator.HuggingFace;
    /// <summary>warmup_steps as written (v5 allows a float ratio in [0,1)).</summary>
    public double WarmupSteps { get; init; }
    public double WarmupRatio { get; init; }
    /// <summary>transformers v5 semantics for warmup_steps floats.</summary>
    public bool V5 { get; init; }
}

/// <summary>
/// What HF Trainer will do, computed from <see cref="ScheduleInputs"/> exactly as transformers
/// <c>Trainer.set_initial_training_values</c> and accelerate <c>BatchSamplerShard.__len__</c> do.
/// Values that depend on an unknown N are null.
/// </summary>
public sealed record Schedule
{
    public ScheduleInputs Inputs { get; init; } = new();
    /// <summary>b = B x max(1, G): the per-process batch ("train_batch_size").</summary>
    public long ProcessBatch { get; init; }
    /// <summary>nb: batches of b over the whole dataset.</summary>
    public long? Batches { get; init; }
    /// <summary>L: micro-batches each process runs per epoch.</summary>
    public long? MicroBatchesPerEpoch { get; init; }
    /// <summary>U: optimizer steps per epoch.</summary>
    public long? StepsPerEpoch { get; init; }
    /// <summary>S: optimizer steps the run makes (null when it depends on an unknown N).</summary>
    public long? TotalSteps { get; init; }
    /// <summary>Epochs actually trained (fractional).</summary>
    public double? Epochs { get; init; }
    /// <summary>Bound of the epoch loop: ceil(max_steps / U) or ceil(num_train_epochs).</summary>
    public long? EpochLoopBound { get; init; }
    /// <summary>Samples processed over the run (counting the short last batch of each epoch and padding across processes).</summary>
    public long? Samples { get; init; }
    /// <summary>Nominal samples per optimizer step: b x A x W.</summary>
    public long SamplesPerStep { get; init; }
    public bool MaxStepsSetsLength => Inputs.MaxSteps > 0;
    public long? WarmupSteps { get; init; }
    /// <summary>Steps in the last, partial accumulation window of each epoch (0 when L divides by A).</summary>
    public long? PartialWindowMicroBatches { get; init; }

    /// <summary>A ratio (&lt; 1) of total steps as HF turns it into steps: ceil(S x ratio); counts &gt;= 1 stay.</summary>
    public long? RatioToSteps(double value)
    {
        if (value >= 1) return (long)Math.Round(value);
        if (TotalSteps is not long s) return null;
        return (long)Math.Ceiling(s * value);
    }

    public string Format(double d, int decimals = 2) => Schedules.Num(d, decimals);
}

public static class Schedules
{
    public static string Num(double d, int decimals = 2) => d.ToString("N" + decimals, CultureInfo.InvariantCulture);
    public static string Num(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Epochs to two decimals without trailing zeros beyond one: 2.46, 4.0, 7.94.</summary>
    public static string Epochs(double e)
    {
        var s = e.ToString("0.00", CultureInfo.InvariantCulture);
        if (s.EndsWith("0", StringComparison.Ordinal) && !s.EndsWith(".00", StringComparison.Ordinal)) s = s.Substring(0, s.Length - 1);
        if (s.EndsWith(".00", StringComparison.Ordinal)) s = s.Substring(0, s.Length - 1);
        return s;
    }

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;

    public static Schedule Compute(ScheduleInputs i)
    {
        if (i.PerDeviceBatch <= 0) throw new ArgumentOutOfRangeException(nameof(i), "per_device_train_batch_size must be > 0");
        if (i.GradientAccumulation <= 0) throw new ArgumentOutOfRangeException(nameof(i), "gradient_accumulation_steps must be > 0");
        if (i.WorldSize <= 0) throw new ArgumentOutOfRangeException(nameof(i), "world size must be > 0");

        long b = i.PerDeviceBatch * Math.Max(1, i.NGpu);
        long A = i.GradientAccumulation, W = i.WorldSize;
        var sched = new Schedule { Inputs = i, ProcessBatch = b, SamplesPerStep = b * A * W };

        long? nb = null, L = null, U = null, partial = null;
        if (i.DatasetSize is long n && n >= 0)
        {
            nb = i.DropLast ? n / b : CeilDiv(n, b);
            // accelerate BatchSamplerShard.__len__: even_batches pads to a multiple of W (floor with drop_last).
            L = W == 1 ? nb : (i.DropLast ? nb / W : CeilDiv(nb.Value, W));
            // transformers: num_update_steps_per_epoch = max(L // A (old) or ceil(L / A) (>= 4.52), 1)
            U = Math.Max(i.Rounding == StepsPerEpochRounding.Ceil ? CeilDiv(L.Value, A) : L.Value / A, 1);
            partial = L.Value % A;
        }

        long? S = null; double? epochs = null; long? loop = null;
        if (i.MaxSteps > 0)
        {
            S = i.MaxSteps;
            if (U is long u)
            {
                epochs = (double)S.Value / u;
                loop = CeilDiv(S.Value, u);
            }
        }
        else if (U is long u)
        {
            if (i.Estimator == RunLengthEstimator.Axolotl)
            {
                // axolotl utils/trainer.py calculate_total_num_steps (no packing): ceil(N x epochs / (B x A x W)).
                S = Math.Max(1L, (long)Math.Ceiling(i.DatasetSize!.Value * i.NumTrainEpochs / (double)(i.PerDeviceBatch * A * W) - 1e-9));
                epochs = (double)S.Value / u;
                loop = CeilDiv(S.Value, u);
            }
            else
            {
                S = (long)Math.Ceiling(i.NumTrainEpochs * u - 1e-9);
                epochs = i.NumTrainEpochs;
                loop = (long)Math.Ceiling(i.NumTrainEpochs - 1e-12);
            }
        }

        long? samples = null;
        if (S is long steps && U is long uu && L is long ll && i.DatasetSize is long nn)
            samples = SamplesOver(steps, uu, ll, A, b, W, nn, i.DropLast, i.Rounding);

        long? warm = null;
        if (S is long total)
        {
            if (i.V5)
                warm = i.WarmupSteps >= 1 ? (long)i.WarmupSteps : (long)Math.Ceiling(total * i.WarmupSteps);
            else
                warm = i.WarmupSteps > 0 ? (long)i.WarmupSteps : (long)Math.Ceiling(total * i.WarmupRatio);
        }

        return sched with
        {
            Batches = nb, MicroBatchesPerEpoch = L, StepsPerEpoch = U, TotalSteps = S, Epochs = epochs,
            EpochLoopBound = loop, Samples = samples, WarmupSteps = warm, PartialWindowMicroBatches = partial,
        };
    }

    /// <summary>
    /// Samples processed by S optimizer steps. Each micro-batch holds b samples per process, except the last of an
    /// epoch on one process without drop_last (N - (nb-1) b); across W &gt; 1 processes even_batches pads every batch to b.
    /// </summary>
    private static long SamplesOver(long steps, long u, long l, long a, long b, long w, long n, bool dropLast, StepsPerEpochRounding rounding)
    {
        long epochSamples = w == 1 ? (dropLast ? l * b : n) : l * b * w;
        long MicroSamples(long micro) => micro >= l ? epochSamples : micro * b * w;

        if (rounding == StepsPerEpochRounding.Ceil)
        {
            long full = steps / u, rem = steps % u;
            return full * epochSamples + MicroSamples(Math.Min(rem * a, l));
        }
        // Older releases: micro-batches flow on across epoch ends (leftovers roll into the next epoch).
        long micros = steps * a;
        long fullEpochs = micros / l, restMicros = micros % l;
        return fullEpochs * epochSamples + MicroSamples(restMicros);
    }
}
