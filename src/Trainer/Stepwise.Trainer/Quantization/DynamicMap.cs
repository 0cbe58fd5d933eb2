using TorchSharp;
using static TorchSharp.torch;

namespace Stepwise.Trainer.Quantization;

/// <summary>
/// bitsandbytes' 8-bit "dynamic tree" map (functional.create_dynamic_map) and the blockwise 8-bit quantizer that
/// double quantization applies to the 4-bit absmax values (functional.quantize_blockwise, kernels.cu dQuantize).
/// </summary>
public static class DynamicMap
{
    private static float[]? _signed;

    /// <summary>
    /// The signed map: for i in 0..6, the means of neighbouring points of linspace(0.1, 1, 2^i + 1), scaled by
    /// 10^(i-6), with both signs; plus 0 and 1; sorted. Built with libtorch's own float32 linspace and arithmetic so
    /// the values match the ones bitsandbytes computes with torch bit for bit.
    /// </summary>
    public static float[] Signed()
    {
        if (_signed is not null) return _signed;
        var data = new List<float>();
        using (torch.NewDisposeScope())
        {
            for (int i = 0; i < 7; i++)
            {
                int items = (1 << i) + 1;
                var b = torch.linspace(0.1, 1.0, items, ScalarType.Float32, torch.CPU);
                var means = (b.narrow(0, 0, items - 1) + b.narrow(0, 1, items - 1)) / 2.0;
                double scale = Math.Pow(10, i - 6);
                if (i == 6) scale = 1; // Python: 10 ** 0 is the int 1
                data.AddRange(means.mul(scale).data<float>().ToArray());
                data.AddRange(means.mul(-scale).data<float>().ToArray());
            }
        }
        data.Add(0f);
        data.Add(1.0f);
        data.Sort();
        if (data.Count != 256) throw new InvalidOperationException($"dynamic map has {data.Count} entries, expected 256");
        return _signed = data.ToArray();
    }

    /// <summary>
    /// The code chosen for x (already divided by the block absmax), reproducing the CUDA kernel's dQuantize without
    /// stochastic rounding: a 7-step binary search from index 127, then a comparison with the midpoint of the
    /// neighbours it visited.
    /// </summary>
    public static byte Quantize(float[] code, float x)
    {
        int pivot = 127, upperPivot = 255, lowerPivot = 0;
        float lower = -1.0f, upper = 1.0f;
        float val = code[pivot];
        for (int i = 64; i > 0; i >>= 1)
        {
            if (x > val) { lowerPivot = pivot; lower = val; pivot += i; }
            else { upperPivot = pivot; upper = val; pivot -= i; }
            val = code[pivot];
        }
        if (upperPivot == 255) upper = code[upperPivot];
        if (lowerPivot == 0) lower = code[lowerPivot];
        if (x > val)
        {
            float mid = (upper + val) * 0.5f;
            return (byte)(x > mid ? upperPivot : pivot);
        }
        else
        {
            float mid = (lower + val) * 0.5f;
            return (byte)(x < mid ? lowerPivot : pivot);
        }
    }

    /// <summary>Blockwise 8-bit quantization of a float vector: per block absmax and one byte per value.</summary>
    public static (byte[] Codes, float[] Absmax) QuantizeBlockwise(float[] values, int blockSize, float[] code)
    {
        int nb = (values.Length + blockSize - 1) / blockSize;
        var codes = new byte[values.Length];
        var absmax = new float[nb];
        for (int b = 0; b < nb; b++)
        {
            int start = b * blockSize, end = Math.Min(values.Length, start + blockSize);
            float m = 0;
            for (int i = start; i < end; i++) m = MathF.Max(m, MathF.Abs(values[i]));
            absmax[b] = m;
            float inv = 1.0f / m; // the kernel multiplies by the reciprocal (0 -> inf -> NaN -> a fixed code, value 0)
            for (int i = start; i < end; i++) codes[i] = Quantize(code, values[i] * inv);
        }
        return (codes, absmax);
    }
}
