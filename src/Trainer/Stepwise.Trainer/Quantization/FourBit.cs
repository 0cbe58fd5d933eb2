using TorchSharp;
using static TorchSharp.torch;

namespace Stepwise.Trainer.Quantization;

/// <summary>
/// Blockwise 4-bit quantization as bitsandbytes does it (functional.quantize_4bit / dequantize_4bit and the
/// kQuantizeBlockwise kernel): the weight is flattened row-major into blocks (64 by default, the last may be
/// partial and is padded with zeros), each block is multiplied by the reciprocal of its absmax, every value takes
/// the nearest code (ties to the lower one), and two codes share a byte, the even element in the high nibble.
/// </summary>
public static class FourBit
{
    /// <summary>Elements quantized per step: bounds the float32 temporaries to a few MB whatever the tensor size.</summary>
    private const long ChunkElements = 1 << 20;

    /// <summary>Use the C# kernels on CPU tensors (tests turn this off to check them against the tensor-op path).</summary>
    internal static bool UseCpuKernels = true;

    public static QuantizedWeight Quantize(Tensor weight, QuantType type = QuantType.Nf4, bool doubleQuant = true, int blockSize = 64)
    {
        if (blockSize < 2 || (blockSize & (blockSize - 1)) != 0) throw new ArgumentException($"blocksize must be a power of two, got {blockSize}");
        if (!torch.is_floating_point(weight)) throw new ArgumentException($"only floating-point weights can be quantized, got {weight.dtype}");
        long n = weight.numel();
        if (n == 0) throw new ArgumentException("cannot quantize an empty tensor");
        var device = weight.device;
        long nb = (n + blockSize - 1) / blockSize;
        var packed = torch.empty((n + 1) / 2, ScalarType.Byte, device);
        var absmax = torch.empty(nb, ScalarType.Float32, device);
        var flat = weight.reshape(-1);
        long chunk = ChunkElements / blockSize * blockSize;
        if (device.type == DeviceType.CPU && UseCpuKernels)
        {
            for (long start = 0; start < n; start += chunk)
            {
                using var scope = torch.NewDisposeScope();
                long len = Math.Min(chunk, n - start);
                var x = flat.narrow(0, start, len).to(ScalarType.Float32).contiguous();
                QuantizeChunkCpu(x, len, type, blockSize, packed.narrow(0, start / 2, (len + 1) / 2), absmax.narrow(0, start / blockSize, (len + blockSize - 1) / blockSize));
            }
        }
        else
        using (var thresholds = Thresholds(type, device))
        using (var fp4Codes = torch.tensor(FourBitCodes.Fp4BucketCodes, device: device))
        {
            for (long start = 0; start < n; start += chunk)
            {
                using var scope = torch.NewDisposeScope();
                long len = Math.Min(chunk, n - start);
                long padLen = (len + blockSize - 1) / blockSize * blockSize;
                var x = flat.narrow(0, start, len).to(ScalarType.Float32);
                if (padLen != len) x = torch.cat(new[] { x, torch.zeros(padLen - len, ScalarType.Float32, device) });
                var blocks = x.view(-1, blockSize);
                var am = blocks.abs().amax(new long[] { 1 });
                var scaled = (blocks * am.reciprocal().unsqueeze(1)).view(-1);
                var codes = Encode(scaled, type, thresholds, fp4Codes);
                long evenLen = (len + 1) / 2 * 2; // the kernel quantizes the zero padding too: it fills an odd tail's low nibble
                var pairs = codes.narrow(0, 0, evenLen).view(-1, 2);
                var bytes = (pairs.select(1, 0) * 16 + pairs.select(1, 1)).to(ScalarType.Byte);
                packed.narrow(0, start / 2, evenLen / 2).copy_(bytes);
                absmax.narrow(0, start / blockSize, padLen / blockSize).copy_(am);
            }
        }
        var code = torch.tensor(FourBitCodes.Table(type), device: device);
        // The weight owns these for its lifetime (QuantizedWeight.Dispose): keep them out of any caller's dispose scope.
        packed.DetachFromDisposeScope(); absmax.DetachFromDisposeScope(); code.DetachFromDisposeScope();
        string dtype = SafeTensors.DTypes.ToTorchDtypeName(weight.dtype);
        if (!doubleQuant)
            return new QuantizedWeight { Packed = packed, Shape = weight.shape, Type = type, BlockSize = blockSize, Code = code, DType = dtype, Absmax = absmax };

        var (q, nested, offset) = DoubleQuantize(absmax);
        absmax.Dispose();
        return new QuantizedWeight
        {
            Packed = packed, Shape = weight.shape, Type = type, BlockSize = blockSize, Code = code, DType = dtype,
            QuantizedAbsmax = q.to(device).DetachFromDisposeScope(), NestedAbsmax = nested.to(device).DetachFromDisposeScope(),
            NestedCode = torch.tensor(DynamicMap.Signed(), device: device).DetachFromDisposeScope(),
            Offset = offset, NestedBlockSize = 256,
        };
    }

    /// <summary>
    /// CPU kernel for one chunk (a whole number of blocks except at the end): the same float32 arithmetic as the
    /// tensor-op path (absmax, its reciprocal, x * reciprocal, the kernel's thresholds), in one pass, in parallel
    /// over blocks. The tail of a partial block is treated as zeros, as the CUDA kernel loads it.
    /// </summary>
    private static unsafe void QuantizeChunkCpu(Tensor x, long len, QuantType type, int blockSize, Tensor packedOut, Tensor absmaxOut)
    {
        long nb = (len + blockSize - 1) / blockSize;
        fixed (byte* px = x.bytes)
        fixed (byte* pp = packedOut.bytes)
        fixed (byte* pa = absmaxOut.bytes)
        {
            nint xs = (nint)px, ps = (nint)pp, @as = (nint)pa;
            int workers = Math.Max(1, Math.Min(Environment.ProcessorCount, (int)(nb / 64) + 1));
            Parallel.For(0, workers, w =>
            {
                float* src = (float*)xs, am = (float*)@as;
                byte* dst = (byte*)ps;
                long b0 = nb * w / workers, b1 = nb * (w + 1) / workers;
                for (long b = b0; b < b1; b++)
                {
                    long e0 = b * blockSize, e1 = Math.Min(len, e0 + blockSize);
                    float m = 0;
                    for (long e = e0; e < e1; e++) m = MathF.Max(m, MathF.Abs(src[e]));
                    am[b] = m;
                    float inv = 1.0f / m;
                    long pairEnd = (e1 + 1) / 2 * 2; // an odd tail pairs with a zero, whose code fills the low nibble
                    for (long e = e0; e < pairEnd; e += 2)
                    {
                        int hi = EncodeFast(type, src[e] * inv);
                        int lo = EncodeFast(type, e + 1 < e1 ? src[e + 1] * inv : 0f * inv);
                        dst[e >> 1] = (byte)((hi << 4) | lo);
                    }
                }
            });
        }
    }

    /// <summary>Branch-light form of FourBitCodes.Encode: the number of thresholds strictly below x.</summary>
    private static int EncodeFast(QuantType type, float x)
    {
        if (type == QuantType.Nf4)
        {
            var t = FourBitCodes.Nf4Thresholds;
            int lo = 0, hi = 15; // find the count of t[i] < x (t sorted); NaN compares false: 0
            while (lo < hi) { int mid = (lo + hi) >> 1; if (x > t[mid]) lo = mid + 1; else hi = mid; }
            return lo;
        }
        int sign = x < 0 ? 8 : 0;
        float a = MathF.Abs(x);
        var f = FourBitCodes.Fp4MagnitudeThresholds;
        int l = 0, h = 7;
        while (l < h) { int mid = (l + h) >> 1; if (a > f[mid]) l = mid + 1; else h = mid; }
        return FourBitCodes.Fp4BucketCodes[l] + sign;
    }

    /// <summary>
    /// Double quantization of the absmax vector (quantize_4bit with compress_statistics): subtract the mean, then
    /// 8-bit blockwise quantization in blocks of 256 with the signed dynamic map.
    /// </summary>
    public static (Tensor Codes, Tensor NestedAbsmax, float Offset) DoubleQuantize(Tensor absmax)
    {
        using var scope = torch.NewDisposeScope();
        var a = absmax.to(ScalarType.Float32).cpu();
        var offsetT = a.mean();
        float offset = offsetT.item<float>();
        var dev = (a - offsetT).data<float>().ToArray();
        var (codes, nested) = DynamicMap.QuantizeBlockwise(dev, 256, DynamicMap.Signed());
        var c = torch.tensor(codes, ScalarType.Byte).MoveToOuterDisposeScope();
        var na = torch.tensor(nested).MoveToOuterDisposeScope();
        return (c, na, offset);
    }

    private static Tensor Thresholds(QuantType type, Device device) =>
        torch.tensor(type == QuantType.Nf4 ? FourBitCodes.Nf4Thresholds : FourBitCodes.Fp4MagnitudeThresholds, device: device);

    /// <summary>Codes 0..15 (int32) for values already divided by their block absmax.</summary>
    private static Tensor Encode(Tensor scaled, QuantType type, Tensor thresholds, Tensor fp4Codes)
    {
        if (type == QuantType.Nf4)
        {
            // bucketize(right=false) returns k for t[k-1] < x <= t[k]: a value on a threshold takes the lower code.
            // An all-zero block gives 0 * inf = NaN, which fails every '>' in the kernel: code 0.
            var x = torch.nan_to_num(scaled, nan: -2.0);
            return torch.bucketize(x, thresholds, true, false);
        }
        var sign = scaled.lt(0).to(ScalarType.Int32) * 8;
        var mag = torch.nan_to_num(scaled.abs(), nan: 0.0);
        var bucket = torch.bucketize(mag, thresholds, false, false);
        return fp4Codes.index_select(0, bucket) + sign;
    }

    /// <summary>Codes of a packed tensor, unpacked to one int per element (for tests and inspection).</summary>
    public static Tensor UnpackCodes(QuantizedWeight q)
    {
        using var scope = torch.NewDisposeScope();
        var p = q.Packed.to(ScalarType.Int32);
        var codes = torch.stack(new[] { p.bitwise_right_shift(4), p.bitwise_and(15) }, 1).view(-1).narrow(0, 0, q.NumElements);
        return codes.MoveToOuterDisposeScope();
    }

    /// <summary>Dequantizes to <paramref name="dtype"/> with the weight's original shape, on the weight's device.</summary>
    public static Tensor Dequantize(QuantizedWeight q, ScalarType dtype)
    {
        if (q.Device.type == DeviceType.CPU && UseCpuKernels && q.NumBlocks * q.BlockSize * 4L < int.MaxValue) return DequantizeCpu(q, dtype);
        return DequantizeTensorOps(q, dtype);
    }

    /// <summary>
    /// CPU fast path: one pass over the packed bytes writing code[nibble] * absmax straight into the output, the
    /// same float32 products as the tensor-op path (which costs an int32 copy of the codes, a gather and a multiply).
    /// </summary>
    private static unsafe Tensor DequantizeCpu(QuantizedWeight q, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        long n = q.NumElements, nb = q.NumBlocks;
        int bs = q.BlockSize;
        var absmax = q.AbsmaxFloat().contiguous();
        var code = q.Code.contiguous();
        var packed = q.Packed.contiguous();
        var result = torch.empty(nb * bs, ScalarType.Float32);
        fixed (byte* pPacked = packed.bytes)
        fixed (byte* pAbsmax = absmax.bytes)
        fixed (byte* pCode = code.bytes)
        fixed (byte* pOut = result.bytes)
        {
            nint packedPtr = (nint)pPacked, absPtr = (nint)pAbsmax, codePtr = (nint)pCode, outPtr = (nint)pOut;
            long packedLen = packed.numel();
            int workers = Math.Max(1, Math.Min(Environment.ProcessorCount, (int)(nb / 256) + 1));
            Parallel.For(0, workers, w =>
            {
                byte* src = (byte*)packedPtr;
                float* am = (float*)absPtr, cb = (float*)codePtr, dst = (float*)outPtr;
                long b0 = nb * w / workers, b1 = nb * (w + 1) / workers;
                for (long b = b0; b < b1; b++)
                {
                    float a = am[b];
                    long e0 = b * bs, e1 = e0 + bs;
                    for (long e = e0; e < e1; e += 2)
                    {
                        long j = e >> 1;
                        if (j < packedLen)
                        {
                            byte v = src[j];
                            dst[e] = cb[v >> 4] * a;
                            dst[e + 1] = cb[v & 15] * a;
                        }
                        else { dst[e] = 0; dst[e + 1] = 0; }
                    }
                }
            });
        }
        var w = n == nb * bs ? result : result.narrow(0, 0, n);
        var shaped = w.view(q.Shape);
        if (dtype != ScalarType.Float32) shaped = shaped.to(dtype);
        return shaped.MoveToOuterDisposeScope();
    }

    internal static Tensor DequantizeTensorOps(QuantizedWeight q, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        long n = q.NumElements, nb = q.NumBlocks;
        var absmax = q.AbsmaxFloat();
        var vals = q.PairLut.index_select(0, q.Packed.to(ScalarType.Int32)).view(-1);
        long padded = nb * q.BlockSize;
        if (vals.numel() < padded) vals = torch.cat(new[] { vals, torch.zeros(padded - vals.numel(), ScalarType.Float32, q.Device) });
        else if (vals.numel() > padded) vals = vals.narrow(0, 0, padded);
        var w = (vals.view(nb, q.BlockSize) * absmax.unsqueeze(1)).view(-1);
        if (padded != n) w = w.narrow(0, 0, n);
        var result = w.view(q.Shape);
        if (result.dtype != dtype) result = result.to(dtype);
        return result.MoveToOuterDisposeScope();
    }
}
