using Stepwise.Core;
using static Stepwise.Analysis.Tests.Rules.RuleTestKit;

namespace Stepwise.Analysis.Tests.Rules;

/// <summary>
/// Severities as each tool really behaves at start-up (axolotl v0.18.0, transformers 4.57 / 5.x, PEFT 0.19.1, LLaMA-Factory
/// v0.9.5): an error only where the run fails; a warning where the tool goes on with something other than what is written.
/// </summary>
public class DialectTruthTests
{
    private static string Axolotl(params (string, string)[] extra) => Configs.Yaml(Configs.Pairs(Base.Axolotl, extra));
    private static string Hf(params (string, string)[] extra) => Configs.Yaml(Configs.Pairs(Base.Hf, extra));

    [Fact]
    public void SW4001_is_a_warning_in_axolotl_which_copies_evaluation_strategy_to_eval_strategy()
    {
        // utils/schemas/deprecated.py warns; validation.py check_eval_strategy copies it (axolotl v0.18.0).
        var f = Single(Analyze(Axolotl(("evaluation_strategy", "\"no\""), ("val_set_size", "0"))).Result, "SW4001");
        Assert.Equal(Severity.Warning, f.Severity);
        Assert.Contains("copies it to eval_strategy", f.Message);
        Assert.DoesNotContain("transformers", f.Message);
        Assert.DoesNotContain(Analyze(Axolotl(("evaluation_strategy", "null"))).Result.Findings, x => x.Id == "SW4001");
        // transformers 4.51 removed the field: for TrainingArguments it stays an error (even when its value is None).
        Assert.Equal(Severity.Error, Single(Analyze(Hf(("evaluation_strategy", "\"no\""))).Result, "SW4001").Severity);
        Assert.Equal(Severity.Error, Single(Analyze(Hf(("evaluation_strategy", "null"))).Result, "SW4001").Severity);
    }

    [Fact]
    public void SW2009_in_axolotl_blames_its_int_schema_not_a_transformers_release()
    {
        foreach (var version in new[] { "4.57", "5.14" })
        {
            var (_, r) = Analyze(Axolotl(("warmup_steps", "0.1")), options: new AnalysisOptions { TransformersVersion = version });
            var f = Single(r, "SW2009");
            Assert.Equal(Severity.Error, f.Severity);
            Assert.Contains("axolotl's config schema declares warmup_steps an int", f.Message);
            Assert.DoesNotContain("transformers", f.Message);
            Assert.DoesNotContain("v5", f.Message);
            Assert.Equal("warmup_ratio: 0.1", ApplyPreferred(Axolotl(("warmup_steps", "0.1")), f).Split('\n').Single(l => l.StartsWith("warmup")));
        }
        // A whole float passes pydantic's int; HF configs under v5 take a float ratio.
        Assert.DoesNotContain(Analyze(Axolotl(("warmup_steps", "10.0"))).Result.Findings, x => x.Id == "SW2009");
        Assert.DoesNotContain(Analyze(Hf(("warmup_steps", "0.1")), options: new AnalysisOptions { TransformersVersion = "5.0" }).Result.Findings, x => x.Id == "SW2009");
    }

    [Fact]
    public void SW4003_speaks_as_firmly_as_transformers_and_the_known_release_allow()
    {
        // transformers v5.0.0-v5.14.1 training_args.py __post_init__: logger.warning("warmup_ratio is deprecated ...") and
        // `self.warmup_steps = self.warmup_ratio` (the run goes on); v5.15.0 removed the field (PR #46917).
        var config = Hf(("warmup_ratio", "0.03"));
        SW4003(new AnalysisOptions { TransformersVersion = "4.57" }, null);
        var stated = SW4003(new AnalysisOptions { TransformersVersion = "5.6" }, Severity.Warning)!;
        Assert.Contains("it logs a warning and is used as warmup_steps, and 5.15.0 removes it", stated.Message);
        var range = new Stepwise.Core.Keys.VersionAssumptions(new[]
        {
            new Stepwise.Core.Keys.AssumedVersion("transformers", "5.6.0", "LLaMA-Factory 0.9.5 requires transformers>=4.55.0,<=5.6.0", ">=4.55.0,<=5.6.0"),
        });
        var ranged = SW4003(new AnalysisOptions { Versions = range }, Severity.Information)!;
        Assert.Contains("5.6.0 is the newest release transformers>=4.55.0,<=5.6.0 allows", ranged.Message);
        Assert.Contains("no longer exists in transformers 5.15", SW4003(new AnalysisOptions { TransformersVersion = "5.15" }, Severity.Error)!.Message);
        SW4003(new AnalysisOptions(), Severity.Warning); // 5.15 too, but only as the newest release known

        Finding? SW4003(AnalysisOptions options, Severity? expected)
        {
            var found = Analyze(config, options: options).Result.Findings.Where(f => f.Id == "SW4003").ToList();
            if (expected is null) { Assert.Empty(found); return null; }
            var f = Assert.Single(found);
            Assert.Equal(expected, f.Severity);
            return f;
        }
    }

    [Fact]
    public void SW2001_in_axolotl_is_a_warning_because_fp16_is_dropped_when_bf16_is_on()
    {
        var f = Single(Analyze(Axolotl(("fp16", "true"), ("bf16", "true"))).Result, "SW2001");
        Assert.Equal(Severity.Warning, f.Severity);
        Assert.Contains("fp16 is ignored", f.Message);
        Assert.Equal(Severity.Error, Single(Analyze(Hf(("fp16", "true"), ("bf16", "true"))).Result, "SW2001").Severity);
    }

    [Fact]
    public void SW2011_axolotl_errors_only_on_a_written_val_set_size_0()
    {
        var written = Single(Analyze(Axolotl(("eval_strategy", "\"steps\""), ("eval_steps", "50"), ("val_set_size", "0"))).Result, "SW2011");
        Assert.Equal(Severity.Error, written.Severity);
        // Not written: the raw check passes (None != 0) and the builder passes eval_strategy "no": evaluation silently off.
        var unset = Single(Analyze(Axolotl(("eval_strategy", "\"steps\""), ("eval_steps", "50"))).Result, "SW2011");
        Assert.Equal(Severity.Warning, unset.Severity);
        Assert.Contains("silently passes eval_strategy: no", unset.Message);
    }

    [Fact]
    public void SW2012_axolotl_refuses_save_strategy_best_without_a_metric_even_with_load_best_model_at_end()
    {
        var (_, r) = Analyze(Axolotl(("save_strategy", "\"best\""), ("load_best_model_at_end", "true")));
        Assert.Contains("axolotl refuses the config", Single(r, "SW2012").Message);
        // TrainingArguments fills metric_for_best_model = "loss" for load_best_model_at_end, so HF is fine there.
        Assert.DoesNotContain(Analyze(Hf(("save_strategy", "\"best\""), ("load_best_model_at_end", "true"), ("eval_strategy", "\"epoch\""))).Result.Findings, x => x.Id == "SW2012");
    }

    [Fact]
    public void SW2002_axolotl_load_best_model_at_end_is_dropped_not_refused()
    {
        // axolotl computes load_best_model_at_end (core/builders/causal.py): with per-epoch strategies it passes False.
        var f = Single(Analyze(Axolotl(("load_best_model_at_end", "true"), ("eval_strategy", "\"epoch\""), ("save_strategy", "\"steps\""), ("val_set_size", "0.05"))).Result, "SW2002");
        Assert.Equal(Severity.Warning, f.Severity);
        Assert.Contains("is dropped", f.Message);
        // save_steps a multiple of eval_steps with an evaluation set: axolotl passes it on, nothing to say.
        Assert.DoesNotContain(Analyze(Axolotl(("load_best_model_at_end", "true"), ("eval_steps", "50"), ("save_steps", "100"), ("val_set_size", "0.05"))).Result.Findings,
            x => x.Id is "SW2002" or "SW2003");
        var notMultiple = Analyze(Axolotl(("load_best_model_at_end", "true"), ("eval_steps", "30"), ("save_steps", "100"), ("val_set_size", "0.05"))).Result;
        Assert.Contains("not a multiple of eval_steps=30", Single(notMultiple, "SW2002").Message);
        Assert.DoesNotContain(notMultiple.Findings, x => x.Id == "SW2003");
    }

    [Fact]
    public void SW2006_checks_an_interval_only_when_its_strategy_is_steps()
    {
        // training_args.py __post_init__: "--save_steps must be an integer if bigger than 1" only under save_strategy steps.
        Assert.DoesNotContain(Analyze(Hf(("save_strategy", "\"epoch\""), ("save_steps", "250.5"))).Result.Findings, x => x.Id == "SW2006");
        Assert.Single(Analyze(Hf(("save_steps", "250.5"))).Result.Findings, x => x.Id == "SW2006"); // default strategy: steps
        Assert.DoesNotContain(Analyze(Hf(("eval_steps", "12.5"))).Result.Findings, x => x.Id == "SW2006"); // eval_strategy defaults to no
        Assert.Single(Analyze(Axolotl(("eval_steps", "12.5"), ("val_set_size", "0.05"))).Result.Findings, x => x.Id == "SW2006");
    }

    [Theory]
    [InlineData("warmup_steps", "0", "warmup_ratio", "0.1")]
    [InlineData("saves_per_epoch", "4", "save_steps", "0")]
    [InlineData("batch_size", "0", "gradient_accumulation_steps", "4")]
    public void Axolotl_mutual_exclusions_test_truthiness(string a, string av, string b, string bv)
    {
        var (_, r) = Analyze(Axolotl((a, av), (b, bv)));
        Assert.DoesNotContain(r.Findings, f => f.Id is "SW3010" or "SW3011" or "SW3012");
    }

    [Fact]
    public void SW3006_accepts_any_only_mode_as_peft_does()
    {
        Assert.DoesNotContain(Analyze(Hf(("r", "8"), ("bias", "\"boft_only\""))).Result.Findings, x => x.Id == "SW3006");
        Assert.Single(Analyze(Hf(("r", "8"), ("bias", "\"lora\""))).Result.Findings, x => x.Id == "SW3006");
    }

    [Fact]
    public void SW3009_and_SW2013_follow_axolotls_exceptions()
    {
        Assert.DoesNotContain(Analyze(Axolotl(("adapter", "\"qlora\""), ("merge_lora", "true"))).Result.Findings, x => x.Id == "SW3009");
        Assert.Single(Analyze(Axolotl(("adapter", "\"qlora\""))).Result.Findings, x => x.Id == "SW3009");
        Assert.DoesNotContain(Analyze(Axolotl(("load_in_4bit", "true"), ("inference", "true"))).Result.Findings, x => x.Id == "SW2013");
    }

    [Fact]
    public void A_deepspeed_file_checked_alone_gets_no_invalid_value_for_auto()
    {
        var (_, r) = Analyze("{\n  \"train_micro_batch_size_per_gpu\": \"auto\",\n  \"gradient_accumulation_steps\": \"auto\",\n  \"zero_optimization\": {\"stage\": 2}\n}\n", "ds_z2_config.json");
        Assert.Empty(r.Findings);
        Assert.Null(r.Schedule);
    }
}
