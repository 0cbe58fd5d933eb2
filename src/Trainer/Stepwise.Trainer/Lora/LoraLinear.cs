using Stepwise.Trainer.Models;

namespace Stepwise.Trainer.Lora;

/// <summary>
/// PEFT's lora.Linear: y = base(x) + lora_B(lora_A(dropout(x))) * scaling. The base layer (dense or 4-bit) stays
/// frozen; A [r, in] starts kaiming-uniform (a = sqrt(5)), B [out, r] starts at zero, so the wrapped layer starts
/// equal to the base. Adapters are kept in float32 whatever the compute dtype (peft's autocast_adapter_dtype).
/// Child names follow PEFT (base_layer, lora_A, lora_B, lora_dropout, lora_magnitude_vector) without the ".default"
/// adapter level.
///
/// With DoRA (peft 0.19.1 tuners/lora/dora.py, DoraLinearLayer + variants.DoraLinearVariant) the layer also holds a
/// magnitude m [out], initialised to the row norms of W + scaling * B A (of the dequantized weight for a 4-bit base),
/// and adds (m / n - 1) * base + (m / n) * scaling * B(A(x)) where n = ||W + scaling * (B A).detach()|| per output row
/// is itself detached (section 4.3 of the DoRA paper, as PEFT does). When dropout is active PEFT recomputes the base
/// term on the dropped-out input; otherwise it reuses the base layer's output.
/// </summary>
public sealed class LoraLinear : Module<Tensor, Tensor>, ILinearLayer
{
    public Module<Tensor, Tensor> base_layer;
    public DenseLinear lora_A;
    public DenseLinear lora_B;
    public Module<Tensor, Tensor> lora_dropout;
    public DoraMagnitude? lora_magnitude_vector;
    public int Rank { get; }
    public double Alpha { get; }
    public double Scaling { get; }
    public long InFeatures { get; }
    public long OutFeatures { get; }
    private readonly bool _hasDropout;

    /// <summary>A layer with the config's r and alpha.</summary>
    public LoraLinear(Module<Tensor, Tensor> baseLayer, LoraConfig config, Device device)
        : this(baseLayer, config.R, config.LoraAlpha, config, device) { }

    /// <summary>A layer with its own rank and alpha (from rank_pattern / alpha_pattern).</summary>
    public LoraLinear(Module<Tensor, Tensor> baseLayer, int rank, double alpha, LoraConfig config, Device device) : base(nameof(LoraLinear))
    {
        var lin = baseLayer as ILinearLayer ?? throw new ArgumentException("LoRA wraps linear layers only");
        InFeatures = lin.InFeatures; OutFeatures = lin.OutFeatures;
        Rank = rank; Alpha = alpha; Scaling = config.ScalingOf(rank, alpha);
        base_layer = baseLayer;
        lora_A = new DenseLinear(InFeatures, rank, ScalarType.Float32, device, requiresGrad: true);
        lora_B = new DenseLinear(rank, OutFeatures, ScalarType.Float32, device, requiresGrad: true);
        using (torch.no_grad())
        {
            torch.nn.init.kaiming_uniform_(lora_A.weight, a: Math.Sqrt(5));
            torch.nn.init.zeros_(lora_B.weight);
        }
        _hasDropout = config.LoraDropout > 0;
        lora_dropout = _hasDropout ? torch.nn.Dropout(config.LoraDropout) : torch.nn.Identity();
        foreach (var p in base_layer.parameters()) p.requires_grad = false;
        if (config.UseDora)
        {
            using var _ = torch.no_grad();
            using var norm = WeightNorm(BaseWeight(ScalarType.Float32), lora_B.weight.matmul(lora_A.weight));
            lora_magnitude_vector = new DoraMagnitude(norm.clone());
        }
        RegisterComponents();
    }

    public bool UseDora => lora_magnitude_vector is not null;

    public override Tensor forward(Tensor x)
    {
        var result = base_layer.forward(x);
        var xa = x.to(ScalarType.Float32);
        if (lora_magnitude_vector is null)
        {
            var update = lora_B.forward(lora_A.forward(lora_dropout.forward(xa))) * Scaling;
            return result + update.to(result.dtype);
        }

        // DoRA (DoraLinearLayer.forward). The weight norm sees the LoRA weight detached, and is detached itself.
        using var weight = BaseWeight(ScalarType.Float32);
        using var loraWeight = lora_B.weight.detach().matmul(lora_A.weight.detach());
        using var norm = WeightNorm(weight, loraWeight);
        var scale = (lora_magnitude_vector.weight / norm).view(1, -1);
        Tensor baseResult;
        if (!_hasDropout || !training)
            baseResult = result.to(ScalarType.Float32);
        else
        {
            xa = lora_dropout.forward(xa);
            baseResult = functional.linear(xa, weight);
        }
        var loraResult = lora_B.forward(lora_A.forward(xa));
        var dora = (scale - 1) * baseResult + scale * loraResult * Scaling;
        return result + dora.to(result.dtype);
    }

    /// <summary>||W + scaling * lora_weight|| over each output row (DoraLinearLayer.get_weight_norm), detached.</summary>
    private Tensor WeightNorm(Tensor weight, Tensor loraWeight)
    {
        using var _ = torch.no_grad();
        return torch.linalg.norm(weight + loraWeight * Scaling, dims: new long[] { 1 });
    }

    /// <summary>The base weight [out, in] as a new tensor (dequantized for a 4-bit base: peft's dequantize_module_weight).</summary>
    private Tensor BaseWeight(ScalarType dtype)
    {
        using var _ = torch.no_grad();
        return ((ILinearLayer)base_layer).DequantizedWeight(dtype);
    }

    /// <summary>
    /// The merged weight: W + (B A) * scaling, and with DoRA (m / ||W + ΔW||) * (W + ΔW) per output row
    /// (DoraLinearVariant.merge_safe). A 4-bit base is dequantized first.
    /// </summary>
    public Tensor DequantizedWeight(ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var w = BaseWeight(ScalarType.Float32) + lora_B.weight.matmul(lora_A.weight) * Scaling;
        if (lora_magnitude_vector is not null)
            w = (lora_magnitude_vector.weight / torch.linalg.norm(w, dims: new long[] { 1 })).view(-1, 1) * w;
        return w.to(dtype).MoveToOuterDisposeScope();
    }
}

/// <summary>PEFT's DoraLinearLayer as a parameter holder: <c>weight</c> is the magnitude vector m [out_features].</summary>
public sealed class DoraMagnitude : Module
{
    public Parameter weight;

    public DoraMagnitude(Tensor magnitude) : base(nameof(DoraMagnitude))
    {
        weight = new Parameter(magnitude, requires_grad: true);
        RegisterComponents();
    }
}
