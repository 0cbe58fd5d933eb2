using TorchSharp;
using static TorchSharp.torch;

namespace Stepwise.Trainer.Quantization;

/// <summary>
/// A 4-bit weight and its quantization state, in the shape bitsandbytes' QuantState has: packed codes (two per
/// byte, high nibble first), per-block absmax (float32, or 8-bit codes plus a nested float32 absmax per 256 block
/// and a mean offset with double quantization), the code book, the original dtype and shape.
/// </summary>
public sealed class QuantizedWeight : IDisposable
{
    public required Tensor Packed { get; init; }          // uint8 [ceil(n/2)]
    public required long[] Shape { get; init; }
    public required QuantType Type { get; init; }
    public required int BlockSize { get; init; }
    public required Tensor Code { get; init; }            // float32 [16]
    public required string DType { get; init; }           // torch name of the original dtype: "bfloat16", ...
    public Tensor? Absmax { get; init; }                  // float32 [nb] without double quantization
    public Tensor? QuantizedAbsmax { get; init; }         // uint8 [nb] with double quantization
    public Tensor? NestedAbsmax { get; init; }            // float32 [ceil(nb/NestedBlockSize)]
    public Tensor? NestedCode { get; init; }              // float32 [256]
    public float Offset { get; init; }
    public int NestedBlockSize { get; init; } = 256;

    public bool Nested => QuantizedAbsmax is not null;
    public long NumElements => Shape.Aggregate(1L, (a, b) => a * b);
    public long NumBlocks => (NumElements + BlockSize - 1) / BlockSize;
    public Device Device => Packed.device;

    private Tensor? _pairLut;

    /// <summary>For each byte value, the two code values it packs (high nibble, low nibble): one gather dequantizes.</summary>
    internal Tensor PairLut
    {
        get
        {
            if (_pairLut is not null) return _pairLut;
            using var scope = torch.NewDisposeScope();
            var idx = torch.arange(256, ScalarType.Int64, Device);
            var lut = torch.stack(new[] { Code.index_select(0, idx.bitwise_right_shift(4)), Code.index_select(0, idx.bitwise_and(15)) }, 1);
            _pairLut = lut.contiguous().DetachFromDisposeScope(); // cached for the weight's lifetime, freed by Dispose
            return _pairLut;
        }
    }

    /// <summary>The float32 absmax per 64-block, undoing double quantization when present.</summary>
    public Tensor AbsmaxFloat()
    {
        if (!Nested) return Absmax!.alias();
        using var scope = torch.NewDisposeScope();
        long nb = QuantizedAbsmax!.numel();
        long nnb = NestedAbsmax!.numel();
        var vals = NestedCode!.index_select(0, QuantizedAbsmax.to(ScalarType.Int64));
        long padded = nnb * NestedBlockSize;
        if (padded != nb) vals = torch.cat(new[] { vals, torch.zeros(padded - nb, ScalarType.Float32, Device) });
        var absmax = (vals.view(nnb, NestedBlockSize) * NestedAbsmax.unsqueeze(1)).view(-1).narrow(0, 0, nb) + Offset;
        return absmax.MoveToOuterDisposeScope();
    }

    /// <summary>Bytes held for this weight, code books excluded (they are shared constants).</summary>
    public long StorageBytes =>
        Packed.numel() + (Nested ? QuantizedAbsmax!.numel() + NestedAbsmax!.numel() * 4 + 4 : Absmax!.numel() * 4);

    public QuantizedWeight To(Device device)
    {
        if (device.type == Device.type && device.index == Device.index) return this;
        return new QuantizedWeight
        {
            Packed = Packed.to(device), Shape = Shape, Type = Type, BlockSize = BlockSize, Code = Code.to(device), DType = DType,
            Absmax = Absmax?.to(device), QuantizedAbsmax = QuantizedAbsmax?.to(device), NestedAbsmax = NestedAbsmax?.to(device),
            NestedCode = NestedCode?.to(device), Offset = Offset, NestedBlockSize = NestedBlockSize,
        };
    }

    public void Dispose()
    {
        Packed.Dispose(); Code.Dispose(); Absmax?.Dispose(); QuantizedAbsmax?.Dispose(); NestedAbsmax?.Dispose();
        NestedCode?.Dispose(); _pairLut?.Dispose();
    }
}
