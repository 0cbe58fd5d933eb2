using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Stepwise.Core.Packing;

namespace Stepwise.Core.Arithmetic;

/// <summary>
/// The step arithmetic: <see cref="Compute"/> turns <see cref="ScheduleInputs"/> into a <see cref="Schedule"/> the way
/// transformers' Trainer plans and walks a run (and axolotl's own warm-up), <see cref="Combine"/> merges the outcomes of
/// several dataset sizes, and the number formats every message uses.
/// </summary>
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
