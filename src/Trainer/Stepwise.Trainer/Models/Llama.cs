// The Llama decoder, module for module and name for name as transformers' modeling_llama.py, so a checkpoint's
// tensor names ("model.layers.3.self_attn.q_proj.weight") are this model's parameter paths with no mapping table.
// Parameters are allocated with torch.empty: the loader (or DefaultModel's seeded init) fills them.
namespace Stepwise.Trainer.Models;

/// <summary>Builds each projection: dense for a float model, a 4-bit placeholder when loading quantized.</summary>
public delegate Module<Tensor, Tensor> LinearFactory(string name, long inFeatures, long outFeatures);

public sealed class LlamaForCausalLM : Module<Tensor, Tensor?, Tensor>, ILinearHost
{
    public LlamaConfig Config { get; }
    public ScalarType Dtype { get; }
    public Device Device { get; }
    public LlamaModel model;
    public Module<Tensor, Tensor>? lm_head; // null when tie_word_embeddings: the logits reuse embed_tokens.weight

    public LlamaForCausalLM(LlamaConfig config, ScalarType dtype, Device device, LinearFactory? linear = null) : base("LlamaForCausalLM")
    {
        Config = config; Dtype = dtype; Device = device;
        linear ??= (_, i, o) => new DenseLinear(i, o, dtype, device);
        model = new LlamaModel(config, dtype, device, linear);
        if (!config.TieWordEmbeddings) lm_head = new DenseLinear(config.HiddenSize, config.VocabSize, dtype, device);
        RegisterComponents();
    }

    /// <summary>Logits [batch, seq, vocab] for token ids [batch, seq]; attention_mask [batch, seq] has 1 for real tokens.</summary>
    public override Tensor forward(Tensor input_ids, Tensor? attention_mask)
    {
        var hidden = model.forward(input_ids, attention_mask);
        return lm_head is null ? functional.linear(hidden, model.embed_tokens.weight) : lm_head.forward(hidden);
    }

    public IEnumerable<(string Name, Module<Tensor, Tensor> Layer)> LinearChildren()
    {
        if (lm_head is not null) yield return ("lm_head", lm_head);
    }

    public void ReplaceLinear(string name, Module<Tensor, Tensor> layer)
    {
        if (name != "lm_head" || lm_head is null) throw new ArgumentException($"no linear layer '{name}'");
        ModuleSwap.Replace(this, name, layer, l => lm_head = l);
    }

    /// <summary>Every linear layer with its full HF path, its parent and its local name.</summary>
    public IEnumerable<(string Path, ILinearHost Parent, string Name, Module<Tensor, Tensor> Layer)> LinearLayers()
    {
        // TorchSharp's named_modules() leaves out the module itself (PyTorch's lists it as ""), so this model's own
        // linear child, lm_head, is listed here: without it "lm_head" in target_modules was silently not wrapped.
        foreach (var (name, layer) in LinearChildren().ToList())
            yield return (name, this, name, layer);
        foreach (var (path, module) in named_modules())
            if (module is ILinearHost host && !ReferenceEquals(host, this))
                foreach (var (name, layer) in host.LinearChildren().ToList())
                    yield return (path.Length == 0 ? name : path + "." + name, host, name, layer);
    }
}

public sealed class LlamaModel : Module<Tensor, Tensor?, Tensor>
{
    private readonly LlamaConfig _config;
    public Embedding embed_tokens;
    public ModuleList<LlamaDecoderLayer> layers;
    public LlamaRMSNorm norm;
    private readonly Tensor _invFreq;

    public LlamaModel(LlamaConfig config, ScalarType dtype, Device device, LinearFactory linear) : base("LlamaModel")
    {
        _config = config;
        embed_tokens = new Embedding(config.VocabSize, config.HiddenSize, dtype, device);
        layers = new ModuleList<LlamaDecoderLayer>(
            Enumerable.Range(0, config.NumHiddenLayers).Select(i => new LlamaDecoderLayer(config, i, dtype, device, linear)).ToArray());
        norm = new LlamaRMSNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        // inv_freq = 1 / theta^(2i/d), computed in float32 as LlamaRotaryEmbedding does.
        var exponents = torch.arange(0, config.HeadDim, 2, ScalarType.Int64, device).to(ScalarType.Float32) / (double)config.HeadDim;
        var invFreq = torch.pow(config.RopeTheta, exponents).reciprocal().to(ScalarType.Float32);
        _invFreq = config.RopeScaling is { } scaling ? scaling.Apply(invFreq) : invFreq;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input_ids, Tensor? attention_mask)
    {
        long batch = input_ids.shape[0], seq = input_ids.shape[1];
        var h = embed_tokens.forward(input_ids);
        var (cos, sin) = Rotary(seq, h.dtype, input_ids.device);

        // Which keys each query sees: the causal ones that are not padding. Without padding, scaled_dot_product_attention
        // applies the causal rule itself (is_causal, its fused kernel). With padding it takes an additive mask where
        // hidden keys get the dtype's most negative value (not -inf), so a row with nothing visible (a left-padded
        // position) stays finite and attends evenly, as transformers' eager mask and its sdpa _unmask_unattended do.
        Tensor? mask = null;
        if (attention_mask is not null && !attention_mask.all().item<bool>())
        {
            var visible = CausalKeys(seq, input_ids.device).view(1, 1, seq, seq).logical_and(attention_mask.to(ScalarType.Bool).view(batch, 1, 1, seq));
            mask = torch.zeros(visible.shape, h.dtype, input_ids.device).masked_fill(visible.logical_not(), torch.finfo(h.dtype).min);
        }

        foreach (var layer in layers) h = layer.forward(h, cos, sin, mask);
        return norm.forward(h);
    }

    // Rotary tables and the causal pattern depend only on the length: built once for the longest length seen and
    // sliced, rather than recomputed by every forward (LlamaRotaryEmbedding recomputes them per call).
    private Tensor? _cos, _sin, _causal;

    /// <summary>cos / sin [seq, head_dim] for positions 0..seq-1: freqs = pos * inv_freq (float32), emb = cat(freqs, freqs).</summary>
    private (Tensor Cos, Tensor Sin) Rotary(long seq, ScalarType dtype, Device device)
    {
        if (_cos is null || _cos.shape[0] < seq || _cos.dtype != dtype || !SameDevice(_cos, device))
        {
            _cos?.Dispose(); _sin?.Dispose();
            using var scope = torch.NewDisposeScope();
            // Room to grow (generation lengthens the sequence one token at a time), up to max_position_embeddings.
            long rows = Math.Max(seq, Math.Min(2 * seq, _config.MaxPositionEmbeddings));
            var positions = torch.arange(rows, ScalarType.Float32, device);
            var freqs = positions.unsqueeze(1) * _invFreq.to(device).unsqueeze(0);
            var emb = torch.cat(new[] { freqs, freqs }, -1);
            _cos = emb.cos().to(dtype).DetachFromDisposeScope();
            _sin = emb.sin().to(dtype).DetachFromDisposeScope();
        }
        return (_cos.narrow(0, 0, seq), _sin!.narrow(0, 0, seq));
    }

    /// <summary>[seq, seq] true where the key is not in the query's future.</summary>
    private Tensor CausalKeys(long seq, Device device)
    {
        if (_causal is null || _causal.shape[0] < seq || !SameDevice(_causal, device))
        {
            _causal?.Dispose();
            long rows = Math.Max(seq, Math.Min(2 * seq, _config.MaxPositionEmbeddings));
            _causal = torch.ones(rows, rows, ScalarType.Bool, device).tril().DetachFromDisposeScope();
        }
        return _causal.narrow(0, 0, seq).narrow(1, 0, seq);
    }

    private static bool SameDevice(Tensor t, Device d) => t.device_type == d.type && (d.index < 0 || t.device_index == d.index);

    protected override void Dispose(bool disposing)
    {
        if (disposing) { _cos?.Dispose(); _sin?.Dispose(); _causal?.Dispose(); }
        base.Dispose(disposing);
    }
}

public sealed class LlamaDecoderLayer : Module<Tensor, Tensor, Tensor, Tensor?, Tensor>
{
    public LlamaAttention self_attn;
    public LlamaMLP mlp;
    public LlamaRMSNorm input_layernorm;
    public LlamaRMSNorm post_attention_layernorm;

    public LlamaDecoderLayer(LlamaConfig c, int index, ScalarType dtype, Device device, LinearFactory linear) : base("LlamaDecoderLayer")
    {
        string p = $"model.layers.{index}.";
        self_attn = new LlamaAttention(c, p + "self_attn.", linear);
        mlp = new LlamaMLP(c, p + "mlp.", linear);
        input_layernorm = new LlamaRMSNorm(c.HiddenSize, c.RmsNormEps, dtype, device);
        post_attention_layernorm = new LlamaRMSNorm(c.HiddenSize, c.RmsNormEps, dtype, device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor h, Tensor cos, Tensor sin, Tensor? mask)
    {
        h = h + self_attn.forward(input_layernorm.forward(h), cos, sin, mask);
        return h + mlp.forward(post_attention_layernorm.forward(h));
    }
}

public sealed class LlamaAttention : Module<Tensor, Tensor, Tensor, Tensor?, Tensor>, ILinearHost
{
    private readonly int _heads, _kvHeads;
    private readonly long _headDim;
    public Module<Tensor, Tensor> q_proj, k_proj, v_proj, o_proj;

    public LlamaAttention(LlamaConfig c, string prefix, LinearFactory linear) : base("LlamaAttention")
    {
        _heads = c.NumAttentionHeads; _kvHeads = c.NumKeyValueHeads; _headDim = c.HeadDim;
        q_proj = linear(prefix + "q_proj", c.HiddenSize, _heads * _headDim);
        k_proj = linear(prefix + "k_proj", c.HiddenSize, _kvHeads * _headDim);
        v_proj = linear(prefix + "v_proj", c.HiddenSize, _kvHeads * _headDim);
        o_proj = linear(prefix + "o_proj", _heads * _headDim, c.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask)
    {
        long b = x.shape[0], s = x.shape[1];
        var q = q_proj.forward(x).view(b, s, _heads, _headDim).transpose(1, 2);
        var k = k_proj.forward(x).view(b, s, _kvHeads, _headDim).transpose(1, 2);
        var v = v_proj.forward(x).view(b, s, _kvHeads, _headDim).transpose(1, 2);
        q = q * cos + RotateHalf(q) * sin;
        k = k * cos + RotateHalf(k) * sin;
        // Grouped-query attention: each K/V head serves heads/kv_heads query heads (repeat_kv).
        int groups = _heads / _kvHeads;
        if (groups > 1)
        {
            k = k.repeat_interleave(groups, 1);
            v = v.repeat_interleave(groups, 1);
        }
        // softmax(q k^T / sqrt(head_dim) + mask) v, as transformers' sdpa attention: fused on the CPU, no [s, s]
        // score matrix kept for the backward. Causal without a mask; the additive mask (causal and padding) otherwise.
        var o = functional.scaled_dot_product_attention(q, k, v, mask, 0.0, mask is null)
            .transpose(1, 2).reshape(b, s, _heads * _headDim);
        return o_proj.forward(o);
    }

    /// <summary>HF's rotary layout: the two halves of each head are the pair coordinates (x1, x2) -> (-x2, x1).</summary>
    private static Tensor RotateHalf(Tensor x)
    {
        long half = x.shape[^1] / 2;
        return torch.cat(new[] { x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half) }, -1);
    }

    public IEnumerable<(string Name, Module<Tensor, Tensor> Layer)> LinearChildren() =>
        new[] { ("q_proj", q_proj), ("k_proj", k_proj), ("v_proj", v_proj), ("o_proj", o_proj) };

    public void ReplaceLinear(string name, Module<Tensor, Tensor> layer)
    {
        switch (name)
        {
            case "q_proj": ModuleSwap.Replace(this, name, layer, l => q_proj = l); break;
            case "k_proj": ModuleSwap.Replace(this, name, layer, l => k_proj = l); break;
            case "v_proj": ModuleSwap.Replace(this, name, layer, l => v_proj = l); break;
            case "o_proj": ModuleSwap.Replace(this, name, layer, l => o_proj = l); break;
            default: throw new ArgumentException($"no linear layer '{name}' in attention");
        }
    }
}

public sealed class LlamaMLP : Module<Tensor, Tensor>, ILinearHost
{
    public Module<Tensor, Tensor> gate_proj, up_proj, down_proj;

    public LlamaMLP(LlamaConfig c, string prefix, LinearFactory linear) : base("LlamaMLP")
    {
        gate_proj = linear(prefix + "gate_proj", c.HiddenSize, c.IntermediateSize);
        up_proj = linear(prefix + "up_proj", c.HiddenSize, c.IntermediateSize);
        down_proj = linear(prefix + "down_proj", c.IntermediateSize, c.HiddenSize);
        RegisterComponents();
    }

    /// <summary>SwiGLU: down(silu(gate(x)) * up(x)).</summary>
    public override Tensor forward(Tensor x) => down_proj.forward(functional.silu(gate_proj.forward(x)) * up_proj.forward(x));

    public IEnumerable<(string Name, Module<Tensor, Tensor> Layer)> LinearChildren() =>
        new[] { ("gate_proj", gate_proj), ("up_proj", up_proj), ("down_proj", down_proj) };

    public void ReplaceLinear(string name, Module<Tensor, Tensor> layer)
    {
        switch (name)
        {
            case "gate_proj": ModuleSwap.Replace(this, name, layer, l => gate_proj = l); break;
            case "up_proj": ModuleSwap.Replace(this, name, layer, l => up_proj = l); break;
            case "down_proj": ModuleSwap.Replace(this, name, layer, l => down_proj = l); break;
            default: throw new ArgumentException($"no linear layer '{name}' in mlp");
        }
    }
}

/// <summary>LlamaRMSNorm: normalise in float32, cast back, then scale: weight * (x / sqrt(mean(x^2) + eps)).</summary>
public sealed class LlamaRMSNorm : Module<Tensor, Tensor>
{
    private readonly double _eps;
    public Parameter weight;

    public LlamaRMSNorm(long size, double eps, ScalarType dtype, Device device) : base("LlamaRMSNorm")
    {
        _eps = eps;
        weight = new Parameter(torch.empty(new[] { size }, dtype, device), false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var x32 = x.to(ScalarType.Float32);
        var variance = x32.pow(2).mean(new long[] { -1 }, keepdim: true);
        return weight * (x32 * torch.rsqrt(variance + _eps)).to(x.dtype);
    }
}

/// <summary>Token embeddings: row lookup in weight [vocab, hidden].</summary>
public sealed class Embedding : Module<Tensor, Tensor>
{
    public Parameter weight;

    public Embedding(long vocab, long hidden, ScalarType dtype, Device device) : base("Embedding")
    {
        weight = new Parameter(torch.empty(new[] { vocab, hidden }, dtype, device), false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids)
    {
        var shape = ids.shape.Append(weight.shape[1]).ToArray();
        return weight.index_select(0, ids.reshape(-1)).view(shape);
    }
}
