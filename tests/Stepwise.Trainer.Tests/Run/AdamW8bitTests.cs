using TorchSharp.Modules;
using Stepwise.Trainer.Optim;
using Stepwise.Trainer.Quantization;

namespace Stepwise.Trainer.Tests.Run;

public sealed class AdamW8bitTests
{
    /// <summary>Least squares W x = y with W [64, 256] (8-bit state) and a bias [64] (float32 state, under 4096 elements).</summary>
    private static (List<double> Losses, float[] W) Fit(Func<IReadOnlyList<Parameter>, ITrainOptimizer> make, int steps)
    {
        using var gen = new torch.Generator(11);
        var x = torch.randn(new long[] { 128, 256 }, generator: gen);
        var target = torch.randn(new long[] { 64, 256 }, generator: gen) * 0.1;
        var y = x.matmul(target.t());
        var w = new Parameter(torch.zeros(64, 256));
        var bias = new Parameter(torch.zeros(64));
        using var opt = make(new[] { w, bias });
        var losses = new List<double>();
        for (int i = 0; i < steps; i++)
        {
            var loss = (x.matmul(w.t()) + bias - y).pow(2).mean();
            losses.Add(loss.item<float>());
            loss.backward();
            opt.Step(1e-2);
            opt.ZeroGrad();
        }
        return (losses, w.detach().data<float>().ToArray());
    }

    [Fact]
    public void Eight_bit_AdamW_tracks_torch_AdamW_on_least_squares()
    {
        // Tolerance: blockwise 8-bit moments perturb each update by a few percent (bitsandbytes reports matching
        // 32-bit Adam's final quality, not its trajectory): losses agree within 5% relative at every 10th step over
        // 200 steps, and the final weights within 5% relative L2 distance (measured: 3.9%).
        var (l32, w32) = Fit(ps => new TorchAdamW("adamw_torch", ps, 1e-2, 0.9, 0.999, 1e-8, 0.01), 200);
        var (l8, w8) = Fit(ps => new AdamW8bit("adamw_bnb_8bit", ps, 0.9, 0.999, 1e-8, 0.01), 200);
        Assert.True(l32[^1] < l32[0] * 0.05, $"the fp32 run itself must converge ({l32[0]} -> {l32[^1]})");
        for (int i = 0; i < 200; i += 10)
            Assert.True(Math.Abs(l8[i] - l32[i]) <= 0.05 * l32[i] + 1e-6, $"step {i}: 8-bit loss {l8[i]} vs 32-bit {l32[i]}");
        double diff = Math.Sqrt(w8.Zip(w32, (a, b) => (double)(a - b) * (a - b)).Sum());
        double norm = Math.Sqrt(w32.Sum(v => (double)v * v));
        Assert.True(diff / norm < 0.05, $"relative weight distance {diff / norm}");
    }

    [Fact]
    public void First_steps_match_torch_AdamW_closely()
    {
        // After one step from zero state the update is lr * sign-like m/sqrt(v): the quantized moments are the exact
        // fresh moments up to code rounding, so weights agree to well under the lr.
        var (_, w32) = Fit(ps => new TorchAdamW("adamw_torch", ps, 1e-2, 0.9, 0.999, 1e-8, 0), 1);
        var (_, w8) = Fit(ps => new AdamW8bit("adamw_bnb_8bit", ps, 0.9, 0.999, 1e-8, 0), 1);
        Assert.All(w8.Zip(w32), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-6));
        var (_, w32b) = Fit(ps => new TorchAdamW("adamw_torch", ps, 1e-2, 0.9, 0.999, 1e-8, 0), 2);
        var (_, w8b) = Fit(ps => new AdamW8bit("adamw_bnb_8bit", ps, 0.9, 0.999, 1e-8, 0), 2);
        Assert.All(w8b.Zip(w32b), p => Assert.True(Math.Abs(p.First - p.Second) < 2e-3));
    }

    [Fact]
    public void Optimizer_state_outlives_the_dispose_scope_of_the_step_that_created_it()
    {
        // Regression: the moments were created lazily inside the caller's dispose scope and freed with it.
        var w = new Parameter(torch.ones(8));
        using var opt = new TorchAdamW("adamw_torch", new[] { w }, 0.1, 0.9, 0.999, 1e-8, 0);
        for (int i = 0; i < 3; i++)
            using (torch.NewDisposeScope())
            {
                (w * w).sum().backward();
                opt.Step(0.1);
                opt.ZeroGrad();
            }
        Assert.True(w.detach().max().item<float>() < 1f);
    }

    [Fact]
    public void Eight_bit_state_is_about_a_quarter_of_float32_state()
    {
        var ps = new[] { new Parameter(torch.zeros(256, 1024)), new Parameter(torch.zeros(1024, 64)) };
        using var o8 = new AdamW8bit("adamw_bnb_8bit", ps, 0.9, 0.999, 1e-8, 0);
        using var o32 = new TorchAdamW("adamw_torch", ps, 1e-3, 0.9, 0.999, 1e-8, 0);
        long n = ps.Sum(p => p.numel());
        // 2 bytes per element + 2 float32 absmax per 256 block = 2.03 bytes vs 8 bytes.
        Assert.Equal(2 * n + 2 * 4 * (n / 256) + 8, o8.StateBytes);
        double ratio = (double)o8.StateBytes / o32.StateBytes;
        Assert.InRange(ratio, 0.25, 0.26);
    }

    [Fact]
    public void Tensors_under_4096_elements_keep_float32_state()
    {
        var ps = new[] { new Parameter(torch.zeros(4095)), new Parameter(torch.zeros(4096)) };
        using var o8 = new AdamW8bit("adamw_bnb_8bit", ps, 0.9, 0.999, 1e-8, 0);
        Assert.Equal(4095 * 8 + 4096 * 2 + 2 * 4 * 16 + 8, o8.StateBytes);
    }

    [Fact]
    public void Unsigned_dynamic_map_is_bitsandbytes_create_dynamic_map_unsigned()
    {
        var map = AdamW8bit.UnsignedMap();
        Assert.Equal(256, map.Length);
        Assert.Equal(0f, map[0]);
        Assert.Equal(1f, map[255]);
        Assert.All(map, v => Assert.InRange(v, 0f, 1f));
        for (int i = 1; i < 256; i++) Assert.True(map[i] >= map[i - 1]);
        // Smallest positive: 1e-6 x mean(linspace(0.1, 1, 3)[0:2]) = 1e-6 x 0.325; largest below 1: mean of the last two
        // points of linspace(0.1, 1, 129) = 1 - 0.9/256.
        Assert.Equal(0.325e-6, map[1], 1e-12);
        Assert.Equal(1 - 0.9 / 256, map[254], 1e-6);
        // The signed map's positive half uses half as many points per decade.
        Assert.Equal(128, DynamicMap.Signed().Count(v => v > 0));
    }
}
