using System.Collections;
using System.Collections.Specialized;
using Stepwise.Trainer.SafeTensors;

namespace Stepwise.Trainer.Optim;

/// <summary>The hyperparameters both AdamW variants keep per parameter group; a resume takes them from the checkpoint.</summary>
internal abstract class AdamGroupSettings
{
    public double WeightDecay, Beta1, Beta2, Eps;
}

/// <summary>
/// optimizer.pt as torch's Optimizer.state_dict lays it out and HF Trainer saves it: {"state": {index: the optimizer's
/// per-parameter dict}, "param_groups": [{the group's hyperparameters..., "params": [indices]}]}, parameters numbered
/// through the groups in order, and no state entry for a parameter that has not stepped yet. The optimizers differ
/// only in the per-parameter dict and the group's keys; the layout, the reading and the checks torch's
/// Optimizer.load_state_dict makes (with messages that say what to do) are here.
/// </summary>
internal static class OptimizerFile
{
    /// <summary>One group to write: each parameter's state dict in order (null: none yet), and the group's
    /// hyperparameters in the key order torch builds them ("params" is added last, as state_dict puts it).</summary>
    public sealed record GroupToWrite(IEnumerable<IDictionary?> States, (object Key, object? Value)[] Settings);

    /// <summary>One group as read: its saved dict, and each parameter's key with its state (null: none).</summary>
    public sealed record SavedGroup(Hashtable Settings, IReadOnlyList<(object Key, Hashtable? State)> Parameters);

    public static void Write(string folder, IEnumerable<GroupToWrite> groups)
    {
        var state = new OrderedDictionary();
        var list = new ArrayList();
        int index = 0;
        foreach (var g in groups)
        {
            var ids = new ArrayList();
            foreach (var s in g.States)
            {
                if (s is not null) state.Add(index, s);
                ids.Add(index++);
            }
            list.Add(TorchFiles.Dict(g.Settings.Append(("params", ids)).ToArray()));
        }
        TorchFiles.Write(Path.Combine(folder, ITrainOptimizer.FileName), TorchFiles.Dict(("state", state), ("param_groups", list)));
    }

    /// <summary>
    /// Reads optimizer.pt for a run whose groups hold <paramref name="sizes"/> parameters, checking the group and
    /// parameter counts as load_state_dict does. Returns the file's path (for messages) and its groups.
    /// </summary>
    public static (string File, IReadOnlyList<SavedGroup> Groups) Read(string folder, IReadOnlyList<int> sizes)
    {
        string file = Path.Combine(folder, ITrainOptimizer.FileName);
        if (!File.Exists(file)) throw new IOException($"{folder}: no {ITrainOptimizer.FileName} (a checkpoint saved without optimizer state cannot be resumed exactly)");
        var sd = TorchFiles.Read(file);
        var groups = TorchFiles.ListAt(sd, "param_groups", file);
        var state = TorchFiles.DictAt(sd, "state", file);
        if (groups.Count != sizes.Count)
            throw new CheckpointFormatException($"{file}: {groups.Count} parameter groups, this run has {sizes.Count} (HF Trainer's decay / no-decay groups)");
        var saved = new List<SavedGroup>();
        for (int i = 0; i < sizes.Count; i++)
        {
            var group = groups[i] as Hashtable;
            var ids = group?["params"] as ArrayList ?? throw new CheckpointFormatException($"{file}: param_groups[{i}] has no params list");
            if (ids.Count != sizes[i])
                throw new CheckpointFormatException($"{file}: parameter group {i} has {ids.Count} parameters, this run trains {sizes[i]} there " +
                    "(the checkpoint was trained with other target_modules, r, use_dora or modules_to_save?)");
            saved.Add(new SavedGroup(group!, ids.Cast<object>().Select(key => (key, state[key] as Hashtable)).ToList()));
        }
        return (file, saved);
    }

    /// <summary>The checkpoint's betas, eps and weight_decay replace the configured ones (torch's load_state_dict keeps the
    /// saved groups), with a note in <paramref name="notes"/> when they differ.</summary>
    public static void Adopt(AdamGroupSettings group, SavedGroup saved, int index, string file, List<string> notes)
    {
        var (b1, b2) = saved.Settings["betas"] switch
        {
            object[] { Length: 2 } b => (TorchFiles.Number(b[0], "betas[0]", file), TorchFiles.Number(b[1], "betas[1]", file)),
            ArrayList { Count: 2 } b => (TorchFiles.Number(b[0], "betas[0]", file), TorchFiles.Number(b[1], "betas[1]", file)),
            _ => throw new CheckpointFormatException($"{file}: a parameter group has no (beta1, beta2)"),
        };
        double eps = TorchFiles.Number(saved.Settings["eps"], "eps", file), wd = TorchFiles.Number(saved.Settings["weight_decay"], "weight_decay", file);
        if ((group.Beta1, group.Beta2, group.Eps, group.WeightDecay) != (b1, b2, eps, wd))
            notes.Add($"optimizer group {index}: the checkpoint's betas ({TorchFiles.Show(b1)}, {TorchFiles.Show(b2)}), eps {TorchFiles.Show(eps)} and weight_decay {TorchFiles.Show(wd)} " +
                      $"are used, as HF Trainer does on resume (the config says ({TorchFiles.Show(group.Beta1)}, {TorchFiles.Show(group.Beta2)}), {TorchFiles.Show(group.Eps)}, {TorchFiles.Show(group.WeightDecay)})");
        group.Beta1 = b1; group.Beta2 = b2; group.Eps = eps; group.WeightDecay = wd;
    }

    /// <summary>A float32 moment tensor of the parameter's shape, on its device, owned by the optimizer.</summary>
    public static Tensor Moment(Hashtable ps, string name, Parameter p, object key, string file)
    {
        var t = TorchFiles.TensorAt(ps, name, $"state {key}", file);
        if (!t.shape.SequenceEqual(p.shape))
            throw new CheckpointFormatException($"{file}: state {key} {name} has shape {SafeTensorsFile.FormatShape(t.shape)}, the parameter has {SafeTensorsFile.FormatShape(p.shape)} (another r?)");
        return t.to(ScalarType.Float32).to(p.device).contiguous().clone().DetachFromDisposeScope();
    }
}
