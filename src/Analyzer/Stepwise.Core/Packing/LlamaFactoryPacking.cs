using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Stepwise.Core.Arithmetic;

namespace Stepwise.Core.Packing;

/// <summary>
/// LLaMA-Factory's rows from token lengths: invalid and lengthy examples dropped, the validation split (before packing
/// from 0.9.4, after it in 0.9.3), and packing / neat_packing's greedy knapsack per preprocessing batch.
/// </summary>
internal static class LlamaFactoryPacking
{
    internal static PackingPlan Plan(PackingSettings s, TokenLengths t, PlanBatch batch)
    {
        var notes = new List<string>();
        int cutoff = s.SequenceLength ?? 2048;
        var rows = new List<int>(t.Count);
        long invalid = 0;
        for (int i = 0; i < t.Count; i++) if (t.Lengths[i] >= 0) rows.Add(i); else invalid++;
        if (invalid > 0) notes.Add($"{Schedules.Num(invalid)} records are dropped as invalid examples while tokenizing");
        long val = LengthPlanner.ValRows(batch.ValSplit, t.Count);
        if (!s.Packed)
        {
            // v0.9.4+ splits the records (data/data_utils.py split_dataset) before preprocessing drops the invalid ones, so
            // with both a split and invalid records, how many of them the training part holds depends on the shuffle.
            long? unpacked = val == 0 || invalid == 0 ? t.Count - val - (val == 0 ? invalid : 0)
                : s.Version < new ToolVersion(0, 9, 4) ? rows.Count - LengthPlanner.ValRows(batch.ValSplit, rows.Count) : null;
            if (unpacked is null) notes.Add($"{Schedules.Num(invalid)} invalid records fall into the training or the validation part by the split's shuffle");
            if (s.GroupByLength) notes.Add("group_by_length orders the batches by length; it does not change how many there are");
            return new PackingPlan { Settings = s, Examples = unpacked, Notes = notes };
        }
        if (s.NotModelled is { } nm)
            return new PackingPlan { Settings = s, Notes = notes, Unknown = $"packed ({s.Switch}), and {nm}", KnownBy = "max_steps, which fixes the steps (the epochs stay unknown)" };

        // hparams/data_args.py __post_init__: packing lowers cutoff_len by one, which is the knapsack's capacity and the
        // truncation length the lengths already carry. supervised.py drops an example longer than it ("Dropped lengthy").
        int capacity = cutoff - 1;
        long lengthy = 0;
        long Count(IReadOnlyList<int> order, out long tokens, out long dropped)
        {
            long total = 0, tok = 0, drop = 0;
            foreach (var (start, count) in Packers.MapBatches(order.Count, s.PreprocessingBatchSize, s.NumProc))
            {
                var batchLengths = new List<int>(count);
                for (int k = start; k < start + count; k++)
                {
                    int len = t.Lengths[order[k]];
                    if (len < 0) continue;
                    if (len > capacity) { drop++; continue; }
                    batchLengths.Add(len); tok += len;
                }
                total += Packers.GreedyKnapsack(batchLengths, capacity).Count;
            }
            tokens = tok; dropped = drop;
            return total;
        }

        notes.Add($"packing: {s.Describe()} fills each preprocessing batch of {Schedules.Num(s.PreprocessingBatchSize ?? 0)} records{(s.NumProc is > 1 ? $" (of each of the {s.NumProc} preprocessing_num_workers shards)" : "")} into sequences of {LengthPlanner.LengthText(s)}, longest example that fits first");
        var all = Enumerable.Range(0, t.Count).ToArray();
        CountRange sequences;
        long tokens, examples;
        int simulations = 0;
        if (s.Version < new ToolVersion(0, 9, 4))
        {
            // v0.9.3 data/loader.py get_dataset: preprocess (pack) first, then split_dataset splits the packed rows.
            long packed = Count(all, out tokens, out lengthy);
            long packedVal = LengthPlanner.ValRows(batch.ValSplit, packed);
            sequences = CountRange.Exact(packed - packedVal);
            examples = rows.Count - lengthy;
            if (packedVal > 0) notes.Add($"val_size {batch.ValSplit.ToString(CultureInfo.InvariantCulture)} takes {Schedules.Num(packedVal)} of the {Schedules.Num(packed)} packed sequences (LLaMA-Factory 0.9.3 splits after packing)");
        }
        else if (val == 0)
        {
            sequences = CountRange.Exact(Count(all, out tokens, out lengthy));
            examples = rows.Count - lengthy;
        }
        else
        {
            // v0.9.4+: split_dataset first: train_test_split (shuffled, numpy seed) keeps a random train subset in a random
            // order, and packing runs over that: simulated.
            var rng = new SplitMix64(0x5eed_0003);
            long lo = long.MaxValue, hi = long.MinValue;
            tokens = 0; examples = 0;
            for (int trial = 0; trial < LengthPlanner.SimulatedTrials; trial++)
            {
                var order = (int[])all.Clone();
                rng.Shuffle(order);
                var trainOrder = new ArraySegment<int>(order, (int)val, (int)(t.Count - val));
                long c = Count(trainOrder, out tokens, out lengthy);
                examples = trainOrder.Count(i => t.Lengths[i] >= 0) - lengthy;
                lo = Math.Min(lo, c); hi = Math.Max(hi, c); simulations++;
            }
            sequences = new CountRange(lo, hi);
            notes.Add($"val_size {batch.ValSplit.ToString(CultureInfo.InvariantCulture)} holds out {Schedules.Num(val)} records drawn by a shuffle before packing: {LengthPlanner.SimulatedTrials} simulated splits give {sequences} sequences");
        }
        if (lengthy > 0) notes.Add($"{Schedules.Num(lengthy)} examples longer than {Schedules.Num(capacity)} tokens are dropped");
        notes.Add($"{Schedules.Num(examples)} examples ({Schedules.Num(tokens)} tokens) -> {sequences} packed sequences");
        return new PackingPlan { Settings = s, Examples = examples, Tokens = tokens, Sequences = sequences, Simulations = simulations, Notes = notes };
    }
}
