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
/// what the later phases follow.
/// </summary>
/// <param name="TotalSteps">The engine's number of optimizer steps.</param>
/// <param name="StepsPerEpoch">Optimizer steps in one full epoch.</param>
/// <param name="LoopBound">The epoch loop's bound (the engine's EpochLoopBound; the last epoch may be partial).</param>
/// <param name="Accumulation">Micro-batches per optimizer step (gradient_accumulation_steps).</param>
/// <param name="LogEvery">Log, evaluate, save every this many steps (0: never, or by epoch).</param>
/// <param name="EvalEvery">See <paramref name="LogEvery"/>.</param>
/// <param name="SaveEvery">See <paramref name="LogEvery"/>.</param>
/// <param name="Metric">The metric the best checkpoint is chosen by, with HF's "eval_" prefix.</param>
/// <param name="TrackBest">Whether the best metric and checkpoint are tracked.</param>
/// <param name="GreaterIsBetter">Whether a larger metric is better.</param>
/// <param name="Loader">The training batches, epoch by epoch.</param>
/// <param name="Lr">The schedule the steps follow: the configured one, or the resumed checkpoint's (scheduler.pt's base rate).</param>
/// <param name="ResumeFrom">The checkpoint to resume from, or null for a fresh run.</param>
/// <param name="Saved">The resumed checkpoint's trainer_state.json.</param>
/// <param name="ScheduleNotes">What the resume phase says about the checkpoint's schedule (logged there, after the optimizer's notes).</param>
public sealed record RunPlan(
    long TotalSteps, long StepsPerEpoch, long LoopBound, int Accumulation,
    long LogEvery, long EvalEvery, long SaveEvery,
    string Metric, bool TrackBest, bool GreaterIsBetter,
    ExampleLoader Loader, LrSchedule Lr,
    string? ResumeFrom, TrainerState? Saved, IReadOnlyList<string> ScheduleNotes)
{
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

        return new RunPlan(
            TotalSteps: total, StepsPerEpoch: sched.StepsPerEpoch!.Value, LoopBound: sched.EpochLoopBound!.Value,
            Accumulation: args.GradientAccumulationSteps,
            LogEvery: args.LoggingStrategy == "steps" ? Math.Max(1, sched.RatioToSteps(args.LoggingSteps) ?? 500) : 0,
            EvalEvery: args.EvalStrategy == "steps" ? Math.Max(1, sched.RatioToSteps(args.EvalSteps ?? args.LoggingSteps) ?? 500) : 0,
            SaveEvery: args.SaveStrategy == "steps" ? Math.Max(1, sched.RatioToSteps(args.SaveSteps) ?? 500) : 0,
            Metric: MetricOf(args), TrackBest: TracksBest(args),
            GreaterIsBetter: args.GreaterIsBetter ?? !(MetricOf(args) is "eval_loss" or "loss"),
            Loader: loader, Lr: lr, ResumeFrom: resumeFrom, Saved: saved, ScheduleNotes: scheduleNotes);
    }

    /// <summary>metric_for_best_model with HF's "eval_" prefix; eval_loss when unset.</summary>
    private static string MetricOf(TrainingArguments args) =>
        args.MetricForBestModel is { Length: > 0 } m ? (m.StartsWith("eval_", StringComparison.Ordinal) ? m : "eval_" + m) : "eval_loss";

    private static bool TracksBest(TrainingArguments args) =>
        args.LoadBestModelAtEnd || args.MetricForBestModel is not null || args.SaveStrategy == "best";
}
