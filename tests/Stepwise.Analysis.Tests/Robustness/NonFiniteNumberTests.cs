using System.Text.Json;
using Stepwise.Cli;

namespace Stepwise.Analysis.Tests.Robustness;

/// <summary>
/// Issue 14, failure 1: `check --format json` aborted (exit 134) on a non-finite epoch count and the whole batch's JSON
/// was lost; human output printed "9,223,372,036,854,775,807 steps = Infinity epochs".
/// </summary>
public class NonFiniteNumberTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code;
        try { code = Program.Run(args, o, e); }
        catch (UsageException ex) { e.WriteLine(ex.Message); code = 2; }
        return (code, o.ToString(), e.ToString());
    }

    private const string Good = "# stepwise: dataset_size=1000\nper_device_train_batch_size: 8\nnum_train_epochs: 2\n";

    /// <summary>The issue's reproducers: YAML .inf (the exact two lines), 1e309 (a float for YAML 1.2, a numeric string
    /// for PyYAML: both non-finite), .nan, NaN, JSON 1e309, Python 1e999.</summary>
    private static readonly (string Name, string Text, string ValueText)[] Bad =
    {
        ("a_inf.yaml", "per_device_train_batch_size: 8\nnum_train_epochs: .inf\n", ".inf"),
        ("b_1e309.yaml", "# stepwise: dataset_size=1000\nper_device_train_batch_size: 8\nnum_train_epochs: 1e309\n", "1e309"),
        ("c_nan.yaml", "# stepwise: dataset_size=1000\nper_device_train_batch_size: 8\nnum_train_epochs: .nan\n", ".nan"),
        ("d_NaN.yaml", "# stepwise: dataset_size=1000\nper_device_train_batch_size: 8\nnum_train_epochs: NaN\n", "NaN"),
        ("e_1e309.json", "{\"per_device_train_batch_size\": 8, \"num_train_epochs\": 1e309, \"dataset_size\": 5}\n", "1e309"),
        ("f_1e999.py", "from transformers import TrainingArguments\n# stepwise: dataset_size=1000\nargs = TrainingArguments(output_dir=\"o\", per_device_train_batch_size=8, num_train_epochs=1e999)\n", "1e999"),
    };

    private static string WriteBatch()
    {
        var dir = TestPaths.TempDir();
        foreach (var (name, text, _) in Bad) File.WriteAllText(Path.Combine(dir, name), text);
        File.WriteAllText(Path.Combine(dir, "z_good.yaml"), Good);
        return dir;
    }

    [Fact]
    public void Json_output_survives_non_finite_epochs_and_keeps_the_good_files_schedule()
    {
        var dir = WriteBatch();
        var files = Directory.GetFiles(dir).OrderBy(f => f, StringComparer.Ordinal).ToArray();
        var (code, output, err) = Run(new[] { "check", "--no-git", "--format", "json" }.Concat(files).ToArray());
        Assert.True(code == 1, $"exit {code}: {err}");
        using var doc = JsonDocument.Parse(output); // strict JSON: NaN or Infinity would not parse
        var byName = doc.RootElement.GetProperty("files").EnumerateArray().ToDictionary(f => Path.GetFileName(f.GetProperty("path").GetString()!));

        var good = byName["z_good.yaml"].GetProperty("schedule");
        Assert.Equal(250, good.GetProperty("total_steps").GetInt64());
        Assert.Equal(2.0, good.GetProperty("epochs").GetDouble());
        Assert.Equal(JsonValueKind.Null, good.GetProperty("note").ValueKind);

        foreach (var (name, _, valueText) in Bad)
        {
            var f = byName[name];
            var finding = Assert.Single(f.GetProperty("findings").EnumerateArray(), x => x.GetProperty("id").GetString() == "SW9002");
            Assert.Equal("error", finding.GetProperty("severity").GetString());
            Assert.Contains($"num_train_epochs must be a finite number, not {valueText}", finding.GetProperty("message").GetString());
            var s = f.GetProperty("schedule");
            foreach (var field in new[] { "total_steps", "epochs", "samples", "num_train_epochs", "warmup_steps" })
                Assert.True(s.GetProperty(field).ValueKind == JsonValueKind.Null, $"{name}: {field} = {s.GetProperty(field)}");
            Assert.Contains("not a finite number", s.GetProperty("note").GetString());
            Assert.Equal(8, s.GetProperty("per_device_train_batch_size").GetInt64());
        }
    }

    [Fact]
    public void Sarif_and_human_output_survive_the_same_batch_without_infinity_or_int64_max()
    {
        var dir = WriteBatch();
        var (_, sarif, _) = Run("check", "--no-git", "--format", "sarif", dir);
        using (var doc = JsonDocument.Parse(sarif))
            Assert.Equal(Bad.Length, doc.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray().Count(r => r.GetProperty("ruleId").GetString() == "SW9002"));

        var (_, human, _) = Run("check", "--no-git", dir);
        Assert.DoesNotContain("Infinity", human);
        Assert.DoesNotContain("NaN epochs", human);
        Assert.DoesNotContain("9,223,372,036,854,775,807", human);
        Assert.Contains("steps unknown: num_train_epochs is .inf, not a finite number", human);
        Assert.Contains("250 steps = 2.0 epochs", human);
    }

    [Fact]
    public void Infinite_evals_per_epoch_says_it_is_not_a_finite_number_instead_of_a_ratio_of_infinity()
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "axolotl.yaml");
        File.WriteAllText(path, "# stepwise: dataset_size=1000\nbase_model: x\nmicro_batch_size: 8\nmax_steps: 100\nevals_per_epoch: .inf\n");
        var (_, output, _) = Run("check", "--no-git", path);
        Assert.Contains("warning SW9002: evals_per_epoch must be a finite number, not .inf", output);
        Assert.DoesNotContain("SW1006", output);
        Assert.DoesNotContain("1/(.inf", output);
    }

    [Theory]
    [InlineData("num_train_epochs: 1e300\n", "num_train_epochs=1e300 makes ceil(1e300 x 125 steps per epoch) steps, more than a 64-bit count holds")]
    [InlineData("max_steps: 9000000000000000000\n", "9,000,000,000,000,000,000 steps x 8 samples per step is more samples than a 64-bit count holds")]
    [InlineData("warmup_steps: 1e300\n", "warmup_steps=1e300 is more steps than a 64-bit count holds")]
    public void Counts_beyond_64_bits_are_an_error_not_int64_max_or_a_negative_number(string line, string message)
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "c.yaml");
        File.WriteAllText(path, "# stepwise: dataset_size=1000\nper_device_train_batch_size: 8\n" + line);
        var (_, output, _) = Run("check", "--no-git", "--format", "json", path);
        using var doc = JsonDocument.Parse(output);
        var findings = doc.RootElement.GetProperty("files")[0].GetProperty("findings").EnumerateArray().ToList();
        Assert.Contains(findings, f => f.GetProperty("id").GetString() == "SW9002" && f.GetProperty("message").GetString()!.Contains(message));
        Assert.DoesNotContain(findings, f => f.GetProperty("id").GetString() == "SW0001");
        Assert.DoesNotContain("9223372036854775807", output);
        Assert.DoesNotContain(": -", output.Replace("\": -1,", "")); // max_steps -1 is the only negative number allowed
    }

    [Fact]
    public void A_non_finite_epoch_count_beside_max_steps_is_a_warning_because_transformers_ignores_it()
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "c.yaml");
        File.WriteAllText(path, "# stepwise: dataset_size=1000\nper_device_train_batch_size: 8\nmax_steps: 250\nnum_train_epochs: .inf\n");
        var (_, output, _) = Run("check", "--no-git", "--format", "json", path);
        using var doc = JsonDocument.Parse(output);
        var file = doc.RootElement.GetProperty("files")[0];
        var sw9002 = Assert.Single(file.GetProperty("findings").EnumerateArray(), f => f.GetProperty("id").GetString() == "SW9002");
        Assert.Equal("warning", sw9002.GetProperty("severity").GetString());
        Assert.Equal(250, file.GetProperty("schedule").GetProperty("total_steps").GetInt64());
        Assert.Equal(2.0, file.GetProperty("schedule").GetProperty("epochs").GetDouble());
    }

    [Fact]
    public void A_non_finite_validation_split_leaves_the_dataset_size_unknown_instead_of_ignoring_it()
    {
        var dir = TestPaths.TempDir();
        File.WriteAllText(Path.Combine(dir, "train.jsonl"), string.Concat(Enumerable.Range(0, 10).Select(i => $"{{\"text\": \"{i}\"}}\n")));
        var path = Path.Combine(dir, "lf.yaml");
        File.WriteAllText(path, "stage: sft\nmodel_name_or_path: x\nfinetuning_type: lora\ndataset: train\ndataset_dir: .\nper_device_train_batch_size: 2\nval_size: .nan\n");
        File.WriteAllText(Path.Combine(dir, "dataset_info.json"), "{\"train\": {\"file_name\": \"train.jsonl\"}}");
        var (_, output, _) = Run("check", "--no-git", "--format", "json", path);
        using var doc = JsonDocument.Parse(output);
        var s = doc.RootElement.GetProperty("files")[0].GetProperty("schedule");
        Assert.Equal(JsonValueKind.Null, s.GetProperty("dataset_size").ValueKind);
        Assert.Contains("val_size is not a finite number", s.GetProperty("dataset_detail").GetString());
    }
}
