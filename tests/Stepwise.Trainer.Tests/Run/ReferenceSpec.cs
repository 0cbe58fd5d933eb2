using System.Text.Json.Nodes;
using Stepwise.Core.Model;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.Lora;

namespace Stepwise.Trainer.Tests.Run;

/// <summary>Inputs of the float64 reference (oracle/llama_reference.py): examples, optimizer settings, LoRA settings as written.</summary>
public static class ReferenceSpec
{
    public static JsonObject Train(IReadOnlyList<Example> examples, TrainingArguments args, int steps, int padId, LoraConfig? lora = null, string scheduler = "linear")
    {
        var spec = new JsonObject
        {
            ["examples"] = new JsonArray(examples.Select(e => (JsonNode)new JsonObject
            {
                ["ids"] = new JsonArray(e.Ids.Select(i => (JsonNode)i).ToArray()),
                ["labels"] = new JsonArray(e.Labels.Select(i => (JsonNode)i).ToArray()),
            }).ToArray()),
            ["batch"] = args.PerDeviceTrainBatchSize, ["accum"] = args.GradientAccumulationSteps, ["steps"] = steps, ["lr"] = args.LearningRate,
            ["warmup"] = (long)args.WarmupSteps, ["weight_decay"] = args.WeightDecay, ["max_grad_norm"] = args.MaxGradNorm,
            ["betas"] = new JsonArray(args.AdamBeta1, args.AdamBeta2), ["eps"] = args.AdamEpsilon, ["pad_id"] = padId, ["scheduler"] = scheduler,
        };
        if (lora is not null) spec["lora"] = Lora(lora);
        return spec;
    }

    /// <summary>The LoRA settings as a user writes them in a LoraConfig (target_modules a list, or a string for a regex).</summary>
    public static JsonObject Lora(LoraConfig c)
    {
        var o = new JsonObject
        {
            ["r"] = c.R, ["lora_alpha"] = c.LoraAlpha, ["use_rslora"] = c.UseRslora, ["use_dora"] = c.UseDora,
            ["target_modules"] = c.TargetRegex is { } re ? JsonValue.Create(re)
                : c.TargetModules is [LoraConfig.AllLinear] ? JsonValue.Create(LoraConfig.AllLinear)
                : new JsonArray(c.TargetModules.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
        };
        var rp = new JsonObject();
        foreach (var (k, v) in c.RankPattern) rp[k] = v;
        var ap = new JsonObject();
        foreach (var (k, v) in c.AlphaPattern) ap[k] = v;
        o["rank_pattern"] = rp;
        o["alpha_pattern"] = ap;
        if (c.LayersToTransform is { } l) o["layers_to_transform"] = new JsonArray(l.Select(i => (JsonNode)i).ToArray());
        if (c.LayersPattern is { } lp) o["layers_pattern"] = new JsonArray(lp.Select(i => (JsonNode)JsonValue.Create(i)!).ToArray());
        if (c.ModulesToSave is { } m) o["modules_to_save"] = new JsonArray(m.Select(i => (JsonNode)JsonValue.Create(i)!).ToArray());
        if (c.ExcludeModules is { } ex) o["exclude_modules"] = new JsonArray(ex.Select(i => (JsonNode)JsonValue.Create(i)!).ToArray());
        return o;
    }

    public static double[] Doubles(JsonNode? n) => n!.AsArray().Select(x => x!.GetValue<double>()).ToArray();
}
