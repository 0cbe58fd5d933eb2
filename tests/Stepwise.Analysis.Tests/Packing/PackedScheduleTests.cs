using Stepwise.Core;
using Stepwise.Core.Arithmetic;
using Stepwise.Core.Model;
using Stepwise.Core.Packing;
using Stepwise.Readers;
using static Stepwise.Analysis.Tests.Rules.RuleTestKit;

namespace Stepwise.Analysis.Tests.Packing;

/// <summary>
/// Packed runs end to end through the engine: never an unpacked step count when the token lengths are unknown (steps,
/// epochs, warmup, cadence, time stay unknown; max_steps keeps only the steps), and with lengths the exact rows and steps,
/// worked out by hand from each tool's source below.
/// </summary>
public class PackedScheduleTests
{
    // The issue's three configs: 5,000 alpaca records, micro batch 2 x accumulation 4, 3 epochs, sequence length 2048.
    internal const string Axolotl = """
        # stepwise: dataset_size=5000
        base_model: NousResearch/Llama-3.2-1B
        adapter: qlora
        load_in_4bit: true
        datasets:
          - path: alpaca.json
            type: alpaca
        sequence_len: 2048
        sample_packing: true
        micro_batch_size: 2
        gradient_accumulation_steps: 4
        num_epochs: 3
        attn_implementation: flash_attention_2
        warmup_ratio: 0.1
        output_dir: ./out

        """;

    internal const string Trl = """
        from trl import SFTConfig
        # stepwise: dataset_size=5000
        args = SFTConfig(output_dir="out", per_device_train_batch_size=2, gradient_accumulation_steps=4, num_train_epochs=3, packing=True, max_length=2048, bf16=True)

        """;

    internal const string LlamaFactory = """
        # stepwise: dataset_size=5000
        model_name_or_path: meta-llama/Llama-3.2-1B
        stage: sft
        finetuning_type: lora
        dataset: alpaca
        template: llama3
        cutoff_len: 2048
        packing: true
        per_device_train_batch_size: 2
        gradient_accumulation_steps: 4
        num_train_epochs: 3
        output_dir: out

        """;

    private static AnalysisResult Run(string text, string path, TokenLengths? lengths = null, AnalysisOptions? options = null)
    {
        var doc = ConfigReaders.Read(text, path).Single(d => d.HasTrainingArguments);
        return Engine.Analyze(new AnalysisInputs(doc) { TokenLengths = lengths }, options ?? new AnalysisOptions());
    }

    public static TheoryData<string, string> IssueConfigs() => new()
    {
        { Axolotl, "qlora.yml" }, { Trl, "sft.py" }, { LlamaFactory, "lf.yaml" },
    };

    [Theory]
    [MemberData(nameof(IssueConfigs))]
    public void Without_token_lengths_a_packed_run_has_no_steps_and_no_epochs(string text, string path)
    {
        var r = Run(text, path);
        var s = r.Schedule!;
        Assert.Equal(5000, r.DatasetSize.Count);
        Assert.NotNull(s.PackedUnknown);
        Assert.Null(s.TotalSteps);
        Assert.Null(s.StepsPerEpoch);
        Assert.Null(s.Epochs);
        Assert.Null(s.WarmupSteps);
        Assert.Null(s.Samples);
        var f = Single(r, "SW1009");
        Assert.Equal(Severity.Information, f.Severity);
        Assert.Contains("packed: needs the tokenizer", f.Message);
        Assert.Contains("steps per epoch, total steps and epochs are unknown", f.Message);
        var line = ScheduleSummary.Line(r);
        Assert.DoesNotContain("1,875", line);
        Assert.DoesNotContain("625", line);
        Assert.Contains("steps unknown (packed: needs the tokenizer)", line);
        Assert.Contains(ScheduleSummary.Derivation(r), l => l.Contains("packed: needs the tokenizer: steps per epoch and epochs unknown"));
        Assert.DoesNotContain(r.Findings, x => x.Id is "SW1001" or "SW1004");
    }

    [Fact]
    public void Max_steps_keeps_the_steps_of_a_packed_run_but_not_its_epochs()
    {
        var r = Run(Axolotl.Replace("num_epochs: 3", "num_epochs: 3\nmax_steps: 1000"), "qlora.yml", options: new AnalysisOptions { TransformersVersion = "4.57.1" });
        var s = r.Schedule!;
        Assert.Equal(1000, s.TotalSteps);
        Assert.Null(s.Epochs);
        Assert.Null(s.StepsPerEpoch);
        Assert.Null(s.EpochsAt(100));
        // axolotl's warm-up is int(ratio x total) with total = min(its packed total_num_steps, max_steps) (utils/data/sft.py,
        // core/builders/base.py _configure_warmup_and_logging): the packed total needs the token counts, so it is unknown too.
        Assert.Null(s.WarmupSteps);
        var f = Single(r, "SW1009");
        Assert.Contains("max_steps=1,000 fixes the steps, but how many epochs they cover is unknown", f.Message);
        Assert.Contains("packed: needs the tokenizer, so epochs unknown", Single(r, "SW1002").Message);
        Assert.Contains("1,000 steps (max_steps) · epochs unknown (packed: needs the tokenizer)", ScheduleSummary.Line(r));
        Assert.DoesNotContain(r.Findings, x => x.Id is "SW1001" or "SW1004");
        // The unpacked count would have said 1000 / 625 = 1.6 epochs: no number like it anywhere.
        Assert.DoesNotContain(r.Findings, x => x.Message.Contains("1.6"));
    }

    /// <summary>5,000 examples of 30 tokens each.</summary>
    private static TokenLengths Thirty() => new(Enumerable.Repeat(30, 5000).ToArray(), "5,000 x 30 tokens");

    [Fact]
    public void Trl_bfd_with_lengths_gives_the_exact_steps()
    {
        // trl/data_utils.py pack_dataset (v1.9.0) maps _pack_bfd over batches of 1,000 rows: 68 examples of 30 tokens
        // fill 2,040 of 2,048, so each batch makes 14 full rows and one of the 48 left: 15 rows, 75 over 5 batches.
        // HF: ceil(75 / 2) = 38 micro-batches, ceil(38 / 4) = 10 steps per epoch, 3 epochs = 30 steps.
        var r = Run(Trl, "sft.py", Thirty());
        var s = r.Schedule!;
        Assert.Equal(CountRange.Exact(75), s.Packing!.Sequences);
        Assert.Null(s.PackedUnknown);
        Assert.Equal(10, s.StepsPerEpoch);
        Assert.Equal(30, s.TotalSteps);
        Assert.Equal(3.0, s.Epochs);
        Assert.DoesNotContain(r.Findings, f => f.Id == "SW1009");
        Assert.Contains("5,000 examples packed into 75 sequences (TRL 1.9.0 bfd", ScheduleSummary.Line(r));
    }

    [Fact]
    public void LlamaFactory_packing_with_lengths_gives_the_exact_steps()
    {
        // processor_utils.py greedy_knapsack (v0.9.5) over preprocessing batches of 1,000: capacity cutoff_len - 1 = 2,047
        // holds 68 examples of 30 tokens: 15 sequences a batch, 75 in all; then 10 steps per epoch, 30 steps.
        var r = Run(LlamaFactory, "lf.yaml", Thirty());
        var s = r.Schedule!;
        Assert.Equal(CountRange.Exact(75), s.Packing!.Sequences);
        Assert.Equal(30, s.TotalSteps);
        Assert.Equal(3.0, s.Epochs);
    }

    [Fact]
    public void Axolotl_multipack_with_lengths_gives_its_own_max_steps_and_the_epochs_the_trainer_records()
    {
        // Bins of micro_batch_size x sequence_len = 4,096 tokens hold 136 examples of 30 (bin_size 200 does not bind):
        // ceil(5,000 / 136) = 37 bins in any order. calculate_total_num_steps: max(1, 37 x 2 // 8) = 9 per epoch,
        // floor(9 x 3) = 27 steps, passed as max_steps. The Trainer's dataloader has 37 micro-batches, ceil(37 / 4) = 10
        // steps per epoch, so step 27 is the 7th of the third epoch: 2 + 28 / 37 = 2.757 epochs in trainer_state.json.
        var r = Run(Axolotl, "qlora.yml", Thirty());
        var s = r.Schedule!;
        Assert.Equal(CountRange.Exact(37), s.Packing!.SamplerBatches);
        Assert.Equal(CountRange.Exact(27), s.Packing.ToolSteps);
        Assert.Equal(27, s.TotalSteps);
        Assert.Equal(37, s.MicroBatchesPerEpoch);
        Assert.Equal(10, s.StepsPerEpoch);
        Assert.Equal(2 + 28.0 / 37, s.Epochs!.Value, 9);
        Assert.Contains("27 steps = 2.76 epochs (axolotl estimate)", ScheduleSummary.Line(r));
    }

    [Fact]
    public void A_shuffled_packing_whose_outcomes_differ_reports_the_range()
    {
        // Two ends of an axolotl range: 37 or 38 batches per epoch. The tool's steps stay 27 (37 // 4 = 38 // 4 = 9), the
        // recorded epochs differ: 2 + 28/37 and 2 + 28/38.
        var doc = ConfigReaders.Read(Axolotl, "qlora.yml").Single();
        var setup = SetupBuilder.Build(doc);
        var inputs = new ScheduleInputs { DatasetSize = 5000, PerDeviceBatch = 2, GradientAccumulation = 4, NumTrainEpochs = 3, Estimator = RunLengthEstimator.Axolotl };
        var plan = new PackingPlan
        {
            Settings = PackingSettings.Read(setup)!, Examples = 5000, SamplerBatches = new CountRange(37, 38), ToolSteps = CountRange.Exact(27), Simulations = 8,
        };
        var s = Engine.PackedSchedule(inputs, plan);
        Assert.Equal(27, s.TotalSteps);
        Assert.Equal(10, s.StepsPerEpoch);
        Assert.Null(s.Epochs);
        Assert.NotNull(s.Spread);
        Assert.Equal(2 + 28.0 / 38, s.Spread!.EpochsLow!.Value, 9);
        Assert.Equal(2 + 28.0 / 37, s.Spread.EpochsHigh!.Value, 9);
        Assert.Equal(new CountRange(37, 38), s.Spread.MicroBatchesPerEpoch);
    }

    [Fact]
    public void A_packing_switch_set_by_a_variable_leaves_the_steps_unknown()
    {
        var text = """
            from trl import SFTConfig
            # stepwise: dataset_size=5000
            def build(pack):
                return SFTConfig(output_dir="out", per_device_train_batch_size=2, packing=pack, bf16=True)

            """;
        var r = Run(text, "sft.py");
        Assert.Null(r.Schedule!.TotalSteps);
        Assert.Contains("packing is", Single(r, "SW1009").Message);
    }

    [Fact]
    public void Unpacked_configs_keep_their_arithmetic_and_say_what_length_filters_may_change()
    {
        var r = Run(Axolotl.Replace("sample_packing: true", "sample_packing: false"), "qlora.yml");
        Assert.Equal(1875, r.Schedule!.TotalSteps);
        Assert.DoesNotContain(r.Findings, f => f.Id == "SW1009");
        Assert.Contains(ScheduleSummary.Derivation(r), l => l.StartsWith("axolotl drops examples longer than sequence_len 2,048 tokens"));
        var grouped = Run(Trl.Replace("packing=True", "packing=False, group_by_length=True"), "sft.py");
        Assert.Equal(1875, grouped.Schedule!.TotalSteps);
        Assert.Contains(ScheduleSummary.Derivation(grouped), l => l.Contains("group_by_length orders the batches by length; it does not change how many"));
    }

    [Fact]
    public void Axolotl_drops_over_long_examples_without_packing_when_lengths_are_known()
    {
        // utils/data/utils.py handle_long_seq_in_dataset: 100 of the 5,000 are longer than 2,048 and are dropped, so N is
        // 4,900 and axolotl's estimate ceil(4,900 x 3 / 8) = 1,838 steps.
        var lengths = Enumerable.Range(0, 5000).Select(i => i % 50 == 0 ? 3000 : 30).ToArray();
        var r = Run(Axolotl.Replace("sample_packing: true", "sample_packing: false"), "qlora.yml", new TokenLengths(lengths, "test"));
        Assert.Equal(4900, r.Schedule!.Packing!.Examples);
        Assert.Equal(1838, r.Schedule.TotalSteps);
        Assert.Contains("4,900 examples (of 5,000 records, after axolotl's length filter)", ScheduleSummary.Line(r));
    }

    [Fact]
    public void Axolotl_refuses_over_long_examples_with_excess_length_strategy_raise()
    {
        var lengths = Enumerable.Range(0, 5000).Select(i => i == 7 ? 3000 : 30).ToArray();
        var r = Run(Axolotl + "excess_length_strategy: raise\n", "qlora.yml", new TokenLengths(lengths, "test"));
        var f = Single(r, "SW1009");
        Assert.Equal(Severity.Warning, f.Severity);
        Assert.Contains("1 examples are longer than sequence_len 2,048 tokens", f.Message);
        Assert.Null(r.Schedule!.TotalSteps);
    }

    [Fact]
    public void Trl_19_drops_examples_that_truncation_leaves_without_a_trained_token()
    {
        // sft_trainer.py _prepare_dataset (v1.9.0): truncate to max_length, then drop the rows whose labels are all -100.
        // 10 of 5,000 prompts are longer than max_length 2,048 with the completion after them.
        var lengths = Enumerable.Repeat(40, 5000).ToArray();
        var first = Enumerable.Repeat(20, 5000).ToArray();
        var last = Enumerable.Repeat(39, 5000).ToArray();
        for (int i = 0; i < 10; i++) { lengths[i] = 2600; first[i] = 2500; last[i] = 2599; }
        var r = Run(Trl.Replace("packing=True", "packing=False, completion_only_loss=True"), "sft.py", new TokenLengths(lengths, "test", first, last));
        Assert.Equal(4990, r.Schedule!.Packing!.Examples);
        Assert.Equal(3 * (long)Math.Ceiling(Math.Ceiling(4990 / 2.0) / 4), r.Schedule.TotalSteps);
    }

    [Fact]
    public void The_packing_settings_follow_each_tool_and_release()
    {
        static PackingSettings Read(string text, string path, string? version = null) =>
            PackingSettings.Read(SetupBuilder.Build(ConfigReaders.Read(text, path).Single(d => d.HasTrainingArguments)), version, "test")!;

        // axolotl: attention without varlen packing means real batches (causal.py: multipack_real_batches default).
        Assert.Equal(PackingStrategy.Multipack, Read(Axolotl, "a.yml").Strategy);
        Assert.Equal(PackingStrategy.MultipackRealBatches, Read(Axolotl.Replace("flash_attention_2", "sdpa"), "a.yml").Strategy);
        Assert.Equal(PackingStrategy.Multipack, Read(Axolotl.Replace("attn_implementation: flash_attention_2", "flash_attention: true"), "a.yml").Strategy);
        Assert.Equal(PackingStrategy.MultipackRealBatches, Read(Axolotl + "multipack_real_batches: true\n", "a.yml").Strategy);
        Assert.Contains("from 0.17 on", Read(Axolotl, "a.yml", "0.16.1").NotModelled);

        // TRL: the default strategy and its placement by release.
        Assert.Equal(PackingStrategy.BestFit, Read(Trl, "s.py").Strategy);
        Assert.Equal(PackingStrategy.Wrapped, Read(Trl, "s.py", "0.18.2").Strategy);
        Assert.Equal(PackingStrategy.BestFitSplit, Read(Trl, "s.py", "0.27.1").Strategy);
        Assert.Equal(PackingStrategy.BestFitSplit, Read(Trl.Replace("packing=True", "packing=True, packing_strategy=\"bfd_split\""), "s.py").Strategy);
        Assert.Equal(PackingStrategy.Wrapped, Read(Trl.Replace("packing=True", "packing=True, packing_strategy=\"wrapped\""), "s.py").Strategy);
        Assert.Contains("is not one TRL 0.24 knows", Read(Trl.Replace("packing=True", "packing=True, packing_strategy=\"bfd_split\""), "s.py", "0.24.0").NotModelled);
        Assert.Null(Read(Trl.Replace("packing=True", "packing=True, max_length=None").Replace(", max_length=2048", ""), "s.py").SequenceLength);

        // LLaMA-Factory: neat_packing turns packing on; pre-training packs by default, with a processor not reproduced.
        Assert.True(Read(LlamaFactory.Replace("packing: true", "neat_packing: true"), "l.yaml").Packed);
        Assert.Contains("stage pt", Read(LlamaFactory.Replace("packing: true\n", "").Replace("stage: sft", "stage: pt"), "l.yaml").NotModelled);
        Assert.False(Read(LlamaFactory.Replace("packing: true\n", ""), "l.yaml").Packed);
    }
}
