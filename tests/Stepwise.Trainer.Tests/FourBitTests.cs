using Stepwise.Trainer.Quantization;

namespace Stepwise.Trainer.Tests;

public class FourBitTests
{
    // Published NF4 values: the QLoRA paper's, as bitsandbytes 0.50.1 lists them in bitsandbytes/functional.py
    // get_4bit_type("nf4").
    private static readonly double[] PublishedNf4 =
    {
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
        -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
        0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
        0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
    };

    // The decision tree literals of bitsandbytes csrc/kernels.cu dQuantizeNF4, in increasing order.
    private static readonly double[] KernelNf4Thresholds =
    {
        -0.8480964004993439, -0.6106329262256622, -0.4599952697753906, -0.33967943489551544,
        -0.23460740596055984, -0.13791173323988914, -0.045525018125772476, 0.03979014977812767,
        0.1202552504837513, 0.2035212516784668, 0.2920137718319893, 0.3893125355243683,
        0.5016634166240692, 0.6427869200706482, 0.8614784181118011,
    };

    [Fact]
    public void NF4_table_equals_published_values()
    {
        for (int i = 0; i < 16; i++) Assert.Equal((float)PublishedNf4[i], FourBitCodes.Nf4[i]);
    }

    [Fact]
    public void FP4_table_equals_published_values()
    {
        double[] published = { 0, 0.0625, 8, 12, 4, 6, 2, 3, -0.0, -0.0625, -8, -12, -4, -6, -2, -3 };
        for (int i = 0; i < 16; i++) Assert.Equal((float)(published[i] / 12), FourBitCodes.Fp4[i]);
        Assert.True(float.IsNegative(FourBitCodes.Fp4[8]), "code 8 is -0");
    }

    [Fact]
    public void NF4_thresholds_equal_the_kernel_literals()
    {
        for (int i = 0; i < 15; i++) Assert.Equal((float)KernelNf4Thresholds[i], FourBitCodes.Nf4Thresholds[i]);
    }

    private static int[] Codes(float[] values, QuantType type = QuantType.Nf4, int blockSize = 64)
    {
        using var t = torch.tensor(values);
        using var q = FourBit.Quantize(t, type, doubleQuant: false, blockSize);
        using var c = FourBit.UnpackCodes(q);
        return c.data<int>().ToArray();
    }

    [Fact]
    public void Hand_computed_NF4_codes_for_a_positive_max_block()
    {
        // absmax 1: 0.5 lies below the 12/13 midpoint 0.50166 -> 12; 0.25 below the 10/11 midpoint 0.29201 -> 10;
        // -0.5 below the 2/3 midpoint -0.45999 -> 2; 0.08 just above 0.07958 but below the 8/9 midpoint 0.12026 -> 8.
        Assert.Equal(new[] { 15, 0, 7, 12, 10, 2, 8 }, Codes(new[] { 1f, -1f, 0f, 0.5f, 0.25f, -0.5f, 0.08f }));
    }

    [Fact]
    public void Negative_max_block_scales_by_the_magnitude()
    {
        // absmax is |-2| = 2: -2 -> -1 (code 0), 1 -> 0.5 (12), -1 -> -0.5 (2), 2 * 0.7229568 -> 0.7229568 (14).
        Assert.Equal(new[] { 0, 12, 2, 14 }, Codes(new[] { -2f, 1f, -1f, 2f * 0.7229568362236023f }));
    }

    [Fact]
    public void Value_exactly_on_a_midpoint_takes_the_lower_code()
    {
        float t7 = FourBitCodes.Nf4Thresholds[7];   // between code 7 (0.0) and 8 (0.0796)
        float t12 = FourBitCodes.Nf4Thresholds[12]; // between code 12 and 13
        float t0 = FourBitCodes.Nf4Thresholds[0];   // between code 0 (-1) and 1
        Assert.Equal(new[] { 15, 7, 12, 0, 8, 13 },
            Codes(new[] { 1f, t7, t12, t0, MathF.BitIncrement(t7), MathF.BitIncrement(t12) }));
    }

    [Fact]
    public void All_zero_block_gets_code_zero_and_dequantizes_to_zero()
    {
        var values = new float[64 + 3];
        values[64] = 0.5f; // second (partial) block is not zero
        using var t = torch.tensor(values);
        using var q = FourBit.Quantize(t, QuantType.Nf4, doubleQuant: false);
        using var c = FourBit.UnpackCodes(q);
        var codes = c.data<int>().ToArray();
        Assert.All(codes.Take(64), code => Assert.Equal(0, code)); // 0 * (1/0) is NaN in the kernel: every '>' fails
        Assert.Equal(new[] { 15, 7, 7 }, codes.Skip(64));
        using var d = FourBit.Dequantize(q, ScalarType.Float32);
        Assert.All(d.data<float>().ToArray().Take(64), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Odd_length_packs_high_nibble_first_and_pads_the_last_low_nibble_with_the_code_of_zero()
    {
        using var t = torch.tensor(new[] { 1f, -1f, 0.5f });
        using var q = FourBit.Quantize(t, QuantType.Nf4, doubleQuant: false);
        Assert.Equal(new byte[] { 0xF0, 0xC7 }, q.Packed.data<byte>().ToArray());
        using var d = FourBit.Dequantize(q, ScalarType.Float32);
        Assert.Equal(new[] { 1f, -1f, 0.44070982933044434f }, d.data<float>().ToArray()); // 0.5 is below the 12/13 midpoint
    }

    [Fact]
    public void Partial_last_block_has_its_own_absmax()
    {
        var values = Enumerable.Range(0, 70).Select(i => i < 64 ? 4f : 0.5f).ToArray();
        values[66] = -0.25f;
        using var t = torch.tensor(values);
        using var q = FourBit.Quantize(t, QuantType.Nf4, doubleQuant: false);
        Assert.Equal(new[] { 4f, 0.5f }, q.Absmax!.data<float>().ToArray());
        Assert.Equal(35, q.Packed.numel());
        Assert.Equal(2, q.NumBlocks);
        Assert.Equal(2, Codes(values)[66]); // scaled by its own block: -0.25 / 0.5 = -0.5 -> code 2
    }

    [Fact]
    public void Hand_computed_FP4_codes()
    {
        // |x| buckets: 1 -> 12/12 (0b011), 0.5 -> 6/12 (0b101), 0.25 -> 3/12 (0b111), 0.001 -> 0; bit 3 is the sign.
        Assert.Equal(new[] { 0b0011, 0b1011, 0b0101, 0b1111, 0b0000, 0b0110 },
            Codes(new[] { 1f, -1f, 0.5f, -0.25f, 0.001f, 2f / 12 }, QuantType.Fp4));
    }

    [Fact]
    public void Scalar_reference_agrees_with_the_tensor_quantizer()
    {
        var rng = new Random(5);
        var values = Enumerable.Range(0, 64 * 20 + 17).Select(_ => (float)(rng.NextDouble() * 2 - 1) * (float)rng.NextDouble()).ToArray();
        foreach (var type in new[] { QuantType.Nf4, QuantType.Fp4 })
        {
            var codes = Codes(values, type);
            for (int b = 0; b * 64 < values.Length; b++)
            {
                var block = values.Skip(b * 64).Take(64).ToArray();
                float inv = 1f / block.Max(MathF.Abs);
                for (int i = 0; i < block.Length; i++) Assert.Equal(FourBitCodes.Encode(type, block[i] * inv), codes[b * 64 + i]);
            }
        }
    }

    [Theory]
    [InlineData(QuantType.Nf4, 0.1520)] // largest half-gap of the NF4 table: (1 - 0.6962) / 2
    [InlineData(QuantType.Fp4, 0.1667)] // largest half-gap of FP4/12: (12 - 8) / 12 / 2
    public void Quantize_dequantize_error_is_bounded_by_half_the_largest_code_gap(QuantType type, double halfGap)
    {
        using var gen = new torch.Generator(3);
        using var w = torch.randn(new long[] { 96, 200 }, generator: gen);
        using var q = FourBit.Quantize(w, type, doubleQuant: false);
        using var d = FourBit.Dequantize(q, ScalarType.Float32);
        var x = w.reshape(-1).data<float>().ToArray();
        var y = d.reshape(-1).data<float>().ToArray();
        var absmax = q.Absmax!.data<float>().ToArray();
        double sumErr = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double err = Math.Abs(x[i] - y[i]);
            Assert.True(err <= halfGap * absmax[i / 64] + 1e-6, $"element {i}: error {err} above {halfGap} x absmax {absmax[i / 64]}");
            sumErr += err;
        }
        // NF4 is information-theoretically tuned to normal data: its mean error must beat FP4's clearly.
        double mean = sumErr / x.Length;
        Assert.True(mean < (type == QuantType.Nf4 ? 0.10 : 0.16), $"mean abs error {mean}");
    }

    [Fact]
    public void Double_quantization_round_trips_absmax_within_the_dynamic_map_resolution()
    {
        using var gen = new torch.Generator(4);
        using var w = torch.randn(new long[] { 64 * 700 }, generator: gen) * torch.rand(new long[] { 64 * 700 }, generator: gen);
        using var plain = FourBit.Quantize(w, QuantType.Nf4, doubleQuant: false);
        using var dq = FourBit.Quantize(w, QuantType.Nf4, doubleQuant: true);
        var a = plain.Absmax!.data<float>().ToArray();
        Assert.True(dq.Nested);
        Assert.Equal(ScalarType.Byte, dq.QuantizedAbsmax!.dtype);
        Assert.Equal((a.Length + 255) / 256, dq.NestedAbsmax!.numel());
        Assert.Equal(a.Average(v => (double)v), dq.Offset, 5);
        using var back = dq.AbsmaxFloat();
        var b = back.data<float>().ToArray();
        var nested = dq.NestedAbsmax.data<float>().ToArray();
        for (int i = 0; i < a.Length; i++)
        {
            // the coarsest spacing of the signed dynamic map (near +-1) is 0.9/64; half of it bounds the error
            double bound = 0.9 / 64 / 2 * nested[i / 256] + 1e-6;
            Assert.True(Math.Abs(a[i] - b[i]) <= bound, $"absmax {i}: {a[i]} -> {b[i]} (bound {bound})");
        }
        // packed codes do not depend on how absmax is stored
        Assert.Equal(plain.Packed.data<byte>().ToArray(), dq.Packed.data<byte>().ToArray());
    }

    [Fact]
    public void Dynamic_map_has_the_documented_shape()
    {
        var m = DynamicMap.Signed();
        Assert.Equal(256, m.Length);
        Assert.Equal(0f, m[127]);
        Assert.Equal(1f, m[255]);
        Assert.True(m[0] > -1f, "no -1 in the signed map");
        for (int i = 1; i < 256; i++) Assert.True(m[i] >= m[i - 1]);
        for (int i = 0; i < 127; i++) Assert.Equal(-m[254 - i], m[i]); // negatives mirror positives, 1.0 has no twin
    }

    [Fact]
    public void Dynamic_map_quantizer_picks_the_nearest_code()
    {
        var m = DynamicMap.Signed();
        var rng = new Random(11);
        for (int k = 0; k < 5000; k++)
        {
            float x = (float)(rng.NextDouble() * 2 - 1) * (float)Math.Pow(10, -rng.Next(0, 6));
            int q = DynamicMap.Quantize(m, x);
            float best = m.Min(v => MathF.Abs(v - x));
            Assert.True(MathF.Abs(m[q] - x) <= best + 1e-7f, $"x={x}: code {q} ({m[q]}) is not nearest");
        }
    }

    [Fact]
    public void Double_quantized_NF4_costs_4_127_bits_per_parameter_as_in_the_QLoRA_paper()
    {
        using var w = torch.randn(4096, 4096);
        using var q = FourBit.Quantize(w, QuantType.Nf4, doubleQuant: true);
        double bits = q.StorageBytes * 8.0 / q.NumElements;
        // 4 bits + an 8-bit absmax per 64 + a float32 per 256 absmax + the float32 offset: the paper's 4.127
        double expected = 4 + 8.0 / 64 + 32.0 / (64 * 256) + 32.0 / q.NumElements;
        Assert.Equal(expected, bits, 9);
        Assert.Equal(4.127, bits, 3);
    }
}

public class DequantizePathTests
{
    [Theory]
    [InlineData(1L, true)]
    [InlineData(3L, false)]
    [InlineData(64L * 300 + 5, true)]
    [InlineData(64L * 1000, true)]
    [InlineData((1L << 20) + 64 * 3 + 1, true)] // more than one chunk, odd tail
    public void CPU_kernels_equal_the_tensor_op_path_bit_for_bit(long n, bool dq)
    {
        using var gen = new torch.Generator((ulong)n);
        using var w = torch.randn(new[] { n }, generator: gen);
        foreach (var type in new[] { QuantType.Nf4, QuantType.Fp4 })
        {
            using var q = FourBit.Quantize(w, type, dq);
            QuantizedWeight qOps;
            FourBit.UseCpuKernels = false;
            try { qOps = FourBit.Quantize(w, type, dq); }
            finally { FourBit.UseCpuKernels = true; }
            using var _ = qOps;
            Assert.Equal(qOps.Packed.data<byte>().ToArray(), q.Packed.data<byte>().ToArray());
            using var fast = FourBit.Dequantize(q, ScalarType.Float32);
            using var ops = FourBit.DequantizeTensorOps(q, ScalarType.Float32);
            Assert.True(TestSupportExt.Same(fast, ops));
        }
    }
}
