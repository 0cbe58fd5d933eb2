using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Stepwise.Core.Packing;

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

public static class Schedules
{
    public static string Num(double d, int decimals = 2) => d.ToString("N" + decimals, CultureInfo.InvariantCulture);
    public static string Num(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>
    /// Epochs to two decimals: 2.46, 7.94; a value that is exact at one decimal drops the second zero (4.0, 2.5), one that
    /// only rounds to it keeps both (0.503 is "0.50", not "0.5", so a reader does not take it for exactly half an epoch).
    /// </summary>
    public static string Epochs(double e)
    {
        var s = e.ToString("0.00", CultureInfo.InvariantCulture);
        bool exact = Math.Abs(e * 10 - Math.Round(e * 10)) < 1e-9;
        if (exact && s.EndsWith("0", StringComparison.Ordinal)) s = s.Substring(0, s.Length - 1);
        return s;
    }

    /// <summary>Three decimals for the derivation (trainer_state.json keeps the full float).</summary>
    public static string EpochsPrecise(double e) => e.ToString("0.###", CultureInfo.InvariantCulture) is var s && s.Contains(".") ? s : s + ".0";

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
        if (i.StepsUnknown is not null)
        {
            // Packed with unknown rows: nothing per epoch is known (max_steps alone may still fix the total below).
        }
        else if (i.SamplerBatches is long sb && sb >= 0)
        {
            nb = sb;
            // accelerate BatchSamplerShard.__len__: the batch sampler's drop_last (True for axolotl's multipack) floors.
            L = W == 1 ? sb : sb / W;
            U = Math.Max(i.Rounding == StepsPerEpochRounding.Ceil ? CeilDiv(L.Value, A) : L.Value / A, 1);
            partial = L.Value % A;
        }
        else if (i.DatasetSize is long n && n >= 0)
        {
            nb = i.DropLast ? n / b : CeilDiv(n, b);
            // accelerate BatchSamplerShard.__len__: even_batches pads to a multiple of W (floor with drop_last).
            L = W == 1 ? nb : (i.DropLast ? nb / W : CeilDiv(nb.Value, W));
            // transformers set_initial_training_values: num_update_steps_per_epoch = max(ceil(L / A), 1) (>= 4.52),
            // max(L // A, 1) before. An empty dataloader (L = 0) still plans one step per epoch.
            U = Math.Max(i.Rounding == StepsPerEpochRounding.Ceil ? CeilDiv(L.Value, A) : L.Value / A, 1);
            partial = L.Value % A;
        }

        // The steps the run is planned for (TrainingArguments max_steps as the Trainer ends up with it).
        long? planned = null; long? loop = null;
        if (i.MaxSteps > 0)
        {
            planned = i.MaxSteps;
            if (U is long u) loop = CeilDiv(planned.Value, u);
        }
        else if (i.ToolSteps is long ts && ts > 0 && U is long ut)
        {
            planned = ts;
            loop = CeilDiv(ts, ut);
        }
        else if (U is long u)
        {
            if (i.Estimator == RunLengthEstimator.Axolotl && i.SamplerBatches is null)
            {
                // axolotl utils/trainer.py calculate_total_num_steps (no packing): ceil(N x epochs / batch_size), with
                // batch_size = micro_batch_size x accumulation x world size; it passes that as max_steps.
                planned = AxolotlTotalSteps(i, A, W);
                loop = CeilDiv(planned.Value, u);
            }
            else
            {
                planned = (long)Math.Ceiling(i.NumTrainEpochs * u - 1e-9);
                loop = (long)Math.Ceiling(i.NumTrainEpochs - 1e-12);
            }
        }

        long? S = planned; double? epochs = null; long? finalEpoch = null, finalMicro = null, samples = null;
        if (planned is long p && L is long l && U is long uu && i.DatasetSize is long nn)
        {
            if (l == 0)
            {
                // Trainer._inner_training_loop: the epoch iterator yields nothing (step stays -1), so it warns "There seems
                // not to be a single sample in your epoch_iterator" and stops at global_step 0 (with max_steps; without
                // it set_initial_training_values raises before the loop).
                S = 0; epochs = 0; finalEpoch = 0; finalMicro = 0; samples = 0;
            }
            else
            {
                var at = Position(i.Loop, p, l, uu, A, nn);
                S = at.Steps; epochs = at.Epochs; finalEpoch = at.EpochIndex; finalMicro = at.MicroBatches;
                // A packing sampler's micro-batches hold bins, not b examples: no sample count.
                samples = i.SamplerBatches is null ? SamplesOver(at, l, b, W, nn, i.DropLast, loop ?? 1) : null;
            }
        }
        else if (planned is long p2 && L is null)
        {
            S = p2;
        }

        long? warm = null;
        if (i.Estimator == RunLengthEstimator.Axolotl)
        {
            if (S is not null) warm = AxolotlWarmup(i);
        }
        else if (S is long total)
        {
            if (i.V5)
                warm = i.WarmupSteps >= 1 ? (long)i.WarmupSteps : (long)Math.Ceiling(total * i.WarmupSteps);
            else
                warm = i.WarmupSteps > 0 ? (long)i.WarmupSteps : (long)Math.Ceiling(total * i.WarmupRatio);
        }

        return sched with
        {
            Batches = nb, MicroBatchesPerEpoch = L, StepsPerEpoch = U, TotalSteps = S, Epochs = epochs,
            FinalEpochIndex = finalEpoch, FinalEpochMicroBatches = finalMicro,
            EpochLoopBound = loop, Samples = samples, WarmupSteps = warm, PartialWindowMicroBatches = partial,
        };
    }

    /// <summary>
    /// axolotl utils/trainer.py calculate_total_num_steps without packing: ceil(N x epochs / batch_size), with batch_size
    /// = micro_batch_size x accumulation x world size (at least 1). axolotl passes it to the Trainer as max_steps.
    /// </summary>
    private static long AxolotlTotalSteps(ScheduleInputs i, long A, long W) =>
        Math.Max(1L, (long)Math.Ceiling(i.DatasetSize!.Value * i.NumTrainEpochs / (double)(i.PerDeviceBatch * A * W) - 1e-9));

    /// <summary>
    /// The warm-up axolotl hands the Trainer (core/builders/base.py _configure_warmup_and_logging at v0.15.0 through
    /// v0.18.0; v0.8.0 had the same arithmetic, v0.12.0 read a stated 0 as unset): a stated warmup_steps as is; else a stated warmup_ratio as max(int(ratio x total), 0); else
    /// min(int(0.03 x total), 100); a result of 1 becomes 2. "total" is axolotl's own total_num_steps, capped by max_steps
    /// when that is set (utils/data/sft.py). It passes only warmup_steps, never warmup_ratio, so the Trainer uses this
    /// count in every transformers release. Unknown (null) when the total needs a dataset size that is not known.
    /// </summary>
    private static long? AxolotlWarmup(ScheduleInputs i)
    {
        long? warm;
        if (i.StatedWarmupSteps is double stated) warm = (long)stated;
        else
        {
            // Packed: axolotl's total is its packed estimate (ToolSteps, when known); unpacked: ceil(N x epochs / batch).
            long? total = i.StepsUnknown is not null || i.SamplerBatches is not null ? (i.ToolSteps is long ts && ts > 0 ? ts : null)
                : i.DatasetSize is null ? null : AxolotlTotalSteps(i, i.GradientAccumulation, i.WorldSize);
            if (i.MaxSteps > 0) total = total is long t ? Math.Min(t, i.MaxSteps) : null;
            if (total is not long n) return null;
            warm = i.StatedWarmupRatio is double ratio ? Math.Max((long)(ratio * n), 0) : Math.Min((long)(0.03 * n), 100);
        }
        return warm == 1 ? 2 : warm;
    }

    /// <summary>
    /// One schedule for the outcomes of a shuffled packing (the same run at each end of the range): a number that is the
    /// same in all of them stays, one that differs becomes null and its range goes to <see cref="Schedule.Spread"/>.
    /// </summary>
    public static Schedule Combine(IReadOnlyList<Schedule> outcomes)
    {
        if (outcomes.Count == 0) throw new ArgumentException("no outcome", nameof(outcomes));
        var first = outcomes[0];
        if (outcomes.Count == 1) return first;
        static CountRange? Range(IEnumerable<long?> values)
        {
            var list = values.ToList();
            if (list.Any(v => v is null)) return null;
            return new CountRange(list.Min(v => v!.Value), list.Max(v => v!.Value));
        }
        static long? Same(IEnumerable<long?> values) { var l = values.Distinct().ToList(); return l.Count == 1 ? l[0] : null; }
        var total = Range(outcomes.Select(o => o.TotalSteps));
        var perEpoch = Range(outcomes.Select(o => o.StepsPerEpoch));
        var micro = Range(outcomes.Select(o => o.MicroBatchesPerEpoch));
        var warm = Range(outcomes.Select(o => o.WarmupSteps));
        var epochs = outcomes.Select(o => o.Epochs).ToList();
        bool epochsKnown = epochs.All(e => e is not null);
        double? eLow = epochsKnown ? epochs.Min() : null, eHigh = epochsKnown ? epochs.Max() : null;
        bool sameEpochs = epochsKnown && Math.Abs(eHigh!.Value - eLow!.Value) < 1e-12;
        bool differs = total is { IsExact: false } || perEpoch is { IsExact: false } || micro is { IsExact: false } || !sameEpochs || warm is { IsExact: false };
        return first with
        {
            Batches = Same(outcomes.Select(o => o.Batches)),
            MicroBatchesPerEpoch = Same(outcomes.Select(o => o.MicroBatchesPerEpoch)),
            StepsPerEpoch = Same(outcomes.Select(o => o.StepsPerEpoch)),
            TotalSteps = Same(outcomes.Select(o => o.TotalSteps)),
            Epochs = sameEpochs ? eLow : null,
            FinalEpochIndex = Same(outcomes.Select(o => o.FinalEpochIndex)),
            FinalEpochMicroBatches = Same(outcomes.Select(o => o.FinalEpochMicroBatches)),
            EpochLoopBound = Same(outcomes.Select(o => o.EpochLoopBound)),
            Samples = Same(outcomes.Select(o => o.Samples)),
            WarmupSteps = Same(outcomes.Select(o => o.WarmupSteps)),
            PartialWindowMicroBatches = Same(outcomes.Select(o => o.PartialWindowMicroBatches)),
            Spread = differs ? new ScheduleSpread(total, perEpoch, micro, eLow, eHigh, warm) : null,
        };
    }

    /// <summary>Where the run is after its last optimizer step.</summary>
    internal readonly struct RunPosition
    {
        public RunPosition(long steps, long epochIndex, long microBatches, long l, long consumedPerEpoch)
        {
            Steps = steps; EpochIndex = epochIndex; MicroBatches = microBatches; L = l; ConsumedPerEpoch = consumedPerEpoch;
        }

        /// <summary>Optimizer steps actually made (fewer than planned only in the 4.46-4.51 loop's dead end).</summary>
        public long Steps { get; }
        /// <summary>0-based epoch of the last step.</summary>
        public long EpochIndex { get; }
        /// <summary>Micro-batches of that epoch consumed at the last step.</summary>
        public long MicroBatches { get; }
        public long L { get; }
        /// <summary>Micro-batches a whole epoch consumes (L, except in the 4.46-4.51 loop).</summary>
        public long ConsumedPerEpoch { get; }
        /// <summary>trainer_state.json's epoch: epoch_index + (step_in_epoch + 1) / len(dataloader).</summary>
        public double Epochs => EpochIndex + (double)MicroBatches / L;
    }

    /// <summary>
    /// The position of the <paramref name="steps"/>-th optimizer step, by the loop of the release (L &gt;= 1):
    /// in which epoch it falls and after how many of that epoch's micro-batches.
    /// </summary>
    internal static RunPosition Position(TrainerLoop loop, long steps, long l, long u, long a, long n)
    {
        if (steps <= 0) return new RunPosition(0, 0, 0, l, l);
        switch (loop)
        {
            case TrainerLoop.Current:
            {
                // _inner_training_loop (>= 4.52): per epoch U = ceil(L / A) windows; window j (1-based) ends after
                // min(j x A, L) micro-batches, and the step sets epoch = epoch_index + (step + 1) / steps_in_epoch.
                long k = (steps - 1) / u, r = steps - k * u;
                return new RunPosition(steps, k, Math.Min(r * a, l), l, l);
            }
            case TrainerLoop.PrefetchWindows:
            {
                // 4.46-4.51: total_updates = L // A + 1 windows (L when A = 1); all take A batches but the last, which takes
                // num_examples % A (A when 0). A step follows micro-batch m when m % A == 0 or m == L. Batches the last
                // window does not fetch are never seen that epoch; its gradients wait for the next epoch's first step.
                long consumed, perEpoch;
                if (a == 1) { consumed = l; perEpoch = l; }
                else
                {
                    long rem = n % a == 0 ? a : n % a;
                    consumed = Math.Min(l, l / a * a + rem);
                    perEpoch = consumed / a + (consumed == l && l % a != 0 ? 1 : 0);
                }
                // A window that never reaches a step boundary (L < A and num_examples % A < L): no step is ever made.
                if (perEpoch == 0) return new RunPosition(0, 0, 0, l, consumed);
                long k = (steps - 1) / perEpoch, r = steps - k * perEpoch;
                return new RunPosition(steps, k, Math.Min(r * a, consumed), l, consumed);
            }
            default:
            {
                // < 4.46: a step at every running micro-batch count m with m % A == 0, and at an epoch's last batch when
                // the epoch has no more than A (is_last_step_and_steps_less_than_grad_acc). epoch = m / L.
                long m;
                if (l > a) m = steps * a;
                else
                {
                    // Steps up to count m: m / A + m / L - m / lcm(A, L) (an epoch end that is also a multiple of A steps once).
                    long lcm = a / Gcd(a, l) * l;
                    long StepsUpTo(long x) => x / a + x / l - x / lcm;
                    long lo = 1, hi = steps * l;
                    while (lo < hi)
                    {
                        long mid = lo + (hi - lo) / 2;
                        if (StepsUpTo(mid) >= steps) hi = mid; else lo = mid + 1;
                    }
                    m = lo;
                }
                long k = (m - 1) / l;
                return new RunPosition(steps, k, m - k * l, l, l);
            }
        }
    }

    private static long Gcd(long x, long y) { while (y != 0) { var t = x % y; x = y; y = t; } return x; }

    /// <summary>
    /// Samples processed up to the last step: whole epochs before the final one, then the final epoch's consumed
    /// micro-batches. Each micro-batch holds b samples per process, except the last of an epoch on one process without
    /// drop_last (N - (nb-1) b); across W &gt; 1 processes even_batches pads every batch to b.
    /// </summary>
    private static long SamplesOver(RunPosition at, long l, long b, long w, long n, bool dropLast, long loopBound)
    {
        long epochSamples = w == 1 ? (dropLast ? l * b : n) : l * b * w;
        long MicroSamples(long micro) => micro >= l ? epochSamples : micro * b * w;
        // The 4.46-4.51 dead end: no step, but every epoch of the loop still runs its consumed batches.
        if (at.Steps == 0) return loopBound * MicroSamples(at.ConsumedPerEpoch);
        return at.EpochIndex * MicroSamples(at.ConsumedPerEpoch) + MicroSamples(at.MicroBatches);
    }
}
