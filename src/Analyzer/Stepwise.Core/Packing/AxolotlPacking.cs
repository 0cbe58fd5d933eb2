using System;
using System.Collections.Generic;
using System.Globalization;
using Stepwise.Core.Arithmetic;

namespace Stepwise.Core.Packing;

/// <summary>
/// axolotl's rows and steps from token lengths (v0.18.0): its length filters, the validation split, multipack's bins
/// (first fit in groups, or next fit) over the shuffles its sampler draws, and calculate_total_num_steps.
/// </summary>
public static class AxolotlPacking
{
    internal static PackingPlan Plan(PackingSettings s, TokenLengths t, PlanBatch batch)
    {
        int seq = s.SequenceLength ?? 2048;
        var notes = new List<string>();
        // utils/data/utils.py handle_long_seq_in_dataset (v0.18.0): "drop" (default) and "raise" keep
        // min_sample_len <= length <= sequence_len (filter_sequences_by_length; "raise" raises instead of dropping a long
        // one); "truncate" drops the short ones (keep_min_len) and cuts the rest to sequence_len.
        var kept = new List<int>(t.Count);
        var keptLengths = new List<int>(t.Count);
        long tooLong = 0, tooShort = 0, invalid = 0, noLabels = 0, truncated = 0;
        for (int i = 0; i < t.Count; i++)
        {
            int len = t.Lengths[i];
            if (len < 0) { invalid++; continue; }
            if (len < s.MinSampleLength) { tooShort++; continue; }
            if (len > seq)
            {
                if (s.ExcessLength == "truncate") { truncated++; len = seq; }
                else { tooLong++; continue; }
            }
            // utils/trainer.py process_datasets_for_packing: with sample_packing, drop_no_trainable_tokens removes examples
            // whose labels are all -100.
            if (s.Packed && t.TrainsWithin(i, 0, len) == false) { noLabels++; continue; }
            kept.Add(i); keptLengths.Add(len);
        }
        if (invalid > 0) notes.Add($"{Schedules.Num(invalid)} records give no example when tokenized");
        if (s.ExcessLength == "raise" && tooLong > 0)
            return new PackingPlan
            {
                Settings = s, Examples = null, Notes = notes,
                Refusal = $"excess_length_strategy: raise and {Schedules.Num(tooLong)} examples are longer than {s.SequenceKey} {Schedules.Num(seq)} tokens: axolotl raises \"Sequence encountered with ... tokens, which exceeds the maximum {seq}\" while preparing the data",
                Unknown = "axolotl stops while preparing the data", KnownBy = $"a larger {s.SequenceKey}, or excess_length_strategy: drop / truncate",
            };
        if (tooLong > 0) notes.Add($"{Schedules.Num(tooLong)} examples longer than {s.SequenceKey} {Schedules.Num(seq)} tokens are dropped (excess_length_strategy: drop)");
        if (truncated > 0) notes.Add($"{Schedules.Num(truncated)} examples are cut to {Schedules.Num(seq)} tokens (excess_length_strategy: truncate)");
        if (tooShort > 0) notes.Add($"{Schedules.Num(tooShort)} examples shorter than min_sample_len {s.MinSampleLength} are dropped");
        if (noLabels > 0) notes.Add($"{Schedules.Num(noLabels)} examples with no trained token are dropped (sample_packing)");
        if (s.Packed && !t.HasLabels) notes.Add("labels not counted: examples without a trained token (which sample_packing drops) are assumed to be none");

        // utils/data/sft.py _handle_train_dataset_split: the split comes after the filters; shared.py
        // create_train_validation_split takes the last rows of the (merged, shuffled unless curriculum_sampling) dataset.
        long n = kept.Count;
        long val = LengthPlanner.ValRows(batch.ValSplit, n);
        long train = n - val;
        if (val > 0) notes.Add($"val_set_size {batch.ValSplit.ToString(CultureInfo.InvariantCulture)} takes {Schedules.Num(val)} of the {Schedules.Num(n)} kept examples for evaluation");
        bool shuffledSplit = val > 0 && !s.Curriculum && s.ShuffleMerged;
        if (!s.Packed)
        {
            long tokens0 = 0;
            if (!shuffledSplit) for (int i = 0; i < train; i++) tokens0 += keptLengths[i];
            if (s.GroupByLength) notes.Add("group_by_length orders the batches by length; it does not change how many there are");
            return new PackingPlan { Settings = s, Examples = train, Tokens = shuffledSplit ? null : tokens0, Notes = notes };
        }
        if (s.NotModelled is { } nm)
            return new PackingPlan { Settings = s, Examples = train, Notes = notes, Unknown = $"packed ({s.Switch}), and {nm}", KnownBy = "max_steps, which fixes the steps (the epochs stay unknown)" };

        bool real = s.Strategy == PackingStrategy.MultipackRealBatches;
        long mbs = batch.MicroBatch;
        var batchSizeBig = (System.Numerics.BigInteger)(batch.BatchSizeWritten ?? mbs * (System.Numerics.BigInteger)batch.Accumulation) * batch.WorldSize;
        if (mbs <= 0 || batchSizeBig <= 0 || batchSizeBig > long.MaxValue || double.IsNaN(batch.NumEpochs) || double.IsInfinity(batch.NumEpochs) || batch.NumEpochs > 1e12)
            return new PackingPlan { Settings = s, Examples = train, Notes = notes, Unknown = "the batch settings or num_epochs give no step count (see the findings)", KnownBy = "valid batch settings" };
        int capacity = (int)System.Numerics.BigInteger.Min(int.MaxValue, real ? seq : (System.Numerics.BigInteger)mbs * seq);
        long perBatch = real ? mbs : 1;
        long batchSize = (long)batchSizeBig;
        notes.Add(real
            ? $"multipack with real batches ({(s.Switch.Length > 0 ? "multipack_real_batches, or an attention without varlen packing" : "")}): bins of {Schedules.Num(seq)} tokens, {mbs} bins per micro-batch, an incomplete last batch dropped"
            : $"multipack: each micro-batch is one bin of micro_batch_size x {s.SequenceKey} = {mbs} x {Schedules.Num(seq)} = {Schedules.Num(capacity)} tokens, at most {s.BinSize} examples (sample_packing_bin_size)");

        // How many bins one pass of the sampler makes, for a given training order.
        long BinsOf(int[] order)
        {
            long bins = 0;
            if (s.Sequentially) return Packers.NextFit(order, keptLengths, capacity).Count;
            // multipack.py pack_parallel: groups of sample_packing_group_size packed independently, bins concatenated.
            for (int g = 0; g < order.Length; g += s.GroupSize)
            {
                int len = Math.Min(s.GroupSize, order.Length - g);
                bins += Packers.FirstFit(new ArraySegment<int>(order, g, len), keptLengths, capacity, s.BinSize).Count;
            }
            return bins;
        }
        long BatchesOf(long bins) => real ? bins / mbs : bins;

        long totalTokens = 0;
        CountRange samplerBatches;
        int simulations = 0;
        if (s.Curriculum)
        {
            // curriculum_sampling: no shuffle when merging and a SequentialSampler: the kept examples in order, the split
            // taking the last ones.
            var order = new int[train];
            for (int i = 0; i < train; i++) { order[i] = i; totalTokens += keptLengths[i]; }
            samplerBatches = CountRange.Exact(BatchesOf(BinsOf(order)));
            notes.Add($"curriculum_sampling: the examples in dataset order, {(s.Sequentially ? "next fit (sample_packing_sequentially)" : "first fit")}: {samplerBatches} batches per epoch");
        }
        else
        {
            // core/trainers/base.py _get_train_sampler: a RandomSampler under the MultipackBatchSampler. Its __len__ packs
            // num_count_samples (4; 1 when WORLD_SIZE >= 4) fresh shuffles and keeps the fewest batches, then the fewest
            // over the ranks (gather_len_batches). The shuffle is torch's, so Stepwise simulates it.
            long draws = batch.WorldSize >= 4 ? batch.WorldSize : 4 * batch.WorldSize;
            int drawsSimulated = (int)Math.Min(draws, 8);
            var rng = new SplitMix64(0x5eed_0001);
            long lo = long.MaxValue, hi = long.MinValue;
            int[] trainIdx = new int[train];
            for (int trial = 0; trial < LengthPlanner.SimulatedTrials; trial++)
            {
                if (shuffledSplit || trial == 0)
                {
                    // The merge shuffle (datasets' numpy permutation, seed cfg.seed) decides which examples the split keeps.
                    var all = new int[n];
                    for (int i = 0; i < n; i++) all[i] = i;
                    if (shuffledSplit) rng.Shuffle(all);
                    Array.Copy(all, trainIdx, train);
                    if (trial == 0) foreach (var i in trainIdx) totalTokens += keptLengths[i];
                }
                long best = long.MaxValue;
                for (int d = 0; d < drawsSimulated; d++)
                {
                    var order = (int[])trainIdx.Clone();
                    rng.Shuffle(order);
                    best = Math.Min(best, BatchesOf(BinsOf(order)));
                }
                lo = Math.Min(lo, best); hi = Math.Max(hi, best);
                simulations++;
            }
            samplerBatches = new CountRange(lo, hi);
            notes.Add($"axolotl packs a fresh random shuffle and keeps the fewest batches of {draws} packings (num_count_samples, across {batch.WorldSize} process{(batch.WorldSize == 1 ? "" : "es")}): " +
                $"{LengthPlanner.SimulatedTrials} simulated runs{(drawsSimulated < draws ? $" of {drawsSimulated} packings" : "")} give {samplerBatches} batches per epoch" +
                (shuffledSplit ? " (the validation split is drawn again in each)" : ""));
        }
        CountRange toolSteps;
        if (s.EfficiencyEstimate is double eff)
        {
            // utils/trainer.py calculate_total_num_steps with sample_packing_eff_est set:
            // int(floor(0.99 * total_num_tokens / eff / sequence_len // batch_size) - 1) * num_epochs.
            double estimate = EstimatedSteps(totalTokens, eff, seq, batchSize, batch.NumEpochs);
            var formula = $"(floor(0.99 x {Schedules.Num(totalTokens)} tokens / {eff.ToString(CultureInfo.InvariantCulture)} / {Schedules.Num(seq)} // {batchSize}) - 1) x {Schedules.Epochs(batch.NumEpochs)}";
            if (Math.Abs(estimate - Math.Round(estimate)) > 1e-9 || shuffledSplit)
                return new PackingPlan
                {
                    Settings = s, Examples = train, Tokens = totalTokens, SamplerBatches = samplerBatches, Simulations = simulations, Notes = notes,
                    Unknown = shuffledSplit
                        ? "sample_packing_eff_est counts the tokens of the training split, which a shuffle draws"
                        : $"sample_packing_eff_est gives a fractional max_steps: {formula} = {estimate.ToString("0.###", CultureInfo.InvariantCulture)}",
                    KnownBy = "max_steps, or a whole num_epochs",
                };
            long steps = (long)Math.Round(estimate);
            toolSteps = CountRange.Exact(steps);
            notes.Add($"total steps (axolotl, sample_packing_eff_est {eff.ToString(CultureInfo.InvariantCulture)}) = {formula} = {Schedules.Num(steps)}");
        }
        else
        {
            // calculate_total_num_steps: data_loader_len = max(1, len(sampler) * micro_batch_size // batch_size),
            // total = floor(data_loader_len * num_epochs), less ceil(num_epochs) with dataloader_drop_last.
            long StepsOf(long nb)
            {
                long loaderLen = Math.Max(1, (long)((System.Numerics.BigInteger)nb * mbs / batchSize));
                long total = (long)Math.Floor(loaderLen * batch.NumEpochs + 1e-9);
                if (batch.DropLast) total -= (long)Math.Ceiling(batch.NumEpochs - 1e-12);
                return total;
            }
            toolSteps = samplerBatches.Map(StepsOf);
            notes.Add($"total steps (axolotl, passed as max_steps) = floor(max(1, {samplerBatches} x {mbs} // {batchSize}) x {Schedules.Epochs(batch.NumEpochs)}){(batch.DropLast ? $" - {Math.Ceiling(batch.NumEpochs - 1e-12)} (dataloader_drop_last)" : "")} = {toolSteps}");
        }
        return new PackingPlan
        {
            Settings = s, Examples = train, Tokens = totalTokens, SamplerBatches = samplerBatches, ToolSteps = toolSteps,
            Simulations = simulations, Notes = notes,
        };
    }

    /// <summary>
    /// axolotl's estimate with sample_packing_eff_est, in Python's float arithmetic: (0.99 * tokens / eff / seq) // bs is a
    /// float floor division (Objects/floatobject.c float_floor_div), then floor, minus one, times num_epochs.
    /// </summary>
    public static double EstimatedSteps(long tokens, double eff, int seq, long batchSize, double epochs)
    {
        double x = 0.99 * tokens / eff / seq;
        double q = PyFloorDiv(x, batchSize);
        return (Math.Floor(q) - 1) * epochs;
    }

    /// <summary>CPython float_floor_div: (x - fmod(x, y)) / y, corrected toward floor.</summary>
    public static double PyFloorDiv(double x, double y)
    {
        double mod = x % y;   // C fmod: the sign of x
        double div = (x - mod) / y;
        if (mod != 0 && (y < 0) != (mod < 0)) { mod += y; div -= 1.0; }
        double floordiv;
        if (div != 0)
        {
            floordiv = Math.Floor(div);
            if (div - floordiv > 0.5) floordiv += 1.0;
        }
        else floordiv = 0.0 * (x / y);
        return floordiv;
    }
}
