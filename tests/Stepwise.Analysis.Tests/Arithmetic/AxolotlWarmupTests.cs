using Stepwise.Core;
using Stepwise.Readers;

namespace Stepwise.Analysis.Tests.Arithmetic;

/// <summary>
/// axolotl computes the warm-up itself and hands the Trainer only warmup_steps (core/builders/base.py
/// _configure_warmup_and_logging, v0.18.0): a stated warmup_steps as is; else int(warmup_ratio x total); else
/// min(int(0.03 x total), 100); 1 becomes 2. total is axolotl's total_num_steps (utils/trainer.py
/// calculate_total_num_steps: ceil(N x epochs / (micro x accumulation x world))), capped by max_steps (utils/data/sft.py).
/// Expected values worked out by hand from those lines, under every transformers release (axolotl passes no ratio).
/// </summary>
public class AxolotlWarmupTests
{
    internal const string Base = """
        # stepwise: dataset_size=5000
        base_model: NousResearch/Llama-3.2-1B
        adapter: lora
        datasets:
          - path: alpaca.json
            type: alpaca
        micro_batch_size: 2
        gradient_accumulation_steps: 4
        num_epochs: 3
        output_dir: ./out

        """;

    private static long? Warmup(string extra, string transformers)
    {
        var doc = ConfigReaders.Read(Base + extra, "qlora.yml").Single(d => d.HasTrainingArguments);
        return Engine.Analyze(new AnalysisInputs(doc), new AnalysisOptions { TransformersVersion = transformers }).Schedule!.WarmupSteps;
    }

    [Theory]
    // total = ceil(5000 x 3 / 8) = 1875.
    [InlineData("", 56)]                              // min(int(0.03 x 1875), 100) = min(56, 100)
    [InlineData("warmup_ratio: 0.1\n", 187)]          // int(0.1 x 1875) = int(187.5)
    [InlineData("warmup_steps: 10\n", 10)]
    [InlineData("warmup_steps: 1\n", 2)]              // 1 becomes 2
    [InlineData("warmup_steps: 0\n", 0)]              // stated 0 is kept (is not None)
    [InlineData("max_steps: 200\nwarmup_ratio: 0.1\n", 20)]  // total = min(1875, 200)
    [InlineData("max_steps: 3000\n", 56)]             // total = min(1875, 3000); the default's 100 cap not reached
    [InlineData("num_epochs: 30\n", 100)]             // later num_epochs wins: total 18750, min(562, 100)
    public void Warm_up_as_axolotl_hands_it_to_the_Trainer(string extra, long expected)
    {
        Assert.Equal(expected, Warmup(extra, "4.57.1"));
        Assert.Equal(expected, Warmup(extra, "5.5.0"));
    }
}

public class AxolotlWarmupRatioFindingTests
{
    // SW1006 on an axolotl warmup_ratio with max_steps names axolotl's own count: total = min(ceil(5000 x 3 / 8), 200)
    // = 200, int(0.1 x 200) = 20 (not HF's ceil, and not "whatever the batch size": the uncapped total depends on it).
    [Fact]
    public void SW1006_names_the_steps_axolotl_computes()
    {
        const string text = AxolotlWarmupTests.Base + "max_steps: 200\nwarmup_ratio: 0.1\n";
        var doc = ConfigReaders.Read(text, "qlora.yml").Single(d => d.HasTrainingArguments);
        var r = Engine.Analyze(new AnalysisInputs(doc), new AnalysisOptions());
        var f = Assert.Single(r.Findings, x => x.Id == "SW1006" && x.Message.StartsWith("warmup_ratio", StringComparison.Ordinal));
        Assert.StartsWith("warmup_ratio=0.1 warms up for 20 steps", f.Message);
        Assert.Contains("axolotl takes int(ratio x its total steps), and max_steps=200 caps that total", f.Message);
        Assert.Equal(20, r.Schedule!.WarmupSteps);
    }
}
