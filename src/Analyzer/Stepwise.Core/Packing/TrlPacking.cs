using System;
using System.Collections.Generic;
using Stepwise.Core.Arithmetic;

namespace Stepwise.Core.Packing;

/// <summary>
/// TRL's SFTTrainer rows from token lengths: without packing, the examples truncation leaves a trained token (1.9);
/// with packing, each map batch of 1,000 rows packed by bfd / bfd_split / wrapped, after the shuffle it may draw.
/// </summary>
internal static class TrlPacking
{
    internal static PackingPlan Plan(PackingSettings s, TokenLengths t)
    {
        var notes = new List<string>();
        var rows = new List<int>(t.Count);
        for (int i = 0; i < t.Count; i++) if (t.Lengths[i] >= 0) rows.Add(i);
        if (rows.Count < t.Count) notes.Add($"{Schedules.Num(t.Count - rows.Count)} records give no example when tokenized");
        if (!s.Packed)
        {
            long examples = rows.Count;
            // trl/trainer/sft_trainer.py _prepare_dataset (v1.9.0): without packing, truncate to max_length and drop the
            // examples truncation left with no trained label ("Dropping fully masked examples").
            if (s.Version >= new ToolVersion(1, 9) && s.SequenceLength is int max)
            {
                if (t.HasLabels)
                {
                    long dropped = 0;
                    foreach (var i in rows)
                    {
                        int len = t.Lengths[i];
                        bool keeps = s.TruncationMode == "keep_end" ? t.TrainsWithin(i, Math.Max(0, len - max), len) != false : t.TrainsWithin(i, 0, Math.Min(len, max)) != false;
                        if (!keeps) dropped++;
                    }
                    examples -= dropped;
                    if (dropped > 0) notes.Add($"{Schedules.Num(dropped)} examples have no trained token left after truncation to max_length {Schedules.Num(max)} and are dropped (TRL 1.9)");
                }
                else notes.Add($"labels not counted: examples whose trained tokens lie beyond max_length {Schedules.Num(max)} (which TRL 1.9 drops) are assumed to be none");
            }
            if (s.PaddingFree) notes.Add("padding_free without packing concatenates each batch into one row; the number of batches does not change");
            if (s.GroupByLength) notes.Add("group_by_length orders the batches by length; it does not change how many there are");
            return new PackingPlan { Settings = s, Examples = examples, Notes = notes };
        }
        if (s.NotModelled is { } nm)
            return new PackingPlan { Settings = s, Examples = rows.Count, Notes = notes, Unknown = $"packed ({s.Switch}), and {nm}", KnownBy = "max_steps, which fixes the steps (the epochs stay unknown)" };
        if (s.SequenceLength is not int seq || seq <= 0)
            return new PackingPlan
            {
                Settings = s, Examples = rows.Count, Notes = notes, Unknown = "packing=True with max_length=None: SFTTrainer raises \"When packing is enabled, `max_length` can't be `None`\"",
                KnownBy = "a max_length",
            };

        // sft_trainer.py _prepare_dataset: with shuffle_dataset (v0.26+) the rows are shuffled (numpy, seed args.seed)
        // before pack_dataset, so which rows share a map batch depends on that permutation: simulated.
        bool shuffled = s.ShuffleBeforePacking && s.Version >= new ToolVersion(0, 26);
        long Count(IReadOnlyList<int> order, out long tokens)
        {
            long total = 0, tok = 0;
            foreach (var (start, count) in Packers.MapBatches(order.Count, 1000, s.NumProc))
            {
                var pieces = new List<Piece>(count);
                for (int k = start; k < start + count; k++)
                {
                    int i = order[k], len = t.Lengths[i];
                    switch (s.Strategy)
                    {
                        case PackingStrategy.BestFit:
                            // _pack_bfd "truncate": list_slice(0, seq_length); empty rows filtered (v1.0+; they crash earlier).
                            if (len > 0) pieces.Add(new Piece(i, 0, Math.Min(len, seq)));
                            break;
                        case PackingStrategy.BestFitSplit:
                            // "split" (bfd_split, bfd-requeue, v0.27-v0.28 bfd): pieces of seq_length, the last shorter.
                            for (int at = 0; at < len; at += seq) pieces.Add(new Piece(i, at, Math.Min(seq, len - at)));
                            break;
                        default:
                            pieces.Add(new Piece(i, 0, len));
                            break;
                    }
                }
                foreach (var p in pieces) tok += p.Length;
                total += s.Strategy == PackingStrategy.Wrapped ? WrappedCount(pieces, seq) : Packers.BestFitDecreasing(pieces, seq).Count;
            }
            tokens = tok;
            return total;
        }

        notes.Add($"packing: {s.Describe()} packs each map batch of 1,000 rows{(s.NumProc is > 1 ? $" (of each of the {s.NumProc} dataset_num_proc shards)" : "")} into sequences of at most max_length {Schedules.Num(seq)} tokens" +
            (s.Strategy == PackingStrategy.BestFit ? ", longer examples cut to max_length" : s.Strategy == PackingStrategy.BestFitSplit ? ", longer examples split into pieces" : ", cutting across examples"));
        CountRange sequences;
        long tokensAll;
        int simulations = 0;
        if (!shuffled)
        {
            sequences = CountRange.Exact(Count(rows, out tokensAll));
        }
        else
        {
            var rng = new SplitMix64(0x5eed_0002);
            long lo = long.MaxValue, hi = long.MinValue;
            tokensAll = 0;
            for (int trial = 0; trial < LengthPlanner.SimulatedTrials; trial++)
            {
                var order = rows.ToArray();
                rng.Shuffle(order);
                long c = Count(order, out tokensAll);
                lo = Math.Min(lo, c); hi = Math.Max(hi, c); simulations++;
            }
            sequences = new CountRange(lo, hi);
            notes.Add($"shuffle_dataset shuffles the rows before packing: {LengthPlanner.SimulatedTrials} simulated shuffles give {sequences} sequences");
        }
        notes.Add($"{Schedules.Num(rows.Count)} examples ({Schedules.Num(tokensAll)} tokens) -> {sequences} packed sequences");
        return new PackingPlan { Settings = s, Examples = rows.Count, Tokens = tokensAll, Sequences = sequences, Simulations = simulations, Notes = notes };
    }

    private static long WrappedCount(List<Piece> pieces, int seq)
    {
        long tokens = 0;
        foreach (var p in pieces) tokens += p.Length;
        return (tokens + seq - 1) / seq;
    }
}
