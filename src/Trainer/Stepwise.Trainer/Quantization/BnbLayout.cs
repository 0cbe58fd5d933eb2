using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.SafeTensors;

namespace Stepwise.Trainer.Quantization;

/// <summary>
/// The layout transformers writes for a bitsandbytes 4-bit model (Linear4bit._save_to_state_dict with
/// QuantState.as_dict(packed=True)): for a weight "X.weight",
///   X.weight                               U8 [ceil(n/2), 1]  packed codes, high nibble first
///   X.weight.absmax                        U8 [nb] (F32 [nb] without double quantization)
///   X.weight.quant_map                     F32 [16]
///   X.weight.nested_absmax                 F32 [ceil(nb/256)]      (double quantization only)
///   X.weight.nested_quant_map              F32 [256]               (double quantization only)
///   X.weight.quant_state.bitsandbytes__nf4 U8 [len]  UTF-8 json.dumps of the non-tensor items (pack_dict_to_tensor):
///       {"quant_type", "blocksize", "dtype", "shape", "nested_blocksize", "nested_dtype", "nested_offset"}
/// and "quantization_config" (BitsAndBytesConfig.to_dict) in config.json.
/// </summary>
public static class BnbLayout
{
    public sealed record QuantizationConfig(QuantType QuantType, bool DoubleQuant, string ComputeDtype);

    public sealed record QuantStateHeader(string StateKey, QuantType QuantType, int BlockSize, string DType, long[] Shape,
        bool Nested, int NestedBlockSize, float NestedOffset);

    private const long MaxStateJsonBytes = 1 << 16;

    public static QuantizationConfig? ReadQuantizationConfig(LlamaConfig config, string path)
    {
        if (config.Raw["quantization_config"] is not JsonObject q) return null;
        string method = q["quant_method"]?.GetValue<string>() ?? "(none)";
        if (method != "bitsandbytes")
            throw new CheckpointFormatException($"{path}: quantization_config.quant_method '{method}' is not supported (only bitsandbytes 4-bit)");
        bool Flag(string k) => q[k] is JsonValue v && v.GetValue<bool>();
        if (Flag("load_in_8bit") || Flag("_load_in_8bit"))
            throw new CheckpointFormatException($"{path}: 8-bit bitsandbytes checkpoints are not supported (only 4-bit nf4/fp4)");
        if (!Flag("load_in_4bit") && !Flag("_load_in_4bit"))
            throw new CheckpointFormatException($"{path}: quantization_config does not say load_in_4bit");
        var type = FourBitCodes.Parse(q["bnb_4bit_quant_type"]?.GetValue<string>() ?? "fp4");
        return new QuantizationConfig(type, Flag("bnb_4bit_use_double_quant"), q["bnb_4bit_compute_dtype"]?.GetValue<string>() ?? "float32");
    }

    public static JsonObject QuantizationConfigJson(QuantType type, bool doubleQuant, string computeDtype) => new()
    {
        ["_load_in_4bit"] = true,
        ["_load_in_8bit"] = false,
        ["bnb_4bit_compute_dtype"] = computeDtype,
        ["bnb_4bit_quant_storage"] = "uint8",
        ["bnb_4bit_quant_type"] = FourBitCodes.Name(type),
        ["bnb_4bit_use_double_quant"] = doubleQuant,
        ["llm_int8_enable_fp32_cpu_offload"] = false,
        ["llm_int8_has_fp16_weight"] = false,
        ["llm_int8_skip_modules"] = null,
        ["llm_int8_threshold"] = 6.0,
        ["load_in_4bit"] = true,
        ["load_in_8bit"] = false,
        ["quant_method"] = "bitsandbytes",
    };

    /// <summary>The JSON bitsandbytes packs into the quant_state tensor, byte for byte as Python's json.dumps writes it.</summary>
    public static string QuantStateJson(QuantizedWeight q)
    {
        var sb = new StringBuilder();
        sb.Append("{\"quant_type\": \"").Append(FourBitCodes.Name(q.Type)).Append("\", ");
        sb.Append("\"blocksize\": ").Append(q.BlockSize.ToString(CultureInfo.InvariantCulture)).Append(", ");
        sb.Append("\"dtype\": \"").Append(q.DType).Append("\", ");
        sb.Append("\"shape\": [").Append(string.Join(", ", q.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))).Append(']');
        if (q.Nested)
        {
            sb.Append(", \"nested_blocksize\": ").Append(q.NestedBlockSize.ToString(CultureInfo.InvariantCulture));
            sb.Append(", \"nested_dtype\": \"float32\"");
            sb.Append(", \"nested_offset\": ").Append(PythonFloat(q.Offset));
        }
        return sb.Append('}').ToString();
    }

    /// <summary>repr() of a Python float holding this float32 value (offset.item() widens it to double).</summary>
    public static string PythonFloat(float f)
    {
        double d = f;
        if (double.IsNaN(d)) return "NaN";
        if (double.IsInfinity(d)) return d > 0 ? "Infinity" : "-Infinity";
        string s = d.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e");
        int e = s.IndexOf('e');
        if (e >= 0)
        {
            // Python writes at least two exponent digits and a sign: 1e-05, 1e+16.
            string mant = s[..e], exp = s[(e + 1)..];
            string sign = exp.StartsWith('-') ? "-" : "+";
            exp = exp.TrimStart('+', '-').PadLeft(2, '0');
            return mant + "e" + sign + exp;
        }
        return s.Contains('.') ? s : s + ".0";
    }

    /// <summary>The tensors of one quantized weight, in the order transformers' state_dict lists them.</summary>
    public static IEnumerable<TensorToWrite> Tensors(string name, QuantizedWeight q)
    {
        yield return new TensorToWrite(name, "U8", new[] { q.Packed.numel(), 1L }, () => q.Packed.view(-1, 1));
        if (q.Nested)
        {
            yield return TensorToWrite.Of(name + ".absmax", q.QuantizedAbsmax!);
            yield return TensorToWrite.Of(name + ".quant_map", q.Code);
            yield return TensorToWrite.Of(name + ".nested_absmax", q.NestedAbsmax!);
            yield return TensorToWrite.Of(name + ".nested_quant_map", q.NestedCode!);
        }
        else
        {
            yield return TensorToWrite.Of(name + ".absmax", q.Absmax!);
            yield return TensorToWrite.Of(name + ".quant_map", q.Code);
        }
        var json = Encoding.UTF8.GetBytes(QuantStateJson(q));
        yield return new TensorToWrite(name + ".quant_state.bitsandbytes__" + FourBitCodes.Name(q.Type), "U8", new[] { (long)json.Length },
            () => torch.tensor(json, ScalarType.Byte));
    }

    /// <summary>Checks a pre-quantized weight from headers and its small JSON entry, before anything large is read.</summary>
    public static QuantStateHeader ValidateHeaders(Checkpoint ckpt, string name, long[] expectedShape)
    {
        string where = $"{ckpt.Folder}: '{name}'";
        var stateKeys = new[] { "nf4", "fp4" }.Select(t => $"{name}.quant_state.bitsandbytes__{t}").Where(ckpt.Contains).ToList();
        if (stateKeys.Count != 1)
            throw new CheckpointFormatException(stateKeys.Count == 0
                ? $"{where}: config.json declares a bitsandbytes 4-bit model but '{name}.quant_state.bitsandbytes__nf4' (or __fp4) is missing"
                : $"{where}: both nf4 and fp4 quant_state entries are present");
        var stateInfo = ckpt.Info(stateKeys[0]);
        if (stateInfo.DType != "U8" || stateInfo.ByteLength > MaxStateJsonBytes)
            throw new CheckpointFormatException($"{where}: {stateKeys[0]} must be a small U8 tensor of JSON");
        JsonObject s;
        try { s = JsonNode.Parse(Encoding.UTF8.GetString(ckpt.ReadRaw(stateKeys[0])))!.AsObject(); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
        { throw new CheckpointFormatException($"{where}: quant_state is not a JSON object: {e.Message}"); }

        QuantType type; int bs; string dtype; long[] shape;
        try
        {
            type = FourBitCodes.Parse(s["quant_type"]!.GetValue<string>());
            bs = s["blocksize"]!.GetValue<int>();
            dtype = s["dtype"]!.GetValue<string>();
            shape = s["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or NullReferenceException)
        { throw new CheckpointFormatException($"{where}: quant_state lacks quant_type/blocksize/dtype/shape: {e.Message}"); }
        if (!shape.SequenceEqual(expectedShape))
            throw new CheckpointFormatException($"{where}: quantized shape {SafeTensorsFile.FormatShape(shape)} but config.json implies {SafeTensorsFile.FormatShape(expectedShape)}");
        if (bs < 16 || bs > 4096 || (bs & (bs - 1)) != 0) throw new CheckpointFormatException($"{where}: blocksize {bs} is not a power of two in 16..4096");
        bool nested = s.ContainsKey("nested_blocksize") || ckpt.Contains(name + ".nested_absmax");
        int nbs = nested ? s["nested_blocksize"]?.GetValue<int>() ?? 256 : 256;
        float offset = nested ? (float)(s["nested_offset"]?.GetValue<double>() ?? throw new CheckpointFormatException($"{where}: quant_state lacks nested_offset")) : 0f;

        long n = shape.Aggregate(1L, (a, b) => a * b), nb = (n + bs - 1) / bs;
        void Expect(string key, string dt, long numel)
        {
            if (!ckpt.Contains(key)) throw new CheckpointFormatException($"{where}: missing '{key}'");
            var i = ckpt.Info(key);
            if (i.DType != dt || i.NumElements != numel)
                throw new CheckpointFormatException($"{where}: '{key}' is {i.DType} with {i.NumElements} elements, expected {dt} with {numel}");
        }
        Expect(name, "U8", (n + 1) / 2);
        Expect(name + ".quant_map", "F32", 16);
        if (nested)
        {
            Expect(name + ".absmax", "U8", nb);
            Expect(name + ".nested_absmax", "F32", (nb + nbs - 1) / nbs);
            Expect(name + ".nested_quant_map", "F32", 256);
        }
        else Expect(name + ".absmax", "F32", nb);
        return new QuantStateHeader(stateKeys[0], type, bs, dtype, shape, nested, nbs, offset);
    }

    public static QuantizedWeight Read(Checkpoint ckpt, string name, QuantStateHeader h, Device device)
    {
        Tensor R(string key) { var t = ckpt.Read(key); if (device.type == DeviceType.CPU) return t.DetachFromDisposeScope(); var d = t.to(device).DetachFromDisposeScope(); t.Dispose(); return d; }
        return new QuantizedWeight
        {
            Packed = R(name).view(-1), Shape = h.Shape, Type = h.QuantType, BlockSize = h.BlockSize, DType = h.DType,
            Code = R(name + ".quant_map"),
            Absmax = h.Nested ? null : R(name + ".absmax"),
            QuantizedAbsmax = h.Nested ? R(name + ".absmax") : null,
            NestedAbsmax = h.Nested ? R(name + ".nested_absmax") : null,
            NestedCode = h.Nested ? R(name + ".nested_quant_map") : null,
            Offset = h.NestedOffset, NestedBlockSize = h.NestedBlockSize,
        };
    }

    /// <summary>
    /// Writes a loaded 4-bit model as a Hugging Face folder in the bitsandbytes layout: dense tensors in the model's
    /// dtype, each Linear4bit as its packed tensors, config.json with quantization_config, tokenizer files copied.
    /// </summary>
    public static void SaveQuantized(LlamaForCausalLM model, string sourceFolder, string outFolder)
    {
        Directory.CreateDirectory(outFolder);
        var entries = new List<TensorToWrite>();
        var quantized = model.LinearLayers().Where(l => l.Layer is Linear4bit).ToDictionary(l => l.Path + ".weight", l => ((Linear4bit)l.Layer).Weight);
        if (quantized.Count == 0) throw new InvalidOperationException("the model has no 4-bit layers to save");
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        foreach (var (name, _, _) in model.Config.ExpectedWeights())
        {
            if (quantized.TryGetValue(name, out var q)) entries.AddRange(Tensors(name, q));
            else entries.Add(TensorToWrite.Of(name, parameters[name]));
        }
        SafeTensorsWriter.Write(Path.Combine(outFolder, "model.safetensors"), entries, new Dictionary<string, string> { ["format"] = "pt" });

        var first = quantized.Values.First();
        var json = model.Config.ToJson();
        json["torch_dtype"] = DTypes.ToTorchDtypeName(model.Dtype);
        json["quantization_config"] = QuantizationConfigJson(first.Type, first.Nested, DTypes.ToTorchDtypeName(model.Dtype));
        File.WriteAllText(Path.Combine(outFolder, "config.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        ModelFiles.CopyTokenizerFiles(sourceFolder, outFolder);
    }
}
