using System.Text.Json.Nodes;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.Outputs;
using Stepwise.Trainer.SafeTensors;
using Stepwise.Trainer.Training;

namespace Stepwise.Trainer.Tests.Run;

public sealed class CheckpointResumeTests
{
    private static Stepwise.Core.Model.TrainingArguments Args(string optim) => RunSupport.Args(2, 2, epochs: 2) with
    {
        Optim = optim, SaveStrategy = "steps", SaveSteps = 2, LearningRate = 5e-3, WeightDecay = 0.01, WarmupSteps = 1,
        LrSchedulerType = "cosine",
    };

    private static Lora.LoraConfig Lora => new() { R = 4, LoraAlpha = 8, LoraDropout = 0.1, TargetModules = new[] { LoraConfig.AllLinear } };

    [Theory]
    [InlineData("adamw_torch")]
    [InlineData("paged_adamw_8bit")]
    public void Resume_after_a_stop_reproduces_the_uninterrupted_losses_bit_for_bit(string optim)
    {
        // N=13, B=2, A=2: L=7, U=4 (a partial window each epoch), S=8. Dropout on, shuffling on.
        using var dir = new TempDir();
        string model = TestModels.Create(dir, "m");
        var data = RunSupport.Synthetic(13);
        var full = TrainingLoop.Run(RunSupport.Job(model, dir["full"], Args(optim), data, lora: Lora), new RecordingSink());
        Assert.Equal(8, full.GlobalStep);

        // Stop after step 5 (mid-epoch 2), as SIGINT does: finish the step, save, report Stopped.
        using var cts = new CancellationTokenSource();
        var first = TrainingLoop.Run(RunSupport.Job(model, dir["split"], Args(optim), data, lora: Lora), new RecordingSink(cts, 5), cts.Token);
        Assert.True(first.Stopped);
        Assert.Equal(5, first.GlobalStep);
        Assert.True(Directory.Exists(Path.Combine(dir["split"], "checkpoint-5")));

        var resumed = TrainingLoop.Run(RunSupport.Job(model, dir["split"], Args(optim) with { ResumeFromCheckpoint = "true" }, data, lora: Lora), new RecordingSink());
        Assert.Equal(5, resumed.StartStep);
        Assert.Equal(8, resumed.GlobalStep);
        var expected = full.StepLosses.Where(l => l.Step > 5).ToList();
        Assert.Equal(expected.Count, resumed.StepLosses.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Step, resumed.StepLosses[i].Step);
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected[i].Loss), BitConverter.DoubleToInt64Bits(resumed.StepLosses[i].Loss));
        }
        // The final adapters are the same bytes.
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir["full"], PeftAdapter.WeightsFile)), File.ReadAllBytes(Path.Combine(dir["split"], PeftAdapter.WeightsFile)));
    }

    [Fact]
    public void A_save_killed_midway_leaves_the_previous_checkpoint_loadable()
    {
        using var dir = new TempDir();
        string model = TestModels.Create(dir, "m");
        var data = RunSupport.Synthetic(8);
        var args = Args("adamw_torch") with { NumTrainEpochs = 1 }; // U=2, S=2, saves checkpoint-2
        TrainingLoop.Run(RunSupport.Job(model, dir["out"], args, data, lora: Lora), new RecordingSink());
        Assert.True(Directory.Exists(Path.Combine(dir["out"], "checkpoint-2")));

        // A save of step 4 dies after writing part of its files (the process is killed, or the disk fills).
        Assert.Throws<IOException>(() => Checkpoints.Save(dir["out"], 4, tmp =>
        {
            File.WriteAllBytes(Path.Combine(tmp, PeftAdapter.WeightsFile), new byte[] { 1, 2, 3 });
            throw new IOException("simulated kill during save");
        }));
        // A hard kill leaves the temporary folder behind; it is never taken for a checkpoint.
        Directory.CreateDirectory(Path.Combine(dir["out"], ".tmp-checkpoint-4-deadbeef"));
        File.WriteAllText(Path.Combine(dir["out"], ".tmp-checkpoint-4-deadbeef", "trainer_state.json"), "{");

        Assert.False(Directory.Exists(Path.Combine(dir["out"], "checkpoint-4")));
        var latest = Checkpoints.Resolve("true", dir["out"]);
        Assert.Equal("checkpoint-2", Path.GetFileName(latest));
        using var m = LlamaLoader.Load(model);
        LoraModel.Apply(m, Lora, 0);
        Checkpoints.LoadAdapterWeights(m, Lora, latest!);
        Assert.Equal(2, TrainerState.Read(Path.Combine(latest!, "trainer_state.json")).GlobalStep);
        Assert.Single(Checkpoints.CleanTemporary(dir["out"]));
    }

    [Fact]
    public void Rotation_keeps_the_limit_and_always_the_best_checkpoint()
    {
        using var dir = new TempDir();
        foreach (var s in new[] { 2, 4, 6, 8 })
            Checkpoints.Save(dir.Path, s, tmp => File.WriteAllText(Path.Combine(tmp, "trainer_state.json"), "{}"));
        var deleted = Checkpoints.Rotate(dir.Path, 2, Checkpoints.PathFor(dir.Path, 2));
        var left = Checkpoints.List(dir.Path).Select(c => c.Step).ToList();
        Assert.Equal(new long[] { 2, 8 }, left);
        Assert.Equal(2, deleted.Count);
        // save_total_limit 1 with a best that is not the latest keeps two (HF keeps the latest so the run can resume).
        Checkpoints.Rotate(dir.Path, 1, Checkpoints.PathFor(dir.Path, 2));
        Assert.Equal(new long[] { 2, 8 }, Checkpoints.List(dir.Path).Select(c => c.Step).ToList());
    }

    [Fact]
    public void Outputs_follow_PEFT_and_HF_layouts()
    {
        using var dir = new TempDir();
        string model = TestModels.Create(dir, "m");
        var args = RunSupport.Args(2, 1, epochs: 2) with { EvalStrategy = "epoch", SaveStrategy = "epoch", LoggingSteps = 2, LoadBestModelAtEnd = true, SaveTotalLimit = 1 };
        var job = RunSupport.Job(model, dir["out"], args, RunSupport.Synthetic(6), RunSupport.Synthetic(3, seed: 99), Lora) with { WriteLossCurve = true };
        var r = TrainingLoop.Run(job, new RecordingSink());

        using (var f = SafeTensorsFile.Open(Path.Combine(dir["out"], "adapter_model.safetensors")))
        {
            Assert.Equal("pt", f.Metadata["format"]);
            var keys = f.Tensors.Select(t => t.Name).ToHashSet();
            foreach (var mod in new[] { "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj" })
                for (int l = 0; l < 2; l++)
                {
                    Assert.Contains($"base_model.model.model.layers.{l}.{mod}.lora_A.weight", keys);
                    Assert.Contains($"base_model.model.model.layers.{l}.{mod}.lora_B.weight", keys);
                }
            Assert.Equal(28, keys.Count);
            Assert.Equal(new long[] { 4, 32 }, f["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"].Shape);
        }
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(dir["out"], "adapter_config.json")))!.AsObject();
        Assert.Equal("LORA", cfg["peft_type"]!.GetValue<string>());
        Assert.Equal("CAUSAL_LM", cfg["task_type"]!.GetValue<string>());
        Assert.Equal(4, cfg["r"]!.GetValue<int>());
        Assert.Equal(7, cfg["target_modules"]!.AsArray().Count);

        var st = JsonNode.Parse(File.ReadAllText(Path.Combine(dir["out"], "trainer_state.json")))!.AsObject();
        foreach (var field in new[] { "best_metric", "best_model_checkpoint", "epoch", "eval_steps", "global_step", "is_hyper_param_search",
                     "is_local_process_zero", "is_world_process_zero", "log_history", "logging_steps", "max_steps", "num_input_tokens_seen",
                     "num_train_epochs", "save_steps", "stateful_callbacks", "total_flos", "train_batch_size", "trial_name", "trial_params" })
            Assert.True(st.ContainsKey(field), field);
        Assert.Equal(6, st["global_step"]!.GetValue<long>());
        Assert.Equal(6, st["max_steps"]!.GetValue<long>());
        var logs = st["log_history"]!.AsArray().Select(n => n!.AsObject()).ToList();
        var train = logs.Where(l => l.ContainsKey("loss")).ToList();
        Assert.Equal(new long[] { 2, 4, 6 }, train.Select(l => l["step"]!.GetValue<long>()));
        Assert.All(train, l => { Assert.True(l.ContainsKey("learning_rate")); Assert.True(l.ContainsKey("epoch")); Assert.True(l.ContainsKey("grad_norm")); });
        Assert.Equal(2, logs.Count(l => l.ContainsKey("eval_loss")));
        var summary = logs.Single(l => l.ContainsKey("train_runtime"));
        Assert.True(summary.ContainsKey("train_samples_per_second") && summary.ContainsKey("train_loss") && summary.ContainsKey("total_flos"));
        Assert.NotNull(st["best_model_checkpoint"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(dir["out"], "training_args.json")));
        Assert.True(new FileInfo(Path.Combine(dir["out"], "loss_curve.png")).Length > 1000);
        Assert.True(Checkpoints.List(dir["out"]).Count <= 2);
        Assert.Equal(2, r.EvalLosses.Count);
    }
}
