using Stepwise.Trainer.Models;
using Stepwise.Trainer.Quantization;

namespace Stepwise.Trainer.Lora;

/// <summary>Adding LoRA adapters to a model, and merging them back (peft get_peft_model / merge_and_unload).</summary>
public static class LoraModel
{
    /// <summary>
    /// Wraps every targeted linear layer in a <see cref="LoraLinear"/> (rank and alpha per rank_pattern / alpha_pattern)
    /// and freezes everything else; modules_to_save are then made trainable in full. Afterwards the only parameters
    /// with requires_grad are lora_A / lora_B (/ the DoRA magnitudes) and the modules_to_save weights.
    /// <paramref name="seed"/> makes the A init reproducible. Returns the wrapped module paths.
    /// </summary>
    public static IReadOnlyList<string> Apply(LlamaForCausalLM model, LoraConfig config, long seed = 0)
    {
        config.Validate();
        var toSave = ModulesToSave(model, config); // refused before anything changes
        foreach (var p in model.parameters()) p.requires_grad = false;
        torch.manual_seed(seed);
        var wrapped = new List<string>();
        foreach (var (path, parent, name, layer) in model.LinearLayers().ToList())
        {
            if (layer is LoraLinear || !config.Targets(path)) continue;
            parent.ReplaceLinear(name, new LoraLinear(layer, config.RankFor(path), config.AlphaFor(path), config, model.Device));
            wrapped.Add(path);
        }
        if (wrapped.Count == 0)
            throw new ArgumentException(config.TargetRegex is { } re
                ? $"target_modules '{re}' matched no linear layer (PEFT reads a single string as a regular expression for the whole module name, e.g. model.layers.0.self_attn.q_proj)"
                : $"target_modules [{string.Join(", ", config.TargetModules)}] matched no linear layer" +
                  (config.LayersToTransform is { Count: > 0 } l ? $" in layers [{string.Join(", ", l)}]" : "") +
                  " (Llama has q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, lm_head)");
        foreach (var (_, module) in toSave)
            foreach (var p in module.parameters()) p.requires_grad = true;
        return wrapped;
    }

    /// <summary>
    /// The modules trained in full (PEFT's _set_trainable: every module whose full name ends with an entry). The bundled
    /// trainer trains leaf modules holding float weights (embeddings, norms, dense linear layers); an entry that matches
    /// none, a container (a whole layer), a 4-bit layer or a tied embedding is refused with the reason.
    /// </summary>
    public static IReadOnlyList<(string Path, Module Module)> ModulesToSave(LlamaForCausalLM model, LoraConfig config)
    {
        if (config.ModulesToSave is not { Count: > 0 } entries) return Array.Empty<(string, Module)>();
        var result = new List<(string, Module)>();
        var all = model.named_modules().Where(m => m.name.Length > 0).ToList();
        foreach (var entry in entries)
        {
            var matches = all.Where(m => m.name.EndsWith(entry, StringComparison.Ordinal)).ToList();
            if (matches.Count == 0)
                throw new ArgumentException($"modules_to_save '{entry}' matches no module of the model (Llama: embed_tokens, lm_head, norm, input_layernorm, post_attention_layernorm, q_proj, ...)");
            foreach (var (path, module) in matches)
            {
                if (module is LoraLinear || (module is ILinearLayer && config.Targets(path)))
                    throw new ArgumentException($"modules_to_save '{entry}' matches {path}, which also gets a LoRA adapter: leave it out of target_modules");
                if (module is Linear4bit)
                    throw new ArgumentException($"modules_to_save '{entry}' matches {path}, a 4-bit layer: quantized weights cannot be trained in full (the bundled trainer refuses rather than train a copy it cannot update)");
                if (module is not (Models.Embedding or LlamaRMSNorm or DenseLinear))
                    throw new ArgumentException($"modules_to_save '{entry}' matches {path}, a {module.GetName()} holding other modules: the bundled trainer trains single embedding, norm or linear modules in full");
                if (model.Config.TieWordEmbeddings && module is Models.Embedding)
                    throw new ArgumentException($"modules_to_save '{entry}' matches {path}, whose weight the tied output layer shares (tie_word_embeddings): not supported by the bundled trainer");
                if (result.All(r => r.Item1 != path)) result.Add((path, module));
            }
        }
        return result;
    }

    /// <summary>After <see cref="Apply"/>: the parameters of the modules trained in full, with their module.</summary>
    public static IEnumerable<(string Path, Module Module, Parameter Parameter)> ModulesToSaveParameters(LlamaForCausalLM model) =>
        model.named_modules()
            .Where(m => m.name.Length > 0 && m.module is Models.Embedding or LlamaRMSNorm or DenseLinear && !m.name.Contains(".lora_", StringComparison.Ordinal))
            .SelectMany(m => m.module.parameters().Where(p => p.requires_grad).Select(p => (m.name, m.module, p)));

    public static IEnumerable<(string Path, LoraLinear Layer)> Adapters(LlamaForCausalLM model) =>
        model.LinearLayers().Where(l => l.Layer is LoraLinear).Select(l => (l.Path, (LoraLinear)l.Layer));

    /// <summary>
    /// The trainable parameters in the order PEFT's model lists them (named_parameters of the PeftModel: module
    /// registration order as in modeling_llama, and within a LoRA layer lora_A, lora_B, lora_magnitude_vector), with the
    /// names PEFT gives them ("base_model.model.{path}.lora_A.default.weight", "...{module}.modules_to_save.default.weight").
    /// HF Trainer builds its optimizer's parameter groups in this order, so optimizer.pt indices follow it.
    /// </summary>
    public static List<(string PeftName, Parameter Parameter)> TrainableInPeftOrder(LlamaForCausalLM model)
    {
        const string P = "base_model.model.";
        var list = new List<(string, Parameter)>();
        void Module(string path, Module m)
        {
            switch (m)
            {
                case LoraLinear l:
                    list.Add((P + path + ".lora_A.default.weight", l.lora_A.weight));
                    list.Add((P + path + ".lora_B.default.weight", l.lora_B.weight));
                    if (l.lora_magnitude_vector is { } mag) list.Add((P + path + ".lora_magnitude_vector.default.weight", mag.weight));
                    break;
                case Models.Embedding e when e.weight.requires_grad: list.Add((P + path + ".modules_to_save.default.weight", e.weight)); break;
                case LlamaRMSNorm n when n.weight.requires_grad: list.Add((P + path + ".modules_to_save.default.weight", n.weight)); break;
                case DenseLinear d when d.weight.requires_grad: list.Add((P + path + ".modules_to_save.default.weight", d.weight)); break;
            }
        }
        var m0 = model.model;
        Module("model.embed_tokens", m0.embed_tokens);
        for (int i = 0; i < m0.layers.Count; i++)
        {
            var layer = m0.layers[i];
            string p = $"model.layers.{i}.";
            foreach (var (name, l) in layer.self_attn.LinearChildren()) Module(p + "self_attn." + name, l);
            foreach (var (name, l) in layer.mlp.LinearChildren()) Module(p + "mlp." + name, l);
            Module(p + "input_layernorm", layer.input_layernorm);
            Module(p + "post_attention_layernorm", layer.post_attention_layernorm);
        }
        Module("model.norm", m0.norm);
        if (model.lm_head is { } head) Module("lm_head", head);
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        if (trainable.Count != list.Count || trainable.Any(t => !list.Any(l => ReferenceEquals(l.Item2, t))))
            throw new InvalidOperationException($"internal error: {trainable.Count} trainable parameters, {list.Count} in PEFT's order");
        return list;
    }

    /// <summary>Replaces each LoRA layer by a dense layer holding its merged weight in the model's dtype.</summary>
    public static void MergeAndUnload(LlamaForCausalLM model)
    {
        foreach (var (path, parent, name, layer) in model.LinearLayers().ToList())
            if (layer is LoraLinear lora)
                parent.ReplaceLinear(name, new DenseLinear(lora.DequantizedWeight(model.Dtype)));
        foreach (var p in model.parameters()) p.requires_grad = false;
    }

    public static long TrainableParameterCount(LlamaForCausalLM model) =>
        model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
}
