using Stepwise.Trainer.Training;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.SafeTensors;

namespace Stepwise.Trainer.Tests.Run;

/// <summary>
/// The whole training step against an independent PyTorch implementation (oracle/llama_reference.py `train`, float64):
/// LoRA forward/backward on every linear layer including lm_head, the window loss over label tokens with a partial
/// accumulation window, gradient clipping, AdamW with weight decay and the linear warmup/decay schedule.
/// </summary>
public sealed class TrainingOracleTests
{
    [Fact]
    public void LoRA_training_steps_match_a_PyTorch_reference_loss_for_loss_and_weight_for_weight()
    {
        using var dir = new TempDir();
        string model = TestModels.Create(dir, "m");
        // 10 examples, batch 2, accumulation 2: windows of 2, 2 and 1 micro-batches per epoch (3 steps), 6 steps = 2 epochs.
        var examples = RunSupport.Synthetic(10, seed: 5);
        var lora = new LoraConfig { R = 4, LoraAlpha = 8, TargetModules = new[] { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "lm_head" } };
        var args = RunSupport.Args(2, 2, maxSteps: 6) with
        {
            LearningRate = 2e-2, LrSchedulerType = "linear", WarmupSteps = 2, WeightDecay = 0.1, MaxGradNorm = 0.5, Optim = "adamw_torch",
        };
        var job = RunSupport.Job(model, dir["out"], args, examples, lora: lora) with { Shuffle = false };

        // The starting adapter: LoRA applied with the trainer's seed to a second copy of the model gives the same A init.
        using (var copy = LlamaLoader.Load(model))
        {
            LoraModel.Apply(copy, lora, args.Seed);
            PeftAdapter.Save(copy, lora, dir["init"]);
        }
        var r = TrainingLoop.Run(job, new RecordingSink());

        var spec = new JsonObject
        {
            ["examples"] = new JsonArray(examples.Select(e => (JsonNode)new JsonObject
            {
                ["ids"] = new JsonArray(e.Ids.Select(i => (JsonNode)i).ToArray()),
                ["labels"] = new JsonArray(e.Labels.Select(i => (JsonNode)i).ToArray()),
            }).ToArray()),
            ["batch"] = 2, ["accum"] = 2, ["steps"] = 6, ["lr"] = 2e-2, ["warmup"] = 2, ["weight_decay"] = 0.1, ["max_grad_norm"] = 0.5,
            ["betas"] = new JsonArray(args.AdamBeta1, args.AdamBeta2), ["eps"] = args.AdamEpsilon, ["pad_id"] = job.PadId,
        };
        File.WriteAllText(dir["spec.json"], spec.ToJsonString());
        Oracle.Run("train", model, dir["init"], dir["spec.json"], dir["ref.json"]);
        var reference = JsonNode.Parse(File.ReadAllText(dir["ref.json"]))!.AsObject();

        var refLosses = reference["losses"]!.AsArray().Select(x => x!.GetValue<double>()).ToArray();
        Assert.Equal(6, refLosses.Length);
        Assert.Equal(6, r.StepLosses.Count);
        for (int i = 0; i < 6; i++)
            Assert.True(Math.Abs(r.StepLosses[i].Loss - refLosses[i]) < 1e-4 * refLosses[i],
                $"step {i + 1}: trainer {r.StepLosses[i].Loss}, PyTorch {refLosses[i]}");
        // Training moved the loss (otherwise agreeing would prove little).
        Assert.True(refLosses[^1] < refLosses[0] - 0.05, string.Join(", ", refLosses));

        var refAdapter = reference["adapter"]!.AsObject();
        using var trained = SafeTensorsFile.Open(Path.Combine(dir["out"], PeftAdapter.WeightsFile));
        Assert.Equal(refAdapter.Select(kv => kv.Key).OrderBy(k => k, StringComparer.Ordinal), trained.Tensors.Select(t => t.Name).OrderBy(k => k, StringComparer.Ordinal));
        Assert.Contains("base_model.model.lm_head.lora_B.weight", refAdapter.Select(kv => kv.Key));
        foreach (var (name, values) in refAdapter)
        {
            var expected = values!.AsArray().Select(x => (float)x!.GetValue<double>()).ToArray();
            float[] actual = trained.Read(name).to(ScalarType.Float32).data<float>().ToArray();
            double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            Assert.True(worst < 1e-4, $"{name}: max |trainer - PyTorch| = {worst}");
        }
    }
}
