using Stepwise.Core.Arithmetic;

namespace Stepwise.Analysis.Tests.Arithmetic;

/// <summary>
/// The step/epoch arithmetic against hand-derived values. Every row of the worked example in
/// shared/reference/epochs.md is here, plus drop_last, world size, accumulation remainders, tiny datasets,
/// max_steps below one epoch, epoch-based totals, the pre-4.52 floor rule and the axolotl estimator.
/// </summary>
public class ScheduleTableTests
{
    // N, B, A, W, dropLast, maxSteps, epochs, floor? -> nb, L, U, S, epochsTrained, samples
    public static IEnumerable<object[]> Rows => new[]
    {
        // epochs.md worked example (N = 52,002, one GPU): ceil(52002/128) = 407 (406.27); 1000/407 = 2.457;
        // samples: 2 full epochs (104,004) + 186 steps x 128 (23,808) = 127,812.
        R(52002, 128, 1, 1, false, 1000, 3, false, 407, 407, 407, 1000, 1000.0 / 407, 127_812),
        // 32 x 4: ceil(52002/32) = 1626 (1625.06), ceil(1626/4) = 407 (406.5): the same samples per epoch and per run.
        R(52002, 32, 4, 1, false, 1000, 3, false, 1626, 1626, 407, 1000, 1000.0 / 407, 127_812),
        // 32 x 4 on 2 processes: L = ceil(1626/2) = 813, U = ceil(813/4) = 204 (203.25), 1000/204 = 4.90;
        // samples = 4 epochs x (813 x 32 x 2 = 52,032 padded) + 184 steps x 4 x 32 x 2 (47,104) = 255,232.
        R(52002, 32, 4, 2, false, 1000, 3, false, 1626, 813, 204, 1000, 1000.0 / 204, 4 * 52_032 + 184 * 256),
        // default batch 8: ceil(52002/8) = 6501 (6500.25); 1000 steps = 8,000 samples = 0.154 epochs.
        R(52002, 8, 1, 1, false, 1000, 3, false, 6501, 6501, 6501, 1000, 1000.0 / 6501, 8_000),
        // drop_last: floor(52002/128) = 406 batches; 1000/406 = 2.463; samples = 2 x 406 x 128 + 188 x 128.
        R(52002, 128, 1, 1, true, 1000, 3, false, 406, 406, 406, 1000, 1000.0 / 406, 2 * 406 * 128 + 188 * 128),
        // drop_last on 2 processes: nb = floor(52002/32) = 1625, L = floor(1625/2) = 812, U = ceil(812/4) = 203.
        R(52002, 32, 4, 2, true, 1000, 3, false, 1625, 812, 203, 1000, 1000.0 / 203, 4 * 812 * 64 + 188 * 4 * 64),
        // accumulation remainder, epochs-based: N=999, B=8 -> 125 batches; A=4 -> ceil(125/4) = 32 steps (31.25);
        // S = ceil(3 x 32) = 96; samples = 3 full epochs = 2,997.
        R(999, 8, 4, 1, false, -1, 3, false, 125, 125, 32, 96, 3.0, 2_997),
        // the same before transformers 4.52: floor(125/4) = 31 steps per epoch, S = 93; leftovers roll on:
        // 93 x 4 = 372 micro-batches = 2 epochs (250) + 122 micro-batches of 8 = 1998 + 976.
        R(999, 8, 4, 1, false, -1, 3, true, 125, 125, 31, 93, 3.0, 2 * 999 + 122 * 8),
        // fractional epochs: S = ceil(2.5 x 407) = 1018 (1017.5); samples = 2 x 52,002 + 204 x 128.
        R(52002, 128, 1, 1, false, -1, 2.5, false, 407, 407, 407, 1018, 2.5, 2 * 52002 + 204 * 128),
        // tiny dataset: N=3, B=8 -> one short batch; U = max(ceil(1/4), 1) = 1; 3 epochs = 3 steps of 3 samples.
        R(3, 8, 4, 1, false, -1, 3, false, 1, 1, 1, 3, 3.0, 9),
        // tiny dataset with drop_last: no full batch at all -> nb = 0, U = max(0, 1) = 1 (HF's floor of one step).
        R(3, 8, 1, 1, true, -1, 1, false, 0, 0, 1, 1, 1.0, 0),
        // max_steps below one epoch: 50 of 125 steps; 50 x 8 = 400 samples = 0.4 epochs.
        R(999, 8, 1, 1, false, 50, 3, false, 125, 125, 125, 50, 0.4, 400),
        // LLaMA-Factory ascend example: 999 records, batch 8, max_steps 500 -> 4.0 epochs; on 2 processes
        // L = ceil(125/2) = 63 -> 500/63 = 7.94 epochs.
        R(999, 8, 1, 1, false, 500, 3, false, 125, 125, 125, 500, 4.0, 4 * 999),
        R(999, 8, 1, 2, false, 500, 3, false, 125, 63, 63, 500, 500.0 / 63, 7 * 63 * 16 + 59 * 16),
    };

    private static object[] R(long n, long b, long a, long w, bool dropLast, long maxSteps, double epochs, bool floor,
        long nb, long l, long u, long s, double trained, long samples) => new object[] { n, b, a, w, dropLast, maxSteps, epochs, floor, nb, l, u, s, trained, samples };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Schedule_matches_hand_derivation(long n, long b, long a, long w, bool dropLast, long maxSteps, double epochs, bool floor,
        long nb, long l, long u, long s, double trained, long samples)
    {
        var sched = Schedules.Compute(new ScheduleInputs
        {
            DatasetSize = n, PerDeviceBatch = b, GradientAccumulation = a, WorldSize = w, DropLast = dropLast,
            MaxSteps = maxSteps, NumTrainEpochs = epochs, Rounding = floor ? StepsPerEpochRounding.Floor : StepsPerEpochRounding.Ceil,
        });
        Assert.Equal(nb, sched.Batches);
        Assert.Equal(l, sched.MicroBatchesPerEpoch);
        Assert.Equal(u, sched.StepsPerEpoch);
        Assert.Equal(s, sched.TotalSteps);
        Assert.Equal(trained, sched.Epochs!.Value, 9);
        Assert.Equal(samples, sched.Samples);
        Assert.Equal(b * a * w, sched.SamplesPerStep);
    }

    [Fact]
    public void Seed_numbers_round_as_the_story_tells_them()
    {
        var big = Schedules.Compute(new ScheduleInputs { DatasetSize = 52002, PerDeviceBatch = 128, MaxSteps = 1000 });
        var small = Schedules.Compute(new ScheduleInputs { DatasetSize = 52002, PerDeviceBatch = 8, MaxSteps = 1000 });
        Assert.Equal("2.46", Schedules.Epochs(big.Epochs!.Value));
        Assert.Equal("0.15", Schedules.Epochs(small.Epochs!.Value));
        Assert.Equal(16, big.SamplesPerStep / small.SamplesPerStep);
        Assert.Equal("4.9", Schedules.Epochs(Schedules.Compute(new ScheduleInputs { DatasetSize = 52002, PerDeviceBatch = 32, GradientAccumulation = 4, WorldSize = 2, MaxSteps = 1000 }).Epochs!.Value));
    }

    [Fact]
    public void Unknown_dataset_size_leaves_epochs_unknown_but_max_steps_known()
    {
        var s = Schedules.Compute(new ScheduleInputs { DatasetSize = null, PerDeviceBatch = 16, GradientAccumulation = 2, MaxSteps = 200 });
        Assert.Null(s.StepsPerEpoch);
        Assert.Null(s.Epochs);
        Assert.Equal(200, s.TotalSteps);
        Assert.Equal(32, s.SamplesPerStep);
        var e = Schedules.Compute(new ScheduleInputs { DatasetSize = null, NumTrainEpochs = 3 });
        Assert.Null(e.TotalSteps);
    }

    [Fact]
    public void Axolotl_estimator_uses_its_own_ceiling_of_samples()
    {
        // axolotl: ceil(N x epochs / (B x A x W)) = ceil(2280 x 1 / 32) = 72 (71.25); HF would do ceil(1 x ceil(ceil(2280/16)/2)) = 72 too,
        // but with 3 epochs axolotl gives ceil(6840/32) = 214 (213.75) while HF gives 3 x 72 = 216.
        var one = Schedules.Compute(new ScheduleInputs { DatasetSize = 2280, PerDeviceBatch = 16, GradientAccumulation = 2, NumTrainEpochs = 1, Estimator = RunLengthEstimator.Axolotl });
        Assert.Equal(72, one.TotalSteps);
        var three = Schedules.Compute(new ScheduleInputs { DatasetSize = 2280, PerDeviceBatch = 16, GradientAccumulation = 2, NumTrainEpochs = 3, Estimator = RunLengthEstimator.Axolotl });
        Assert.Equal(214, three.TotalSteps);
        Assert.Equal(214.0 / 72, three.Epochs!.Value, 9);
        var hf = Schedules.Compute(new ScheduleInputs { DatasetSize = 2280, PerDeviceBatch = 16, GradientAccumulation = 2, NumTrainEpochs = 3 });
        Assert.Equal(216, hf.TotalSteps);
    }

    [Theory]
    // v4: warmup_steps > 0 wins, else ceil(S x ratio): ceil(1000 x 0.03) = 30; ceil(1221 x 0.03) = 37 (36.63).
    [InlineData(1000L, 3.0, 0.0, 0.03, false, 30L)]
    [InlineData(-1L, 3.0, 0.0, 0.03, false, 37L)]
    [InlineData(1000L, 3.0, 100.0, 0.03, false, 100L)]
    // v5: a float in [0,1) is a ratio of S; >= 1 a count.
    [InlineData(1000L, 3.0, 0.05, 0.0, true, 50L)]
    [InlineData(1000L, 3.0, 20.0, 0.0, true, 20L)]
    public void Warmup_steps_follow_the_release(long maxSteps, double epochs, double warmupSteps, double ratio, bool v5, long expected)
    {
        var s = Schedules.Compute(new ScheduleInputs { DatasetSize = 52002, PerDeviceBatch = 128, MaxSteps = maxSteps, NumTrainEpochs = epochs, WarmupSteps = warmupSteps, WarmupRatio = ratio, V5 = v5 });
        Assert.Equal(expected, s.WarmupSteps);
    }

    [Fact]
    public void Ratio_steps_are_ceil_of_total_times_ratio()
    {
        var s = Schedules.Compute(new ScheduleInputs { DatasetSize = 52002, PerDeviceBatch = 128, MaxSteps = 1000 });
        Assert.Equal(250, s.RatioToSteps(0.25));
        Assert.Equal(34, s.RatioToSteps(0.0333)); // 33.3 -> 34
        Assert.Equal(500, s.RatioToSteps(500));
    }

    [Fact]
    public void Invalid_batch_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Schedules.Compute(new ScheduleInputs { PerDeviceBatch = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Schedules.Compute(new ScheduleInputs { GradientAccumulation = -1 }));
    }
}
