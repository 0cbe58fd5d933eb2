using System;
using System.Collections.Generic;
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
/// seed and reported as the range seen. Each tool's packer is its own class (<see cref="AxolotlPacking"/>,
/// <see cref="TrlPacking"/>, <see cref="LlamaFactoryPacking"/>); this one dispatches, caches and says what is unknown
/// without lengths.
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
            PackingTool.Axolotl => AxolotlPacking.Plan(settings, lengths, batch),
            PackingTool.Trl => TrlPacking.Plan(settings, lengths),
            _ => LlamaFactoryPacking.Plan(settings, lengths, batch),
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

    internal static string LengthText(PackingSettings s) => s.SequenceLength is int n
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

    /// <summary>🤗 datasets train_test_split: a fraction takes ceil(test_size x n) rows, a count above 1 that many.</summary>
    public static long ValRows(double split, long n)
    {
        if (split <= 1e-6) return 0;
        long v = split < 1 ? (long)Math.Ceiling(split * n - 1e-9) : (long)split;
        return Math.Min(v, n);
    }
}
