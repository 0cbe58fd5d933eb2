using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Trainer.Quantization;
using Stepwise.Trainer.SafeTensors;

namespace Stepwise.Trainer.Models;

/// <summary>How to load: target device and dtype, and whether to quantize the decoder's linear layers to 4 bits.</summary>
public sealed record LoadOptions
{
    public Device Device { get; init; } = torch.CPU;
    /// <summary>Dtype of everything kept in floating point (embeddings, norms, lm_head) and of the matmuls.</summary>
    public ScalarType ComputeDtype { get; init; } = ScalarType.Float32;
    /// <summary>null: keep linear weights in floating point; otherwise quantize them as they are read.</summary>
    public QuantType? Quantize { get; init; }
    public bool DoubleQuant { get; init; } = true;
    public int BlockSize { get; init; } = 64;
}

/// <summary>
/// Loads a Hugging Face Llama folder tensor by tensor. Everything that can be checked from config.json and the
/// safetensors headers (architecture, every name and shape, dtypes, shards) is checked before the model is built.
/// With quantization on, each linear weight is quantized as it arrives and its float copy dropped, so the peak is the
/// quantized model plus one tensor. A folder saved in the bitsandbytes 4-bit layout loads as is, without re-quantizing.
/// </summary>
public static class LlamaLoader
{
    public static LlamaForCausalLM Load(string folder, LoadOptions? options = null)
    {
        options ??= new LoadOptions();
        var config = LlamaConfig.Load(folder);
        var prequantized = BnbLayout.ReadQuantizationConfig(config, Path.Combine(folder, "config.json"));
        using var ckpt = Checkpoint.Open(folder);
        var expected = config.ExpectedWeights().ToList();
        var quantStates = new Dictionary<string, BnbLayout.QuantStateHeader>();

        // 1. Validate every expected tensor from the headers alone.
        foreach (var (name, shape, isLinear) in expected)
        {
            if (isLinear && prequantized is not null)
            {
                quantStates[name] = BnbLayout.ValidateHeaders(ckpt, name, shape);
                continue;
            }
            if (!ckpt.Contains(name)) throw new CheckpointFormatException($"{folder}: checkpoint is missing '{name}' (expected {SafeTensorsFile.FormatShape(shape)} from config.json)");
            var info = ckpt.Info(name);
            if (!info.Shape.SequenceEqual(shape))
                throw new CheckpointFormatException($"{folder}: '{name}' has shape {SafeTensorsFile.FormatShape(info.Shape)} but config.json implies {SafeTensorsFile.FormatShape(shape)}");
            if (info.DType is not ("F32" or "F16" or "BF16"))
                throw new CheckpointFormatException($"{folder}: '{name}' is {info.DType}; model weights must be F32, F16 or BF16");
        }

        // 2. Build the model without touching memory (torch.empty), 4-bit layers as empty slots.
        bool quantize = options.Quantize is not null || prequantized is not null;
        var slots = new Dictionary<string, Linear4bitSlot>();
        LinearFactory factory = quantize
            ? (name, i, o) => { var s = new Linear4bitSlot(i, o); slots[name + ".weight"] = s; return s; }
            : (_, i, o) => new DenseLinear(i, o, options.ComputeDtype, options.Device);
        var model = new LlamaForCausalLM(config, options.ComputeDtype, options.Device, factory);
        try
        {
            var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);

            // 3. Stream the tensors in file order.
            using (torch.no_grad())
            {
                var wanted = expected.Select(e => e.Name).ToHashSet();
                foreach (var name in ckpt.NamesInFileOrder())
                {
                    if (!wanted.Contains(name)) continue;
                    if (slots.TryGetValue(name, out var slot))
                    {
                        slot.Weight = prequantized is not null
                            ? BnbLayout.Read(ckpt, name, quantStates[name], options.Device)
                            : QuantizeOne(ckpt, name, options);
                        continue;
                    }
                    using var t = ckpt.Read(name);
                    parameters[name].copy_(t);
                }
            }
            foreach (var (name, slot) in slots)
                if (slot.Weight is null) throw new CheckpointFormatException($"{folder}: '{name}' was not loaded");
            return Finish(model, slots);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static QuantizedWeight QuantizeOne(Checkpoint ckpt, string name, LoadOptions o)
    {
        using var scope = torch.NewDisposeScope();
        var t = ckpt.Read(name);
        if (o.Device.type != DeviceType.CPU) t = t.to(o.Device);
        // As transformers + bitsandbytes do: the weight is first cast to the load dtype (modeling_utils.py v4.57.6,
        // _infer_parameter_dtype: casting_dtype = config._pre_quantization_dtype; _load_state_dict_into_meta_model:
        // param = param.to(casting_dtype)), then Params4bit._quantize -> functional.quantize_4bit(A) quantizes those values
        // and records dtype=A.dtype, which QuantState.as_dict writes as "dtype" (bitsandbytes 0.49.1). So --dtype bfloat16
        // quantizes bf16-rounded weights and writes "bfloat16".
        t = t.to(o.ComputeDtype);
        var q = FourBit.Quantize(t, o.Quantize ?? QuantType.Nf4, o.DoubleQuant, o.BlockSize);
        return q; // its tensors are detached from every dispose scope: the Linear4bit owns them
    }

    /// <summary>Swaps each filled slot for the Linear4bit it stands for.</summary>
    private static LlamaForCausalLM Finish(LlamaForCausalLM model, Dictionary<string, Linear4bitSlot> slots)
    {
        foreach (var (path, parent, name, layer) in model.LinearLayers().ToList())
            if (layer is Linear4bitSlot slot)
                parent.ReplaceLinear(name, new Linear4bit(slot.Weight!));
        return model;
    }

    /// <summary>A projection whose 4-bit weight has not been read yet: it holds no memory and cannot run.</summary>
    private sealed class Linear4bitSlot : Module<Tensor, Tensor>
    {
        public QuantizedWeight? Weight { get; set; }
        public long In { get; }
        public long Out { get; }
        public Linear4bitSlot(long inFeatures, long outFeatures) : base("Linear4bitSlot") { In = inFeatures; Out = outFeatures; }
        public override Tensor forward(Tensor input) => throw new InvalidOperationException("weight not loaded");
    }
}
