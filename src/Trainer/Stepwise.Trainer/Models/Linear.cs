using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Stepwise.Trainer.Models;

/// <summary>What the model, LoRA and export need from any linear layer, dense or 4-bit.</summary>
public interface ILinearLayer
{
    long InFeatures { get; }
    long OutFeatures { get; }
    /// <summary>The effective weight [out, in] as a new tensor of <paramref name="dtype"/>.</summary>
    Tensor DequantizedWeight(ScalarType dtype);
}

/// <summary>A module whose linear children can be swapped (for LoRA wrapping and merging) by their HF name.</summary>
public interface ILinearHost
{
    IEnumerable<(string Name, Module<Tensor, Tensor> Layer)> LinearChildren();
    void ReplaceLinear(string name, Module<Tensor, Tensor> layer);
}

/// <summary>
/// A bias-free linear layer whose weight is allocated but not initialised (torch.empty): loading fills it, so a
/// model being loaded never pays for a random init it would overwrite.
/// </summary>
public sealed class DenseLinear : Module<Tensor, Tensor>, ILinearLayer
{
    public Parameter weight;
    public long InFeatures { get; }
    public long OutFeatures { get; }

    public DenseLinear(long inFeatures, long outFeatures, ScalarType dtype, Device device, bool requiresGrad = false) : base(nameof(DenseLinear))
    {
        InFeatures = inFeatures; OutFeatures = outFeatures;
        weight = new Parameter(torch.empty(new[] { outFeatures, inFeatures }, dtype, device), requiresGrad);
        RegisterComponents();
    }

    public DenseLinear(Tensor weightValue, bool requiresGrad = false) : base(nameof(DenseLinear))
    {
        OutFeatures = weightValue.shape[0]; InFeatures = weightValue.shape[1];
        weight = new Parameter(weightValue, requiresGrad);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => torch.nn.functional.linear(input, weight);

    public Tensor DequantizedWeight(ScalarType dtype) => weight.detach().to(dtype).clone();
}

/// <summary>Replaces a registered child module and the field that forward() reads, keeping the HF name.</summary>
internal static class ModuleSwap
{
    public static void Replace(Module parent, string name, Module<Tensor, Tensor> layer, Action<Module<Tensor, Tensor>> assign)
    {
        parent.register_module(name, null!);
        assign(layer);
        parent.register_module(name, layer);
    }
}
