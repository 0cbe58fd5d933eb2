using System.Text.Json.Nodes;
using Stepwise.Core.Model;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;
using Stepwise.Core.Arithmetic;

namespace Stepwise.Trainer.Training;

/// <summary>Everything one training run needs, already validated: settings, the engine's schedule, data, model.</summary>
public sealed record TrainJob
{
    public required TrainingArguments Args { get; init; }
    /// <summary>The engine's arithmetic for this run with N = the real number of training examples.</summary>
    public required Schedule Schedule { get; init; }
    public required string ModelPath { get; init; }
    public string ModelName { get; init; } = "";
    public LoadOptions Load { get; init; } = new();
    public required LoraConfig Lora { get; init; }
    public required IReadOnlyList<Example> Train { get; init; }
    public IReadOnlyList<Example> Eval { get; init; } = Array.Empty<Example>();
    public required string OutputDir { get; init; }
    public string ConfigPath { get; init; } = "";
    public int PadId { get; init; }
    /// <summary>The settings written as training_args.json.</summary>
    public JsonObject TrainingArgsJson { get; init; } = new();
    public bool WriteLossCurve { get; init; } = true;
    /// <summary>Shuffle the training examples each epoch (HF's RandomSampler); off only for tests that need a fixed order.</summary>
    public bool Shuffle { get; init; } = true;
}

/// <summary>What a run did.</summary>
public sealed record TrainResult
{
    public long GlobalStep { get; init; }
    public long StartStep { get; init; }
    public IReadOnlyList<(long Step, double Loss)> StepLosses { get; init; } = Array.Empty<(long, double)>();
    public IReadOnlyList<(long Step, double Loss)> EvalLosses { get; init; } = Array.Empty<(long, double)>();
    /// <summary>The global step at which each epoch of the loop ended (the last may be a partial epoch).</summary>
    public IReadOnlyList<long> EpochEndSteps { get; init; } = Array.Empty<long>();
    public long MicroBatches { get; init; }
    public bool Stopped { get; init; }
    public string AdapterPath { get; init; } = "";
    public string? LossCurvePath { get; init; }
    public string? BestCheckpoint { get; init; }
    public long OptimizerStateBytes { get; init; }
    public double Runtime { get; init; }
    public double SamplesPerSecond { get; init; }
    public double TokensPerSecond { get; init; }
    public long SamplesSeen { get; init; }
    public long TokensSeen { get; init; }
}

/// <summary>A run that cannot go on (non-finite loss, out of memory, a full disk), with the checkpoint to go back to.</summary>
public sealed class TrainingException : Exception
{
    public string? Checkpoint { get; }
    public TrainingException(string message, string? checkpoint = null, Exception? inner = null) : base(message, inner) { Checkpoint = checkpoint; }
}

/// <summary>Jobs built in code (tests, benchmarks) rather than from a config file.</summary>
public static class TrainJobs
{
    /// <summary>The engine's schedule for typed settings and N examples (the same Schedules.Compute the analyzer runs).</summary>
    public static Schedule ScheduleFor(TrainingArguments a, long n) => Stepwise.Core.Arithmetic.Schedules.Compute(new Stepwise.Core.Arithmetic.ScheduleInputs
    {
        DatasetSize = n, PerDeviceBatch = a.PerDeviceTrainBatchSize, GradientAccumulation = a.GradientAccumulationSteps,
        DropLast = a.DataloaderDropLast, MaxSteps = a.MaxSteps, NumTrainEpochs = a.NumTrainEpochs,
        WarmupSteps = a.WarmupSteps, WarmupRatio = a.WarmupRatio,
    });

    /// <summary>Alpaca records tokenized for a model folder's tokenizer, as the planner does.</summary>
    public static List<Example> Tokenize(IReadOnlyList<DataRecord> records, string modelFolder, int maxLength, bool trainOnInputs = false, bool packing = false)
    {
        var tok = TextTokenizer.Load(modelFolder);
        var shape = RecordShapes.Detect(records[0]);
        return ExampleBuilder.BuildAll(records, shape, tok, maxLength, trainOnInputs, packing).Examples;
    }
}
