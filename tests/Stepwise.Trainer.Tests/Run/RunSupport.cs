using Stepwise.Core.Model;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Progress;
using Stepwise.Trainer.Training;

namespace Stepwise.Trainer.Tests.Run;

/// <summary>Small jobs on the tiny test Llama (vocab 61) with synthetic token data, fast on a CPU.</summary>
public static class RunSupport
{
    /// <summary>N examples of 4..9 tokens (ids below the tiny vocab), the second half of each one trained on.</summary>
    public static List<Example> Synthetic(int n, int seed = 7)
    {
        var rng = new Random(seed);
        var list = new List<Example>();
        for (int i = 0; i < n; i++)
        {
            int len = rng.Next(4, 10);
            var ids = Enumerable.Range(0, len).Select(_ => rng.Next(3, 61)).ToArray();
            var labels = ids.Select((id, j) => j >= len / 2 ? id : Example.Ignore).ToArray();
            list.Add(new Example(ids, labels));
        }
        return list;
    }

    public static TrainJob Job(string model, string output, TrainingArguments args, IReadOnlyList<Example> train,
        IReadOnlyList<Example>? eval = null, LoraConfig? lora = null) => new()
    {
        Args = args, Schedule = TrainJobs.ScheduleFor(args, train.Count), ModelPath = model, ModelName = "tiny",
        Lora = lora ?? new LoraConfig { R = 4, LoraAlpha = 8 }, Train = train, Eval = eval ?? Array.Empty<Example>(),
        OutputDir = output, PadId = 0, WriteLossCurve = false,
    };

    public static TrainingArguments Args(int b, int a, bool dropLast = false, int maxSteps = -1, double epochs = 1) => new()
    {
        PerDeviceTrainBatchSize = b, GradientAccumulationSteps = a, DataloaderDropLast = dropLast, MaxSteps = maxSteps,
        NumTrainEpochs = epochs, SaveStrategy = "no", LoggingSteps = 1, LearningRate = 1e-3, Seed = 3,
    };
}

/// <summary>Records events (and can request a stop after a given step, as SIGINT does).</summary>
public sealed class RecordingSink : IProgressSink
{
    private readonly CancellationTokenSource? _stop;
    private readonly long _stopAfter;
    public RecordingSink(CancellationTokenSource? stop = null, long stopAfter = -1) { _stop = stop; _stopAfter = stopAfter; }
    public List<StepEvent> Steps { get; } = new();
    public List<SaveEvent> Saves { get; } = new();
    public List<EvalEvent> Evals { get; } = new();
    public List<string> Logs { get; } = new();
    public StartEvent? Started { get; private set; }
    public void Start(StartEvent e) => Started = e;
    public void Step(StepEvent e) { Steps.Add(e); if (e.Step == _stopAfter) _stop?.Cancel(); }
    public void Eval(EvalEvent e) => Evals.Add(e);
    public void Save(SaveEvent e) => Saves.Add(e);
    public void Done(DoneEvent e) { }
    public void Error(string message, string? checkpoint = null) { }
    public void Log(string message) => Logs.Add(message);
}
