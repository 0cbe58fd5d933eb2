using TorchSharp;
using static TorchSharp.torch;
using Spectre.Console;
using Stepwise.Trainer.Progress;
using Stepwise.Trainer.Training;

namespace Stepwise.Trainer.Cli.Commands;

/// <summary>The terminal view of a run: a Spectre.Console progress bar with step/total, epoch, loss, lr, samples/s and ETA.</summary>
public static class TrainProgressBar
{
    public static TrainResult Run(TrainJob job, CancellationToken stop)
    {
        TrainResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("loading the model", maxValue: job.Schedule.TotalSteps ?? 1);
                result = TrainingLoop.Run(job, new Sink(task), stop);
            });
        return result!;
    }

    private sealed class Sink : IProgressSink
    {
        private readonly ProgressTask _task;
        public Sink(ProgressTask task) => _task = task;

        public void Start(StartEvent e)
        {
            AnsiConsole.MarkupLineInterpolated($"[bold]{e.Model}[/]{(e.Quantized ? " (NF4/FP4 4-bit base)" : "")}: {e.DatasetSize} examples, {e.TotalSteps} steps ({e.StepsPerEpoch}/epoch, {e.Epochs:0.##} epochs), {e.TrainableParameters:N0} trainable parameters, {e.Optim}");
            _task.Value = e.ResumedFromStep;
            _task.Description = $"step {e.ResumedFromStep}/{e.TotalSteps}";
        }

        public void Step(StepEvent e)
        {
            _task.Value = e.Step;
            _task.Description = Markup.Escape($"step {e.Step}/{e.TotalSteps} epoch {e.Epoch:0.00} loss {e.Loss:0.0000} lr {e.LearningRate:0.00e+0} {e.SamplesPerSecond:0.0} samples/s eta {TimeSpan.FromSeconds(Math.Round(e.EtaSeconds)):m\\:ss}");
        }

        public void Eval(EvalEvent e) => AnsiConsole.MarkupLineInterpolated($"[cyan]eval[/] step {e.Step} (epoch {e.Epoch:0.00}): eval_loss {e.EvalLoss:0.0000}");
        public void Save(SaveEvent e) => AnsiConsole.MarkupLineInterpolated($"[green]saved[/] {e.Checkpoint}{(e.Deleted.Count > 0 ? $" (removed {string.Join(", ", e.Deleted.Select(Path.GetFileName))})" : "")}");
        public void Done(DoneEvent e) => _task.StopTask();
        public void Error(string message, string? checkpoint = null) => AnsiConsole.MarkupLineInterpolated($"[red]error[/]: {message}");
        public void Log(string message) => AnsiConsole.MarkupLineInterpolated($"[grey]{message}[/]");
    }
}
