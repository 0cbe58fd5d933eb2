using Stepwise.Trainer.Quantization;

namespace Stepwise.Trainer.Tests;

public class Linear4bitTests
{
    private static (Linear4bit Layer, Tensor Dequantized) Make(QuantType type = QuantType.Nf4)
    {
        using var gen = new torch.Generator(9);
        using var w = torch.randn(new long[] { 24, 80 }, generator: gen); // 1920 elements: 30 blocks
        var q = FourBit.Quantize(w, type, doubleQuant: true);
        return (new Linear4bit(q), FourBit.Dequantize(q, ScalarType.Float32));
    }

    [Theory]
    [InlineData(QuantType.Nf4)]
    [InlineData(QuantType.Fp4)]
    public void Forward_equals_a_float32_matmul_with_the_dequantized_weight(QuantType type)
    {
        var (layer, wd) = Make(type);
        using var x = torch.randn(3, 5, 80);
        using var y = layer.forward(x);
        using var reference = x.matmul(wd.t());
        Assert.Equal(new long[] { 3, 5, 24 }, y.shape);
        Assert.True(y.allclose(reference, rtol: 1e-6, atol: 1e-6));
    }

    [Fact]
    public void Input_gradient_equals_autograd_of_the_dequantized_reference_and_the_weight_gets_none()
    {
        var (layer, wd) = Make();
        using var x0 = torch.randn(4, 80);
        using var upstream = torch.randn(4, 24);

        var x = x0.clone().requires_grad_(true);
        layer.forward(x).mul(upstream).sum().backward();

        var xr = x0.clone().requires_grad_(true);
        var wr = wd.clone().requires_grad_(true);
        xr.matmul(wr.t()).mul(upstream).sum().backward();

        Assert.True(x.grad!.allclose(xr.grad!, rtol: 1e-5, atol: 1e-6));
        Assert.Empty(layer.parameters());                 // nothing trainable in the base layer
        Assert.False(layer.Weight.Packed.requires_grad);
        Assert.Null(layer.Weight.Packed.grad);
    }

    [Fact]
    public void Computes_in_the_input_dtype()
    {
        var (layer, wd) = Make();
        using var x = torch.randn(2, 80).to(ScalarType.BFloat16);
        using var y = layer.forward(x);
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        using var reference = x.matmul(wd.to(ScalarType.BFloat16).t());
        Assert.True(y.to(ScalarType.Float32).allclose(reference.to(ScalarType.Float32), rtol: 2e-2, atol: 2e-2));
    }
}
