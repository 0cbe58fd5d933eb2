using Stepwise.Core;
using Stepwise.Core.Model;
using Stepwise.Workspace;
using Stepwise.Analysis.Tests.Corpus;

namespace Stepwise.Analysis.Tests.Rules;

/// <summary>
/// The SW2xxx/SW3xxx/SW4xxx/SW9003 findings on the real LLaMA-Factory examples, checked by hand once and pinned:
/// - SW3004 on the two *_bnb_npu.yaml files: they write `double_quantization: false` with 4-bit bnb, which is
///   indeed not the QLoRA recipe (a deliberate choice for Ascend NPUs, but true).
/// - SW4004 is silent for transformers 4.57; under 5.0 it names the four training configs (do_train: true)
///   that leave report_to unwritten (megatron/*.yaml, megatron_bridge/llama3_sft.yaml, train_lora/qwen3_preprocess.yaml).
/// - SW9003 (information) on keys that only LLaMA-Factory's main branch declares, which the corpus was taken from:
///   judged at the newest tagged release (v0.9.5), ktransformers' kt_cpu_activation / kt_non_expert_weight_path /
///   kt_config (hparams/model_args.py at main) and megatron_bridge's mixed_precision / use_packed_sequences /
///   export_hf_on_finish (hparams/megatron_bridge_args.py at main) do not exist yet; v0.9.5's HfArgumentParser would
///   stop on them. The message says where they exist.
/// Nothing else: every other key of every example is declared, no value is out of range.
/// </summary>
public class CorpusFindingsTests
{
    private static readonly Dictionary<string, string[]> Expected = new()
    {
        ["examples/extras/qoft/llama3_oft_sft_bnb_npu.yaml"] = new[] { "SW3004" },
        ["examples/train_qlora/qwen3_lora_sft_bnb_npu.yaml"] = new[] { "SW3004" },
        ["examples/ktransformers/train_lora/deepseek_v3_int8_lora_sft_kt.yaml"] = new[] { "SW9003", "SW9003", "SW9003" },
        ["examples/ktransformers/train_lora/deepseek_v3_lora_sft_kt.yaml"] = new[] { "SW9003", "SW9003" },
        ["examples/ktransformers/train_lora/qwen3_5moe_lora_sft_kt.yaml"] = new[] { "SW9003", "SW9003" },
        ["examples/ktransformers/train_lora/qwen3vlmoe_lora_sft_kt.yaml"] = new[] { "SW9003", "SW9003" },
        ["examples/megatron_bridge/llama3_sft.yaml"] = new[] { "SW9003", "SW9003", "SW9003" },
    };

    // Reviewed for transformers 4.57 (stated, as a user with 4.57 installed would have it detected); what the
    // LLaMA-Factory pins assume (a v5 release) is pinned in Llamafactory_pins_are_assumed_without_a_stated_version.
    private static readonly ConfigChecker Checker = new(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false, Analysis = new AnalysisOptions { TransformersVersion = "4.57" } });

    private static bool Ours(string id) => id.StartsWith("SW2") || id.StartsWith("SW3") || id.StartsWith("SW4") || id == "SW9003";

    [Theory]
    [MemberData(nameof(LlamaFactoryCorpusTests.CorpusFiles), MemberType = typeof(LlamaFactoryCorpusTests))]
    public void Corpus_file_gets_exactly_the_pinned_findings(string relative)
    {
        var result = Checker.AnalyzeFile(Path.Combine(TestPaths.Corpus, relative));
        Assert.Null(result.Error);
        var ids = result.Configs.SelectMany(c => c.Result.Findings).Where(f => Ours(f.Id))
            .Select(f => f.Id).OrderBy(i => i, StringComparer.Ordinal).ToArray();
        var key = relative.Replace(Path.DirectorySeparatorChar, '/');
        var expected = Expected.TryGetValue(key, out var e) ? e : Array.Empty<string>();
        Assert.True(expected.SequenceEqual(ids),
            $"{key}: expected [{string.Join(", ", expected)}], got:\n" +
            string.Join("\n", result.Configs.SelectMany(c => c.Result.Findings).Where(f => Ours(f.Id)).Select(f => $"{f.Span.Range.Start} {f.Id} {f.Message}")));
        foreach (var f in result.Configs.SelectMany(c => c.Result.Findings).Where(f => f.Id == "SW9003"))
        {
            Assert.Equal(Severity.Information, f.Severity);
            Assert.Contains("only on LLaMA-Factory's main branch", f.Message);
        }
    }

    [Fact]
    public void Unknown_key_rule_is_really_active_on_the_corpus()
    {
        // SW9003 only speaks once the dialect is certain: most examples must be, or the pin above proves nothing.
        var certain = ((IEnumerable<object[]>)LlamaFactoryCorpusTests.CorpusFiles()).Select(r => (string)r[0])
            .SelectMany(f => Checker.AnalyzeFile(Path.Combine(TestPaths.Corpus, f)).Configs)
            .Count(c => c.Document.DialectCertain && c.Document.Dialect is Dialect.LlamaFactory or Dialect.Hf);
        Assert.True(certain >= 50, $"only {certain} corpus configs have a certain dialect");
    }

    [Fact]
    public void Pinned_files_exist()
    {
        foreach (var f in Expected.Keys) Assert.True(File.Exists(Path.Combine(TestPaths.Corpus, f)), f);
    }

    [Fact]
    public void Llamafactory_pins_are_assumed_without_a_stated_version()
    {
        // No virtual environment or requirements beside the corpus: LLaMA-Factory's own pins at its newest tagged release
        // in the key data decide (v0.9.5: transformers>=4.55.0,<=5.6.0,...), so a v5 release, and the report says so. A range
        // allows v4 releases too, where warmup_ratio is not deprecated: the deprecation is information, not a warning.
        var checker = new ConfigChecker(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false });
        var c = checker.AnalyzeFile(Path.Combine(TestPaths.Corpus, "examples", "train_lora", "qwen3_lora_sft.yaml")).Configs.Single();
        var t = c.Result.Versions["transformers"]!;
        Assert.StartsWith("5.", t.Version);
        Assert.Contains("LLaMA-Factory", t.Source);
        Assert.NotNull(t.Range);
        var sw4003 = Assert.Single(c.Result.Findings, f => f.Id == "SW4003");
        Assert.Contains($"transformers {t.Parsed.Short}", sw4003.Message);
        Assert.Contains($"is the newest release transformers{t.Range} allows", sw4003.Message);
        Assert.Equal(Severity.Information, sw4003.Severity);
        Assert.DoesNotContain(c.Result.Findings, f => f.Id == "SW9003");
    }

    [Fact]
    public void Transformers_v5_adds_the_warmup_ratio_deprecation_on_the_corpus()
    {
        var checker = new ConfigChecker(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false, Analysis = new AnalysisOptions { TransformersVersion = "5.0" } });
        var c = checker.AnalyzeFile(Path.Combine(TestPaths.Corpus, "examples", "train_lora", "qwen3_lora_sft.yaml")).Configs.Single();
        var f = Assert.Single(c.Result.Findings, x => x.Id == "SW4003");
        Assert.Contains("transformers 5.0", f.Message);
        Assert.Equal("warmup_steps: 0.1", RuleTestKit.ApplyPreferred(c.Document.Text, f).Split('\n').Single(l => l.StartsWith("warmup")));

        var reportTo = ((IEnumerable<object[]>)LlamaFactoryCorpusTests.CorpusFiles()).Select(r => (string)r[0])
            .Where(rel => checker.AnalyzeFile(Path.Combine(TestPaths.Corpus, rel)).Configs.Any(x => x.Result.Findings.Any(y => y.Id == "SW4004")))
            .Select(rel => rel.Replace(Path.DirectorySeparatorChar, '/')).OrderBy(x => x, StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "examples/megatron/qwen2_vl_full.yaml", "examples/megatron/qwen3_moe_full.yaml", "examples/megatron_bridge/llama3_sft.yaml", "examples/train_lora/qwen3_preprocess.yaml" }, reportTo);
    }
}
