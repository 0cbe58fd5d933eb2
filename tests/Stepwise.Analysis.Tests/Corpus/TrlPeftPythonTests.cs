using System.Diagnostics;
using System.Text.Json;
using Stepwise.Core.Model;
using Stepwise.Core;
using Stepwise.Readers.Python;
using Stepwise.Workspace;

namespace Stepwise.Analysis.Tests.Corpus;

/// <summary>
/// The Python scripts and notebooks of huggingface/trl and huggingface/peft (shared/corpus/trl-peft, each named by its
/// upstream path with '/' as '_'): read without errors, each call judged with its own class, settings combined only
/// along data flow, one finding per place and cause, and every file with a TrainingArguments-family call reported.
/// </summary>
public class TrlPeftPythonTests
{
    private static string Dir => Path.Combine(TestPaths.Shared, "corpus", "trl-peft");

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(Dir).Where(f => f.EndsWith(".py") || f.EndsWith(".ipynb")).OrderBy(f => f, StringComparer.Ordinal))
            data.Add(Path.GetFileName(f));
        return data;
    }

    private static readonly ConfigChecker Checker = new(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false });

    private static FileAnalysis Analyze(string name) => Checker.AnalyzeFile(Path.Combine(Dir, name));

    private static List<Finding> FindingsOf(FileAnalysis a) => a.Configs.SelectMany(c => c.Result.Findings).ToList();

    private static string LineOf(FileAnalysis a, int line) => a.Text!.Split('\n')[line - 1];

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_file_reads_without_errors_and_reports_each_place_and_cause_once(string name)
    {
        var a = Analyze(name);
        Assert.Null(a.Error);
        var findings = FindingsOf(a);
        Assert.DoesNotContain(findings, f => f.Id is "SW0001" or "SW9001");
        // Both bit widths in one run: no file of the corpus does that (PEFT's tests set them in different tests).
        Assert.DoesNotContain(findings, f => f.Id == "SW3001");
        var repeated = findings.GroupBy(f => (f.Id, f.Span.File, f.Span.Start, f.Span.Length, f.Message)).Where(g => g.Count() > 1).ToList();
        Assert.True(repeated.Count == 0, string.Join("\n", repeated.Select(g => $"{g.Count()} x {g.Key}")));
    }

    [Fact]
    public void Every_file_with_a_TrainingArguments_family_call_is_reported()
    {
        // The oracle: CPython's ast over each file (notebook cells through IPython's transformer where Debian's
        // python3-ipython is installed), listing calls of the family and calls given as args= to a *Trainer call.
        const string exe = "/usr/bin/python3";
        if (!File.Exists(exe)) return;
        const string script = """
            import ast, json, os, sys
            family = set(sys.argv[2].split(","))
            try:
                from IPython.core.inputtransformer2 import TransformerManager
                transform = TransformerManager().transform_cell
            except ImportError:
                transform = None
            def sources(path):
                if not path.endswith(".ipynb"):
                    return [open(path, encoding="utf-8").read()]
                if transform is None:
                    return []
                cells = json.load(open(path, encoding="utf-8"))["cells"]
                out = []
                for c in cells:
                    if c["cell_type"] != "code": continue
                    src = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                    if src.startswith("%%") and src.split()[0] not in ("%%capture", "%%time"): continue
                    if src.startswith("%%"): src = src.partition("\n")[2]
                    out.append(transform(src))
                return out
            def last(f):
                return f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
            for name in sorted(os.listdir(sys.argv[1])):
                if not name.endswith((".py", ".ipynb")): continue
                found = False
                for src in sources(os.path.join(sys.argv[1], name)):
                    try: tree = ast.parse(src)
                    except SyntaxError: continue
                    for n in ast.walk(tree):
                        if not isinstance(n, ast.Call): continue
                        callee = last(n.func)
                        if callee in family: found = True
                        if callee and callee.endswith("Trainer"):
                            found |= any(k.arg == "args" and isinstance(k.value, ast.Call) for k in n.keywords)
                if found: print(name)
            """;
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(Dir);
        psi.ArgumentList.Add(string.Join(",", PythonAnalysis.TrainingCalls));
        using var p = Process.Start(psi)!;
        var expected = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
        Assert.True(expected.Length > 60, $"the oracle found only {expected.Length} files");

        var unreported = expected.Where(name => !Analyze(name).Configs.Any(c => c.Document.HasTrainingArguments && c.Document.Dialect == Dialect.Hf)).ToList();
        Assert.True(unreported.Count == 0, "not reported: " + string.Join(", ", unreported));
    }

    [Fact]
    public void Peft_gpu_tests_combine_each_trainer_with_the_configs_of_its_own_model_only()
    {
        // peft tests/test_gpu_examples.py, test_causal_lm_training: BitsAndBytesConfig(load_in_8bit=True) on line 258 and
        // LoraConfig(r=16) on line 264 reach Trainer(args=TrainingArguments(...)) on line 282 through the model.
        var a = Analyze("peft_tests_test_gpu_examples.py");
        var run = a.Configs.Single(c => c.Document.ConfigSpan!.Range.Start.Line == 281).Document;
        Assert.Equal("TrainingArguments", run.Find("max_steps")!.Owner);
        Assert.Equal(258, run.Find("load_in_8bit")!.KeySpan.Range.Start.Line + 1);
        Assert.Null(run.Find("load_in_4bit"));
        Assert.Equal(16L, run.Find("r")!.Value.AsLong());
        Assert.Equal("LoraConfig", run.Find("r")!.Owner);

        // test_initialize_dora_with_bnb_on_cpu: the 4-bit and 8-bit configs of its if/elif (lines 1223 and 1225) are each
        // checked on their own.
        foreach (var line in new[] { 1223, 1225 })
        {
            Assert.Contains("BitsAndBytesConfig(", LineOf(a, line));
            var own = a.Configs.Single(c => c.Document.ConfigSpan!.Range.Start.Line == line - 1).Document;
            Assert.False(own.HasTrainingArguments);
        }
        Assert.DoesNotContain(FindingsOf(a), f => f.Id == "SW3001");
    }

    [Fact]
    public void Peft_training_script_reports_the_compute_type_typo_once_and_no_bit_width_error()
    {
        // peft tests/training/training.py: quant_config is a 4-bit BitsAndBytesConfig (line 60, with the misspelt
        // bnb_4bit_compute_type on line 63) or an 8-bit one (line 70), chosen by if/elif; bitsandbytes ignores the typo.
        var a = Analyze("peft_tests_training_training.py");
        var findings = FindingsOf(a);
        Assert.DoesNotContain(findings, f => f.Id == "SW3001");
        var typo = Assert.Single(findings, f => f.Id == "SW9003" && f.Message.StartsWith("bnb_4bit_compute_type", StringComparison.Ordinal));
        var transformers = Stepwise.Core.Keys.Upstream.UpstreamData.Instance.Library("transformers")!.NewestRelease.Version;
        Assert.Equal($"bnb_4bit_compute_type is not a known BitsAndBytesConfig setting (transformers {transformers}); did you mean bnb_4bit_compute_dtype?", typo.Message);
        Assert.Equal(63, typo.Span.Range.Start.Line + 1);
        Assert.Equal("Rename to bnb_4bit_compute_dtype", typo.Fixes.Single().Title);

        // The Trainer's run (TrainingArguments on line 107) has the LoraConfig of line 84, which get_peft_model always
        // applies, and neither quantization config.
        var run = a.Configs.Single(c => c.Document.HasTrainingArguments).Document;
        Assert.Equal(107, run.ConfigSpan!.Range.Start.Line + 1);
        Assert.Equal(85, run.Find("r")!.KeySpan.Range.Start.Line + 1); // r=16, the first argument of LoraConfig( on line 84
        Assert.Null(run.Find("load_in_4bit"));
        Assert.Null(run.Find("load_in_8bit"));
    }

    [Fact]
    public void An_experimental_trl_config_given_to_its_trainer_is_a_training_call()
    {
        // trl tests/experimental/test_sdpo_trainer.py: SDPOTrainer(args=SDPOConfig(...)); SDPOConfig extends TRL's _BaseConfig.
        var a = Analyze("trl_tests_experimental_test_sdpo_trainer.py");
        int calls = a.Text!.Split("SDPOConfig(").Length - 1;
        var configs = a.Configs.Where(c => c.Document.HasTrainingArguments).ToList();
        Assert.Equal(calls, configs.Count);
        Assert.All(configs, c => Assert.All(c.Document.Entries.Where(e => e.IsTopLevel), e => Assert.Equal("SDPOConfig", e.Owner)));
    }

    [Theory]
    [InlineData("trl_tests_test_grpo_trainer.py")]
    [InlineData("trl_tests_test_sft_trainer.py")]
    [InlineData("trl_tests_test_dpo_trainer.py")]
    [InlineData("peft_tests_test_decoder_models.py")]
    public void A_key_of_one_class_is_never_suggested_a_key_of_another(string name)
    {
        // TRL's loss_type was reported as "did you mean task_type" (a LoraConfig key), PEFT's base_model_name_or_path as
        // "did you mean model_name_or_path" (a TRL ModelConfig key).
        var messages = FindingsOf(Analyze(name)).Where(f => f.Id == "SW9003").Select(f => f.Message).ToList();
        Assert.DoesNotContain(messages, m => m.Contains("did you mean task_type") || m.Contains("did you mean model_name_or_path"));
        Assert.DoesNotContain(messages, m => m.Contains("Hugging Face TrainingArguments setting"));
    }
}
