namespace Stepwise.Trainer.Optim;

/// <summary>
/// The optimizer as the training loop sees it: one update at a given learning rate, its state's size, and its state
/// saved to / restored from a checkpoint folder (so a resumed run continues bit for bit).
/// </summary>
public interface ITrainOptimizer : IDisposable
{
    /// <summary>The HF `optim` name it was made for.</summary>
    string Name { get; }
    void Step(double learningRate);
    void ZeroGrad();
    /// <summary>Bytes held by the optimizer state (moments, scales, step counters).</summary>
    long StateBytes { get; }
    void Save(string folder);
    void Load(string folder);
}

/// <summary>Which optimizer a HF `optim` name means here, or why it is refused (before any model loads).</summary>
public static class Optimizers
{
    public static readonly IReadOnlyList<string> Supported = new[]
    {
        "adamw_torch", "adamw_torch_fused", "adamw_hf", "paged_adamw_32bit", "adamw_bnb_8bit", "adamw_8bit", "paged_adamw_8bit",
    };

    public static bool IsEightBit(string name) => name is "adamw_bnb_8bit" or "adamw_8bit" or "paged_adamw_8bit";
    public static bool IsPaged(string name) => name.StartsWith("paged_", StringComparison.Ordinal);

    /// <summary>null when <paramref name="name"/> is supported, else a message saying what to use instead.</summary>
    public static string? Refusal(string name) => Supported.Contains(name)
        ? null
        : $"optim '{name}' is not available in the bundled trainer; use one of: {string.Join(", ", Supported)} " +
          "(adamw_torch for 32-bit AdamW, adamw_bnb_8bit / paged_adamw_8bit for the 8-bit blockwise AdamW)";

    public static ITrainOptimizer Create(string name, IReadOnlyList<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay)
    {
        if (Refusal(name) is { } why) throw new ArgumentException(why);
        return IsEightBit(name)
            ? new AdamW8bit(name, parameters, beta1, beta2, eps, weightDecay)
            : new TorchAdamW(name, parameters, lr, beta1, beta2, eps, weightDecay);
    }
}
