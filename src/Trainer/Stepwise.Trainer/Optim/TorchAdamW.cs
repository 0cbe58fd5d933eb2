using System.Collections;
using Stepwise.Trainer.SafeTensors;

namespace Stepwise.Trainer.Optim;

/// <summary>
/// adamw_torch / adamw_torch_fused / adamw_hf: torch.optim.AdamW's single-tensor update (torch/optim/adamw.py,
/// _single_tensor_adamw, torch 1.13): decoupled weight decay first (p *= 1 - lr * wd), then the moments, then
/// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps), in float32 with the step t kept as a float32 tensor.
/// Its state_dict is torch's: {"state": {index: {"step", "exp_avg", "exp_avg_sq"}}, "param_groups": [{weight_decay,
/// lr, betas, eps, amsgrad, foreach, maximize, capturable, initial_lr, params}]} with indices numbered through the
/// groups in order (Optimizer.state_dict), as HF Trainer saves it to optimizer.pt.
/// </summary>
public sealed class TorchAdamW : ITrainOptimizer
{
    private readonly List<Group> _groups;
    private readonly double _initialLr;

    private sealed class Group
    {
        public required List<Slot> Slots;
        public double WeightDecay, Beta1, Beta2, Eps;
    }

    private sealed class Slot
    {
        public required Parameter Param;
        public Tensor? ExpAvg, ExpAvgSq;
        public float Step; // torch keeps tensor(float) steps: the same float32 value
    }

    public TorchAdamW(string name, IReadOnlyList<ParamGroup> groups, double lr, double beta1, double beta2, double eps)
    {
        Name = name;
        _initialLr = lr;
        _groups = groups.Select(g => new Group
        {
            Slots = g.Parameters.Select(p => new Slot { Param = p.Parameter }).ToList(),
            WeightDecay = g.WeightDecay, Beta1 = beta1, Beta2 = beta2, Eps = eps,
        }).ToList();
    }

    /// <summary>One group of <paramref name="parameters"/> (tests and benchmarks).</summary>
    public TorchAdamW(string name, IReadOnlyList<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay)
        : this(name, ParamGroups.Single(parameters, weightDecay), lr, beta1, beta2, eps) { }

    public string Name { get; }

    public void Step(double learningRate)
    {
        using var _ = torch.no_grad();
        foreach (var g in _groups)
            foreach (var s in g.Slots)
            {
                if (s.Param.grad is not { } grad) continue;
                // The state lives as long as the optimizer: never in the caller's dispose scope.
                s.ExpAvg ??= torch.zeros_like(s.Param).DetachFromDisposeScope();
                s.ExpAvgSq ??= torch.zeros_like(s.Param).DetachFromDisposeScope();
                s.Step += 1;
                s.Param.mul_(1 - learningRate * g.WeightDecay);
                s.ExpAvg.mul_(g.Beta1).add_(grad, alpha: 1 - g.Beta1);
                s.ExpAvgSq.mul_(g.Beta2).addcmul_(grad, grad, value: 1 - g.Beta2);
                double step = s.Step;
                double bc1 = 1 - Math.Pow(g.Beta1, step);
                double bc2 = 1 - Math.Pow(g.Beta2, step);
                double stepSize = learningRate / bc1;
                using var denom = (s.ExpAvgSq.sqrt() / Math.Sqrt(bc2)).add_(g.Eps);
                s.Param.addcdiv_(s.ExpAvg, denom, value: -stepSize);
            }
    }

    public void ZeroGrad()
    {
        foreach (var s in _groups.SelectMany(g => g.Slots))
            if (s.Param.grad is { } g) g.zero_();
    }

    /// <summary>exp_avg and exp_avg_sq in float32 for every parameter, plus the float32 step.</summary>
    public long StateBytes => _groups.SelectMany(g => g.Slots).Sum(s => s.Param.numel() * 2 * 4 + 4);

    public void Save(string folder, double learningRate)
    {
        var state = new System.Collections.Specialized.OrderedDictionary();
        var groups = new ArrayList();
        int index = 0;
        foreach (var g in _groups)
        {
            var ids = new ArrayList();
            foreach (var s in g.Slots)
            {
                if (s.ExpAvg is not null)
                    state.Add(index, TorchFiles.Dict(("step", torch.tensor(s.Step)), ("exp_avg", s.ExpAvg.detach().cpu()), ("exp_avg_sq", s.ExpAvgSq!.detach().cpu())));
                ids.Add(index++);
            }
            // Key order as torch builds the group (given keys, then defaults, then LambdaLR's initial_lr), params last.
            groups.Add(TorchFiles.Dict(("weight_decay", g.WeightDecay), ("lr", learningRate), ("betas", new object[] { g.Beta1, g.Beta2 }),
                ("eps", g.Eps), ("amsgrad", false), ("foreach", null), ("maximize", false), ("capturable", false), ("initial_lr", _initialLr), ("params", ids)));
        }
        TorchFiles.Write(Path.Combine(folder, ITrainOptimizer.FileName), TorchFiles.Dict(("state", state), ("param_groups", groups)));
    }

    public IReadOnlyList<string> Load(string folder)
    {
        string file = Path.Combine(folder, ITrainOptimizer.FileName);
        if (!File.Exists(file)) throw new IOException($"{folder}: no {ITrainOptimizer.FileName} (a checkpoint saved without optimizer state cannot be resumed exactly)");
        var sd = TorchFiles.Read(file);
        var groups = TorchFiles.ListAt(sd, "param_groups", file);
        var state = TorchFiles.DictAt(sd, "state", file);
        OptimizerStateCheck.Groups(file, groups, _groups.Select(g => g.Slots.Count).ToList());
        var notes = new List<string>();
        for (int gi = 0; gi < _groups.Count; gi++)
        {
            var g = _groups[gi];
            var saved = (Hashtable)groups[gi]!;
            if (saved.ContainsKey("amsgrad") && saved["amsgrad"] is true) throw new CheckpointFormatException($"{file}: group {gi} uses amsgrad, which this optimizer does not do");
            var (b1, b2) = OptimizerStateCheck.Betas(saved, file);
            double eps = TorchFiles.Number(saved["eps"], "eps", file), wd = TorchFiles.Number(saved["weight_decay"], "weight_decay", file);
            OptimizerStateCheck.NoteDifferences(notes, gi, (g.Beta1, g.Beta2, g.Eps, g.WeightDecay), (b1, b2, eps, wd));
            g.Beta1 = b1; g.Beta2 = b2; g.Eps = eps; g.WeightDecay = wd;
            var ids = (ArrayList)saved["params"]!;
            for (int i = 0; i < g.Slots.Count; i++)
            {
                var s = g.Slots[i];
                s.ExpAvg?.Dispose(); s.ExpAvgSq?.Dispose();
                s.ExpAvg = s.ExpAvgSq = null; s.Step = 0;
                object key = ids[i]!;
                if (state[key] is not Hashtable ps) continue; // never stepped (no gradient yet): torch keeps no state either
                if (ps.ContainsKey("state1")) throw new CheckpointFormatException($"{file}: parameter {key} holds bitsandbytes state (state1/state2); this run's optim is {Name}");
                s.Step = (float)TorchFiles.Number(ps["step"], $"state {key} step", file);
                s.ExpAvg = OptimizerStateCheck.Moment(ps, "exp_avg", s.Param, key, file);
                s.ExpAvgSq = OptimizerStateCheck.Moment(ps, "exp_avg_sq", s.Param, key, file);
            }
        }
        return notes;
    }

    public void Dispose()
    {
        foreach (var s in _groups.SelectMany(g => g.Slots)) { s.ExpAvg?.Dispose(); s.ExpAvgSq?.Dispose(); }
    }
}

/// <summary>The checks torch's Optimizer.load_state_dict makes, with messages that say what to do.</summary>
internal static class OptimizerStateCheck
{
    public static void Groups(string file, ArrayList saved, IReadOnlyList<int> sizes)
    {
        if (saved.Count != sizes.Count)
            throw new CheckpointFormatException($"{file}: {saved.Count} parameter groups, this run has {sizes.Count} (HF Trainer's decay / no-decay groups)");
        for (int i = 0; i < sizes.Count; i++)
        {
            var ids = (saved[i] as Hashtable)?["params"] as ArrayList ?? throw new CheckpointFormatException($"{file}: param_groups[{i}] has no params list");
            if (ids.Count != sizes[i])
                throw new CheckpointFormatException($"{file}: parameter group {i} has {ids.Count} parameters, this run trains {sizes[i]} there " +
                    "(the checkpoint was trained with other target_modules, r, use_dora or modules_to_save?)");
        }
    }

    public static (double, double) Betas(Hashtable group, string file) => group["betas"] switch
    {
        object[] { Length: 2 } b => (TorchFiles.Number(b[0], "betas[0]", file), TorchFiles.Number(b[1], "betas[1]", file)),
        ArrayList { Count: 2 } b => (TorchFiles.Number(b[0], "betas[0]", file), TorchFiles.Number(b[1], "betas[1]", file)),
        _ => throw new CheckpointFormatException($"{file}: a parameter group has no (beta1, beta2)"),
    };

    public static void NoteDifferences(List<string> notes, int group, (double B1, double B2, double Eps, double Wd) config, (double B1, double B2, double Eps, double Wd) saved)
    {
        if (config != saved)
            notes.Add($"optimizer group {group}: the checkpoint's betas ({TorchFiles.Show(saved.B1)}, {TorchFiles.Show(saved.B2)}), eps {TorchFiles.Show(saved.Eps)} and weight_decay {TorchFiles.Show(saved.Wd)} " +
                      $"are used, as HF Trainer does on resume (the config says ({TorchFiles.Show(config.B1)}, {TorchFiles.Show(config.B2)}), {TorchFiles.Show(config.Eps)}, {TorchFiles.Show(config.Wd)})");
    }

    public static Tensor Moment(Hashtable ps, string name, Parameter p, object key, string file)
    {
        var t = TorchFiles.TensorAt(ps, name, $"state {key}", file);
        if (!t.shape.SequenceEqual(p.shape))
            throw new CheckpointFormatException($"{file}: state {key} {name} has shape {SafeTensorsFile.FormatShape(t.shape)}, the parameter has {SafeTensorsFile.FormatShape(p.shape)} (another r?)");
        return t.to(ScalarType.Float32).to(p.device).contiguous().clone().DetachFromDisposeScope();
    }
}
