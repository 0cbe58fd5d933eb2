using System.Text.Json;
using Stepwise.Cli;
using Stepwise.Core;
using Stepwise.Core.Model;
using Stepwise.Workspace;

namespace Stepwise.Analysis.Tests.Rules;

/// <summary>
/// SW5001 reports the settings the bundled trainer would not do, only when the run goes to it: `check --for-trainer
/// stepwise` (and `stepwise train`, the language server's Train). Plain analysis never reports it, on any corpus file.
/// </summary>
public class BundledTrainerRuleTests
{
    private static readonly AnalysisOptions ForTrainer = new() { ForBundledTrainer = true };

    private static List<Finding> Sw5001(string text, AnalysisOptions? options, string path = "config.yaml") =>
        RuleTestKit.Analyze(text, path, options).Result.Findings.Where(f => f.Id == "SW5001").ToList();

    [Fact]
    public void Each_setting_the_trainer_does_not_do_is_an_error_naming_it_at_its_line()
    {
        const string text = "output_dir: out\nper_device_train_batch_size: 4\noptim: adafactor\nlr_scheduler_type: cosine_with_restarts\n" +
                            "init_lora_weights: pissa\npacking: true\nlearning_rate: 0.0002\n";
        var found = Sw5001(text, ForTrainer);
        Assert.Equal(new[] { 3, 4, 5, 6 }, found.Select(f => f.Span.Range.Start.Line + 1));
        Assert.All(found, f => Assert.Equal(Severity.Error, f.Severity));
        Assert.StartsWith("optim = adafactor: optim 'adafactor' is not available in the bundled trainer; use one of: adamw_torch,", found[0].Message);
        Assert.StartsWith("lr_scheduler_type = cosine_with_restarts:", found[1].Message);
        Assert.StartsWith("init_lora_weights = pissa: init_lora_weights pissa: the bundled trainer starts adapters as PEFT's default", found[2].Message);
        Assert.Contains("packing", found[3].Message);
    }

    [Fact]
    public void Without_the_trainer_flag_the_same_config_gets_no_SW5001()
    {
        const string text = "output_dir: out\nper_device_train_batch_size: 4\noptim: adafactor\nlr_scheduler_type: cosine_with_restarts\npacking: true\n";
        Assert.Empty(Sw5001(text, null));
    }

    [Fact]
    public void What_the_trainer_does_passes_in_each_dialect()
    {
        Assert.Empty(Sw5001("output_dir: out\nper_device_train_batch_size: 4\noptim: paged_adamw_8bit\nuse_dora: true\n" +
                            "rank_pattern: {q_proj: 16}\nalpha_pattern: {v_proj: 32}\nlayers_to_transform: [0, 1]\nmodules_to_save: [lm_head]\n" +
                            "target_modules: [q_proj, v_proj]\ngradient_checkpointing: true\nreport_to: wandb\nbf16: true\n", ForTrainer));
        Assert.Empty(Sw5001("base_model: m\nadapter: qlora\nload_in_4bit: true\nmicro_batch_size: 2\nnum_epochs: 1\nlora_r: 8\npeft_use_dora: true\n" +
                            "lora_rank_pattern: {q_proj: 16}\npeft_layers_to_transform: [0]\nlora_modules_to_save: [embed_tokens]\nliger_rms_norm: true\n", ForTrainer, "axolotl.yaml"));
        Assert.Empty(Sw5001("model_name_or_path: m\nstage: sft\nfinetuning_type: lora\nlora_rank: 8\nlora_target: all\nuse_dora: true\n" +
                            "additional_target: lm_head\nquantization_bit: 4\nmax_samples: 100\n", ForTrainer, "lf.yaml"));
    }

    [Fact]
    public void Axolotl_without_an_adapter_is_full_fine_tuning_and_refused_at_the_file_head()
    {
        var f = Assert.Single(Sw5001("base_model: m\nmicro_batch_size: 2\nnum_epochs: 1\nsequence_len: 512\n", ForTrainer, "axolotl.yaml"));
        Assert.Contains("full fine-tuning", f.Message);
    }

    [Fact]
    public void All_linear_with_layers_to_transform_is_refused_because_PEFT_would_ignore_the_layers()
    {
        var f = Assert.Single(Sw5001("output_dir: out\nper_device_train_batch_size: 4\ntarget_modules: all-linear\nlayers_to_transform: [0]\n", ForTrainer));
        Assert.Contains("layers_to_transform would be ignored", f.Message);
    }

    private static (int Code, string Out) Cli(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Program.Run(args, o, e);
        return (code, o.ToString() + e.ToString());
    }

    [Fact]
    public void Check_for_trainer_stepwise_fails_with_the_error_naming_the_setting()
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "train.yaml");
        File.WriteAllText(path, "output_dir: out\nper_device_train_batch_size: 4\nnum_train_epochs: 1\noptim: adafactor\n");
        var plain = Cli("check", "--no-git", path);
        Assert.Equal(0, plain.Code);
        Assert.DoesNotContain("SW5001", plain.Out);
        var (code, output) = Cli("check", "--no-git", "--for-trainer", "stepwise", path);
        Assert.Equal(1, code);
        Assert.Contains($"{path}:4:1: error SW5001: optim = adafactor: optim 'adafactor' is not available in the bundled trainer", output);
        var (badCode, badOut) = Cli("check", "--for-trainer", "axolotl", path);
        Assert.Equal(2, badCode);
        Assert.Contains("--for-trainer knows 'stepwise' (the bundled trainer), not 'axolotl'", badOut);
    }

    public static IEnumerable<object[]> Corpora() => new[] { "llama-factory", "axolotl", "trl-peft" }.Select(c => new object[] { c });

    /// <summary>No false alarms: whatever the corpus configs ask for, plain analysis never says SW5001.</summary>
    [Theory]
    [MemberData(nameof(Corpora))]
    public void Plain_check_of_a_real_corpus_never_reports_SW5001(string corpus)
    {
        var root = Path.Combine(TestPaths.Shared, "corpus", corpus);
        var checker = new ConfigChecker(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false });
        var withFlag = new ConfigChecker(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false, Analysis = ForTrainer });
        int files = 0, refusedWithFlag = 0;
        foreach (var file in Directory.EnumerateFiles(root, "*.*", SearchOption.AllDirectories)
                     .Where(f => f.EndsWith(".yaml") || f.EndsWith(".yml") || f.EndsWith(".json") || f.EndsWith(".py")))
        {
            var plain = checker.AnalyzeFile(file);
            if (plain.Configs.All(c => c.Document.Dialect is not (Dialect.Hf or Dialect.Axolotl or Dialect.LlamaFactory))) continue;
            files++;
            Assert.DoesNotContain(plain.Configs.SelectMany(c => c.Result.Findings), f => f.Id == "SW5001");
            if (withFlag.AnalyzeFile(file).Configs.SelectMany(c => c.Result.Findings).Any(f => f.Id == "SW5001")) refusedWithFlag++;
        }
        Assert.True(files > 20, $"{corpus}: only {files} training configs");
        // The flag is what turns the rule on: with it, the real configs written for other stacks are refused.
        Assert.True(refusedWithFlag > files / 2, $"{corpus}: {refusedWithFlag} of {files} refused with --for-trainer stepwise");
    }
}
