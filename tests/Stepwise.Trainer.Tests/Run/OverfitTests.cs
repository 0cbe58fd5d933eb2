using System.Text.Json.Nodes;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.Quantization;
using Stepwise.Trainer.Training;

namespace Stepwise.Trainer.Tests.Run;

public sealed class OverfitTests
{
    [Fact]
    public void QLoRA_on_the_default_model_overfits_8_records_below_0_1_and_leaves_the_base_untouched()
    {
        using var dir = new TempDir();
        string folder = dir["default"];
        DefaultModel.Create(folder, 0);
        // Short chat records keep sequences at ~30 byte tokens; the responses are what the loss looks at.
        var pairs = new[] { ("2+3", "5"), ("7*6", "42"), ("9-4", "5"), ("capital of France", "Paris"), ("opposite of hot", "cold"),
                            ("reverse abc", "cba"), ("1 km in m", "1000"), ("first letter of dog", "d") };
        var records = pairs.Select((p, i) => new DataRecord(new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = p.Item1 }, new JsonObject { ["role"] = "assistant", ["content"] = p.Item2 }),
        }, "test", i + 1)).ToList();
        var examples = TrainJobs.Tokenize(records, folder, 64);
        var args = RunSupport.Args(8, 1, maxSteps: 60) with { LearningRate = 5e-3, Optim = "adamw_bnb_8bit", LrSchedulerType = "linear", MaxGradNorm = 1.0 };
        // lm_head is targeted too (PEFT allows it as an explicit target): the default model's weights are random, and
        // behind its frozen final RMSNorm a frozen random lm_head bounds the logit margins (std 0.02 x 16 x 16 ~ 5),
        // so without it the loss stalls near 1.15 — as it does in an independent PyTorch LoRA run of the same
        // examples without lm_head. With it, that PyTorch run reaches ~0.1 in 60 constant-lr steps and this trainer
        // 0.009 with the linear decay (loss 4.7 -> 0.08 by step 30).
        var lora = new LoraConfig { R = 16, LoraAlpha = 32, TargetModules = new[] { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "lm_head" } };

        using var model = LlamaLoader.Load(folder, new LoadOptions { Quantize = QuantType.Nf4 });
        var packedBefore = model.LinearLayers().Where(l => l.Layer is Linear4bit).Select(l => ((Linear4bit)l.Layer).Weight.Packed.clone()).ToList();
        var floatBefore = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var job = new TrainJob
        {
            Args = args, Schedule = TrainJobs.ScheduleFor(args, examples.Count), ModelPath = folder, ModelName = "default",
            Load = new LoadOptions { Quantize = QuantType.Nf4 }, Lora = lora, Train = examples, OutputDir = dir["out"], PadId = 2, WriteLossCurve = false,
        };
        var r = TrainingLoop.Run(job, new RecordingSink(), preloaded: model);

        Assert.True(r.StepLosses[0].Loss > 5, $"first loss {r.StepLosses[0].Loss}: a random model over 259 byte tokens starts near ln 259 = 5.56");
        Assert.True(r.StepLosses[^1].Loss < 0.1, $"final loss {r.StepLosses[^1].Loss} (first {r.StepLosses[0].Loss})");
        // Base: every 4-bit weight and every float parameter (embeddings, norms, lm_head) is bit-identical.
        var packedAfter = model.LinearLayers().Where(l => l.Layer is LoraLinear { base_layer: Linear4bit }).Select(l => ((Linear4bit)((LoraLinear)l.Layer).base_layer).Weight.Packed).ToList();
        Assert.Equal(packedBefore.Count, packedAfter.Count);
        for (int i = 0; i < packedBefore.Count; i++) Assert.True(TestSupportExt.Same(packedBefore[i], packedAfter[i]));
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.Contains("lora_", StringComparison.Ordinal)) continue;
            string key = name.Replace(".base_layer", "", StringComparison.Ordinal);
            if (floatBefore.TryGetValue(key, out var before)) Assert.True(TestSupportExt.Same(before, p), name);
        }
        // LoRA: B started at zero and moved.
        Assert.All(LoraModel.Adapters(model), a => Assert.True(a.Layer.lora_B.weight.abs().max().item<float>() > 0));
    }
}
