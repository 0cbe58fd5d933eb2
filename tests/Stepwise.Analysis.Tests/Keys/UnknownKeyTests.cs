using Stepwise.Analysis.Tests.Rules;
using Stepwise.Core;
using Stepwise.Core.Keys;
using Stepwise.Core.Model;
using Stepwise.Readers;
using Stepwise.Workspace;

namespace Stepwise.Analysis.Tests.Keys;

/// <summary>SW9003 judged by the generated key data: the classes that read the file, at the assumed releases.</summary>
public sealed class UnknownKeyTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "stepwise-sw9003-" + Guid.NewGuid().ToString("N"));

    public UnknownKeyTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, ".git"));
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static ConfigChecker Checker() => new(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false });

    private static IEnumerable<Finding> Unknown(FileAnalysis a) => a.Configs.SelectMany(c => c.Result.Findings).Where(f => f.Id == "SW9003");

    // The TRL recipe of issue #12: TrainingArguments + DPOConfig/SFTConfig + ModelConfig keys in one YAML file.
    private const string Recipe =
        "model_name_or_path: Qwen/Qwen2.5-0.5B\nmodel_revision: main\ntorch_dtype: bfloat16\nuse_peft: true\nlora_r: 16\n" +
        "dataset_num_proc: 8\nbeta: 0.1\nmax_prompt_length: 512\nlearning_rate: 5.0e-7\nnum_train_epochs: 1\n" +
        "per_device_train_batch_size: 8\noutput_dir: out\n";

    // The same recipe as TRL 0.27 and later spell it: ModelConfig's torch_dtype became dtype.
    private static readonly string RecipeNow = Recipe.Replace("torch_dtype:", "dtype:");

    [Fact]
    public void Trl_recipe_of_the_issue_has_no_unknown_key()
    {
        var path = Path.Combine(_root, "recipe.yaml");
        File.WriteAllText(path, Recipe + "lora_target_modules: all-linear\nuse_liger_kernel: true\n");
        // The recipe's projects pin a TRL of its time: every key is declared there.
        File.WriteAllText(Path.Combine(_root, "requirements.txt"), "trl==0.26.2\ntransformers==4.57.6\n");
        var a = Checker().AnalyzeFile(path);
        Assert.Equal(Dialect.Hf, a.Dialect);
        Assert.True(a.Configs[0].Document.DialectCertain);
        Assert.Empty(Unknown(a));
    }

    [Fact]
    public void Trl_recipe_key_removed_since_says_when()
    {
        // trl v0.26.2 trl/trainer/model_config.py declares torch_dtype (deprecated: "will be removed in version 0.27.0,
        // please use `dtype`"); v0.27.2 no longer does, so TrlParser reports it as an unknown argument from the config.
        var path = Path.Combine(_root, "recipe.yaml");
        File.WriteAllText(path, Recipe);
        var f = Assert.Single(Unknown(Checker().AnalyzeFile(path)));
        Assert.StartsWith("torch_dtype is not a Hugging Face TrainingArguments setting in trl ", f.Message);
        Assert.Contains("ModelConfig declares it up to trl 0.26.2, no longer in 0.27.2", f.Message);
        Assert.Equal(Severity.Information, f.Severity); // the newest release is only assumed
        File.WriteAllText(Path.Combine(_root, "requirements.txt"), "trl==1.9.0\n");
        Assert.Equal(Severity.Warning, Assert.Single(Unknown(Checker().AnalyzeFile(path))).Severity);
        File.WriteAllText(path, RecipeNow);
        Assert.Empty(Unknown(Checker().AnalyzeFile(path)));
    }

    [Fact]
    public void Trl_recipe_with_a_typo_still_gets_did_you_mean()
    {
        var path = Path.Combine(_root, "recipe.yaml");
        File.WriteAllText(path, RecipeNow + "per_device_eval_bach_size: 4\n");
        var f = Assert.Single(Unknown(Checker().AnalyzeFile(path)));
        Assert.Equal(Severity.Warning, f.Severity);
        Assert.Contains("did you mean per_device_eval_batch_size", f.Message);
    }

    [Fact]
    public void Keys_of_the_scripts_own_dataclass_passed_to_TrlParser_are_known()
    {
        File.WriteAllText(Path.Combine(_root, "recipe.yaml"), RecipeNow + "tokenizer_name_or_path: Qwen/Qwen2.5-0.5B\nchat_template_variant: plain\n");
        var without = Unknown(Checker().AnalyzeFile(Path.Combine(_root, "recipe.yaml"))).Select(f => f.Message).ToList();
        Assert.Contains(without, m => m.StartsWith("chat_template_variant "));

        Directory.CreateDirectory(Path.Combine(_root, "scripts"));
        File.WriteAllText(Path.Combine(_root, "scripts", "run_dpo.py"),
            "from dataclasses import dataclass, field\nfrom trl import DPOConfig, ModelConfig, ScriptArguments, TrlParser\n\n" +
            "@dataclass\nclass MyScriptArguments(ScriptArguments):\n    \"\"\"Script arguments.\n\n    Long text.\n    \"\"\"\n\n" +
            "    tokenizer_name_or_path: str = field(default=None)\n    chat_template_variant: str = \"plain\"\n\n    def helper(self):\n        x: int = 1\n\n" +
            "if __name__ == \"__main__\":\n    parser = TrlParser((MyScriptArguments, DPOConfig, ModelConfig))\n");
        var with = Unknown(Checker().AnalyzeFile(Path.Combine(_root, "recipe.yaml"))).ToList();
        Assert.Empty(with);
    }

    [Fact]
    public void Real_typo_in_axolotls_examples_is_caught()
    {
        // examples/falcon-h1/falcon-h1-1b-qlora-cp.yaml writes `context_parapllel_size`, which axolotl's schema does not
        // declare (validate_config drops it): the context-parallel degree the user meant is never set.
        var dir = Path.Combine(TestPaths.Shared, "corpus", "axolotl");
        var a = Checker().AnalyzeFile(Path.Combine(dir, "examples", "falcon-h1", "falcon-h1-1b-qlora-cp.yaml"));
        var f = Assert.Single(Unknown(a), x => x.Message.StartsWith("context_parapllel_size"));
        Assert.Equal(Severity.Warning, f.Severity);
        Assert.Contains("did you mean context_parallel_size?", f.Message);
        Assert.Equal("Rename to context_parallel_size", f.Fixes.Single().Title);
    }

    [Fact]
    public void Real_typo_in_peft_tests_is_caught_and_names_the_class()
    {
        // peft tests/training/training.py passes `bnb_4bit_compute_type=` to BitsAndBytesConfig, whose __init__ takes
        // **kwargs and ignores it: the compute dtype stays float32.
        var a = Checker().AnalyzeFile(Path.Combine(TestPaths.Shared, "corpus", "trl-peft", "peft_tests_training_training.py"));
        var f = Assert.Single(Unknown(a).Where(x => x.Message.StartsWith("bnb_4bit_compute_type")).DistinctBy(x => x.Span.Start));
        Assert.Contains("BitsAndBytesConfig", f.Message);
        Assert.Contains("did you mean bnb_4bit_compute_dtype?", f.Message);
    }

    [Fact]
    public void Axolotl_keys_of_plugins_and_aliases_are_known()
    {
        var (_, r) = RuleTestKit.Analyze(
            "base_model: meta-llama/Llama-3.2-1B\nmicro_batch_size: 2\nnum_epochs: 1\ndatasets:\n  - path: x.jsonl\n    type: alpaca\n" +
            "plugins:\n  - axolotl.integrations.liger.LigerPlugin\nliger_rms_norm: true\nmodel_revision: main\nrevision_of_model: main\n" +
            "eot_tokens: [\"<|eot|>\"]\nlora_mlp_kernel: true\nfsdp_version: 2\n", "ax.yaml");
        Assert.DoesNotContain(r.Findings, f => f.Id == "SW9003");
    }

    [Fact]
    public void Axolotl_key_nobody_declares_is_information_with_the_consequence()
    {
        var (_, r) = RuleTestKit.Analyze("base_model: m\nmicro_batch_size: 2\nnum_epochs: 1\ndatasets:\n  - path: x.jsonl\n    type: alpaca\nquux_frobnicate: 3\n", "ax.yaml");
        var f = RuleTestKit.Single(r, "SW9003");
        Assert.Equal(Severity.Information, f.Severity);
        Assert.Contains("axolotl drops keys its schema does not declare", f.Message);
    }

    private static AnalysisResult AnalyzePython(string code, AnalysisOptions options)
    {
        var doc = ConfigReaders.Read(code, "train.py").First(d => d.Entries.Any(e => e.Section == "TrainingArguments" || e.Section == "LoraConfig"));
        return Engine.Analyze(new AnalysisInputs(doc), options);
    }

    [Fact]
    public void Python_key_removed_in_the_assumed_release_says_when()
    {
        const string code = "from transformers import TrainingArguments\nargs = TrainingArguments(output_dir='o', logging_dir='logs', per_device_train_batch_size=4)\n";
        var stated = new AnalysisOptions { TransformersVersion = "5.15" };
        var f = RuleTestKit.Single(AnalyzePython(code, stated), "SW9003");
        Assert.Contains("logging_dir is not a TrainingArguments setting in transformers 5.15.0 (assumed: stated", f.Message);
        Assert.Contains("declares it up to transformers 5.14.1, no longer in 5.15.0", f.Message);
        Assert.Equal(Severity.Warning, f.Severity); // the version was stated, not guessed
        Assert.DoesNotContain(AnalyzePython(code, new AnalysisOptions { TransformersVersion = "5.14" }).Findings, x => x.Id == "SW9003");
        // assumed only as the newest release: information
        Assert.Equal(Severity.Information, RuleTestKit.Single(AnalyzePython(code, new AnalysisOptions()), "SW9003").Severity);
    }

    [Fact]
    public void Python_key_added_after_the_assumed_release_says_since_when()
    {
        // peft v0.16.0 is the first release in the data whose LoraConfig declares use_qalora
        const string code = "from peft import LoraConfig\nfrom transformers import TrainingArguments\n" +
                            "cfg = LoraConfig(r=8, use_qalora=True)\nargs = TrainingArguments(output_dir='o')\n";
        var options = new AnalysisOptions { Versions = new VersionAssumptions(new[] { new AssumedVersion("peft", "0.15.2", "requirements.txt:1 (peft==0.15.2)") }) };
        // The LoraConfig no run takes is a document of its own (one document per run by data flow).
        var doc = ConfigReaders.Read(code, "train.py").Single(d => d.Find("use_qalora") is not null);
        var r = Engine.Analyze(new AnalysisInputs(doc), options);
        var f = Assert.Single(r.Findings, x => x.Id == "SW9003" && x.Message.StartsWith("use_qalora"));
        Assert.Contains("LoraConfig declares it from peft 0.16.0 on", f.Message);
        var newest = Engine.Analyze(new AnalysisInputs(doc), new AnalysisOptions());
        Assert.DoesNotContain(newest.Findings, x => x.Id == "SW9003" && x.Message.StartsWith("use_qalora"));
    }

    [Fact]
    public void Python_key_only_on_the_main_branch_says_it_is_in_no_release_yet()
    {
        // The data reads peft's main branch (the shared corpus's commit) besides its tags; a LoraConfig field that only the
        // branch declares is judged at the newest tagged release, and the message says where it does exist.
        var peft = Stepwise.Core.Keys.Upstream.UpstreamData.Instance.Library("peft")!;
        var lora = peft.Class("LoraConfig")!;
        var head = peft.Newest;
        Assert.True(head.IsBranchHead);
        var key = lora.Fields.Where(f => f.Releases.Contains(head.Index) && f.Releases.First == head.Index && !f.Name.StartsWith("*"))
            .Select(f => f.Name).First(n => lora.Fields.Where(g => g.Name == n).All(g => g.Releases.First == head.Index));
        var code = $"from peft import LoraConfig\ncfg = LoraConfig(r=8, {key}=True)\n";
        var doc = ConfigReaders.Read(code, "train.py").Single();
        var f = RuleTestKit.Single(Engine.Analyze(new AnalysisInputs(doc)), "SW9003");
        Assert.Equal(Severity.Information, f.Severity); // the newest release is only assumed
        Assert.StartsWith($"{key} is not a LoraConfig setting in peft {peft.NewestRelease.Version}", f.Message);
        Assert.Contains($"LoraConfig declares it only on peft's main branch ({head.Version} at {head.Commit[..10]}), in no release yet", f.Message);
        // with the branch's own version installed it is known
        var installed = new AnalysisOptions { Versions = new VersionAssumptions(new[] { new AssumedVersion("peft", head.Version, "installed in .venv") }) };
        Assert.DoesNotContain(Engine.Analyze(new AnalysisInputs(doc), installed).Findings, x => x.Id == "SW9003");
    }

    [Fact]
    public void Owner_set_by_the_reader_checks_that_class_alone()
    {
        // `r` is a LoraConfig key, not a TrainingArguments one: with Owner = TrainingArguments it is reported and named so.
        var doc = ConfigReaders.Read("per_device_train_batch_size: 8\noutput_dir: o\n", "c.yaml").Single();
        var e = doc.Entries[0];
        var owned = new ConfigEntry("r", "r", ConfigValue.Integer(8), e.KeySpan, e.ValueSpan, e.RemovalSpan, "8") { Owner = "TrainingArguments" };
        var python = new ConfigDocument("t.py", doc.Text, ConfigSyntax.Python, Dialect.Hf, new[] { owned }, doc.Editor, dialectCertain: true);
        var f = RuleTestKit.Single(Engine.Analyze(new AnalysisInputs(python)), "SW9003");
        Assert.Contains("not a known TrainingArguments setting", f.Message);
        var lora = new ConfigDocument("t.py", doc.Text, ConfigSyntax.Python, Dialect.Hf,
            new[] { new ConfigEntry("r", "r", ConfigValue.Integer(8), e.KeySpan, e.ValueSpan, e.RemovalSpan, "8") { Owner = "LoraConfig" } }, doc.Editor, dialectCertain: true);
        Assert.DoesNotContain(Engine.Analyze(new AnalysisInputs(lora)).Findings, x => x.Id == "SW9003");
    }
}
