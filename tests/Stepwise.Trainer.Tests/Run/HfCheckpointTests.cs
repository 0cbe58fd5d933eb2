using Stepwise.Trainer.Training;
using System.Text.Json.Nodes;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.Optim;

namespace Stepwise.Trainer.Tests.Run;

/// <summary>
/// Checkpoints shared with HF Trainer both ways, against the float64 reference run by Debian's python3-torch 1.13:
/// optimizer.pt / scheduler.pt load under the weights-only rules and hold what torch's AdamW + LambdaLR (or
/// bitsandbytes' 8-bit AdamW) hold; the reference resumes from a Stepwise checkpoint, and Stepwise from a checkpoint
/// torch wrote, each continuing with the other's losses.
/// </summary>
public sealed class HfCheckpointTests
{
    // 10 examples, batch 2, no accumulation: 5 steps an epoch; 7 steps, checkpoints every 3.
    private static Core.Model.TrainingArguments Args(string optim = "adamw_torch") => RunSupport.Args(2, 1, maxSteps: 7) with
    {
        LearningRate = 1e-2, LrSchedulerType = "linear", WarmupSteps = 2, WeightDecay = 0.05, MaxGradNorm = 1.0, Optim = optim,
        SaveStrategy = "steps", SaveSteps = 3,
    };

    // DoRA and a norm trained in full, so both HF parameter groups and the magnitude state travel.
    private static LoraConfig Lora => new()
    {
        R = 4, LoraAlpha = 8, UseDora = true, TargetModules = new[] { "q_proj", "v_proj", "down_proj" }, ModulesToSave = new[] { "model.norm" },
    };

    private static string InitAdapter(string model, TempDir dir, LoraConfig lora, long seed)
    {
        using var copy = LlamaLoader.Load(model);
        LoraModel.Apply(copy, lora, seed);
        PeftAdapter.Save(copy, lora, dir["init"]);
        return dir["init"];
    }

    private static JsonObject Inspect(TempDir dir, string checkpoint, LlamaForCausalLM shapesOf, Core.Model.TrainingArguments args, long done, int? bits)
    {
        var groups = ParamGroups.For(shapesOf, args.WeightDecay);
        var spec = new JsonObject
        {
            ["groups"] = new JsonArray(groups.Select(g => (JsonNode)new JsonObject
            {
                ["shapes"] = new JsonArray(g.Parameters.Select(p => (JsonNode)new JsonArray(p.Parameter.shape.Select(d => (JsonNode)d).ToArray())).ToArray()),
                ["weight_decay"] = g.WeightDecay,
            }).ToArray()),
            ["lr"] = args.LearningRate, ["betas"] = new JsonArray(args.AdamBeta1, args.AdamBeta2), ["eps"] = args.AdamEpsilon,
            ["steps"] = args.MaxSteps, ["warmup"] = (long)args.WarmupSteps, ["scheduler"] = args.LrSchedulerType, ["done"] = done, ["bits"] = bits,
        };
        File.WriteAllText(dir["inspect.json"], spec.ToJsonString());
        Oracle.Run("inspect", checkpoint, dir["inspect.json"], dir["inspected.json"]);
        return JsonNode.Parse(File.ReadAllText(dir["inspected.json"]))!.AsObject();
    }

    private static void AssertNoDifferences(JsonObject inspected)
    {
        var diffs = inspected["differences"]!.AsArray().Select(d => d!.GetValue<string>()).ToList();
        Assert.True(diffs.Count == 0, string.Join("\n", diffs));
    }

    private static void AssertLoadsAsTorchsOwnFile(JsonObject inspected)
    {
        AssertNoDifferences(inspected);
        // torch 1.13's weights_only unpickler lacks BINFLOAT, so it refuses torch's own optimizer.pt the same way; the
        // reference then loads with the same allow-list of globals and checks every opcode is one weights_only knows.
        var ours = inspected["report"]!.AsArray().Select(d => d!.GetValue<string>()).First();
        var torchOwn = inspected["torch_own_report"]!.AsArray().Select(d => d!.GetValue<string>()).First();
        Assert.Equal(torchOwn.Replace(".torch_own_optimizer.pt", "optimizer.pt"), ours);
    }

    [Fact]
    public void A_Stepwise_checkpoint_is_resumed_by_the_reference_with_the_same_next_three_losses()
    {
        using var dir = new TempDir();
        string model = TestModels.Create(dir, "m");
        var data = RunSupport.Synthetic(10, seed: 31);
        var args = Args();
        var init = InitAdapter(model, dir, Lora, args.Seed);
        var ours = TrainingLoop.Run(RunSupport.Job(model, dir["out"], args, data, lora: Lora) with { Shuffle = false }, new RecordingSink());
        string checkpoint = Path.Combine(dir["out"], "checkpoint-3");
        foreach (var f in new[] { "adapter_model.safetensors", "adapter_config.json", "optimizer.pt", "scheduler.pt", "trainer_state.json" })
            Assert.True(File.Exists(Path.Combine(checkpoint, f)), f);

        using (var shapes = LlamaLoader.Load(model))
        {
            LoraModel.Apply(shapes, Lora, 0);
            AssertLoadsAsTorchsOwnFile(Inspect(dir, checkpoint, shapes, args, 3, null));
        }

        var spec = ReferenceSpec.Train(data, args, 7, 0, Lora);
        spec["resume_from"] = checkpoint;
        File.WriteAllText(dir["spec.json"], spec.ToJsonString());
        Oracle.Run("train", model, init, dir["spec.json"], dir["ref.json"]);
        var reference = ReferenceSpec.Doubles(JsonNode.Parse(File.ReadAllText(dir["ref.json"]))!["losses"]);
        Assert.Equal(4, reference.Length); // steps 4..7
        for (int i = 0; i < 3; i++)
        {
            double o = ours.StepLosses[3 + i].Loss;
            Assert.True(Math.Abs(o - reference[i]) < 1e-4 * reference[i], $"step {4 + i}: Stepwise {o}, reference resumed {reference[i]}");
        }
    }

    [Fact]
    public void A_checkpoint_written_by_torch_AdamW_and_LambdaLR_is_resumed_by_Stepwise_with_the_same_next_three_losses()
    {
        using var dir = new TempDir();
        string model = TestModels.Create(dir, "m");
        var data = RunSupport.Synthetic(10, seed: 32);
        var args = Args();
        var init = InitAdapter(model, dir, Lora, 11);
        var spec = ReferenceSpec.Train(data, args, 7, 0, Lora);
        spec["save_at"] = 3;
        spec["save_dir"] = dir["hf/checkpoint-3"];
        File.WriteAllText(dir["spec.json"], spec.ToJsonString());
        Oracle.Run("train", model, init, dir["spec.json"], dir["ref.json"]);
        var reference = ReferenceSpec.Doubles(JsonNode.Parse(File.ReadAllText(dir["ref.json"]))!["losses"]);
        Assert.Equal(7, reference.Length);
        Assert.True(File.Exists(dir["hf/checkpoint-3/rng_state.pth"]));

        var sink = new RecordingSink();
        var resumed = TrainingLoop.Run(RunSupport.Job(model, dir["out"], args with { ResumeFromCheckpoint = dir["hf/checkpoint-3"] }, data, lora: Lora) with { Shuffle = false }, sink);
        Assert.Equal(3, resumed.StartStep);
        Assert.Equal(7, resumed.GlobalStep);
        for (int i = 0; i < 3; i++)
        {
            double o = resumed.StepLosses[i].Loss;
            Assert.True(Math.Abs(o - reference[3 + i]) < 1e-4 * reference[3 + i], $"step {4 + i}: Stepwise resumed {o}, reference {reference[3 + i]}");
        }
        Assert.Contains(sink.Logs, l => l.Contains("rng_state.pth is not restored", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("adamw_bnb_8bit", 8)]
    [InlineData("paged_adamw_32bit", 32)]
    public void Bitsandbytes_optimizers_write_Optimizer2States_state_dict(string optim, int bits)
    {
        using var dir = new TempDir();
        string model = TestModels.Create(dir, "m");
        // lm_head [61, 32] trained in full: 1952 elements, under min_8bit_size; a LoRA on lm_head with r = 128 has a
        // 4096-element A, so both 8-bit and 32-bit state appear.
        var lora = new LoraConfig { R = 128, LoraAlpha = 16, TargetModules = new[] { "q_proj", "lm_head" }, RankPattern = new[] { new KeyValuePair<string, int>("q_proj", 2) } };
        var args = Args(optim) with { MaxSteps = 3 };
        TrainingLoop.Run(RunSupport.Job(model, dir["out"], args, RunSupport.Synthetic(6), lora: lora) with { Shuffle = false }, new RecordingSink());
        using var shapes = LlamaLoader.Load(model);
        LoraModel.Apply(shapes, lora, 0);
        Assert.Contains(LoraModel.TrainableInPeftOrder(shapes), p => p.Parameter.numel() >= AdamW8bit.MinEightBitSize);
        var inspected = Inspect(dir, Path.Combine(dir["out"], "checkpoint-3"), shapes, args, 3, bits);
        AssertNoDifferences(inspected);
    }

    [Fact]
    public void Resuming_with_another_optimizer_family_is_refused_with_the_reason()
    {
        using var dir = new TempDir();
        string model = TestModels.Create(dir, "m");
        var data = RunSupport.Synthetic(6);
        var lora = new LoraConfig { R = 4, LoraAlpha = 8 };
        TrainingLoop.Run(RunSupport.Job(model, dir["out"], Args() with { MaxSteps = 3 }, data, lora: lora), new RecordingSink());
        var e = Assert.Throws<SafeTensors.CheckpointFormatException>(() => TrainingLoop.Run(
            RunSupport.Job(model, dir["out"], Args("adamw_bnb_8bit") with { MaxSteps = 6, ResumeFromCheckpoint = "true" }, data, lora: lora), new RecordingSink()));
        Assert.Contains("torch AdamW state", e.Message);
    }
}
