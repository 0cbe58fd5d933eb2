using Stepwise.Core.Model;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.LearningRate;
using Stepwise.Trainer.Optim;
using Stepwise.Trainer.Outputs;

namespace Stepwise.Trainer.Training;

/// <summary>
/// The first phase of a run (plan -&gt; resume -&gt; step -&gt; finish): everything that follows from the job alone,
/// decided before any model loads. It refuses what the loop cannot do as written (the settings below; a
/// resume_from_checkpoint that names no usable checkpoint), so a refused run never pays for a model load, and it fixes
/// what the later phases follow: the step counts, the log / eval / save cadence, the metric, the data loader, the
/// learning-rate schedule and, on a resume, the checkpoint with its trainer state.
/// </summary>
public sealed class RunPlan
{
    public required long TotalSteps { get; init; }
    public required long StepsPerEpoch { get; init; }
    /// <summary>The epoch loop's bound (the engine's EpochLoopBound; the last epoch may be partial).</summary>
    public required long LoopBound { get; init; }
    public required int Accumulation { get; init; }
    /// <summary>Every this many steps (0: never, or by epoch).</summary>
    public required long LogEvery { get; init; }
    public required long EvalEvery { get; init; }
    public required long SaveEvery { get; init; }
    /// <summary>The metric the best checkpoint is chosen by, with HF's "eval_" prefix.</summary>
    public required string Metric { get; init; }
    public required bool TrackBest { get; init; }
    public required bool GreaterIsBetter { get; init; }
    public required ExampleLoader Loader { get; init; }
    /// <summary>The schedule the steps follow: the configured one, or the resumed checkpoint's (scheduler.pt's base rate).</summary>
    public required LrSchedule Lr { get; init; }
    /// <summary>The checkpoint to resume from, or null for a fresh run.</summary>
    public string? ResumeFrom { get; init; }
    /// <summary>The resumed checkpoint's trainer_state.json.</summary>
    public TrainerState? Saved { get; init; }
    /// <summary>What the resume phase says about the checkpoint's schedule (logged there, after the optimizer's notes).</summary>
    public IReadOnlyList<string> ScheduleNotes { get; init; } = Array.Empty<string>();

    /// <summary>
    /// The settings a job can hold that the loop cannot honour, each with the key to point at. Decided from the
    /// settings and the number of evaluation examples only; the planner reports them at the key's file:line:col, and
    /// <see cref="For"/> refuses a job built in code the same way.
    /// </summary>
    public static IReadOnlyList<(string Key, string Message)> Refusals(TrainingArguments args, int evalExamples)
    {
        var refusals = new List<(string, string)>();
        if (Optimizers.Refusal(args.Optim) is { } optim) refusals.Add(("optim", optim));
        if (LrSchedule.Refusal(args.LrSchedulerType) is { } scheduler) refusals.Add(("lr_scheduler_type", scheduler));
        if (MetricOf(args) != "eval_loss" && TracksBest(args))
            refusals.Add(("metric_for_best_model", $"metric_for_best_model '{args.MetricForBestModel}': the bundled trainer computes eval_loss only"));
        if (args.EvalStrategy != "no" && evalExamples == 0)
            refusals.Add(("eval_strategy", $"eval_strategy is '{args.EvalStrategy}' but there is no evaluation data: set val_size / val_set_size or validation_file, or eval_strategy: no"));
        return refusals;
    }

    /// <summary>
    /// The plan of <paramref name="job"/>, or a refusal: <see cref="PlanException"/> for settings, IOException /
    /// CheckpointFormatException for a checkpoint that cannot be resumed. Prepares the output folder (removes what a
    /// killed run left half-written) but loads no model.
    /// </summary>
    public static RunPlan For(TrainJob job)
    {
        var args = job.Args;
        var sched = job.Schedule;
        long total = sched.TotalSteps ?? throw new InvalidOperationException("the engine could not size this run (no dataset size)");
        var refused = Refusals(args, job.Eval.Count);
        if (refused.Count > 0) throw new PlanException(refused.Select(r => "error: " + r.Message).ToList());

        Directory.CreateDirectory(job.OutputDir);
        Checkpoints.CleanTemporary(job.OutputDir);

        var loader = new ExampleLoader(job.Train, (int)sched.ProcessBatch, args.DataloaderDropLast, job.Shuffle, args.Seed, job.PadId);
        if (loader.BatchesPerEpoch != sched.MicroBatchesPerEpoch)
            throw new InvalidOperationException($"the data loader makes {loader.BatchesPerEpoch} micro-batches per epoch, the engine predicted {sched.MicroBatchesPerEpoch}");
        var lr = new LrSchedule(args.LrSchedulerType, args.LearningRate, sched.WarmupSteps ?? 0, total);

        // Resume: the checkpoint, its trainer state and its schedule are read and checked here; its adapter and
        // optimizer state go into the model in the resume phase.
        string? resumeFrom = Checkpoints.Resolve(args.ResumeFromCheckpoint, job.OutputDir);
        TrainerState? saved = null;
        var scheduleNotes = new List<string>();
        if (resumeFrom is not null)
        {
            saved = TrainerState.Read(Path.Combine(resumeFrom, "trainer_state.json"));
            lr = ResumeState.Schedule(resumeFrom, lr, saved.GlobalStep, ParamGroups.GroupCount, scheduleNotes.Add);
        }

        return new RunPlan
        {
            TotalSteps = total, StepsPerEpoch = sched.StepsPerEpoch!.Value, LoopBound = sched.EpochLoopBound!.Value,
            Accumulation = args.GradientAccumulationSteps,
            LogEvery = args.LoggingStrategy == "steps" ? Math.Max(1, sched.RatioToSteps(args.LoggingSteps) ?? 500) : 0,
            EvalEvery = args.EvalStrategy == "steps" ? Math.Max(1, sched.RatioToSteps(args.EvalSteps ?? args.LoggingSteps) ?? 500) : 0,
            SaveEvery = args.SaveStrategy == "steps" ? Math.Max(1, sched.RatioToSteps(args.SaveSteps) ?? 500) : 0,
            Metric = MetricOf(args), TrackBest = TracksBest(args),
            GreaterIsBetter = args.GreaterIsBetter ?? !(MetricOf(args) is "eval_loss" or "loss"),
            Loader = loader, Lr = lr, ResumeFrom = resumeFrom, Saved = saved, ScheduleNotes = scheduleNotes,
        };
    }

    /// <summary>metric_for_best_model with HF's "eval_" prefix; eval_loss when unset.</summary>
    private static string MetricOf(TrainingArguments args) =>
        args.MetricForBestModel is { Length: > 0 } m ? (m.StartsWith("eval_", StringComparison.Ordinal) ? m : "eval_" + m) : "eval_loss";

    private static bool TracksBest(TrainingArguments args) =>
        args.LoadBestModelAtEnd || args.MetricForBestModel is not null || args.SaveStrategy == "best";
}
