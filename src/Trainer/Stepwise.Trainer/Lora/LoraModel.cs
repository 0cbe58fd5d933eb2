using Stepwise.Trainer.Models;

namespace Stepwise.Trainer.Lora;

/// <summary>Adding LoRA adapters to a model, and merging them back (peft get_peft_model / merge_and_unload).</summary>
public static class LoraModel
{
    /// <summary>
    /// Wraps every targeted linear layer in a <see cref="LoraLinear"/> and freezes everything else: afterwards the
    /// only parameters with requires_grad are lora_A / lora_B. <paramref name="seed"/> makes the A init reproducible.
    /// Returns the wrapped module paths.
    /// </summary>
    public static IReadOnlyList<string> Apply(LlamaForCausalLM model, LoraConfig config, long seed = 0)
    {
        config.Validate();
        foreach (var p in model.parameters()) p.requires_grad = false;
        torch.manual_seed(seed);
        var wrapped = new List<string>();
        foreach (var (path, parent, name, layer) in model.LinearLayers().ToList())
        {
            if (layer is LoraLinear || !config.Targets(path)) continue;
            parent.ReplaceLinear(name, new LoraLinear(layer, config, model.Device));
            wrapped.Add(path);
        }
        if (wrapped.Count == 0)
            throw new ArgumentException($"target_modules [{string.Join(", ", config.TargetModules)}] matched no linear layer " +
                "(Llama has q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, lm_head)");
        return wrapped;
    }

    public static IEnumerable<(string Path, LoraLinear Layer)> Adapters(LlamaForCausalLM model) =>
        model.LinearLayers().Where(l => l.Layer is LoraLinear).Select(l => (l.Path, (LoraLinear)l.Layer));

    /// <summary>Replaces each LoRA layer by a dense layer holding W + B A * scaling in the model's dtype.</summary>
    public static void MergeAndUnload(LlamaForCausalLM model)
    {
        foreach (var (path, parent, name, layer) in model.LinearLayers().ToList())
            if (layer is LoraLinear lora)
                parent.ReplaceLinear(name, new DenseLinear(lora.DequantizedWeight(model.Dtype)));
    }

    public static long TrainableParameterCount(LlamaForCausalLM model) =>
        model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
}
