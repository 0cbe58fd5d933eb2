using System;
using System.Collections.Generic;
using Stepwise.Core.Arithmetic;

namespace Stepwise.Core.Packing;

/// <summary>A count that is exact (Low = High) or lies in a range because the tool packs a shuffled order.</summary>
public readonly struct CountRange : IEquatable<CountRange>
{
    public CountRange(long low, long high) { Low = Math.Min(low, high); High = Math.Max(low, high); }
    public static CountRange Exact(long value) => new(value, value);
    public long Low { get; }
    public long High { get; }
    public bool IsExact => Low == High;
    public CountRange Map(Func<long, long> f) => new(f(Low), f(High));
    public bool Equals(CountRange o) => Low == o.Low && High == o.High;
    public override bool Equals(object? obj) => obj is CountRange r && Equals(r);
    public override int GetHashCode() => Low.GetHashCode() * 31 + High.GetHashCode();
    public override string ToString() => IsExact ? Schedules.Num(Low) : $"{Schedules.Num(Low)}-{Schedules.Num(High)}";
}

/// <summary>
/// What the tool's length handling makes of the training records: the examples it keeps, and when it packs, the packed
/// rows (TRL, LLaMA-Factory) or the batches of its packing sampler and the steps it derives from them (axolotl). Unknown
/// counts carry the reason and what would make them known.
/// </summary>
public sealed record PackingPlan
{
    public PackingSettings Settings { get; init; } = new();
    public bool Packed => Settings.Packed || Settings.PackedUnknown is not null;
    /// <summary>Why the packed counts are unknown (null when known or not packed).</summary>
    public string? Unknown { get; init; }
    /// <summary>What would make them known.</summary>
    public string? KnownBy { get; init; }
    /// <summary>The tool would stop before training (axolotl excess_length_strategy: raise with an over-long example).</summary>
    public string? Refusal { get; init; }
    /// <summary>Records read (before the tool's length filters and the validation split).</summary>
    public long? Records { get; init; }
    /// <summary>Training examples the tool keeps after its length filters and the validation split (unpacked rows); null when unknown.</summary>
    public long? Examples { get; init; }
    /// <summary>Tokens in those examples (after truncation).</summary>
    public long? Tokens { get; init; }
    /// <summary>TRL / LLaMA-Factory: packed training rows, which the Trainer batches like examples.</summary>
    public CountRange? Sequences { get; init; }
    /// <summary>axolotl: batches its packing sampler yields per epoch over all processes (len(MultipackBatchSampler)).</summary>
    public CountRange? SamplerBatches { get; init; }
    /// <summary>axolotl: the total_num_steps it computes and passes as max_steps.</summary>
    public CountRange? ToolSteps { get; init; }
    /// <summary>Shuffles simulated to find a range (0 when the order is fixed).</summary>
    public int Simulations { get; init; }
    /// <summary>The derivation, one fact per line.</summary>
    public IReadOnlyList<string> Notes { get; init; } = Array.Empty<string>();
    /// <summary>The source of the token lengths, when they were known.</summary>
    public string? LengthsSource { get; init; }

    public bool CountsKnown => Unknown is null && (Sequences is not null || SamplerBatches is not null || !Settings.Packed);
}
