using Stepwise.Trainer.SafeTensors;
using Stepwise.Trainer.LearningRate;

namespace Stepwise.Trainer.Training;

/// <summary>
/// What a resume takes from a checkpoint besides the adapter and the optimizer: the learning-rate schedule's position
/// and base rate (scheduler.pt, as HF Trainer._load_optimizer_and_scheduler restores it), and a word about the files
/// it cannot use. Works the same for checkpoints written by this trainer and by HF Trainer.
/// </summary>
public static class ResumeState
{
    /// <summary>
    /// The schedule to continue with: the run's warmup and length, with scheduler.pt's base learning rate (HF loads the
    /// LambdaLR state, so a changed learning_rate does not apply to a resumed run). scheduler.pt must have taken as
    /// many steps as trainer_state.json's global_step. What it has to say about the checkpoint goes to <paramref name="note"/>.
    /// </summary>
    public static LrSchedule Schedule(string checkpoint, LrSchedule configured, long globalStep, int groups, Action<string> note)
    {
        if (File.Exists(Path.Combine(checkpoint, "optimizer.torchsharp.bin")) || File.Exists(Path.Combine(checkpoint, "optimizer.safetensors")))
            throw new CheckpointFormatException($"{checkpoint} was written by an earlier Stepwise trainer whose optimizer state HF cannot read; it cannot be resumed by this one (start a new run from its adapter instead)");
        var saved = SchedulerFile.Read(checkpoint);
        if (saved.LastEpoch != globalStep)
            throw new CheckpointFormatException($"{Path.Combine(checkpoint, SchedulerFile.FileName)}: the schedule took {saved.LastEpoch} steps but trainer_state.json says global_step {globalStep}");
        if (saved.BaseLrs.Count != groups)
            throw new CheckpointFormatException($"{Path.Combine(checkpoint, SchedulerFile.FileName)}: {saved.BaseLrs.Count} learning rates, this run has {groups} parameter groups");
        if (File.Exists(Path.Combine(checkpoint, "rng_state.pth")))
            note("note: rng_state.pth is not restored: this trainer draws dropout masks from torch.manual_seed(seed + global_step), so a resumed run repeats its own masks, not HF's");
        double baseLr = saved.BaseLrs[0];
        if (baseLr == configured.BaseLr) return configured;
        note($"note: {checkpoint}: continuing with the checkpoint's base learning rate {baseLr.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}, " +
                 $"as HF Trainer does on resume (the config says {configured.BaseLr.ToString("R", System.Globalization.CultureInfo.InvariantCulture)})");
        return new LrSchedule(configured.Type, baseLr, configured.WarmupSteps, configured.TotalSteps);
    }
}
