namespace Stepwise.Trainer.Optim;

/// <summary>
/// The optimizer as the training loop sees it: one update at a given learning rate, its state's size, and its state
/// saved to / restored from a checkpoint folder as HF Trainer's optimizer.pt (torch.save of the optimizer's
/// state_dict), so HF resumes from our checkpoints and we from HF's.
/// </summary>
public interface ITrainOptimizer : IDisposable
{
    public const string FileName = "optimizer.pt";

    /// <summary>The HF `optim` name it was made for.</summary>
    string Name { get; }
    void Step(double learningRate);
    void ZeroGrad();
    /// <summary>Bytes held by the optimizer state (moments, scales, step counters).</summary>
    long StateBytes { get; }
    /// <summary>Writes optimizer.pt; <paramref name="learningRate"/> is each group's "lr" as HF's LambdaLR left it after the last step.</summary>
    void Save(string folder, double learningRate);
    /// <summary>
    /// Reads optimizer.pt as torch's Optimizer.load_state_dict does: parameters by position, the saved groups'
    /// hyperparameters (betas, eps, weight_decay) replacing the configured ones. Returns notes on what differed.
    /// </summary>
    IReadOnlyList<string> Load(string folder);
}

/// <summary>Which optimizer a HF `optim` name means here, or why it is refused (before any model loads).</summary>
public static class Optimizers
{
    /// <summary>The names the engine's table of the bundled trainer lists (SW5001 refuses the others before any model loads).</summary>
    public static IReadOnlyList<string> Supported => Stepwise.Core.Rules.Trainer.BundledTrainerSupport.Optimizers;

    public static bool IsEightBit(string name) => name is "adamw_bnb_8bit" or "adamw_8bit" or "paged_adamw_8bit";
    /// <summary>bitsandbytes optimizers (HF Trainer maps these names to bnb.optim.AdamW): their state has bnb's layout.</summary>
    public static bool IsBitsAndBytes(string name) => IsEightBit(name) || name == "paged_adamw_32bit";
    public static bool IsPaged(string name) => name.StartsWith("paged_", StringComparison.Ordinal);

    /// <summary>null when <paramref name="name"/> is supported, else a message saying what to use instead.</summary>
    public static string? Refusal(string name) => Supported.Contains(name)
        ? null
        : $"optim '{name}' is not available in the bundled trainer; use one of: {string.Join(", ", Supported)} " +
          "(adamw_torch for 32-bit AdamW, adamw_bnb_8bit / paged_adamw_8bit for the 8-bit blockwise AdamW)";

    /// <summary>
    /// The optimizer for HF's parameter groups. For 8-bit bitsandbytes optimizers, parameters in <paramref name="keep32"/>
    /// keep 32-bit state (HF registers nn.Embedding weights for 32-bit optimization).
    /// </summary>
    public static ITrainOptimizer Create(string name, IReadOnlyList<ParamGroup> groups, double lr, double beta1, double beta2, double eps,
        IReadOnlySet<Parameter>? keep32 = null)
    {
        if (Refusal(name) is { } why) throw new ArgumentException(why);
        return IsBitsAndBytes(name)
            ? new AdamW8bit(name, groups, lr, beta1, beta2, eps, IsEightBit(name) ? 8 : 32, keep32)
            : new TorchAdamW(name, groups, lr, beta1, beta2, eps);
    }
}
