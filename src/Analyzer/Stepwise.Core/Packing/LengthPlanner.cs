using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using Stepwise.Core.Arithmetic;

namespace Stepwise.Core.Packing;

/// <summary>The batch settings the tools' own step formulas read (axolotl computes its max_steps from them).</summary>
public sealed record PlanBatch
{
    /// <summary>per_device_train_batch_size (axolotl micro_batch_size).</summary>
    public long MicroBatch { get; init; } = 1;
    public long Accumulation { get; init; } = 1;
    public long WorldSize { get; init; } = 1;
    public double NumEpochs { get; init; } = 1;
    public bool DropLast { get; init; }
    /// <summary>axolotl batch_size as written (per process), when it is.</summary>
    public long? BatchSizeWritten { get; init; }
    /// <summary>The validation split as written (axolotl val_set_size, LLaMA-Factory val_size): a fraction, or a count when &gt; 1.</summary>
    public double ValSplit { get; init; }
}

/// <summary>
/// Turns token lengths into the rows and batches each tool trains on, as its source does it at the release in use.
/// Pure and deterministic: orders a tool shuffles with an unseeded (or numpy-seeded) generator are simulated with a fixed
/// seed and reported as the range seen.
/// </summary>
public static class LengthPlanner
{
    /// <summary>Orders simulated when a tool packs a shuffled order.</summary>
    public const int SimulatedTrials = 8;

    private static readonly ConditionalWeakTable<TokenLengths, Dictionary<string, PackingPlan>> Cache = new();

    /// <param name="lengthsNote">Without lengths: why they are missing (no tokenizer found, a format not reproduced, the
    /// count's error) or what is being counted (<paramref name="status"/> says which).</param>
    public static PackingPlan Plan(PackingSettings settings, TokenLengths? lengths, long? records, PlanBatch batch, string? lengthsNote = null,
        TokenLengthsStatus status = TokenLengthsStatus.Unavailable)
    {
        if (lengths is null) return WithoutLengths(settings, records, lengthsNote, status);
        var key = CacheKey(settings, batch);
        var perLengths = Cache.GetOrCreateValue(lengths);
        lock (perLengths)
            if (perLengths.TryGetValue(key, out var cached)) return cached;
        var plan = settings.Tool switch
        {
            PackingTool.Axolotl => Axolotl(settings, lengths, batch),
            PackingTool.Trl => Trl(settings, lengths),
            _ => LlamaFactory(settings, lengths, batch),
        };
        plan = plan with { Records = lengths.Count, LengthsSource = lengths.Source };
        lock (perLengths) perLengths[key] = plan;
        return plan;
    }

    private static string CacheKey(PackingSettings s, PlanBatch b) => (s with { VersionSource = "", Switch = "" }).ToString() + "|" + b;

    private static string KnownByText(PackingSettings s) =>
        $"the base model's tokenizer in a local folder or the Hugging Face cache, so Stepwise can count the tokens of every example as {s.ToolName} renders them";

    /// <summary>What the editor shows while the token lengths are being counted.</summary>
    public const string Counting = "packed: counting tokens";

    /// <summary>What the editor shows when the count ran and failed (the note says why and what to fix).</summary>
    public const string CountFailed = "packed: token count failed";

    /// <summary>Without token lengths: packed counts are unknown; unpacked ones stay the record count, with what may change it.</summary>
    private static PackingPlan WithoutLengths(PackingSettings s, long? records, string? note, TokenLengthsStatus status)
    {
        bool counting = status == TokenLengthsStatus.Counting, failed = status == TokenLengthsStatus.Failed && note is not null;
        var notes = new List<string>();
        if (s.PackedUnknown is not null)
            return new PackingPlan
            {
                Settings = s, Records = records,
                Unknown = $"{s.PackedUnknown}: with packing the steps depend on the token lengths",
                KnownBy = $"a literal value for it (and, when it packs, {KnownByText(s)})",
                Notes = new[] { $"packing: {s.PackedUnknown}, so Stepwise cannot tell whether examples are packed" },
            };
        if (s.Packed)
        {
            string why = s.NotModelled is { } nm ? $"packed ({s.Switch}), and {nm}"
                : counting ? Counting
                : failed ? CountFailed
                : ScheduleSummary.NeedsTokenizer;
            notes.Add($"packing: {s.Describe()} packs examples into sequences of {LengthText(s)}: rows and steps follow from the token length of every example");
            if (note is not null && s.NotModelled is null) notes.Add(counting ? note : failed ? $"token count failed: {note}" : $"token lengths unknown: {note}");
            return new PackingPlan
            {
                Settings = s, Records = records, Unknown = why,
                KnownBy = s.NotModelled is not null ? "max_steps, which fixes the steps (the epochs stay unknown)"
                    : counting ? "the count running now"
                    : failed ? $"a count that succeeds ({note}; Stepwise counts again when the dataset, the tokenizer files or these settings change)"
                    : note is not null ? $"{KnownByText(s)} ({note})" : KnownByText(s),
                Notes = notes,
            };
        }
        if (LengthFilterNote(s) is { } filter) notes.Add(filter);
        if (s.GroupByLength) notes.Add("group_by_length orders the batches by length; it does not change how many there are");
        return new PackingPlan { Settings = s, Records = records, Notes = notes };
    }

    private static string LengthText(PackingSettings s) => s.SequenceLength is int n
        ? $"{Schedules.Num(s.Tool == PackingTool.LlamaFactory ? n - 1 : n)} tokens ({s.SequenceKey} {Schedules.Num(n)}{(s.Tool == PackingTool.LlamaFactory ? ", less the 1 LLaMA-Factory keeps back when packing" : "")})"
        : $"{s.SequenceKey} tokens";

    /// <summary>The length filter a tool applies without packing, when it can change N.</summary>
    private static string? LengthFilterNote(PackingSettings s) => s.Tool switch
    {
        PackingTool.Axolotl when s.ExcessLength != "truncate" =>
            $"axolotl {(s.ExcessLength == "raise" ? "refuses" : "drops")} examples longer than {s.SequenceKey} {Schedules.Num(s.SequenceLength ?? 2048)} tokens (and shorter than {s.MinSampleLength}); without the tokenizer N counts every record",
        PackingTool.Trl when s.Version >= new ToolVersion(1, 9) && s.LabelsMasked != false && s.SequenceLength is int m =>
            $"TRL {s.Version.Major}.{s.Version.Minor} drops examples whose trained tokens all lie beyond max_length {Schedules.Num(m)}; without the tokenizer N counts every record",
        _ => null,
    };

    // ---------------------------------------------------------------------------------------------------- axolotl

    private static PackingPlan Axolotl(PackingSettings s, TokenLengths t, PlanBatch batch)
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
        long val = ValRows(batch.ValSplit, n);
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
            for (int trial = 0; trial < SimulatedTrials; trial++)
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
                $"{SimulatedTrials} simulated runs{(drawsSimulated < draws ? $" of {drawsSimulated} packings" : "")} give {samplerBatches} batches per epoch" +
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

    // ---------------------------------------------------------------------------------------------------- TRL

    private static PackingPlan Trl(PackingSettings s, TokenLengths t)
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
            for (int trial = 0; trial < SimulatedTrials; trial++)
            {
                var order = rows.ToArray();
                rng.Shuffle(order);
                long c = Count(order, out tokensAll);
                lo = Math.Min(lo, c); hi = Math.Max(hi, c); simulations++;
            }
            sequences = new CountRange(lo, hi);
            notes.Add($"shuffle_dataset shuffles the rows before packing: {SimulatedTrials} simulated shuffles give {sequences} sequences");
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

    // ---------------------------------------------------------------------------------------------------- LLaMA-Factory

    private static PackingPlan LlamaFactory(PackingSettings s, TokenLengths t, PlanBatch batch)
    {
        var notes = new List<string>();
        int cutoff = s.SequenceLength ?? 2048;
        var rows = new List<int>(t.Count);
        long invalid = 0;
        for (int i = 0; i < t.Count; i++) if (t.Lengths[i] >= 0) rows.Add(i); else invalid++;
        if (invalid > 0) notes.Add($"{Schedules.Num(invalid)} records are dropped as invalid examples while tokenizing");
        long val = ValRows(batch.ValSplit, t.Count);
        if (!s.Packed)
        {
            // v0.9.4+ splits the records (data/data_utils.py split_dataset) before preprocessing drops the invalid ones, so
            // with both a split and invalid records, how many of them the training part holds depends on the shuffle.
            long? unpacked = val == 0 || invalid == 0 ? t.Count - val - (val == 0 ? invalid : 0)
                : s.Version < new ToolVersion(0, 9, 4) ? rows.Count - ValRows(batch.ValSplit, rows.Count) : null;
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

        notes.Add($"packing: {s.Describe()} fills each preprocessing batch of {Schedules.Num(s.PreprocessingBatchSize ?? 0)} records{(s.NumProc is > 1 ? $" (of each of the {s.NumProc} preprocessing_num_workers shards)" : "")} into sequences of {LengthText(s)}, longest example that fits first");
        var all = Enumerable.Range(0, t.Count).ToArray();
        CountRange sequences;
        long tokens, examples;
        int simulations = 0;
        if (s.Version < new ToolVersion(0, 9, 4))
        {
            // v0.9.3 data/loader.py get_dataset: preprocess (pack) first, then split_dataset splits the packed rows.
            long packed = Count(all, out tokens, out lengthy);
            long packedVal = ValRows(batch.ValSplit, packed);
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
            for (int trial = 0; trial < SimulatedTrials; trial++)
            {
                var order = (int[])all.Clone();
                rng.Shuffle(order);
                var trainOrder = new ArraySegment<int>(order, (int)val, (int)(t.Count - val));
                long c = Count(trainOrder, out tokens, out lengthy);
                examples = trainOrder.Count(i => t.Lengths[i] >= 0) - lengthy;
                lo = Math.Min(lo, c); hi = Math.Max(hi, c); simulations++;
            }
            sequences = new CountRange(lo, hi);
            notes.Add($"val_size {batch.ValSplit.ToString(CultureInfo.InvariantCulture)} holds out {Schedules.Num(val)} records drawn by a shuffle before packing: {SimulatedTrials} simulated splits give {sequences} sequences");
        }
        if (lengthy > 0) notes.Add($"{Schedules.Num(lengthy)} examples longer than {Schedules.Num(capacity)} tokens are dropped");
        notes.Add($"{Schedules.Num(examples)} examples ({Schedules.Num(tokens)} tokens) -> {sequences} packed sequences");
        return new PackingPlan { Settings = s, Examples = examples, Tokens = tokens, Sequences = sequences, Simulations = simulations, Notes = notes };
    }

    /// <summary>🤗 datasets train_test_split: a fraction takes ceil(test_size x n) rows, a count above 1 that many.</summary>
    public static long ValRows(double split, long n)
    {
        if (split <= 1e-6) return 0;
        long v = split < 1 ? (long)Math.Ceiling(split * n - 1e-9) : (long)split;
        return Math.Min(v, n);
    }
}

/// <summary>A small deterministic generator (SplitMix64) for the simulated shuffles: the same answer on every run.</summary>
internal sealed class SplitMix64
{
    private ulong _state;
    public SplitMix64(ulong seed) { _state = seed; }

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n) (rejection against modulo bias).</summary>
    public int NextInt(int n)
    {
        ulong bound = (ulong)n, limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong r;
        do r = Next(); while (r >= limit);
        return (int)(r % bound);
    }

    public void Shuffle(int[] a)
    {
        for (int i = a.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
    }
}
