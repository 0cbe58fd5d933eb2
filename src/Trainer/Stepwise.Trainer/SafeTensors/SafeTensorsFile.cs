using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Stepwise.Trainer.SafeTensors;

/// <summary>One tensor's entry in a safetensors header.</summary>
public sealed record TensorInfo(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long NumElements => Shape.Aggregate(1L, (a, b) => a * b);
    public long ByteLength => End - Begin;
}

/// <summary>
/// A safetensors file opened for streaming: the header is read and validated up front (every rule of the
/// format, see safetensors/src/tensor.rs), tensors are read one at a time on request. Nothing is read into
/// memory that the header did not prove to fit in the file, so a hostile file cannot trigger a huge allocation.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    /// <summary>safetensors refuses headers over 100 MB (MAX_HEADER_SIZE in tensor.rs).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly FileStream _stream;

    public string Path { get; }
    public long DataStart { get; }
    public IReadOnlyList<TensorInfo> Tensors { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    private readonly Dictionary<string, TensorInfo> _byName;

    private SafeTensorsFile(string path, FileStream stream, long dataStart, List<TensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Path = path; _stream = stream; DataStart = dataStart; Tensors = tensors; Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    public TensorInfo this[string name] => _byName.TryGetValue(name, out var t) ? t
        : throw new CheckpointFormatException($"{Path}: no tensor named '{name}'");

    public static SafeTensorsFile Open(string path)
    {
        RefusePickle(path);
        if (!File.Exists(path)) throw new CheckpointFormatException($"{path}: file not found");
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            var (dataStart, tensors, metadata) = ReadHeader(path, stream);
            return new SafeTensorsFile(path, stream, dataStart, tensors, metadata);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Pickle checkpoints execute code when loaded; we never open them.</summary>
    public static void RefusePickle(string path)
    {
        var ext = System.IO.Path.GetExtension(path).ToLowerInvariant();
        if (ext is ".bin" or ".pt" or ".pth" or ".ckpt" or ".pkl")
            throw new CheckpointFormatException(
                $"{path}: refusing to load a pickle checkpoint ({ext}): unpickling runs arbitrary code from the file. " +
                "Convert it to safetensors first (e.g. with transformers: model.save_pretrained(dir, safe_serialization=True)).");
    }

    private static (long, List<TensorInfo>, Dictionary<string, string>) ReadHeader(string path, FileStream stream)
    {
        long fileLength = stream.Length;
        if (fileLength < 8) throw new CheckpointFormatException($"{path}: not a safetensors file: {fileLength} bytes, shorter than the 8-byte header length");
        Span<byte> lenBytes = stackalloc byte[8];
        stream.ReadExactly(lenBytes);
        ulong n = BitConverter.ToUInt64(lenBytes);
        if (n > MaxHeaderBytes) throw new CheckpointFormatException($"{path}: header length {n} bytes exceeds the 100 MB limit (corrupt or hostile file)");
        if ((long)n > fileLength - 8) throw new CheckpointFormatException($"{path}: header length {n} runs past the end of the file ({fileLength} bytes): truncated file");
        if (n == 0) throw new CheckpointFormatException($"{path}: empty header");
        var header = new byte[n];
        stream.ReadExactly(header);
        if (header[0] != (byte)'{') throw new CheckpointFormatException($"{path}: header does not start with '{{' (not a safetensors file)");

        string json;
        try { json = new UTF8Encoding(false, true).GetString(header); }
        catch (DecoderFallbackException) { throw new CheckpointFormatException($"{path}: header is not valid UTF-8"); }

        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 }); }
        catch (JsonException e) { throw new CheckpointFormatException($"{path}: header is not valid JSON: {e.Message}"); }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new CheckpointFormatException($"{path}: header is not a JSON object");

        var tensors = new List<TensorInfo>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            if (!seen.Add(prop.Name)) throw new CheckpointFormatException($"{path}: tensor '{prop.Name}' appears twice in the header");
            if (prop.Name == "__metadata__")
            {
                if (prop.Value.ValueKind != JsonValueKind.Object) throw new CheckpointFormatException($"{path}: __metadata__ must be an object of strings");
                foreach (var m in prop.Value.EnumerateObject())
                {
                    if (m.Value.ValueKind != JsonValueKind.String) throw new CheckpointFormatException($"{path}: __metadata__ value '{m.Name}' is not a string");
                    metadata[m.Name] = m.Value.GetString()!;
                }
                continue;
            }
            tensors.Add(ParseEntry(path, prop));
        }

        // Offsets must tile the buffer from 0 with no hole and no overlap (validate() in tensor.rs).
        var ordered = tensors.OrderBy(t => t.Begin).ThenBy(t => t.End).ToList();
        long expected = 0;
        foreach (var t in ordered)
        {
            if (t.Begin != expected)
                throw new CheckpointFormatException(t.Begin > expected
                    ? $"{path}: tensor '{t.Name}': data starts at {t.Begin} but the previous tensor ends at {expected}: hole in the data buffer"
                    : $"{path}: tensor '{t.Name}': data starts at {t.Begin}, overlapping the previous tensor that ends at {expected}");
            expected = t.End;
        }
        long dataStart = 8 + (long)n;
        if (dataStart + expected != fileLength)
            throw new CheckpointFormatException(dataStart + expected > fileLength
                ? $"{path}: file is {fileLength} bytes but its header describes {dataStart + expected}: truncated file"
                : $"{path}: file is {fileLength} bytes but its header describes {dataStart + expected}: {fileLength - dataStart - expected} trailing bytes");
        return (dataStart, tensors, metadata);
    }

    private static TensorInfo ParseEntry(string path, JsonProperty prop)
    {
        string name = prop.Name;
        string Where() => $"{path}: tensor '{name}'";
        var v = prop.Value;
        if (v.ValueKind != JsonValueKind.Object) throw new CheckpointFormatException($"{Where()}: entry is not an object");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw new CheckpointFormatException($"{Where()}: missing dtype");
        string dtype = dt.GetString()!;
        if (!DTypes.TryGet(dtype, out int size, out _))
            throw new CheckpointFormatException($"{Where()}: unknown dtype '{dtype}' (supported: {string.Join(", ", DTypes.Names)})");
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw new CheckpointFormatException($"{Where()}: missing shape");
        var shape = new List<long>();
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0)
                throw new CheckpointFormatException($"{Where()}: shape must be a list of non-negative integers");
            shape.Add(dim);
        }
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw new CheckpointFormatException($"{Where()}: data_offsets must be [begin, end]");
        var o = off.EnumerateArray().ToArray();
        if (!o[0].TryGetInt64(out long begin) || !o[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw new CheckpointFormatException($"{Where()}: data_offsets must be two integers with 0 <= begin <= end");
        long numel = 1;
        try
        {
            checked
            {
                foreach (var d in shape) numel *= d;
                long bytes = numel * size;
                if (bytes != end - begin)
                    throw new CheckpointFormatException($"{Where()}: {dtype} {FormatShape(shape)} needs {bytes} bytes but data_offsets span {end - begin}");
            }
        }
        catch (OverflowException) { throw new CheckpointFormatException($"{Where()}: shape {FormatShape(shape)} overflows"); }
        return new TensorInfo(name, dtype, shape.ToArray(), begin, end);
    }

    public static string FormatShape(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>Reads one tensor into a new CPU tensor of the file's dtype (one copy, straight into native memory).</summary>
    public Tensor Read(string name) => Read(this[name]);

    public unsafe Tensor Read(TensorInfo info)
    {
        var t = torch.empty(info.Shape, DTypes.ToTorch(info.DType), torch.CPU);
        try
        {
            if (info.ByteLength > 0)
            {
                // Tensor.bytes is a span over the tensor's own native storage: the file is read straight into it.
                var span = t.bytes;
                fixed (byte* dst = span) ReadBytes(info, dst);
            }
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    /// <summary>Reads a tensor's raw bytes (little-endian, as stored) into a managed array; for small tensors.</summary>
    public unsafe byte[] ReadRaw(TensorInfo info)
    {
        var buf = new byte[info.ByteLength];
        fixed (byte* p = buf) ReadBytes(info, p);
        return buf;
    }

    private unsafe void ReadBytes(TensorInfo info, byte* dst)
    {
        lock (_stream)
        {
            _stream.Seek(DataStart + info.Begin, SeekOrigin.Begin);
            long remaining = info.ByteLength;
            while (remaining > 0)
            {
                int chunk = (int)Math.Min(remaining, 1 << 24);
                var span = new Span<byte>(dst, chunk);
                int read = _stream.Read(span);
                if (read <= 0) throw new CheckpointFormatException($"{Path}: tensor '{info.Name}': file ended while reading (truncated during load?)");
                dst += read;
                remaining -= read;
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
