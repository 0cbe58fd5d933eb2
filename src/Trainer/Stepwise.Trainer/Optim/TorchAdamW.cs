namespace Stepwise.Trainer.Optim;

/// <summary>
/// adamw_torch (and paged_adamw_32bit, whose paging means nothing on a CPU): TorchSharp's torch.optim.AdamW with
/// float32 moments. The learning rate is set on its parameter groups before each step, as a LambdaLR would.
/// </summary>
public sealed class TorchAdamW : ITrainOptimizer
{
    private readonly IReadOnlyList<Parameter> _parameters;
    private readonly TorchSharp.Modules.AdamW _inner;
    private const string StateFile = "optimizer.torchsharp.bin";

    public TorchAdamW(string name, IReadOnlyList<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay)
    {
        Name = name;
        _parameters = parameters;
        _inner = optim.AdamW(parameters, lr, beta1, beta2, eps, weightDecay);
    }

    public string Name { get; }

    public void Step(double learningRate)
    {
        foreach (var g in _inner.ParamGroups) g.LearningRate = learningRate;
        _inner.step();
    }

    public void ZeroGrad() => _inner.zero_grad();

    /// <summary>exp_avg and exp_avg_sq in float32 for every parameter that has been stepped (as torch allocates lazily).</summary>
    public long StateBytes => _parameters.Sum(p => p.numel()) * 2 * 4 + _parameters.Count * 8;

    public void Save(string folder) => _inner.save_state_dict(Path.Combine(folder, StateFile));

    public void Load(string folder)
    {
        string path = Path.Combine(folder, StateFile);
        if (!File.Exists(path)) throw new IOException($"{folder}: no {StateFile} (was the checkpoint written with another optimizer?)");
        _inner.load_state_dict(path);
    }

    public void Dispose() => _inner.Dispose();
}
