using Stepwise.Core;
using Stepwise.Readers;
using static Stepwise.Analysis.Tests.Rules.RuleTestKit;

namespace Stepwise.Analysis.Tests.Rules;

public class ScheduleRuleTests
{
    private const string SeedAfter = """
        # seed, after the batch was raised
        # stepwise: dataset_size=52002
        output_dir: output
        per_device_train_batch_size: 128
        gradient_accumulation_steps: 1
        max_steps: 1000   # keep it short
        num_train_epochs: 3
        learning_rate: 2.0e-4

        """;

    [Fact]
    public void SW1001_shows_the_arithmetic_of_the_seed()
    {
        var (_, r) = Analyze(SeedAfter);
        var f = Single(r, "SW1001");
        Assert.Equal(Severity.Warning, f.Severity);
        Assert.Contains("1,000 steps x 128 x 1 x 1 = 128,000 samples = 2.46 epochs of 52,002", f.Message);
        Assert.Equal(5, f.Span.Range.Start.Line);
        Assert.Equal(11, f.Span.Range.Start.Character);
    }

    [Fact]
    public void SW1001_does_not_fire_below_the_threshold_or_without_max_steps()
    {
        Assert.DoesNotContain(Analyze(SeedAfter.Replace("128", "64")).Result.Findings, f => f.Id == "SW1001"); // 1.23 epochs
        Assert.DoesNotContain(Analyze(SeedAfter.Replace("max_steps: 1000   # keep it short\n", "")).Result.Findings, f => f.Id == "SW1001");
        var opts = new AnalysisOptions { EpochThreshold = 3 };
        Assert.DoesNotContain(Analyze(SeedAfter, options: opts).Result.Findings, f => f.Id == "SW1001");
    }

    [Fact]
    public void SW1001_fires_when_max_steps_gives_more_epochs_than_written()
    {
        var (_, r) = Analyze(SeedAfter.Replace("num_train_epochs: 3", "num_train_epochs: 1"), options: new AnalysisOptions { EpochThreshold = 10 });
        Assert.Contains("more than the 1.0 num_train_epochs asks for", Single(r, "SW1001").Message);
    }

    [Fact]
    public void SW1001_preferred_fix_removes_max_steps_and_keeps_comments_and_keys()
    {
        var (_, r) = Analyze(SeedAfter);
        var fix = Single(r, "SW1001").Fixes.Single(x => x.IsPreferred);
        var after = Apply(SeedAfter, fix);
        Assert.Equal(new[] { "max_steps: 1000   # keep it short" }, LinesGone(SeedAfter, after));
        var (_, r2) = Analyze(after);
        Assert.DoesNotContain(r2.Findings, f => f.Id is "SW1001" or "SW1002");
        Assert.Equal(3 * 407, r2.Schedule!.TotalSteps);
    }

    [Fact]
    public void SW1001_offers_the_epochs_max_steps_gives_and_the_batch_split()
    {
        var (_, r) = Analyze(SeedAfter);
        var fixes = Single(r, "SW1001").Fixes;
        var epochs = fixes.Single(x => x.Title.Contains("2.46"));
        var after = Apply(SeedAfter, epochs);
        Assert.Contains("num_train_epochs: 2.46", after);
        Assert.DoesNotContain("max_steps", after);

        var split = fixes.Single(x => x.Title.Contains("gradient_accumulation_steps 4"));
        var splitText = Apply(SeedAfter, split);
        var (_, r3) = Analyze(splitText);
        Assert.Equal(32, r3.Schedule!.Inputs.PerDeviceBatch);
        Assert.Equal(4, r3.Schedule.Inputs.GradientAccumulation);
        Assert.Equal(407, r3.Schedule.StepsPerEpoch);         // same steps per epoch
        Assert.Equal(r3.Schedule.Samples, Analyze(SeedAfter).Result.Schedule!.Samples); // and the same samples
    }

    [Fact]
    public void SW1002_points_at_the_ignored_key_and_fixes_both_ways()
    {
        var (_, r) = Analyze(SeedAfter);
        var f = Single(r, "SW1002");
        Assert.Equal(6, f.Span.Range.Start.Line);
        Assert.Contains("num_train_epochs=3 is ignored because max_steps=1000 > 0: the run trains 2.46 epochs", f.Message);
        var keepSteps = Apply(SeedAfter, f.Fixes.Single(x => !x.IsPreferred));
        Assert.DoesNotContain("num_train_epochs", keepSteps);
        // The warning is gone; what remains is the note that the default epochs do not apply either.
        var after = Analyze(keepSteps).Result.Findings.Where(x => x.Id == "SW1002").ToList();
        Assert.All(after, x => Assert.Equal(Severity.Information, x.Severity));
    }

    [Fact]
    public void SW1002_is_information_on_max_steps_when_epochs_not_written()
    {
        var (_, r) = Analyze("max_steps: 10\nper_device_train_batch_size: 8\n# stepwise: dataset_size=160\n");
        var f = Single(r, "SW1002");
        Assert.Equal(Severity.Information, f.Severity);
        Assert.Equal(0, f.Span.Range.Start.Line);
        Assert.Equal("the default num_train_epochs=3.0 does not apply because max_steps=10 > 0: the run trains 0.5 epochs (10 steps x 8 x 1 x 1 = 80 samples = 0.5 epochs of 160)", f.Message);
        Assert.DoesNotContain(Analyze("num_train_epochs: 2\nper_device_train_batch_size: 8\n").Result.Findings, x => x.Id == "SW1002");
    }

    [Fact]
    public void SW1002_in_axolotl_speaks_axolotl()
    {
        var text = "base_model: m\nmicro_batch_size: 4\nnum_epochs: 2\nmax_steps: 100\n# stepwise: dataset_size=1000\n";
        var (_, r) = Analyze(text);
        var f = Single(r, "SW1002");
        Assert.StartsWith("num_epochs=2 is ignored", f.Message);
        // 1000 / 4 = 250 steps per epoch -> 100 steps = 0.4 epochs
        Assert.Contains("0.4 epochs", f.Message);
    }

    [Fact]
    public void SW1001_fix_in_axolotl_writes_num_epochs()
    {
        var text = "base_model: m\nmicro_batch_size: 64\nmax_steps: 100\n# stepwise: dataset_size=1000\n";
        var (_, r) = Analyze(text);
        var fix = Single(r, "SW1001").Fixes.First(x => x.IsPreferred);
        var after = Apply(text, fix);
        Assert.Contains("num_epochs: 1", after); // axolotl's default num_epochs is 1
        Assert.DoesNotContain("max_steps", after);
    }

    [Fact]
    public void SW1003_compares_with_the_committed_version()
    {
        var before = SeedAfter.Replace("per_device_train_batch_size: 128", "per_device_train_batch_size: 8");
        var prev = ConfigReaders.Read(before, "config.yaml").Single();
        var (_, r) = Analyze(SeedAfter, previous: prev);
        var f = Single(r, "SW1003");
        Assert.Contains("0.15 -> 2.46 epochs, 16.0x the training time", f.Message);
        var rescale = f.Fixes.Single(x => x.IsPreferred);
        var after = Apply(SeedAfter, rescale);
        // old epochs 1000/6501 x 407 steps per epoch = 62.6 -> 63 steps
        Assert.Contains("max_steps: 63", after);
        Assert.DoesNotContain(Analyze(after, previous: prev).Result.Findings, x => x.Id == "SW1003");
    }

    [Fact]
    public void SW1003_silent_when_max_steps_changed_too_or_batch_same()
    {
        var prev = ConfigReaders.Read(SeedAfter.Replace("128", "8").Replace("1000", "2000"), "config.yaml").Single();
        Assert.DoesNotContain(Analyze(SeedAfter, previous: prev).Result.Findings, f => f.Id == "SW1003");
        var same = ConfigReaders.Read(SeedAfter.Replace("learning_rate: 2.0e-4", "learning_rate: 1.0e-4"), "config.yaml").Single();
        Assert.DoesNotContain(Analyze(SeedAfter, previous: same).Result.Findings, f => f.Id == "SW1003");
    }

    [Fact]
    public void SW1004_reports_examples_never_seen()
    {
        var (_, r) = Analyze(SeedAfter.Replace("128", "8"));
        var f = Single(r, "SW1004");
        Assert.Equal(Severity.Information, f.Severity);
        Assert.Contains("8,000 of 52,002 examples are seen, 44,002 never", f.Message);
        Assert.DoesNotContain(r.Findings, x => x.Id == "SW1001");
    }

    [Fact]
    public void SW1005_when_dataset_unknown_and_never_a_guess()
    {
        var (_, r) = Analyze("per_device_train_batch_size: 8\nmax_steps: 100\ndataset_name: someone/private\n");
        var f = Single(r, "SW1005");
        Assert.Contains("# stepwise: dataset_size=N", f.Message);
        Assert.Null(r.Schedule!.Epochs);
        Assert.DoesNotContain(r.Findings, x => x.Id is "SW1001" or "SW1004");
    }

    [Fact]
    public void SW1006_turns_ratios_into_steps()
    {
        var text = SeedAfter + "save_steps: 0.25\nwarmup_ratio: 0.03\n";
        var (_, r) = Analyze(text);
        var save = r.Findings.Single(f => f.Id == "SW1006" && f.Message.StartsWith("save_steps"));
        Assert.Contains("every 250 steps = every 0.61 epochs", save.Message);
        var warm = r.Findings.Single(f => f.Id == "SW1006" && f.Message.StartsWith("warmup_ratio"));
        Assert.Contains("= 30 steps", warm.Message);
        var after = Apply(text, save.Fixes.Single());
        Assert.Contains("save_steps: 102", after); // 0.25 x 407 = 101.75 -> 102
    }

    [Fact]
    public void SW1006_axolotl_saves_per_epoch()
    {
        var text = "base_model: m\nmicro_batch_size: 16\ngradient_accumulation_steps: 2\nnum_epochs: 1\nmax_steps: 200\nsaves_per_epoch: 4\n# stepwise: dataset_size=2280\n";
        var (_, r) = Analyze(text);
        var f = Single(r, "SW1006");
        // 1/(4 x 1) of 200 = every 50 steps; L = 143 batches, windows of 2: step 50 ends after 100 of them -> 0.70 epochs
        // in trainer_state.json (50/72 steps would say 0.69)
        Assert.Contains("every 50 steps = every 0.70 epochs, not 4 per epoch", f.Message);
        var after = Apply(text, f.Fixes.Single());
        Assert.Contains("save_steps: 18", after); // 72 / 4
        Assert.DoesNotContain("saves_per_epoch", after);
    }

    [Fact]
    public void SW1007_deepspeed_mismatch_and_auto_fix()
    {
        var dsText = "{\n  \"train_batch_size\": 64,\n  \"train_micro_batch_size_per_gpu\": 8,\n  \"gradient_accumulation_steps\": 4\n}";
        var ds = ConfigReaders.Read(dsText, "/tmp/ds.json").Single();
        var text = "per_device_train_batch_size: 16\ngradient_accumulation_steps: 2\nnum_train_epochs: 1\ndeepspeed: ds.json\n# stepwise: world_size=2\n";
        var (_, r) = Analyze(text, deepSpeed: ds);
        var f = Single(r, "SW1007");
        Assert.Equal(Severity.Error, f.Severity);
        Assert.Contains("train_micro_batch_size_per_gpu=8 but per_device_train_batch_size=16", f.Message);
        Assert.Contains("gradient_accumulation_steps=4 but gradient_accumulation_steps=2 here", f.Message);
        Assert.DoesNotContain("train_batch_size=64", f.Message); // 8 x 4 x 2 = 64 agrees with itself
        var fix = f.Fixes.Single();
        Assert.All(fix.Edits, e => Assert.Equal("/tmp/ds.json", e.Path));
        var fixedDs = Stepwise.Core.Text.TextEdit.Apply(dsText, fix.Edits.Select(e => e.Edit));
        var ds2 = ConfigReaders.Read(fixedDs, "/tmp/ds.json").Single();
        Assert.Empty(ds2.Problems);
        Assert.DoesNotContain(Analyze(text, deepSpeed: ds2).Result.Findings, x => x.Id == "SW1007");
    }

    [Fact]
    public void SW1007_total_must_equal_the_product()
    {
        var ds = ConfigReaders.Read("{\"train_batch_size\": 64, \"train_micro_batch_size_per_gpu\": \"auto\", \"gradient_accumulation_steps\": \"auto\"}", "ds.json").Single();
        var (_, r) = Analyze("per_device_train_batch_size: 8\ngradient_accumulation_steps: 4\ndeepspeed: ds.json\n", deepSpeed: ds);
        Assert.Contains("train_batch_size=64 but 8 x 4 x 1 (world size) = 32", Single(r, "SW1007").Message);
        var ok = ConfigReaders.Read("{\"train_batch_size\": 32, \"train_micro_batch_size_per_gpu\": \"auto\"}", "ds.json").Single();
        Assert.DoesNotContain(Analyze("per_device_train_batch_size: 8\ngradient_accumulation_steps: 4\ndeepspeed: ds.json\n", deepSpeed: ok).Result.Findings, f => f.Id == "SW1007");
    }

    [Fact]
    public void World_size_comes_from_the_accelerate_config()
    {
        var acc = ConfigReaders.Read("compute_environment: LOCAL_MACHINE\ndistributed_type: FSDP\nnum_processes: 2\n", "acc.yaml").Single();
        var (_, r) = Analyze("per_device_train_batch_size: 8\nmax_steps: 500\n# stepwise: dataset_size=999\n", accelerate: acc);
        Assert.Equal(2, r.Schedule!.Inputs.WorldSize);
        Assert.Equal(500.0 / 63, r.Schedule.Epochs!.Value, 9);
    }

    [Theory]
    [InlineData("per_device_train_batch_size: 0\n", "at least 1, not 0")]
    [InlineData("per_device_train_batch_size: -4\n", "at least 1, not -4")]
    [InlineData("max_steps: \"abc\"\nper_device_train_batch_size: 8\n", "max_steps must be an integer, not \"abc\"")]
    [InlineData("gradient_accumulation_steps: 2.5\nmax_steps: 3\n", "must be a positive integer, not 2.5")]
    [InlineData("num_train_epochs: lots\nmax_steps: 3\n", "num_train_epochs must be a number, not lots")]
    public void Wrong_types_and_ranges_get_SW9002_with_position(string text, string message)
    {
        var (_, r) = Analyze(text);
        var f = Single(r, "SW9002");
        Assert.Contains(message, f.Message);
        Assert.Equal(Severity.Error, f.Severity);
    }

    [Fact]
    public void Severity_overrides_change_and_silence_rules()
    {
        var opts = new AnalysisOptions { Severities = new Dictionary<string, Severity?> { ["SW1001"] = Severity.Error, ["SW1002"] = null } };
        var (_, r) = Analyze(SeedAfter, options: opts);
        Assert.Equal(Severity.Error, Single(r, "SW1001").Severity);
        Assert.DoesNotContain(r.Findings, f => f.Id == "SW1002");
    }

    [Fact]
    public void Json_fix_round_trip_removes_max_steps_cleanly()
    {
        var text = "{\n  \"per_device_train_batch_size\": 128,\n  \"max_steps\": 1000,\n  \"num_train_epochs\": 3 // asked\n}\n";
        var (_, r) = Analyze(text, "c.json", new AnalysisOptions { DatasetSize = 52002 });
        var after = Apply(text, Single(r, "SW1001").Fixes.Single(x => x.IsPreferred));
        Assert.Equal("{\n  \"per_device_train_batch_size\": 128,\n  \"num_train_epochs\": 3 // asked\n}\n", after);
        Assert.DoesNotContain(Analyze(after, "c.json", new AnalysisOptions { DatasetSize = 52002 }).Result.Findings, f => f.Id is "SW1001" or "SW1002");
    }

    [Fact]
    public void Json_fix_replaces_max_steps_in_place_when_epochs_absent()
    {
        var text = "{\"per_device_train_batch_size\": 128, \"max_steps\": 1000}";
        var (_, r) = Analyze(text, "c.json", new AnalysisOptions { DatasetSize = 52002 });
        var after = Apply(text, Single(r, "SW1001").Fixes.Single(x => x.IsPreferred));
        Assert.Equal("{\"per_device_train_batch_size\": 128, \"num_train_epochs\": 3}", after);
    }

    [Fact]
    public void Yaml_split_fix_adds_accumulation_with_the_right_indent()
    {
        var text = "training:\n  x: 1\nper_device_train_batch_size: 128\nmax_steps: 1000\n# stepwise: dataset_size=52002\n";
        var (_, r) = Analyze(text);
        var split = Single(r, "SW1001").Fixes.Single(x => x.Title.StartsWith("Use per_device"));
        var after = Apply(text, split);
        Assert.Contains("per_device_train_batch_size: 32\ngradient_accumulation_steps: 4\nmax_steps: 1000\n", after);
    }

    [Fact]
    public void Extreme_values_do_not_crash_the_engine()
    {
        var (_, r) = Analyze("per_device_train_batch_size: 9223372036854775807\nmax_steps: 9223372036854775807\n# stepwise: dataset_size=1\n");
        Assert.DoesNotContain(r.Findings, f => f.Id == "SW0001");
    }

    [Fact]
    public void SW1008_drop_last_with_fewer_examples_than_a_batch_is_an_error_with_the_stop_at_step_0()
    {
        // floor(6 / 8) = 0 batches: Trainer._inner_training_loop finds no batch, warns, stops at global_step 0.
        var text = "output_dir: out\nper_device_train_batch_size: 8\ndataloader_drop_last: true\nmax_steps: 100\n# stepwise: dataset_size=6\n";
        var (_, r) = Analyze(text);
        var f = Single(r, "SW1008");
        Assert.Equal(Severity.Error, f.Severity);
        Assert.Contains("6 examples do not fill one batch of 8", f.Message);
        Assert.Contains("stops at step 0", f.Message);
        Assert.Equal(2, f.Span.Range.Start.Line); // on dataloader_drop_last's value
        Assert.Equal(0, r.Schedule!.TotalSteps);
        Assert.Equal(0.0, r.Schedule.Epochs);
        // Nothing else about a run that does not happen (no "num_train_epochs ignored", no "less than one epoch").
        Assert.DoesNotContain(r.Findings, x => x.Id is "SW1001" or "SW1002" or "SW1004" or "SW1006");
        var after = Apply(text, f.Fixes.Single(x => x.IsPreferred));
        Assert.Contains("dataloader_drop_last: false", after);
        Assert.DoesNotContain(Analyze(after).Result.Findings, x => x.Id == "SW1008");
        // The other fix: a batch that fits (floor(6 / 1 process) = 6).
        Assert.Contains("per_device_train_batch_size: 6", Apply(text, f.Fixes.Single(x => !x.IsPreferred)));
    }

    [Fact]
    public void SW1008_without_max_steps_names_the_start_up_error_and_counts_processes()
    {
        // 31 examples, batch 4, 8 processes: floor(31/4) = 7 batches, floor(7/8) = 0 per process.
        var (_, r) = Analyze("output_dir: out\nper_device_train_batch_size: 4\ndataloader_drop_last: true\n# stepwise: dataset_size=31 world_size=8\n");
        var f = Single(r, "SW1008");
        Assert.Contains("on each of 8 processes (floor(7 / 8) = 0)", f.Message);
        Assert.Contains("refuses to start", f.Message);
        var (_, ok) = Analyze("output_dir: out\nper_device_train_batch_size: 4\ndataloader_drop_last: true\n# stepwise: dataset_size=32 world_size=8\n");
        Assert.DoesNotContain(ok.Findings, x => x.Id == "SW1008");
    }

    [Fact]
    public void Derivation_shows_the_trainer_state_epoch_of_a_fractional_run()
    {
        // The case: 183 steps per epoch, num_train_epochs 0.5 -> 92 steps -> 92/183 = 0.503 in trainer_state.json.
        var (_, r) = Analyze("output_dir: out\nper_device_train_batch_size: 8\nnum_train_epochs: 0.5\n# stepwise: dataset_size=1460\n");
        Assert.Equal(92, r.Schedule!.TotalSteps);
        Assert.Equal(92.0 / 183, r.Schedule.Epochs!.Value, 12);
        var lines = Stepwise.Core.Arithmetic.ScheduleSummary.Derivation(r);
        Assert.Contains("total steps = ceil(0.5 x 183) = 92", lines);
        Assert.Contains("epoch in trainer_state.json = 0 + 92 / 183 = 0.503: step 92 ends after 92 of the 183 micro-batches of epoch 1", lines);
        Assert.Contains("92 steps = 0.50 epochs (num_train_epochs)", Stepwise.Core.Arithmetic.ScheduleSummary.Line(r));
    }
}
