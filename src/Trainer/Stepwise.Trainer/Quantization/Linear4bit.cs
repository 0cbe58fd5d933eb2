using TorchSharp;
using Stepwise.Trainer.Models;
using static TorchSharp.torch;

namespace Stepwise.Trainer.Quantization;

/// <summary>
/// A frozen linear layer stored as 4-bit codes (bitsandbytes' Linear4bit). The forward dequantizes to the input's
/// dtype and does an ordinary matmul; the backward dequantizes again instead of keeping the float weight, so only
/// the packed form lives between the two passes, and the base weight never gets a gradient.
/// </summary>
public sealed class Linear4bit : Module<Tensor, Tensor>, ILinearLayer
{
    public QuantizedWeight Weight { get; private set; }
    public long InFeatures { get; }
    public long OutFeatures { get; }

    public Linear4bit(QuantizedWeight weight) : base(nameof(Linear4bit))
    {
        if (weight.Shape.Length != 2) throw new ArgumentException($"a linear weight must be 2-D, got [{string.Join(", ", weight.Shape)}]");
        Weight = weight;
        OutFeatures = weight.Shape[0];
        InFeatures = weight.Shape[1];
    }

    public override Tensor forward(Tensor input) => Dequantize4bitLinear.apply(input, Weight);

    public Tensor DequantizedWeight(ScalarType dtype) => FourBit.Dequantize(Weight, dtype);

    protected override void Dispose(bool disposing)
    {
        if (disposing) Weight.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>y = x W^T with W dequantized on the fly; the backward recomputes W from the packed codes.</summary>
internal sealed class Dequantize4bitLinear : torch.autograd.SingleTensorFunction<Dequantize4bitLinear>
{
    public override string Name => nameof(Dequantize4bitLinear);

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        var q = (QuantizedWeight)vars[1];
        ctx.save_data("weight", q); // a reference to the packed weight, not a float copy
        using var w = FourBit.Dequantize(q, x.dtype);
        return torch.nn.functional.linear(x, w);
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var q = (QuantizedWeight)ctx.get_data("weight");
        using var w = FourBit.Dequantize(q, gradOutput.dtype);
        // dL/dx = dL/dy W; the weight input is not a tensor, so its slot gets no gradient.
        return new List<Tensor> { gradOutput.matmul(w), null! };
    }
}
