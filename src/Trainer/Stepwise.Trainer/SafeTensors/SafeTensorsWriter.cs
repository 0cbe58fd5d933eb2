using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Stepwise.Trainer.SafeTensors;

/// <summary>A tensor to write: its header entry and a producer called once, in file order, when its bytes are due.</summary>
public sealed record TensorToWrite(string Name, string DType, long[] Shape, Func<Tensor> Produce)
{
    public long ByteLength => Shape.Aggregate(1L, (a, b) => a * b) * DTypes.SizeOf(DType);

    public static TensorToWrite Of(string name, Tensor t) =>
        new(name, DTypes.FromTorch(t.dtype), t.shape, () => t);
}

/// <summary>
/// Streams tensors into a safetensors file: header first (offsets are known from shapes), then each tensor as
/// its producer yields it, so at most one produced tensor is alive at a time. Written to a temporary name and
/// renamed, so a crash never leaves a half-written file under the real name.
/// </summary>
public static class SafeTensorsWriter
{
    public static void Write(string path, IReadOnlyList<TensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            if (!names.Add(t.Name)) throw new ArgumentException($"tensor '{t.Name}' listed twice");
            if (t.Name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved");
        }

        byte[] header = BuildHeader(tensors, metadata);
        string tmp = path + ".tmp-" + Environment.ProcessId;
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                fs.Write(BitConverter.GetBytes((ulong)header.Length));
                fs.Write(header);
                foreach (var t in tensors)
                {
                    using var scope = torch.NewDisposeScope();
                    var value = t.Produce();
                    if (DTypes.FromTorch(value.dtype) != t.DType || !value.shape.SequenceEqual(t.Shape))
                        throw new InvalidOperationException(
                            $"tensor '{t.Name}': declared {t.DType} {SafeTensorsFile.FormatShape(t.Shape)} but produced {DTypes.FromTorch(value.dtype)} {SafeTensorsFile.FormatShape(value.shape)}");
                    WriteBytes(fs, value);
                }
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    private static byte[] BuildHeader(IReadOnlyList<TensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in tensors)
            {
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", t.DType);
                w.WriteStartArray("shape");
                foreach (var d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                offset += t.ByteLength;
                w.WriteNumberValue(offset);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        // Pad with spaces so the data buffer starts 8-byte aligned, as the reference writer does.
        int len = (int)ms.Length;
        int padded = (len + 7) / 8 * 8;
        var bytes = new byte[padded];
        ms.ToArray().CopyTo(bytes, 0);
        for (int i = len; i < padded; i++) bytes[i] = (byte)' ';
        return bytes;
    }

    private static void WriteBytes(Stream s, Tensor t)
    {
        using var scope = torch.NewDisposeScope();
        var c = t.detach().cpu().contiguous();
        if (c.numel() == 0) return;
        s.Write(c.bytes);
    }

    public static string Utf8(string s) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(s));
}
