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

    private sealed class Group : AdamGroupSettings
    {
        public required List<Slot> Slots;
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

    public void Save(string folder, double learningRate) => OptimizerFile.Write(folder, _groups.Select(g => new OptimizerFile.GroupToWrite(
        g.Slots.Select(s => s.ExpAvg is null ? null
            : TorchFiles.Dict(("step", torch.tensor(s.Step)), ("exp_avg", s.ExpAvg.detach().cpu()), ("exp_avg_sq", s.ExpAvgSq!.detach().cpu()))),
        // Key order as torch builds the group (given keys, then defaults, then LambdaLR's initial_lr).
        new (object, object?)[] { ("weight_decay", g.WeightDecay), ("lr", learningRate), ("betas", new object[] { g.Beta1, g.Beta2 }),
            ("eps", g.Eps), ("amsgrad", false), ("foreach", null), ("maximize", false), ("capturable", false), ("initial_lr", _initialLr) })));

    public IReadOnlyList<string> Load(string folder)
    {
        var (file, saved) = OptimizerFile.Read(folder, _groups.Select(g => g.Slots.Count).ToList());
        var notes = new List<string>();
        for (int gi = 0; gi < _groups.Count; gi++)
        {
            var g = _groups[gi];
            if (saved[gi].Settings["amsgrad"] is true) throw new CheckpointFormatException($"{file}: group {gi} uses amsgrad, which this optimizer does not do");
            OptimizerFile.Adopt(g, saved[gi], gi, file, notes);
            for (int i = 0; i < g.Slots.Count; i++)
            {
                var s = g.Slots[i];
                s.ExpAvg?.Dispose(); s.ExpAvgSq?.Dispose();
                s.ExpAvg = s.ExpAvgSq = null; s.Step = 0;
                var (key, ps) = saved[gi].Parameters[i];
                if (ps is null) continue; // never stepped (no gradient yet): torch keeps no state either
                if (ps.ContainsKey("state1")) throw new CheckpointFormatException($"{file}: parameter {key} holds bitsandbytes state (state1/state2); this run's optim is {Name}");
                s.Step = (float)TorchFiles.Number(ps["step"], $"state {key} step", file);
                s.ExpAvg = OptimizerFile.Moment(ps, "exp_avg", s.Param, key, file);
                s.ExpAvgSq = OptimizerFile.Moment(ps, "exp_avg_sq", s.Param, key, file);
            }
        }
        return notes;
    }

    public void Dispose()
    {
        foreach (var s in _groups.SelectMany(g => g.Slots)) { s.ExpAvg?.Dispose(); s.ExpAvgSq?.Dispose(); }
    }
}
