using System;

namespace Stepwise.Core.Packing;

/// <summary>Why a config that needs token lengths has none (<see cref="AnalysisInputs"/>.TokenLengthsNote says the details).</summary>
public enum TokenLengthsStatus
{
    /// <summary>Not counted: no tokenizer found, a format Stepwise does not render, counting turned off.</summary>
    Unavailable,
    /// <summary>Being counted in the background; the shell analyses again when the count is done.</summary>
    Counting,
    /// <summary>The count ran and failed (a tokenizer file that does not load, a record the tool would refuse); it is
    /// not run again until the dataset, the tokenizer or the settings the count reads change.</summary>
    Failed,
}

/// <summary>
/// The training records as the configured tool tokenizes them, in dataset order (after max_samples, before the tool's
/// own length filters, truncation at pack time and packing): the input of every length-dependent count.
/// </summary>
/// <remarks>
/// Contract for whoever fills it (the workspace's token counter): <see cref="Lengths"/>[i] is the number of tokens
/// record i has after the tool's own tokenization step, which already truncates where the tool does so while
/// tokenizing (LLaMA-Factory's cutoff_len; axolotl prompt strategies that pass truncation), and -1 for a record the
/// tool drops while tokenizing (a malformed conversation). Labels are given as the first and last position whose label
/// is trained (not -100), -1 when none; null when the labels were not computed.
/// </remarks>
public sealed class TokenLengths
{
    public TokenLengths(int[] lengths, string source, int[]? firstLabel = null, int[]? lastLabel = null)
    {
        Lengths = lengths ?? throw new ArgumentNullException(nameof(lengths));
        if (firstLabel is not null && firstLabel.Length != lengths.Length) throw new ArgumentException("one first-label position per record", nameof(firstLabel));
        if (lastLabel is not null && lastLabel.Length != lengths.Length) throw new ArgumentException("one last-label position per record", nameof(lastLabel));
        FirstLabel = firstLabel; LastLabel = lastLabel; Source = source;
    }

    /// <summary>Tokens per record (-1: dropped while tokenizing).</summary>
    public int[] Lengths { get; }
    /// <summary>Position of the first trained label per record (-1: none); null when unknown.</summary>
    public int[]? FirstLabel { get; }
    /// <summary>Position of the last trained label per record (-1: none); null when unknown.</summary>
    public int[]? LastLabel { get; }
    /// <summary>Where the lengths come from, for messages ("tokenizer.json of ... rendered with its chat template").</summary>
    public string Source { get; }

    public int Count => Lengths.Length;
    public bool HasLabels => FirstLabel is not null && LastLabel is not null;

    /// <summary>Whether record <paramref name="i"/> keeps a trained label inside [<paramref name="from"/>, <paramref name="to"/>).</summary>
    internal bool? TrainsWithin(int i, int from, int to)
    {
        if (FirstLabel is null || LastLabel is null) return null;
        int f = FirstLabel[i], l = LastLabel[i];
        if (f < 0) return false;
        // The tools only ever cut a prefix or a suffix: keep_start keeps [0, max) and holds a label iff the first one is
        // inside; keep_end keeps [len - max, len) and holds one iff the last one is. Both are this overlap test.
        return f < to && l >= from;
    }
}
