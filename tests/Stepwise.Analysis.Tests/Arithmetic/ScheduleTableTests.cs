using Stepwise.Core.Arithmetic;

namespace Stepwise.Analysis.Tests.Arithmetic;

/// <summary>
/// The step/epoch arithmetic against hand-derived values. The epoch is the one trainer_state.json records: transformers'
/// Trainer._inner_training_loop (4.57 and 5.x alike) sets, at every optimizer step,
/// <c>state.epoch = epoch + (step + 1) / steps_in_epoch</c>, where <c>step</c> is the index of the micro-batch within the
/// epoch and <c>steps_in_epoch = len(train_dataloader) = L</c>. In the current loop an epoch is cut into windows of A
/// micro-batches (the last one shorter, "remainder"), so after S = k x U + r steps (0 &lt; r &lt;= U) the run is in epoch
/// k after min(r x A, L) micro-batches: epoch = k + min(r x A, L) / L. Rows say how each value follows from that.
/// </summary>
public class ScheduleTableTests
{
    // N, B, A, W, dropLast, maxSteps, epochs, loop -> nb, L, U, S, trainer_state epoch, samples
    public static IEnumerable<object[]> Rows => new[]
    {
        // Seed (N = 52,002, one GPU): nb = ceil(52002/128) = 407 = L = U (A = 1). S = 1000 = 2 x 407 + 186: the 1000th
        // step ends after 186 of the third epoch's 407 batches -> 2 + 186/407 = 2.457. Samples: 2 x 52,002 + 186 x 128.
        R(52002, 128, 1, 1, false, 1000, 3, Cur, 407, 407, 407, 1000, 2 + 186.0 / 407, 127_812),
        // Partial window: L = 1626, U = ceil(1626/4) = 407, each epoch's last window holds 1626 - 406 x 4 = 2 batches.
        // 1000 = 2 x 407 + 186 -> 186 full windows = 744 batches of epoch 3 -> 2 + 744/1626 (= 2.4576, same samples).
        R(52002, 32, 4, 1, false, 1000, 3, Cur, 1626, 1626, 407, 1000, 2 + 744.0 / 1626, 127_812),
        // W = 2: L = ceil(1626/2) = 813, U = ceil(813/4) = 204 (last window 1 batch). 1000 = 4 x 204 + 184 ->
        // 184 x 4 = 736 batches of epoch 5 -> 4 + 736/813 = 4.905 (not 1000/204 = 4.902). Samples: every batch padded to
        // 32 x 2: 4 x 813 x 64 + 736 x 64.
        R(52002, 32, 4, 2, false, 1000, 3, Cur, 1626, 813, 204, 1000, 4 + 736.0 / 813, 4 * 813 * 64 + 736 * 64),
        // Default batch 8: L = 6501; 1000 steps end inside epoch 1 after 1000 batches -> 1000/6501 = 0.154; 8,000 samples.
        R(52002, 8, 1, 1, false, 1000, 3, Cur, 6501, 6501, 6501, 1000, 1000.0 / 6501, 8_000),
        // drop_last: nb = floor(52002/128) = 406; 1000 = 2 x 406 + 188 -> 2 + 188/406; samples are whole batches.
        R(52002, 128, 1, 1, true, 1000, 3, Cur, 406, 406, 406, 1000, 2 + 188.0 / 406, 1000 * 128),
        // drop_last on 2 processes: nb = 1625, L = floor(1625/2) = 812, U = 203 (no partial window); 1000 = 4 x 203 + 188
        // -> 188 x 4 = 752 batches -> 4 + 752/812.
        R(52002, 32, 4, 2, true, 1000, 3, Cur, 1625, 812, 203, 1000, 4 + 752.0 / 812, 1000 * 256),
        // Epochs with a partial window: N = 999, B = 8 -> L = 125, U = ceil(125/4) = 32 (last window 1 batch).
        // S = 3 x 32 = 96 = 2 x 32 + 32: the 32nd window of epoch 3 ends at min(128, 125) = 125 -> exactly 3.0.
        R(999, 8, 4, 1, false, -1, 3, Cur, 125, 125, 32, 96, 3.0, 2_997),
        // Fractional epochs with a partial window: S = ceil(2.5 x 32) = 80 = 2 x 32 + 16 -> 16 windows = 64 of 125
        // batches -> 2 + 64/125 = 2.512 (not 2.5). Samples: 2 x 999 + 64 x 8.
        R(999, 8, 4, 1, false, -1, 2.5, Cur, 125, 125, 32, 80, 2 + 64.0 / 125, 2 * 999 + 64 * 8),
        // The case: 183 steps per epoch (ceil(1460/8)), num_train_epochs 0.5 -> S = ceil(91.5) = 92 -> 92/183
        // = 0.503, which trainer_state.json shows where 0.5 was asked.
        R(1460, 8, 1, 1, false, -1, 0.5, Cur, 183, 183, 183, 92, 92.0 / 183, 92 * 8),
        // Fractional epochs, seed batch: S = ceil(2.5 x 407) = 1018 = 2 x 407 + 204 -> 2 + 204/407 = 2.501.
        R(52002, 128, 1, 1, false, -1, 2.5, Cur, 407, 407, 407, 1018, 2 + 204.0 / 407, 2 * 52002 + 204 * 128),
        // max_steps on a partial window: N = 10, B = 1, A = 4 -> L = 10, U = 3 (windows 4, 4, 2). Step 3 closes epoch 1
        // (min(12, 10) = 10 batches) -> 1.0; steps/U would say 1.0 too. Step 5 = 1 x 3 + 2 -> 8 batches of epoch 2 ->
        // 1.8, where steps/U says 1.67.
        R(10, 1, 4, 1, false, 3, 1, Cur, 10, 10, 3, 3, 1.0, 10),
        R(10, 1, 4, 1, false, 5, 1, Cur, 10, 10, 3, 5, 1.8, 18),
        // Tiny dataset: N = 3, B = 8 -> one short batch, U = max(ceil(1/4), 1) = 1; 3 steps -> 3 epochs of 3 samples.
        R(3, 8, 4, 1, false, -1, 3, Cur, 1, 1, 1, 3, 3.0, 9),
        // max_steps below one epoch: 50 of 125 batches -> 0.4; 400 samples.
        R(999, 8, 1, 1, false, 50, 3, Cur, 125, 125, 125, 50, 0.4, 400),
        // LLaMA-Factory ascend example: 999 records, batch 8, max_steps 500 = 3 x 125 + 125 -> 3 + 125/125 = 4.0; on 2
        // processes L = ceil(125/2) = 63, 500 = 7 x 63 + 59 -> 7 + 59/63 = 7.94 (batches padded to 16).
        R(999, 8, 1, 1, false, 500, 3, Cur, 125, 125, 125, 500, 4.0, 4 * 999),
        R(999, 8, 1, 2, false, 500, 3, Cur, 125, 63, 63, 500, 7 + 59.0 / 63, 7 * 63 * 16 + 59 * 16),

        // World sizes 1-8 with N = 1000, B = 4, A = 3, max_steps 50: nb = 250, L = ceil(250 / W) (even_batches pads),
        // U = ceil(L / 3); 50 = k x U + r -> epoch k + min(3r, L) / L; samples k x L x 4W + min(3r, L) x 4W.
        R(1000, 4, 3, 1, false, 50, 1, Cur, 250, 250, 84, 50, 150.0 / 250, 150 * 4),            // 50 < 84: 150 batches
        R(1000, 4, 3, 2, false, 50, 1, Cur, 250, 125, 42, 50, 1 + 24.0 / 125, 125 * 8 + 24 * 8),  // 50 = 42 + 8
        R(1000, 4, 3, 3, false, 50, 1, Cur, 250, 84, 28, 50, 1 + 66.0 / 84, 84 * 12 + 66 * 12),   // 50 = 28 + 22
        R(1000, 4, 3, 4, false, 50, 1, Cur, 250, 63, 21, 50, 2 + 24.0 / 63, 2 * 63 * 16 + 24 * 16), // 50 = 2 x 21 + 8
        R(1000, 4, 3, 5, false, 50, 1, Cur, 250, 50, 17, 50, 2 + 48.0 / 50, 2 * 50 * 20 + 48 * 20), // 50 = 2 x 17 + 16
        R(1000, 4, 3, 6, false, 50, 1, Cur, 250, 42, 14, 50, 3 + 24.0 / 42, 3 * 42 * 24 + 24 * 24), // 50 = 3 x 14 + 8
        R(1000, 4, 3, 7, false, 50, 1, Cur, 250, 36, 12, 50, 4 + 6.0 / 36, 4 * 36 * 28 + 6 * 28),   // 50 = 4 x 12 + 2
        R(1000, 4, 3, 8, false, 50, 1, Cur, 250, 32, 11, 50, 4 + 18.0 / 32, 4 * 32 * 32 + 18 * 32), // 50 = 4 x 11 + 6

        // drop_last with 8 processes: N = 32, B = 4 -> nb = 8, L = floor(8/8) = 1, U = 1; 3 epochs = 3 steps -> 3.0.
        R(32, 4, 1, 8, true, -1, 3, Cur, 8, 1, 1, 3, 3.0, 96),
        // Empty dataloader: N = 31, B = 4, W = 8, drop_last -> nb = 7, L = floor(7/8) = 0. U is still max(0, 1) = 1, but
        // the epoch iterator yields nothing (step stays -1): HF warns and stops at global_step 0 -> 0 steps, epoch 0.
        R(31, 4, 1, 8, true, 10, 3, Cur, 7, 0, 1, 0, 0.0, 0),
        // Empty dataloader on one process: N = 3 < B = 8 with drop_last -> nb = L = 0; without max_steps HF raises.
        R(3, 8, 1, 1, true, -1, 1, Cur, 0, 0, 1, 0, 0.0, 0),
        // No examples at all: L = ceil(0/8) = 0, the same empty loop.
        R(0, 8, 1, 1, false, -1, 3, Cur, 0, 0, 1, 0, 0.0, 0),

        // transformers 4.46-4.51 (prefetched windows): U = floor(L/A) plans the run, but each epoch's last window
        // fetches num_examples % A batches (A when 0) and steps when it reaches the epoch's last batch.
        // N = 40, B = 4, A = 3: L = 10, U = 3, max_steps = ceil(2 x 3) = 6; windows 3, 3, 3, then 40 % 3 = 1 batch (the
        // 10th, which ends the epoch, so it steps): 4 steps per epoch. Step 6 = epoch 2's second window -> 1 + 6/10.
        R(40, 4, 3, 1, false, -1, 2, Pre, 10, 10, 3, 6, 1.6, 40 + 6 * 4),
        // N = 37, B = 4, A = 4: L = 10 (last batch 1 sample), U = 2; last window fetches 37 % 4 = 1 batch (the 9th) and
        // never reaches the 10th: 2 steps per epoch, the 9th batch's gradient waits for the next epoch. S = 4 -> epoch 2's
        // second window -> 1 + 8/10. Samples: 9 batches of 4 in epoch 1, 8 in epoch 2.
        R(37, 4, 4, 1, false, -1, 2, Pre, 10, 10, 2, 4, 1.8, 9 * 4 + 8 * 4),
        // The old row under 4.46-4.51: N = 999, B = 8, A = 4: L = 125, U = 31, S = 93; last window fetches 999 % 4 = 3
        // >= the 1 left, so it steps: 32 steps per epoch. 93 = 2 x 32 + 29 -> 116 batches -> 2 + 116/125.
        R(999, 8, 4, 1, false, -1, 3, Pre, 125, 125, 31, 93, 2 + 116.0 / 125, 2 * 999 + 116 * 8),
        // transformers < 4.46 (one running count): a step every A batches counted over the run, so the m-th step comes
        // after m x A batches: epoch = m x A / L. N = 999, B = 8, A = 4: U = 31, S = 93 -> 372 batches = 2 epochs + 122.
        R(999, 8, 4, 1, false, -1, 3, Run, 125, 125, 31, 93, 372.0 / 125, 2 * 999 + 122 * 8),
        // N = 10, B = 1, A = 3: U = 3, S = 6 -> 18 batches -> 1.8 (epoch 1 steps at 3, 6, 9; epoch 2 at 12, 15, 18).
        R(10, 1, 3, 1, false, -1, 2, Run, 10, 10, 3, 6, 1.8, 18),
        // An epoch shorter than A (L = 3, A = 4) also steps at its last batch: steps at running counts 3 (end), 4 (4 % 4),
        // 6 (end) -> the 3rd step at count 6 = the end of epoch 2 -> 2.0.
        R(3, 1, 4, 1, false, 3, 1, Run, 3, 3, 1, 3, 2.0, 6),
    };

    private const TrainerLoop Cur = TrainerLoop.Current, Pre = TrainerLoop.PrefetchWindows, Run = TrainerLoop.RunningCount;

    private static object[] R(long n, long b, long a, long w, bool dropLast, long maxSteps, double epochs, TrainerLoop loop,
        long nb, long l, long u, long s, double trainerStateEpoch, long samples) =>
        new object[] { n, b, a, w, dropLast, maxSteps, epochs, loop, nb, l, u, s, trainerStateEpoch, samples };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Schedule_matches_hand_derivation(long n, long b, long a, long w, bool dropLast, long maxSteps, double epochs, TrainerLoop loop,
        long nb, long l, long u, long s, double trainerStateEpoch, long samples)
    {
        var sched = Schedules.Compute(new ScheduleInputs
        {
            DatasetSize = n, PerDeviceBatch = b, GradientAccumulation = a, WorldSize = w, DropLast = dropLast,
            MaxSteps = maxSteps, NumTrainEpochs = epochs, Loop = loop,
        });
        Assert.Equal(nb, sched.Batches);
        Assert.Equal(l, sched.MicroBatchesPerEpoch);
        Assert.Equal(u, sched.StepsPerEpoch);
        Assert.Equal(s, sched.TotalSteps);
        Assert.Equal(trainerStateEpoch, sched.Epochs!.Value, 9);
        Assert.Equal(samples, sched.Samples);
        Assert.Equal(b * a * w, sched.SamplesPerStep);
        Assert.Equal(l == 0, sched.EmptyDataloader);
        if (l > 0) Assert.Equal(trainerStateEpoch, sched.FinalEpochIndex!.Value + (double)sched.FinalEpochMicroBatches!.Value / l, 9);
    }

    [Fact]
    public void Seed_numbers_round_as_the_story_tells_them()
    {
        var big = Schedules.Compute(new ScheduleInputs { DatasetSize = 52002, PerDeviceBatch = 128, MaxSteps = 1000 });
        var small = Schedules.Compute(new ScheduleInputs { DatasetSize = 52002, PerDeviceBatch = 8, MaxSteps = 1000 });
        Assert.Equal("2.46", Schedules.Epochs(big.Epochs!.Value));
        Assert.Equal("0.15", Schedules.Epochs(small.Epochs!.Value));
        Assert.Equal(16, big.SamplesPerStep / small.SamplesPerStep);
        // 4 + 736/813 = 4.905 rounds to 4.91 (1000/204 = 4.902 would have said 4.90).
        Assert.Equal("4.91", Schedules.Epochs(Schedules.Compute(new ScheduleInputs { DatasetSize = 52002, PerDeviceBatch = 32, GradientAccumulation = 4, WorldSize = 2, MaxSteps = 1000 }).Epochs!.Value));
    }

    [Theory]
    [InlineData(4.0, "4.0")]
    [InlineData(2.5, "2.5")]
    [InlineData(2.457, "2.46")]
    [InlineData(92.0 / 183, "0.50")] // not "0.5": only an exact half says 0.5
    [InlineData(7.936, "7.94")]
    public void Epochs_keep_the_second_decimal_unless_exact(double e, string shown) => Assert.Equal(shown, Schedules.Epochs(e));

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
        // axolotl calculate_total_num_steps: ceil(N x epochs / (B x A x W)) = ceil(2280 x 1 / 32) = 72 (71.25); HF would do
        // ceil(1 x ceil(ceil(2280/16)/2)) = 72 too, but with 3 epochs axolotl gives ceil(6840/32) = 214 (213.75) while HF
        // gives 3 x 72 = 216. axolotl passes 214 as max_steps: L = 143, U = 72 (last window 1 batch), 214 = 2 x 72 + 70 ->
        // 140 of 143 batches -> trainer_state epoch 2 + 140/143 = 2.979 (214/72 would say 2.972).
        var one = Schedules.Compute(new ScheduleInputs { DatasetSize = 2280, PerDeviceBatch = 16, GradientAccumulation = 2, NumTrainEpochs = 1, Estimator = RunLengthEstimator.Axolotl });
        Assert.Equal(72, one.TotalSteps);
        var three = Schedules.Compute(new ScheduleInputs { DatasetSize = 2280, PerDeviceBatch = 16, GradientAccumulation = 2, NumTrainEpochs = 3, Estimator = RunLengthEstimator.Axolotl });
        Assert.Equal(214, three.TotalSteps);
        Assert.Equal(2 + 140.0 / 143, three.Epochs!.Value, 9);
        Assert.Equal(2 * 2280 + 140 * 16, three.Samples);
        var hf = Schedules.Compute(new ScheduleInputs { DatasetSize = 2280, PerDeviceBatch = 16, GradientAccumulation = 2, NumTrainEpochs = 3 });
        Assert.Equal(216, hf.TotalSteps);
        Assert.Equal(3.0, hf.Epochs);
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

    [Theory]
    // transformers training_args.py at each tag (read from the tags' sources): v4.57.6 keeps warmup_ratio and
    // get_warmup_steps takes warmup_steps when > 0, else ceil(S x ratio); v5.0.0-v5.14.1 __post_init__ sets
    // warmup_steps = warmup_ratio whenever the ratio is not None (over a written warmup_steps too), then a value below 1
    // is ceil(S x value); v5.15.0 has no warmup_ratio field (SW4003), warmup_steps stays as written. S = 1000 (max_steps).
    [InlineData("4.57", "warmup_ratio: 0.05", 50L)]            // ceil(1000 x 0.05)
    [InlineData("4.57", "warmup_ratio: 0.05\nwarmup_steps: 10", 10L)] // warmup_steps > 0 wins in v4
    [InlineData("5.0", "warmup_ratio: 0.05", 50L)]             // copied into warmup_steps: ceil(1000 x 0.05)
    [InlineData("5.14", "warmup_ratio: 0.05", 50L)]
    [InlineData("5.14", "warmup_ratio: 0.05\nwarmup_steps: 10", 50L)] // the copy overwrites the written 10
    [InlineData("5.14", "warmup_ratio:\nwarmup_steps: 10", 10L)]      // a YAML null is unset: nothing copied
    [InlineData("5.15", "warmup_ratio: 0.05", 0L)]             // no such field: warmup_steps keeps its default 0
    [InlineData("5.15", "warmup_steps: 0.05", 50L)]
    public void Warmup_ratio_is_warmup_steps_after_post_init_in_transformers_5_0_to_5_14(string version, string warmup, long expected)
    {
        var text = "per_device_train_batch_size: 8\nmax_steps: 1000\n" + warmup + "\n";
        var (_, r) = Stepwise.Analysis.Tests.Rules.RuleTestKit.Analyze(text, options: new Stepwise.Core.AnalysisOptions { TransformersVersion = version, DatasetSize = 52002 });
        Assert.Equal(expected, r.Schedule!.WarmupSteps);
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

    [Theory]
    [InlineData("4.40", TrainerLoop.RunningCount)]
    [InlineData("4.45", TrainerLoop.RunningCount)]
    [InlineData("4.46", TrainerLoop.PrefetchWindows)]
    [InlineData("4.51", TrainerLoop.PrefetchWindows)]
    [InlineData("4.52", TrainerLoop.Current)]
    [InlineData("4.57", TrainerLoop.Current)]
    [InlineData("5.14", TrainerLoop.Current)]
    public void The_release_picks_the_loop(string version, TrainerLoop loop) =>
        Assert.Equal(loop, new Stepwise.Core.AnalysisOptions { TransformersVersion = version }.Loop);
}
