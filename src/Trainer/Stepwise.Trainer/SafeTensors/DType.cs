using TorchSharp;

namespace Stepwise.Trainer.SafeTensors;

/// <summary>The safetensors dtype names we accept, with their byte sizes and TorchSharp types.</summary>
public static class DTypes
{
    private static readonly Dictionary<string, (int Size, torch.ScalarType Type)> Table = new(StringComparer.Ordinal)
    {
        ["F64"] = (8, torch.ScalarType.Float64),
        ["F32"] = (4, torch.ScalarType.Float32),
        ["F16"] = (2, torch.ScalarType.Float16),
        ["BF16"] = (2, torch.ScalarType.BFloat16),
        ["I64"] = (8, torch.ScalarType.Int64),
        ["I32"] = (4, torch.ScalarType.Int32),
        ["I16"] = (2, torch.ScalarType.Int16),
        ["I8"] = (1, torch.ScalarType.Int8),
        ["U8"] = (1, torch.ScalarType.Byte),
        ["BOOL"] = (1, torch.ScalarType.Bool),
    };

    public static IEnumerable<string> Names => Table.Keys;

    public static bool TryGet(string name, out int size, out torch.ScalarType type)
    {
        if (Table.TryGetValue(name, out var e)) { size = e.Size; type = e.Type; return true; }
        size = 0; type = default; return false;
    }

    public static int SizeOf(string name) => Table[name].Size;

    public static torch.ScalarType ToTorch(string name) => Table[name].Type;

    public static string FromTorch(torch.ScalarType type)
    {
        foreach (var (k, v) in Table) if (v.Type == type) return k;
        throw new NotSupportedException($"tensors of type {type} cannot be written to safetensors by this tool");
    }

    /// <summary>The names torch_dtype uses in config.json ("bfloat16", "float32", ...).</summary>
    public static torch.ScalarType FromTorchDtypeName(string? name) => name switch
    {
        null or "" or "float32" or "float" => torch.ScalarType.Float32,
        "bfloat16" => torch.ScalarType.BFloat16,
        "float16" or "half" => torch.ScalarType.Float16,
        _ => throw new NotSupportedException($"torch_dtype '{name}' is not supported (use float32, bfloat16 or float16)"),
    };

    public static string ToTorchDtypeName(torch.ScalarType t) => t switch
    {
        torch.ScalarType.Float32 => "float32",
        torch.ScalarType.BFloat16 => "bfloat16",
        torch.ScalarType.Float16 => "float16",
        _ => throw new NotSupportedException($"{t} is not a floating model dtype"),
    };
}
