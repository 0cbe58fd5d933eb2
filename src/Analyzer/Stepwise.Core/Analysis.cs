using System;
using System.Collections.Generic;
using Stepwise.Core.Arithmetic;
using Stepwise.Core.Keys;
using Stepwise.Core.Model;
using Stepwise.Core.Packing;

namespace Stepwise.Core;

/// <summary>Settings that change what the engine reports (CLI options, editor settings).</summary>
public sealed record AnalysisOptions
{
    /// <summary>N stated from outside (--dataset-size, a setting); wins over everything else.</summary>
    public long? DatasetSize { get; init; }
    /// <summary>W stated from outside (--world-size, a setting).</summary>
    public long? WorldSize { get; init; }
    /// <summary>SW1001 fires above this many epochs implied by max_steps.</summary>
    public double EpochThreshold { get; init; } = 2.0;
    /// <summary>
    /// A transformers release to predict ("4.57", "5.0") stated from outside (--transformers-version, the editor setting);
    /// null to use <see cref="Versions"/> (what the workspace found installed or pinned, else the newest known release).
    /// </summary>
    public string? TransformersVersion { get; init; }
    /// <summary>The library versions the workspace found for this config (installed, pinned, or the tool's pins); null: the newest known.</summary>
    public VersionAssumptions? Versions { get; init; }
    /// <summary>
    /// This run goes to the bundled Stepwise trainer (`stepwise train`, `check --for-trainer stepwise`, the language
    /// server's Train command): report every setting it would not do as written (SW5001). Off for plain analysis, where
    /// the config is meant for HF / axolotl / LLaMA-Factory and those settings are fine.
    /// </summary>
    public bool ForBundledTrainer { get; init; }
    /// <summary>Per-rule severity; a null value turns the rule off.</summary>
    public IReadOnlyDictionary<string, Severity?> Severities { get; init; } = new Dictionary<string, Severity?>();

    /// <summary>The versions the analysis assumes: <see cref="Versions"/> (or the newest known), with the transformers override applied.</summary>
    public VersionAssumptions EffectiveVersions
    {
        get
        {
            var v = Versions ?? VersionAssumptions.Newest;
            if (string.IsNullOrWhiteSpace(TransformersVersion)) return v;
            var cached = _effective;
            if (cached is not null && cached.Value.Base == v && cached.Value.Override == TransformersVersion) return cached.Value.Result;
            var result = v.With("transformers", TransformersVersion!.Trim(), "stated by --transformers-version / the stepwise.transformersVersion setting");
            _effective = (v, TransformersVersion, result);
            return result;
        }
    }
    private (VersionAssumptions Base, string? Override, VersionAssumptions Result)? _effective;

    /// <summary>The assumed transformers version as (major, minor).</summary>
    public (int Major, int Minor) Version
    {
        get
        {
            var p = EffectiveVersions["transformers"]?.Parsed ?? new LibraryVersion(5, 0, 0);
            return (p.Major == 0 ? 4 : p.Major, p.Minor);
        }
    }

    public bool IsV5 => Version.Major >= 5;
    /// <summary>
    /// Steps per epoch were floor(L / A) before transformers 4.52: Trainer.set_initial_training_values in v4.51.3
    /// (trainer.py:5303) has `max(len_dataloader // args.gradient_accumulation_steps, 1)`; v4.52.0 (trainer.py:5323) adds
    /// `+ int(len_dataloader % args.gradient_accumulation_steps > 0)`, still so in v5.15.0 (trainer.py:2356).
    /// </summary>
    public StepsPerEpochRounding Rounding => Loop == TrainerLoop.Current ? StepsPerEpochRounding.Ceil : StepsPerEpochRounding.Floor;

    /// <summary>The training loop of the release: 4.52+ (PR #37923), 4.46-4.51 (PR #34198), older.</summary>
    public TrainerLoop Loop
    {
        get
        {
            var (major, minor) = Version;
            if (major > 4 || (major == 4 && minor >= 52)) return TrainerLoop.Current;
            if (major == 4 && minor >= 46) return TrainerLoop.PrefetchWindows;
            return TrainerLoop.RunningCount;
        }
    }
}

/// <summary>What the shell found out before the pure analysis: referenced files and dataset rows.</summary>
public sealed record AnalysisInputs(ConfigDocument Document)
{
    public IReadOnlyList<ResolvedDataset> Datasets { get; init; } = Array.Empty<ResolvedDataset>();
    public ConfigDocument? DeepSpeed { get; init; }
    public ConfigDocument? Accelerate { get; init; }
    /// <summary>The last committed version of the same file (git HEAD), for SW1003.</summary>
    public ConfigDocument? Previous { get; init; }
    /// <summary>Dataclasses of the workspace passed to HfArgumentParser / TrlParser: their fields are known keys of Hugging Face YAML files.</summary>
    public IReadOnlyList<WorkspaceDataclass> WorkspaceClasses { get; init; } = Array.Empty<WorkspaceDataclass>();
    /// <summary>Problems met while following references (a missing DeepSpeed file): reported as findings.</summary>
    public IReadOnlyList<ReadProblem> ReferenceProblems { get; init; } = Array.Empty<ReadProblem>();
    /// <summary>What the workspace found out about the base model (its config.json, its weight names); null when nothing
    /// local describes it. Architecture-aware rules (SW3008) judge only what is known.</summary>
    public ModelArchitecture? Model { get; init; }
    /// <summary>
    /// The token length of every training record as the configured tool renders and tokenizes it (the base model's
    /// tokenizer found locally); null when not counted. Packed runs need it for their steps; without it they stay unknown.
    /// </summary>
    public TokenLengths? TokenLengths { get; init; }
    /// <summary>Without <see cref="TokenLengths"/>: why (no tokenizer found, a format not reproduced, the count's error),
    /// or what is being counted.</summary>
    public string? TokenLengthsNote { get; init; }
    /// <summary>Without <see cref="TokenLengths"/>: unavailable, being counted in the background, or failed.</summary>
    public Packing.TokenLengthsStatus TokenLengthsStatus { get; init; }
}

/// <summary>The base model as local files describe it.</summary>
/// <param name="Source">Where it was found ("config.json in ~/.cache/huggingface/hub/models--org--name/...").</param>
public sealed record ModelArchitecture(string Source)
{
    /// <summary>config.json's model_type ("llama", "qwen3_next"), when a config.json was found.</summary>
    public string? ModelType { get; init; }
    /// <summary>config.json's architectures ("LlamaForCausalLM").</summary>
    public IReadOnlyList<string> Architectures { get; init; } = Array.Empty<string>();
    /// <summary>Every module that holds a parameter, by its full name ("model.layers.0.self_attn.q_proj"), read from the
    /// checkpoint's safetensors index or header; null when no weights were found.</summary>
    public IReadOnlyList<string>? Modules { get; init; }
}

/// <summary>N and how it was found.</summary>
public sealed record DatasetSize(long? Count, string Detail, ValueOrigin Origin, long? RowsBeforeSplit = null, long? ValidationRows = null)
{
    public bool Known => Count is not null;
}

public sealed class AnalysisResult
{
    public AnalysisResult(TrainingSetup setup, DatasetSize datasetSize, Schedule? schedule, Schedule? previous, IReadOnlyList<Finding> findings)
    {
        Setup = setup; DatasetSize = datasetSize; Schedule = schedule; PreviousSchedule = previous; Findings = findings;
    }

    public TrainingSetup Setup { get; }
    public DatasetSize DatasetSize { get; }
    /// <summary>Null when the batch settings are unusable (a finding says why).</summary>
    public Schedule? Schedule { get; }
    public Schedule? PreviousSchedule { get; }
    public IReadOnlyList<Finding> Findings { get; }
    /// <summary>The library versions the analysis assumed, each with the reason (installed, pinned, stated, newest known).</summary>
    public VersionAssumptions Versions { get; init; } = VersionAssumptions.Newest;
    /// <summary>Why <see cref="Schedule"/> is null, or why its run length (total steps, epochs, samples) is null although
    /// N is known: a value that is not a finite number, or a run too long to count in 64 bits. Null otherwise.</summary>
    public string? ScheduleNote { get; init; }
}
