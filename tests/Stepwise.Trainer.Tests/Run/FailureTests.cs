using Stepwise.Trainer.Data;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.Training;

namespace Stepwise.Trainer.Tests.Run;

/// <summary>What a run does when the loss turns NaN, memory runs out or the disk is full.</summary>
public sealed class FailureTests
{
    [Fact]
    public void A_NaN_loss_stops_the_run_with_the_step_and_a_loadable_last_good_checkpoint()
    {
        using var dir = new TempDir();
        string path = TestModels.Create(dir, "m");
        using var model = LlamaLoader.Load(path);
        // Token 60 has an infinite embedding and only the last two examples (the third batch) contain it.
        using (torch.no_grad()) model.model.embed_tokens.weight[60].fill_(float.PositiveInfinity);
        var examples = Enumerable.Range(0, 6).Select(i =>
        {
            var ids = new[] { 5 + i, 7, 9 + i, i >= 4 ? 60 : 11, 13, 17 };
            return new Example(ids, ids.Select((id, j) => j >= 3 ? id : Example.Ignore).ToArray());
        }).ToList();
        var job = RunSupport.Job(path, dir["out"], RunSupport.Args(2, 1, epochs: 1), examples) with { Shuffle = false };

        var e = Assert.Throws<TrainingException>(() => TrainingLoop.Run(job, new RecordingSink(), preloaded: model));
        Assert.Contains("the loss became NaN at step 3", e.Message);
        Assert.Contains("Lower learning_rate", e.Message);
        string expected = Path.Combine(dir["out"], "checkpoint-2");
        Assert.Equal(Path.GetFullPath(expected), Path.GetFullPath(e.Checkpoint!));
        Assert.Contains(expected, e.Message);
        // The checkpoint holds the weights of step 2 (nothing of the NaN window was applied) and loads into a fresh model.
        using var fresh = LlamaLoader.Load(path);
        LoraModel.Apply(fresh, job.Lora);
        Checkpoints.LoadAdapterWeights(fresh, job.Lora, expected);
        Assert.All(LoraModel.Adapters(fresh), a => Assert.False(a.Layer.lora_B.weight.isnan().any().item<bool>()));
        Assert.Contains(LoraModel.Adapters(fresh), a => a.Layer.lora_B.weight.abs().max().item<float>() > 0);
    }

    [Fact]
    public void A_full_disk_is_recognised_from_the_operating_system_error()
    {
        // /dev/full fails every write with ENOSPC: the same IOException a full disk raises while a checkpoint is written.
        var e = Assert.ThrowsAny<IOException>(() => File.WriteAllBytes("/dev/full", new byte[4096]));
        Assert.True(TrainingLoop.IsDiskFull(e), $"{e.GetType().Name} HResult 0x{e.HResult:X}: {e.Message}");
        Assert.False(TrainingLoop.IsDiskFull(new FileNotFoundException("missing.json")));
    }

    [Fact]
    public void An_allocation_the_machine_cannot_hold_is_reported_as_out_of_memory()
    {
        // 2^61 bytes is beyond any address space: the allocator refuses it at once, whatever the overcommit policy.
        var e = Assert.ThrowsAny<Exception>(() => torch.empty(new long[] { 1L << 59 }, ScalarType.Float32));
        Assert.True(TrainingLoop.IsOutOfMemory(e), $"{e.GetType().Name}: {e.Message}");
        Assert.False(TrainingLoop.IsOutOfMemory(new InvalidOperationException("shape mismatch")));
    }
}
