using Stepwise.Trainer.Training;

namespace Stepwise.Trainer.Tests.Run;

/// <summary>Real (tiny) runs make exactly the optimizer steps, epoch boundaries and samples the engine predicts.</summary>
public sealed class ScheduleRunTests
{
    // N, B, A, drop_last, max_steps, epochs: partial windows (L % A != 0), drop_last, max_steps mid-epoch, fractional epochs.
    [Theory]
    [InlineData(10, 3, 1, false, -1, 1.0)]   // L=4 U=4 S=4
    [InlineData(10, 3, 2, false, -1, 2.0)]   // L=4 U=2 S=4
    [InlineData(10, 3, 3, false, -1, 2.0)]   // L=4 U=2 (partial window of 1) S=4
    [InlineData(10, 3, 3, true, -1, 2.0)]    // L=3 U=1 S=2
    [InlineData(10, 4, 2, false, 7, 3.0)]    // L=3 U=2 (partial) max_steps 7: 3.5 epochs, loop bound 4
    [InlineData(7, 2, 3, false, -1, 1.5)]    // L=4 U=2 S=3: stops mid-epoch
    [InlineData(5, 8, 4, false, -1, 3.0)]    // L=1 U=max(1, ceil(1/4))=1 S=3
    [InlineData(9, 2, 4, true, 5, 1.0)]      // L=4 U=1 S=5, num_train_epochs ignored
    [InlineData(10, 1, 4, false, 5, 1.0)]    // L=10 U=3 (windows 4,4,2): step 5 ends after 8 batches of epoch 2 -> 1.8, not 5/3
    [InlineData(11, 2, 4, false, -1, 2.5)]   // L=6 U=2 (windows 4,2): S=ceil(2.5 x 2)=5 -> 2 + 4/6 = 2.667, not 2.5
    public void Optimizer_steps_epoch_ends_and_samples_equal_the_engine(int n, int b, int a, bool dropLast, int maxSteps, double epochs)
    {
        using var dir = new TempDir();
        string model = TestModels.Create(dir, "m");
        var args = RunSupport.Args(b, a, dropLast, maxSteps, epochs);
        var job = RunSupport.Job(model, dir["out"], args, RunSupport.Synthetic(n));
        var s = job.Schedule;
        var r = TrainingLoop.Run(job, new RecordingSink());

        Assert.Equal(s.TotalSteps, r.GlobalStep);
        Assert.Equal(s.EpochLoopBound, r.EpochEndSteps.Count);
        long u = s.StepsPerEpoch!.Value;
        for (int e = 0; e < r.EpochEndSteps.Count - 1; e++) Assert.Equal((e + 1) * u, r.EpochEndSteps[e]);
        Assert.Equal(s.TotalSteps, r.EpochEndSteps[^1]);
        Assert.Equal(s.Samples, r.SamplesSeen);
        // trainer_state.json's epoch (epoch + micro-batches of the epoch / L, as HF writes it) is the engine's Epochs.
        using var state = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir["out"], "trainer_state.json")));
        Assert.Equal(s.Epochs!.Value, state.RootElement.GetProperty("epoch").GetDouble(), 12);
    }

    [Fact]
    public void Token_scaled_loss_of_a_partial_window_is_the_token_mean()
    {
        // N=3, B=1, A=2: the second window holds one micro-batch. Its loss is still a per-token mean (not halved).
        using var dir = new TempDir();
        string model = TestModels.Create(dir, "m");
        var data = RunSupport.Synthetic(3);
        var args = RunSupport.Args(1, 2) with { LearningRate = 0 };
        var r = TrainingLoop.Run(RunSupport.Job(model, dir["out"], args, data), new RecordingSink());
        Assert.Equal(2, r.GlobalStep);
        // With lr 0 the model never changes: a fresh eval of the last example alone gives the same per-token loss.
        using var m = Stepwise.Trainer.Models.LlamaLoader.Load(model);
        Stepwise.Trainer.Lora.LoraModel.Apply(m, new Stepwise.Trainer.Lora.LoraConfig { R = 4, LoraAlpha = 8 }, args.Seed);
        var loader = new Stepwise.Trainer.Data.ExampleLoader(data, 1, false, true, args.Seed, 0);
        var lastIdx = loader.BatchIndices(0, 2)[0];
        double expected = TrainingLoop.EvalLoss(m, new[] { data[lastIdx] }, 1, 0, CPU);
        Assert.Equal(expected, r.StepLosses[1].Loss, 5);
    }
}
