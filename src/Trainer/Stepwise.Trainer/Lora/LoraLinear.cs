using Stepwise.Trainer.Models;

namespace Stepwise.Trainer.Lora;

/// <summary>
/// PEFT's lora.Linear: y = base(x) + lora_B(lora_A(dropout(x))) * scaling. The base layer (dense or 4-bit) stays
/// frozen; A [r, in] starts kaiming-uniform (a = sqrt(5)), B [out, r] starts at zero, so the wrapped layer starts
/// equal to the base. Adapters are kept in float32 whatever the compute dtype (peft's autocast_adapter_dtype).
/// Child names follow PEFT (base_layer, lora_A, lora_B, lora_dropout) without the ".default" adapter level.
/// </summary>
public sealed class LoraLinear : Module<Tensor, Tensor>, ILinearLayer
{
    public Module<Tensor, Tensor> base_layer;
    public DenseLinear lora_A;
    public DenseLinear lora_B;
    public Module<Tensor, Tensor> lora_dropout;
    public double Scaling { get; }
    public long InFeatures { get; }
    public long OutFeatures { get; }

    public LoraLinear(Module<Tensor, Tensor> baseLayer, LoraConfig config, Device device) : base(nameof(LoraLinear))
    {
        var lin = baseLayer as ILinearLayer ?? throw new ArgumentException("LoRA wraps linear layers only");
        InFeatures = lin.InFeatures; OutFeatures = lin.OutFeatures;
        base_layer = baseLayer;
        lora_A = new DenseLinear(InFeatures, config.R, ScalarType.Float32, device, requiresGrad: true);
        lora_B = new DenseLinear(config.R, OutFeatures, ScalarType.Float32, device, requiresGrad: true);
        using (torch.no_grad())
        {
            torch.nn.init.kaiming_uniform_(lora_A.weight, a: Math.Sqrt(5));
            torch.nn.init.zeros_(lora_B.weight);
        }
        lora_dropout = config.LoraDropout > 0 ? torch.nn.Dropout(config.LoraDropout) : torch.nn.Identity();
        Scaling = config.Scaling;
        foreach (var p in base_layer.parameters()) p.requires_grad = false;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var result = base_layer.forward(x);
        var update = lora_B.forward(lora_A.forward(lora_dropout.forward(x.to(ScalarType.Float32)))) * Scaling;
        return result + update.to(result.dtype);
    }

    /// <summary>The merged weight W + (B A) * scaling (a 4-bit base is dequantized first).</summary>
    public Tensor DequantizedWeight(ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var w = ((ILinearLayer)base_layer).DequantizedWeight(ScalarType.Float32) + lora_B.weight.matmul(lora_A.weight) * Scaling;
        return w.to(dtype).MoveToOuterDisposeScope();
    }
}
