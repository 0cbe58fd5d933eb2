using Stepwise.Core;
using Stepwise.Core.Rules;
using static Stepwise.Analysis.Tests.Rules.RuleTestKit;

namespace Stepwise.Analysis.Tests.Rules;

/// <summary>Behaviours the table cannot state: the seed's configuration, release boundaries, spans, the edit distance.</summary>
public class SpecificRuleTests
{
    // The seed article's first TrainingArguments block, as a LLaMA-Factory-free HF-style YAML with a local train file.
    private const string Seed = """
        output_dir: output
        train_file: alpaca_data.json
        per_device_train_batch_size: 128
        gradient_accumulation_steps: 1
        learning_rate: 2e-4
        max_steps: 1000
        num_train_epochs: 3
        optim: paged_adamw_8bit
        fp16: true
        evaluation_strategy: epoch
        save_strategy: epoch
        save_total_limit: 2
        load_best_model_at_end: true
        report_to: none

        """;

    [Fact]
    public void Seed_config_reports_the_removed_evaluation_strategy_and_the_missing_eval_dataset()
    {
        var (_, r) = Analyze(Seed);
        var old = Single(r, "SW4001");
        Assert.Equal(Severity.Error, old.Severity);
        Assert.Equal(9, old.Span.Range.Start.Line);
        var eval = Single(r, "SW2011");
        Assert.Contains("evaluation_strategy=epoch", eval.Message);
        Assert.Contains("load_best_model_at_end depends", eval.Message);
        Assert.DoesNotContain(r.Findings, f => f.Id == "SW2002"); // epoch/epoch match
    }

    [Fact]
    public void Seed_rename_keeps_the_strategy_and_the_eval_dataset_finding_moves_with_it()
    {
        var (_, r) = Analyze(Seed);
        var after = ApplyPreferred(Seed, Single(r, "SW4001"));
        Assert.Contains("eval_strategy: epoch\n", after);
        var (_, r2) = Analyze(after);
        Assert.DoesNotContain(r2.Findings, f => f.Id == "SW4001");
        Assert.Contains("eval_strategy=epoch", Single(r2, "SW2011").Message);
        var fixedText = after.Replace("report_to: none\n", "report_to: none\nvalidation_file: val.json\n");
        Assert.DoesNotContain(Analyze(fixedText).Result.Findings, f => f.Id is "SW2011" or "SW2002" or "SW4001");
    }

    [Theory]
    [InlineData("4.40", null)]
    [InlineData("4.41", Severity.Warning)]
    [InlineData("4.50", Severity.Warning)]
    [InlineData("4.51", Severity.Error)]
    [InlineData("5.0", Severity.Error)]
    public void Evaluation_strategy_follows_the_transformers_release(string version, Severity? expected)
    {
        var (_, r) = Analyze(Seed, options: new AnalysisOptions { TransformersVersion = version });
        var f = r.Findings.SingleOrDefault(x => x.Id == "SW4001");
        Assert.Equal(expected, f?.Severity);
        if (f is not null) Assert.Contains($"transformers {version}", f.Message);
    }

    [Fact]
    public void Evaluation_strategy_beside_eval_strategy_is_removed_not_renamed()
    {
        var text = "output_dir: o\nlearning_rate: 1e-4\nevaluation_strategy: steps\neval_strategy: steps\neval_steps: 10\nreport_to: none\n";
        var (_, r) = Analyze(text);
        var after = ApplyPreferred(text, Single(r, "SW4001"));
        Assert.Equal("output_dir: o\nlearning_rate: 1e-4\neval_strategy: steps\neval_steps: 10\nreport_to: none\n", after);
    }

    [Fact]
    public void Qlora_defaults_give_one_finding_per_departure_and_all_fixes_together_reach_the_recipe()
    {
        var text = "output_dir: o\nper_device_train_batch_size: 4\nload_in_4bit: true\nreport_to: none\n";
        var (_, r) = Analyze(text);
        var hits = r.Findings.Where(f => f.Id == "SW3004").ToList();
        Assert.Equal(3, hits.Count);
        Assert.All(hits, h => Assert.Equal(2, h.Span.Range.Start.Line));
        var current = text;
        for (int i = 0; i < 3; i++)
        {
            var f = Analyze(current).Result.Findings.First(x => x.Id == "SW3004");
            current = ApplyPreferred(current, f);
        }
        Assert.DoesNotContain(Analyze(current).Result.Findings, f => f.Id == "SW3004");
        Assert.Contains("bnb_4bit_quant_type: nf4", current);
        Assert.Contains("bnb_4bit_use_double_quant: true", current);
        Assert.Contains("bnb_4bit_compute_dtype: bfloat16", current);
    }

    [Fact]
    public void Target_module_fix_edits_only_the_misspelt_name_in_a_block_list()
    {
        var text = "base_model: meta-llama/Llama-2-7b-hf\nmicro_batch_size: 2\nadapter: lora\nlora_target_modules:\n  - q_proj\n  - self_attn.v_prj   # value\n  - o_proj\n";
        var (_, r) = Analyze(text);
        var f = Single(r, "SW3008");
        Assert.Equal(Severity.Warning, f.Severity);
        Assert.Equal(text.Replace("self_attn.v_prj", "self_attn.v_proj"), ApplyPreferred(text, f));
    }

    [Fact]
    public void Unknown_keys_are_not_reported_while_the_dialect_is_uncertain()
    {
        // Two HF keys only: not certain enough to call anything unknown.
        var (doc, r) = Analyze("learning_rate: 1e-4\nmax_stepz: 3\n");
        Assert.False(doc.DialectCertain);
        Assert.DoesNotContain(r.Findings, f => f.Id == "SW9003");
    }

    [Theory]
    [InlineData("cosin", "cosine")]
    [InlineData("paged_adamw_8bits", "paged_adamw_8bit")]
    [InlineData("adamw_torch_fuesd", "adamw_torch_fused")]
    [InlineData("Linear", "linear")]
    [InlineData("banana", null)]
    public void Closest_name_by_edit_distance(string written, string? expected) =>
        Assert.Equal(expected, Suggest.Closest(written, Stepwise.Core.Keys.KeyTable.Schedulers.Concat(Stepwise.Core.Keys.KeyTable.Optimizers)));

    [Theory]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("fp4", "pf4", 1)]
    [InlineData("", "abc", 3)]
    [InlineData("same", "same", 0)]
    public void Edit_distance_counts_swaps_as_one(string a, string b, int d) => Assert.Equal(d, Suggest.Distance(a, b));

    [Fact]
    public void Report_to_default_is_only_mentioned_for_v5_targets()
    {
        var text = "output_dir: o\nper_device_train_batch_size: 8\nlearning_rate: 1e-4\n";
        Assert.DoesNotContain(Analyze(text, options: new AnalysisOptions { TransformersVersion = "4.57" }).Result.Findings, f => f.Id == "SW4004");
        // v5 only assumed (nothing installed, pinned or stated): no note about a default the user's release may not have
        Assert.DoesNotContain(Analyze(text).Result.Findings, f => f.Id == "SW4004");
        Assert.Single(Analyze(text, options: new AnalysisOptions { TransformersVersion = "5.1" }).Result.Findings, f => f.Id == "SW4004");
    }

    [Fact]
    public void Every_new_rule_is_registered_once_with_docs()
    {
        var ids = RuleSet.All.Select(r => r.Descriptor.Id).ToList();
        foreach (var id in new[] { "SW2001", "SW2008", "SW2015", "SW3001", "SW3012", "SW4001", "SW4004", "SW9003" }) Assert.Contains(id, ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }
}

public class TrainerSectionTests
{
    private static Stepwise.Core.Model.ConfigDocument Doc(string? section)
    {
        var lines = new Stepwise.Core.Text.LineIndex("r=8");
        var span = lines.Span(0, 1);
        var entry = new Stepwise.Core.Model.ConfigEntry("r", "r", Stepwise.Core.Model.ConfigValue.Integer(8), span, span, span, "8", section);
        return new Stepwise.Core.Model.ConfigDocument("x.py", "r=8", Stepwise.Core.Model.ConfigSyntax.Python, Stepwise.Core.Model.Dialect.Hf,
            new[] { entry }, null!, lines: lines);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("TrainingArguments", true)]
    [InlineData("Seq2SeqTrainingArguments", true)]
    [InlineData("SFTConfig", true)]
    [InlineData("LoraConfig", false)]
    [InlineData("BitsAndBytesConfig", false)]
    public void Report_to_is_only_asked_of_trainer_calls(string? section, bool expected) =>
        Assert.Equal(expected, Stepwise.Core.Rules.Deprecated.SW4004_ReportToDefault.HasTrainerSection(Doc(section)));
}

/// <summary>SW2016 needs a Python call's section; the Python reader is built elsewhere, so the document is made by hand here.</summary>
public class SftConfigTests
{
    private static Stepwise.Core.AnalysisResult Analyze(string section, params (string Key, Stepwise.Core.Model.ConfigValue Value)[] kv)
    {
        var text = string.Join(", ", kv.Select(p => $"{p.Key}={p.Value}"));
        var lines = new Stepwise.Core.Text.LineIndex(text);
        var entries = new List<Stepwise.Core.Model.ConfigEntry>();
        int at = 0;
        foreach (var (k, v) in kv)
        {
            var span = lines.Span(at, k.Length);
            entries.Add(new Stepwise.Core.Model.ConfigEntry(k, k, v, span, span, span, v.ToString(), section));
            at += k.Length + v.ToString().Length + 3;
        }
        var doc = new Stepwise.Core.Model.ConfigDocument("train.py", text, Stepwise.Core.Model.ConfigSyntax.Python, Stepwise.Core.Model.Dialect.Hf,
            entries, Stepwise.Readers.ConfigReaders.Yaml.Read("a: 1", null).Single().Editor, lines: lines, dialectCertain: true);
        return Stepwise.Core.Engine.Analyze(new Stepwise.Core.AnalysisInputs(doc));
    }

    private static readonly (string, Stepwise.Core.Model.ConfigValue)[] Base =
    {
        ("output_dir", Stepwise.Core.Model.ConfigValue.String("out")), ("per_device_train_batch_size", Stepwise.Core.Model.ConfigValue.Integer(8)),
        ("report_to", Stepwise.Core.Model.ConfigValue.String("none")),
    };

    [Fact]
    public void SftConfig_without_precision_reports_the_bf16_default() =>
        Assert.Single(Analyze("SFTConfig", Base).Findings, f => f.Id == "SW2016" && f.Severity == Stepwise.Core.Severity.Information);

    [Fact]
    public void SftConfig_with_fp16_or_TrainingArguments_is_quiet()
    {
        Assert.DoesNotContain(Analyze("SFTConfig", Base.Append(("fp16", Stepwise.Core.Model.ConfigValue.Bool(true))).ToArray()).Findings, f => f.Id == "SW2016");
        Assert.DoesNotContain(Analyze("TrainingArguments", Base).Findings, f => f.Id == "SW2016");
    }
}
