using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stepwise.Trainer.Progress;

/// <summary>
/// Where the trainer reports what it is doing. The events and their fields are the protocol of
/// docs/trainer/progress-protocol.md (the language server consumes the JSON form).
/// </summary>
public interface IProgressSink
{
    void Start(StartEvent e);
    void Step(StepEvent e);
    void Eval(EvalEvent e);
    void Save(SaveEvent e);
    void Done(DoneEvent e);
    void Error(string message, string? checkpoint = null);
    /// <summary>A human log line (stderr in JSON mode).</summary>
    void Log(string message);
}

public sealed record StartEvent(string Config, string OutputDir, long TotalSteps, double Epochs, long DatasetSize, long EvalSize,
    long StepsPerEpoch, long SamplesPerStep, string Model, bool Quantized, string Optim, long TrainableParameters, long ResumedFromStep);
public sealed record StepEvent(long Step, long TotalSteps, double Epoch, double Loss, double LearningRate, double GradNorm,
    double SamplesPerSecond, double TokensPerSecond, double EtaSeconds);
public sealed record EvalEvent(long Step, double Epoch, double EvalLoss, long EvalSamples, double Runtime);
public sealed record SaveEvent(long Step, string Checkpoint, IReadOnlyList<string> Deleted);
public sealed record DoneEvent(string AdapterPath, double FinalLoss, double TrainLoss, long GlobalStep, double Runtime,
    double SamplesPerSecond, string? LossCurve, string? BestCheckpoint, bool Stopped);

/// <summary>One JSON object per line on stdout, its kind in "event"; human logs go to stderr.</summary>
public sealed class JsonLinesProgress : IProgressSink
{
    private readonly TextWriter _out, _log;
    public JsonLinesProgress(TextWriter stdout, TextWriter stderr) { _out = stdout; _log = stderr; }

    private void Emit(JsonObject o)
    {
        lock (_out) { _out.WriteLine(o.ToJsonString(new JsonSerializerOptions { WriteIndented = false })); _out.Flush(); }
    }

    private static double R(double v, int d = 6) => double.IsFinite(v) ? Math.Round(v, d) : v;
    private static JsonNode? N(double v) => double.IsFinite(v) ? JsonValue.Create(v) : JsonValue.Create(v.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public void Start(StartEvent e) => Emit(new JsonObject
    {
        ["event"] = "start", ["config"] = e.Config, ["output_dir"] = e.OutputDir, ["total_steps"] = e.TotalSteps,
        ["epochs"] = R(e.Epochs), ["dataset_size"] = e.DatasetSize, ["eval_size"] = e.EvalSize, ["steps_per_epoch"] = e.StepsPerEpoch,
        ["samples_per_step"] = e.SamplesPerStep, ["model"] = e.Model, ["quantized"] = e.Quantized, ["optim"] = e.Optim,
        ["trainable_parameters"] = e.TrainableParameters, ["resumed_from_step"] = e.ResumedFromStep,
    });

    public void Step(StepEvent e) => Emit(new JsonObject
    {
        ["event"] = "step", ["step"] = e.Step, ["total_steps"] = e.TotalSteps, ["epoch"] = R(e.Epoch), ["loss"] = N(R(e.Loss)),
        ["lr"] = e.LearningRate, ["grad_norm"] = N(R(e.GradNorm)), ["samples_per_second"] = R(e.SamplesPerSecond, 3),
        ["tokens_per_second"] = R(e.TokensPerSecond, 1), ["eta_seconds"] = R(e.EtaSeconds, 1),
    });

    public void Eval(EvalEvent e) => Emit(new JsonObject
    {
        ["event"] = "eval", ["step"] = e.Step, ["epoch"] = R(e.Epoch), ["eval_loss"] = N(R(e.EvalLoss)), ["eval_samples"] = e.EvalSamples,
        ["eval_runtime"] = R(e.Runtime, 3),
    });

    public void Save(SaveEvent e) => Emit(new JsonObject
    {
        ["event"] = "save", ["step"] = e.Step, ["checkpoint"] = e.Checkpoint,
        ["deleted"] = new JsonArray(e.Deleted.Select(d => (JsonNode)JsonValue.Create(d)!).ToArray()),
    });

    public void Done(DoneEvent e) => Emit(new JsonObject
    {
        ["event"] = "done", ["adapter_path"] = e.AdapterPath, ["final_loss"] = N(R(e.FinalLoss)), ["train_loss"] = N(R(e.TrainLoss)),
        ["global_step"] = e.GlobalStep, ["train_runtime"] = R(e.Runtime, 3), ["train_samples_per_second"] = R(e.SamplesPerSecond, 3),
        ["loss_curve"] = e.LossCurve, ["best_checkpoint"] = e.BestCheckpoint, ["stopped"] = e.Stopped,
    });

    public void Error(string message, string? checkpoint = null) =>
        Emit(new JsonObject { ["event"] = "error", ["message"] = message, ["checkpoint"] = checkpoint });

    public void Log(string message) { lock (_log) _log.WriteLine(message); }
}

/// <summary>Plain text lines (a log file, a pipe, tests).</summary>
public sealed class PlainProgress : IProgressSink
{
    private readonly TextWriter _w;
    private readonly int _every;
    public PlainProgress(TextWriter w, int every = 1) { _w = w; _every = Math.Max(1, every); }
    public void Start(StartEvent e) => _w.WriteLine($"training {e.Model}{(e.Quantized ? " (4-bit)" : "")}: {e.DatasetSize} examples, {e.TotalSteps} steps ({e.StepsPerEpoch}/epoch, {e.Epochs:0.##} epochs), {e.TrainableParameters:N0} trainable parameters, optim {e.Optim}");
    public void Step(StepEvent e)
    {
        if (e.Step % _every == 0 || e.Step == e.TotalSteps)
            _w.WriteLine($"step {e.Step}/{e.TotalSteps}  epoch {e.Epoch:0.00}  loss {e.Loss:0.0000}  lr {e.LearningRate:0.###e+0}  {e.SamplesPerSecond:0.0} samples/s  eta {e.EtaSeconds:0}s");
    }
    public void Eval(EvalEvent e) => _w.WriteLine($"eval at step {e.Step}: eval_loss {e.EvalLoss:0.0000} ({e.EvalSamples} samples)");
    public void Save(SaveEvent e) => _w.WriteLine($"saved {e.Checkpoint}{(e.Deleted.Count > 0 ? $" (removed {string.Join(", ", e.Deleted.Select(Path.GetFileName))})" : "")}");
    public void Done(DoneEvent e) => _w.WriteLine($"done: {e.GlobalStep} steps in {e.Runtime:0.0}s ({e.SamplesPerSecond:0.0} samples/s), final loss {e.FinalLoss:0.0000}; adapter {e.AdapterPath}");
    public void Error(string message, string? checkpoint = null) => _w.WriteLine($"error: {message}");
    public void Log(string message) => _w.WriteLine(message);
}

/// <summary>Reports nowhere (benchmarks, tests that only look at the result).</summary>
public sealed class NullProgress : IProgressSink
{
    public void Start(StartEvent e) { }
    public void Step(StepEvent e) { }
    public void Eval(EvalEvent e) { }
    public void Save(SaveEvent e) { }
    public void Done(DoneEvent e) { }
    public void Error(string message, string? checkpoint = null) { }
    public void Log(string message) { }
}
