using System;
using System.Globalization;
using Stepwise.Core.Model;

namespace Stepwise.Core.Packing;

/// <summary>Whose packer (and length handling) a config runs with.</summary>
public enum PackingTool { Axolotl, Trl, LlamaFactory }

/// <summary>The packing algorithm a config selects.</summary>
public enum PackingStrategy
{
    /// <summary>No packing: one example per row.</summary>
    None,
    /// <summary>axolotl multipack: first fit over a shuffled order, one bin of micro_batch_size x sequence_len per micro-batch.</summary>
    Multipack,
    /// <summary>axolotl multipack with multipack_real_batches (or an attention without varlen support): bins of sequence_len, micro_batch_size bins per batch.</summary>
    MultipackRealBatches,
    /// <summary>TRL bfd (v0.19's "ffd" is the same placement): best fit decreasing, over-long examples truncated.</summary>
    BestFit,
    /// <summary>TRL bfd_split / bfd-requeue (and "bfd" in v0.27-v0.28): best fit decreasing, over-long examples split into pieces.</summary>
    BestFitSplit,
    /// <summary>TRL wrapped (the only packing before v0.19): tokens end to end, cut every max_length.</summary>
    Wrapped,
    /// <summary>LLaMA-Factory packing / neat_packing: greedy knapsack of the longest example that still fits.</summary>
    GreedyKnapsack,
}

/// <summary>A release as its first three numbers ("0.18.0").</summary>
public readonly struct ToolVersion : IComparable<ToolVersion>
{
    public ToolVersion(int major, int minor, int patch = 0) { Major = major; Minor = minor; Patch = patch; }
    public int Major { get; }
    public int Minor { get; }
    public int Patch { get; }

    public static ToolVersion? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var s = text!.Trim().TrimStart('v', 'V');
        var parts = s.Split('.');
        var nums = new int[3];
        int count = 0;
        foreach (var p in parts)
        {
            if (count == 3) break;
            int end = 0;
            while (end < p.Length && char.IsDigit(p[end])) end++;
            if (end == 0 || !int.TryParse(p.Substring(0, end), NumberStyles.None, CultureInfo.InvariantCulture, out nums[count])) break;
            count++;
            if (end < p.Length) break;
        }
        return count == 0 ? null : new ToolVersion(nums[0], count > 1 ? nums[1] : 0, count > 2 ? nums[2] : 0);
    }

    public int CompareTo(ToolVersion o) => Major != o.Major ? Major.CompareTo(o.Major) : Minor != o.Minor ? Minor.CompareTo(o.Minor) : Patch.CompareTo(o.Patch);
    public static bool operator <(ToolVersion a, ToolVersion b) => a.CompareTo(b) < 0;
    public static bool operator >(ToolVersion a, ToolVersion b) => a.CompareTo(b) > 0;
    public static bool operator <=(ToolVersion a, ToolVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >=(ToolVersion a, ToolVersion b) => a.CompareTo(b) >= 0;
    public override string ToString() => $"{Major}.{Minor}.{Patch}";
}

/// <summary>
/// Everything about a config that decides how token lengths become rows and steps: the tool and its release, whether
/// and how it packs, the sequence length, and the length filters it applies. Read from the setup; no I/O.
/// </summary>
public sealed record PackingSettings
{
    public PackingTool Tool { get; init; }
    /// <summary>The release whose packer is reproduced.</summary>
    public ToolVersion Version { get; init; }
    /// <summary>Why that release ("newest release Stepwise reproduces", a setting).</summary>
    public string VersionSource { get; init; } = "";
    public PackingStrategy Strategy { get; init; }
    public bool Packed => Strategy != PackingStrategy.None;
    /// <summary>Packing is set by a value Stepwise cannot read (a Python variable): it may or may not pack.</summary>
    public string? PackedUnknown { get; init; }
    /// <summary>How the config turns packing on, in its own words ("sample_packing: true").</summary>
    public string Switch { get; init; } = "";
    /// <summary>Why Stepwise cannot reproduce this packer (a release it does not model, an option it does not follow).</summary>
    public string? NotModelled { get; init; }

    /// <summary>axolotl sequence_len, TRL max_length (null: no truncation, packing refused), LLaMA-Factory cutoff_len.</summary>
    public int? SequenceLength { get; init; }
    /// <summary>The key that sets it, as the dialect spells it.</summary>
    public string SequenceKey { get; init; } = "";

    // axolotl
    public int BinSize { get; init; } = 200;
    public int GroupSize { get; init; } = 100_000;
    public bool Sequentially { get; init; }
    public bool Curriculum { get; init; }
    public double? EfficiencyEstimate { get; init; }
    public int MinSampleLength { get; init; } = 2;
    /// <summary>axolotl excess_length_strategy: drop (default), truncate, raise.</summary>
    public string ExcessLength { get; init; } = "drop";
    public bool ShuffleMerged { get; init; } = true;

    // TRL
    public int? NumProc { get; init; }
    public bool ShuffleBeforePacking { get; init; }
    public string TruncationMode { get; init; } = "keep_start";
    /// <summary>Loss only on completion / assistant tokens (TRL 1.9 then drops examples whose labels truncation removed).</summary>
    public bool? LabelsMasked { get; init; }
    public bool PaddingFree { get; init; }

    // LLaMA-Factory
    public int? PreprocessingBatchSize { get; init; } = 1000;
    public bool Neat { get; init; }
    public double ValSize { get; init; }

    public bool GroupByLength { get; init; }

    /// <summary>The newest releases whose packing Stepwise reproduces (and assumes when nothing says otherwise).</summary>
    public static readonly ToolVersion AxolotlNewest = new(0, 18, 0), TrlNewest = new(1, 9, 0), LlamaFactoryNewest = new(0, 9, 5);
    public static readonly ToolVersion AxolotlOldest = new(0, 17, 0), TrlOldest = new(0, 16, 0), LlamaFactoryOldest = new(0, 9, 3);

    public string ToolName => Tool switch { PackingTool.Axolotl => "axolotl", PackingTool.Trl => "TRL", _ => "LLaMA-Factory" };

    /// <summary>"TRL 1.9.0 bfd".</summary>
    public string Describe() => $"{ToolName} {Version} {StrategyName}";

    public string StrategyName => Strategy switch
    {
        PackingStrategy.None => "without packing",
        PackingStrategy.Multipack => "multipack",
        PackingStrategy.MultipackRealBatches => "multipack with real batches",
        PackingStrategy.BestFit => Version < new ToolVersion(0, 20) ? "ffd (best fit decreasing)" : "bfd (best fit decreasing)",
        PackingStrategy.BestFitSplit => Version >= new ToolVersion(1, 0) ? "bfd_split" : Version >= new ToolVersion(0, 29) ? "bfd-requeue" : "bfd (splitting long examples)",
        PackingStrategy.Wrapped => "wrapped",
        _ => Neat ? "neat_packing" : "packing",
    };

    /// <summary>
    /// The length settings of a training setup, or null for a dialect that has none (DeepSpeed, accelerate). A stated
    /// release (<paramref name="version"/>) picks the packer; none means the newest release Stepwise reproduces.
    /// </summary>
    public static PackingSettings? Read(TrainingSetup setup, string? version = null, string? versionSource = null)
    {
        return setup.Dialect switch
        {
            Dialect.Axolotl => Axolotl(setup, version, versionSource),
            Dialect.LlamaFactory => LlamaFactory(setup, version, versionSource),
            Dialect.Hf => Trl(setup, version, versionSource),
            _ => null,
        };
    }

    /// <summary>A value as written (in the key table or not): the setting, else the document's own entry.</summary>
    private static ConfigValue? Raw(TrainingSetup setup, string key) =>
        setup.Find(key)?.Value ?? setup.Document.FindSet(key)?.Value;

    private static bool? Bool(TrainingSetup setup, string key) => Raw(setup, key) is { } v ? v.AsBool() : null;
    private static int? Int(TrainingSetup setup, string key) => Raw(setup, key)?.AsLong() is long l ? (int)Math.Min(int.MaxValue, l) : null;

    private static (ToolVersion Version, string Source, string? Unsupported) PickVersion(string tool, string? version, string? source,
        ToolVersion oldest, ToolVersion newest)
    {
        if (ToolVersion.Parse(version) is not ToolVersion v)
            return (newest, $"the newest {tool} release Stepwise reproduces", null);
        string src = source ?? "stated";
        if (v < oldest)
            return (v, src, $"Stepwise reproduces {tool}'s packing from {oldest.Major}.{oldest.Minor} on, not {v}");
        return (v, src, null);
    }

    private static PackingSettings Axolotl(TrainingSetup setup, string? version, string? source)
    {
        var (v, src, unsupported) = PickVersion("axolotl", version, source, AxolotlOldest, AxolotlNewest);
        var packing = Raw(setup, "sample_packing");
        string? packedUnknown = packing is { IsKnown: false } ? $"sample_packing is {packing.UnknownReason ?? "not a literal"}" : null;
        bool packed = packing?.AsBool() == true;
        string? notModelled = unsupported;
        var strategy = PackingStrategy.None;
        if (packed)
        {
            // axolotl core/builders/causal.py (v0.17+): multipack_real_batches defaults to `not cfg.attn_supports_packing`,
            // and utils/trainer.py calculate_total_num_steps packs bins of micro_batch_size x sequence_len only when the
            // attention supports varlen packing and real batches are off.
            bool realBatches = Bool(setup, "multipack_real_batches") ?? !AttentionSupportsPacking(setup);
            strategy = realBatches ? PackingStrategy.MultipackRealBatches : PackingStrategy.Multipack;
            if (Raw(setup, "pretraining_dataset") is not null) notModelled ??= "a streamed pretraining_dataset has no length: max_steps decides the run";
            if (Raw(setup, "rl")?.AsString() is { Length: > 0 } rl) notModelled ??= $"rl: {rl} prepares its data in its own way";
            if (Bool(setup, "use_pose") == true) notModelled ??= "use_pose re-chunks sequences before packing";
            foreach (var key in new[] { "context_parallel_size", "tensor_parallel_size", "sequence_parallel_degree" })
                if (Int(setup, key) is > 1) notModelled ??= $"{key} > 1 changes the data-parallel world size";
        }
        return new PackingSettings
        {
            Tool = PackingTool.Axolotl, Version = v, VersionSource = src, Strategy = strategy, PackedUnknown = packedUnknown,
            Switch = "sample_packing: true", NotModelled = notModelled,
            SequenceLength = Int(setup, "sequence_len") ?? 2048, SequenceKey = "sequence_len",
            // utils/schemas/config.py (v0.18.0) defaults: group 100,000, bin 200; min_sample_len None, read as 2 by the filters.
            BinSize = Int(setup, "sample_packing_bin_size") ?? 200,
            GroupSize = Int(setup, "sample_packing_group_size") ?? 100_000,
            Sequentially = Bool(setup, "sample_packing_sequentially") ?? false,
            Curriculum = Bool(setup, "curriculum_sampling") ?? false,
            EfficiencyEstimate = Raw(setup, "sample_packing_eff_est")?.AsDouble() is double e && e > 0 ? e : null,
            MinSampleLength = Int(setup, "min_sample_len") is int m && m > 0 ? m : 2,
            ExcessLength = (Raw(setup, "excess_length_strategy")?.AsString() ?? "drop").ToLowerInvariant(),
            ShuffleMerged = Bool(setup, "shuffle_merged_datasets") ?? true,
            GroupByLength = Bool(setup, "group_by_length") ?? false,
        };
    }

    /// <summary>
    /// axolotl utils/schemas/enums.py ATTN_IMPLS_SUPPORTING_PACKING (v0.18.0), after config.py normalize_attn_implementation
    /// maps the legacy flags (xformers, sage, flex, flash before sdp and eager).
    /// </summary>
    internal static bool AttentionSupportsPacking(TrainingSetup setup)
    {
        var impl = Raw(setup, "attn_implementation")?.AsString();
        if (impl is null)
        {
            foreach (var (flag, canonical) in new[] { ("xformers_attention", "xformers"), ("sage_attention", "sage"), ("flex_attention", "flex_attention"),
                         ("flash_attention", "flash_attention_2"), ("sdp_attention", "sdpa"), ("eager_attention", "eager") })
                if (Bool(setup, flag) == true) { impl = canonical; break; }
        }
        return impl is "flash_attention_2" or "flash_attention_3" or "flex_attention" or "xformers" or "sage"
            or "kernels-community/flash-attn2" or "kernels-community/flash-attn3" or "kernels-community/sage-attention";
    }

    private static PackingSettings Trl(TrainingSetup setup, string? version, string? source)
    {
        var (v, src, unsupported) = PickVersion("TRL", version, source, TrlOldest, TrlNewest);
        var packing = Raw(setup, "packing");
        string? packedUnknown = packing is { IsKnown: false } ? $"packing is {packing.UnknownReason ?? "not a literal"}" : null;
        bool packed = packing?.AsBool() == true;
        var strategyValue = Raw(setup, "packing_strategy");
        string? notModelled = unsupported;
        var strategy = PackingStrategy.None;
        if (packed)
        {
            string? name = strategyValue?.AsString();
            if (strategyValue is { IsKnown: false }) notModelled ??= $"packing_strategy is {strategyValue.UnknownReason ?? "not a literal"}";
            strategy = TrlStrategy(v, name, out var problem);
            if (problem is not null) notModelled ??= problem;
        }
        // max_length: 1024 in SFTConfig since v0.16 (trl/trainer/sft_config.py); None turns truncation off and packing
        // refuses it ("When packing is enabled, `max_length` can't be `None`").
        // An explicit None is meaningful here (unlike most keys, whose None means "the default"), so read the entry itself.
        var maxLength = setup.Find("max_length")?.Value ?? setup.Document.Find("max_length")?.Value ?? setup.Document.Find("max_seq_length")?.Value;
        int? seq = maxLength is null ? 1024 : maxLength.Kind == ValueKind.Null ? null : maxLength.AsLong() is long l ? (int)l : null;
        if (maxLength is { IsKnown: false }) notModelled ??= $"max_length is {maxLength.UnknownReason ?? "not a literal"}";
        bool? completionOnly = Raw(setup, "completion_only_loss")?.AsBool();
        bool assistantOnly = Bool(setup, "assistant_only_loss") ?? false;
        return new PackingSettings
        {
            Tool = PackingTool.Trl, Version = v, VersionSource = src, Strategy = strategy, PackedUnknown = packedUnknown,
            Switch = "packing=True", NotModelled = notModelled,
            SequenceLength = seq, SequenceKey = "max_length",
            NumProc = Int(setup, "dataset_num_proc"),
            ShuffleBeforePacking = Bool(setup, "shuffle_dataset") ?? false,
            TruncationMode = Raw(setup, "truncation_mode")?.AsString() ?? "keep_start",
            LabelsMasked = assistantOnly ? true : completionOnly,
            PaddingFree = Bool(setup, "padding_free") ?? false,
            GroupByLength = Bool(setup, "group_by_length") ?? false,
        };
    }

    /// <summary>The placement TRL's pack_dataset runs for a strategy name at a release (trl/data_utils.py).</summary>
    public static PackingStrategy TrlStrategy(ToolVersion v, string? name, out string? problem)
    {
        problem = null;
        if (v < new ToolVersion(0, 19))
        {
            // v0.16-v0.18: pack_dataset has no strategy; it wraps.
            return PackingStrategy.Wrapped;
        }
        if (v < new ToolVersion(0, 20))
        {
            switch (name ?? "ffd") { case "ffd": return PackingStrategy.BestFit; case "wrapped": return PackingStrategy.Wrapped; }
        }
        else if (v < new ToolVersion(0, 27))
        {
            switch (name ?? "bfd") { case "bfd": return PackingStrategy.BestFit; case "wrapped": return PackingStrategy.Wrapped; }
        }
        else if (v < new ToolVersion(0, 29))
        {
            // v0.27-v0.28: _pack_bfd splits every row into pieces of at most max_length before placing them.
            switch (name ?? "bfd") { case "bfd": return PackingStrategy.BestFitSplit; case "wrapped": return PackingStrategy.Wrapped; }
        }
        else if (v < new ToolVersion(1, 0))
        {
            switch (name ?? "bfd") { case "bfd": return PackingStrategy.BestFit; case "bfd-requeue": return PackingStrategy.BestFitSplit; case "wrapped": return PackingStrategy.Wrapped; }
        }
        else
        {
            // v1.x: sft_config.py __post_init__ renames "bfd-requeue" to "bfd_split" (with a warning).
            switch (name ?? "bfd") { case "bfd": return PackingStrategy.BestFit; case "bfd_split": case "bfd-requeue": return PackingStrategy.BestFitSplit; case "wrapped": return PackingStrategy.Wrapped; }
        }
        problem = $"packing_strategy \"{name}\" is not one TRL {v.Major}.{v.Minor} knows";
        return PackingStrategy.BestFit;
    }

    private static PackingSettings LlamaFactory(TrainingSetup setup, string? version, string? source)
    {
        var (v, src, unsupported) = PickVersion("LLaMA-Factory", version, source, LlamaFactoryOldest, LlamaFactoryNewest);
        var stage = Raw(setup, "stage")?.AsString() ?? "sft";
        bool neat = Bool(setup, "neat_packing") ?? false;
        var packingValue = Raw(setup, "packing");
        string? packedUnknown = packingValue is { IsKnown: false } ? $"packing is {packingValue.UnknownReason ?? "not a literal"}" : null;
        // hparams/data_args.py __post_init__: neat_packing turns packing on; hparams/parser.py: packing left unset packs
        // in stage pt only.
        bool packed = neat || (packingValue?.AsBool() ?? stage == "pt");
        string? notModelled = unsupported;
        if (packed && stage != "sft") notModelled ??= $"stage {stage} packs with its own processor, which Stepwise does not reproduce";
        if (packed && (Raw(setup, "mix_strategy")?.AsString() ?? "concat") != "concat") notModelled ??= "mix_strategy interleaves the datasets in a random order";
        if (packed && Bool(setup, "streaming") == true) notModelled ??= "a streamed dataset has no length: max_steps decides the run";
        if (packed && Raw(setup, "tokenized_path") is not null) notModelled ??= "tokenized_path loads rows prepared earlier";
        return new PackingSettings
        {
            Tool = PackingTool.LlamaFactory, Version = v, VersionSource = src,
            Strategy = packed ? PackingStrategy.GreedyKnapsack : PackingStrategy.None, PackedUnknown = packedUnknown,
            Switch = neat ? "neat_packing: true" : "packing: true", NotModelled = notModelled,
            SequenceLength = Int(setup, "cutoff_len") ?? 2048, SequenceKey = "cutoff_len",
            PreprocessingBatchSize = Int(setup, "preprocessing_batch_size") ?? 1000,
            NumProc = Int(setup, "preprocessing_num_workers"),
            Neat = neat,
            ValSize = Raw(setup, "val_size")?.AsDouble() ?? 0,
            GroupByLength = Bool(setup, "group_by_length") ?? false,
        };
    }
}
