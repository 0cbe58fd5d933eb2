using System.Collections;
using Stepwise.Trainer.Optim;
using Stepwise.Trainer.SafeTensors;

namespace Stepwise.Trainer.LearningRate;

/// <summary>
/// scheduler.pt as HF Trainer saves it: torch.save(lr_scheduler.state_dict()) of the LambdaLR that
/// transformers.optimization.get_scheduler builds, one lambda per parameter group. LambdaLR.state_dict (torch 1.13
/// lr_scheduler.py) is the scheduler's __dict__ without the optimizer, with lr_lambdas replaced by each lambda's
/// __dict__ copy when it is a callable object (HF's functools.partial lambdas: {}) and None when it is a plain function
/// (the constant schedule's _get_constant_lambda). After k optimizer steps: last_epoch = k, _step_count = k + 1,
/// _last_lr = base_lr x factor(k) per group.
/// </summary>
public static class SchedulerFile
{
    public const string FileName = "scheduler.pt";

    public static void Write(string folder, LrSchedule schedule, long stepsDone, int groups)
    {
        double lr = schedule.LearningRate(stepsDone);
        bool plainFunction = schedule.Type == "constant"; // get_constant_schedule's _get_constant_lambda; the others are partials
        var sd = TorchFiles.Dict(
            ("base_lrs", TorchFiles.List(Enumerable.Repeat((object?)schedule.BaseLr, groups))),
            ("last_epoch", stepsDone),
            ("verbose", false),
            ("_step_count", stepsDone + 1),
            ("_get_lr_called_within_step", false),
            ("_last_lr", TorchFiles.List(Enumerable.Repeat((object?)lr, groups))),
            ("lr_lambdas", TorchFiles.List(Enumerable.Range(0, groups).Select(_ => plainFunction ? null : (object)new System.Collections.Specialized.OrderedDictionary()))));
        TorchFiles.Write(Path.Combine(folder, FileName), sd);
    }

    /// <summary>What a resume needs from scheduler.pt: the steps it had taken and the base learning rate of each group.</summary>
    public sealed record Saved(long LastEpoch, IReadOnlyList<double> BaseLrs);

    public static Saved Read(string folder)
    {
        string file = Path.Combine(folder, FileName);
        if (!File.Exists(file)) throw new IOException($"{folder}: no {FileName} (a checkpoint saved without its learning-rate schedule cannot be resumed exactly)");
        var sd = TorchFiles.Read(file);
        if (!sd.ContainsKey("last_epoch") || !sd.ContainsKey("base_lrs"))
            throw new CheckpointFormatException($"{file}: not a LambdaLR state (no last_epoch / base_lrs)");
        var baseLrs = ((sd["base_lrs"] as ArrayList) ?? throw new CheckpointFormatException($"{file}: base_lrs is not a list"))
            .Cast<object?>().Select((v, i) => TorchFiles.Number(v, $"base_lrs[{i}]", file)).ToList();
        return new Saved(TorchFiles.Integer(sd["last_epoch"], "last_epoch", file), baseLrs);
    }
}
