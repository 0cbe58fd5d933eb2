using System.Text.Json;
using Stepwise.Cli;

namespace Stepwise.Analysis.Tests.Cli;

public class CheckCommandTests
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

    private const string Seed = "# stepwise: dataset_size=52002\nper_device_train_batch_size: 128\nmax_steps: 1000   # short run\nnum_train_epochs: 3\nlearning_rate: 2.0e-4\n";

    [Fact]
    public void Human_output_is_file_line_col_severity_id_message()
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "seed.yaml");
        File.WriteAllText(path, Seed);
        var (code, output, _) = Run("check", "--no-git", path);
        Assert.Equal(1, code);
        Assert.Contains($"{path}:3:12: warning SW1001: max_steps=1000 trains 2.46 epochs", output);
        Assert.Contains($"{path}:4:1: warning SW1002:", output);
        Assert.Contains("fix (preferred): Replace max_steps by num_train_epochs: 3", output);
    }

    [Fact]
    public void Json_output_follows_the_contract()
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "seed.yaml");
        File.WriteAllText(path, Seed);
        var (code, output, _) = Run("check", "--no-git", "--format", "json", path);
        Assert.Equal(1, code);
        using var doc = JsonDocument.Parse(output);
        var file = doc.RootElement.GetProperty("files")[0];
        Assert.Equal(path, file.GetProperty("path").GetString());
        Assert.Equal("hf", file.GetProperty("dialect").GetString());
        var f = file.GetProperty("findings").EnumerateArray().First(x => x.GetProperty("id").GetString() == "SW1001");
        Assert.Equal("warning", f.GetProperty("severity").GetString());
        Assert.Equal(2, f.GetProperty("range").GetProperty("start").GetProperty("line").GetInt32());
        Assert.Equal(11, f.GetProperty("range").GetProperty("start").GetProperty("character").GetInt32());
        var fix = f.GetProperty("fixes")[0];
        Assert.False(string.IsNullOrEmpty(fix.GetProperty("title").GetString()));
        var edit = fix.GetProperty("edits")[0];
        Assert.True(edit.TryGetProperty("newText", out _));
        Assert.Equal(2, edit.GetProperty("range").GetProperty("start").GetProperty("line").GetInt32());
        var s = file.GetProperty("schedule");
        Assert.Equal(52002, s.GetProperty("dataset_size").GetInt64());
        Assert.Equal(128, s.GetProperty("per_device_train_batch_size").GetInt64());
        Assert.Equal(1, s.GetProperty("gradient_accumulation_steps").GetInt64());
        Assert.Equal(1, s.GetProperty("world_size").GetInt64());
        Assert.Equal(407, s.GetProperty("steps_per_epoch").GetInt64());
        Assert.Equal(1000, s.GetProperty("total_steps").GetInt64());
        Assert.Equal(1000.0 / 407, s.GetProperty("epochs").GetDouble(), 5);
        Assert.Equal(127_812, s.GetProperty("samples").GetInt64());
    }

    [Fact]
    public void Sarif_output_is_2_1_0_with_rules_and_results()
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "seed.yaml");
        File.WriteAllText(path, Seed);
        var (_, output, _) = Run("check", "--no-git", "--format", "sarif", path);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("2.1.0", doc.RootElement.GetProperty("version").GetString());
        var run = doc.RootElement.GetProperty("runs")[0];
        var rules = run.GetProperty("tool").GetProperty("driver").GetProperty("rules");
        Assert.Contains(rules.EnumerateArray(), r => r.GetProperty("id").GetString() == "SW1001");
        var result = run.GetProperty("results").EnumerateArray().First(r => r.GetProperty("ruleId").GetString() == "SW1001");
        Assert.Equal("warning", result.GetProperty("level").GetString());
        var region = result.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("region");
        Assert.Equal(3, region.GetProperty("startLine").GetInt32());
        Assert.Equal(12, region.GetProperty("startColumn").GetInt32());
        var ruleIndex = result.GetProperty("ruleIndex").GetInt32();
        Assert.Equal("SW1001", rules[ruleIndex].GetProperty("id").GetString());
    }

    [Fact]
    public void Fix_rewrites_the_file_and_the_warnings_go()
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "seed.yaml");
        File.WriteAllText(path, Seed);
        var (code, _, err) = Run("check", "--no-git", "--fix", path);
        Assert.Equal(0, code);
        Assert.Contains("fixed SW1001", err);
        var text = File.ReadAllText(path);
        Assert.Equal("# stepwise: dataset_size=52002\nper_device_train_batch_size: 128\nnum_train_epochs: 3\nlearning_rate: 2.0e-4\n", text);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        Assert.Equal(0, Run("check", "--no-git", path).Code);
    }

    [Fact]
    public void Bad_files_are_reported_and_the_rest_still_checked()
    {
        var dir = TestPaths.TempDir();
        File.WriteAllText(Path.Combine(dir, "a_broken.yaml"), "per_device_train_batch_size: [8\nmax_steps: 3\n");
        File.WriteAllText(Path.Combine(dir, "b_types.yaml"), "per_device_train_batch_size: 0\nmax_steps: \"abc\"\n");
        File.WriteAllBytes(Path.Combine(dir, "c_binary.yaml"), new byte[] { 0x6d, 0x61, 0x78, 0, 1, 2, 3 });
        File.WriteAllBytes(Path.Combine(dir, "d_latin1.yaml"), new byte[] { 0x6d, 0x3a, 0x20, 0xe9, 0x0a });
        File.WriteAllText(Path.Combine(dir, "e_deep.json"), new string('[', 50_000) + new string(']', 50_000));
        File.WriteAllText(Path.Combine(dir, "f_missing_data.yaml"), "train_file: nowhere.jsonl\nmax_steps: 10\nper_device_train_batch_size: 4\n");
        File.WriteAllText(Path.Combine(dir, "z_good.yaml"), Seed);
        var explicitFiles = Directory.GetFiles(dir).OrderBy(f => f).ToArray();
        var (code, output, err) = Run(new[] { "check", "--no-git", "--format", "json" }.Concat(explicitFiles).ToArray());
        Assert.Equal(2, code); // unreadable files are I/O errors
        using var doc = JsonDocument.Parse(output);
        var files = doc.RootElement.GetProperty("files").EnumerateArray().ToDictionary(f => Path.GetFileName(f.GetProperty("path").GetString()!));
        Assert.Contains(files["a_broken.yaml"].GetProperty("findings").EnumerateArray(), f => f.GetProperty("id").GetString() == "SW9001");
        Assert.Equal(2, files["b_types.yaml"].GetProperty("findings").EnumerateArray().Count(f => f.GetProperty("id").GetString() == "SW9002"));
        Assert.Contains("binary file", files["c_binary.yaml"].GetProperty("error").GetString());
        Assert.Contains("not UTF-8", files["d_latin1.yaml"].GetProperty("error").GetString());
        Assert.Contains(files["e_deep.json"].GetProperty("findings").EnumerateArray(), f => f.GetProperty("message").GetString()!.Contains("nesting deeper"));
        Assert.Contains(files["f_missing_data.yaml"].GetProperty("findings").EnumerateArray(), f => f.GetProperty("id").GetString() == "SW1005");
        Assert.Contains(files["z_good.yaml"].GetProperty("findings").EnumerateArray(), f => f.GetProperty("id").GetString() == "SW1001");
        Assert.Contains("c_binary.yaml: error: binary file", err);
    }

    [Fact]
    public void Folder_walk_skips_files_that_are_not_training_configs()
    {
        var dir = TestPaths.TempDir();
        File.WriteAllText(Path.Combine(dir, "workflow.yaml"), "name: ci\non: push\n");
        File.WriteAllText(Path.Combine(dir, "package.json"), "{\"name\": \"x\", \"version\": \"1.0.0\"}");
        File.WriteAllText(Path.Combine(dir, "train.yaml"), Seed);
        var (_, output, _) = Run("check", "--no-git", "--format", "json", dir);
        using var doc = JsonDocument.Parse(output);
        var paths = doc.RootElement.GetProperty("files").EnumerateArray().Select(f => Path.GetFileName(f.GetProperty("path").GetString())).ToList();
        Assert.Equal(new[] { "train.yaml" }, paths);
    }

    [Fact]
    public void Globs_match_files()
    {
        var dir = TestPaths.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "sub"));
        File.WriteAllText(Path.Combine(dir, "sub", "a.yaml"), Seed);
        File.WriteAllText(Path.Combine(dir, "b.yaml"), Seed);
        var (_, output, _) = Run("check", "--no-git", "--format", "json", Path.Combine(dir, "**", "*.yaml"));
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(2, doc.RootElement.GetProperty("files").GetArrayLength());
    }

    [Theory]
    [InlineData("check")]
    [InlineData("check", "--format", "xml", "x.yaml")]
    [InlineData("check", "--world-size", "zero", "x.yaml")]
    [InlineData("check", "--bogus", "x.yaml")]
    [InlineData("frobnicate")]
    public void Usage_errors_exit_2(params string[] args) => Assert.Equal(2, Run(args).Code);

    [Fact]
    public void Overrides_change_the_arithmetic()
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "c.yaml");
        File.WriteAllText(path, "per_device_train_batch_size: 8\nmax_steps: 500\nnum_train_epochs: 3\n");
        var (_, output, _) = Run("check", "--no-git", "--format", "json", "--dataset-size", "999", "--world-size", "2", path);
        using var doc = JsonDocument.Parse(output);
        var s = doc.RootElement.GetProperty("files")[0].GetProperty("schedule");
        Assert.Equal(63, s.GetProperty("steps_per_epoch").GetInt64());
        Assert.Equal(2, s.GetProperty("world_size").GetInt64());
    }

    [Fact]
    public void Explain_prints_the_rule_page()
    {
        var (code, output, _) = Run("explain", "SW1001");
        Assert.Equal(0, code);
        Assert.Contains("## What it does", output);
        Assert.Contains("## Why is this bad?", output);
        Assert.Contains("## Example", output);
        Assert.Equal(0, Run("check", "--explain", "sw1002").Code);
        Assert.Equal(2, Run("explain", "SW9999").Code);
    }

    [Fact]
    public void Severity_option_can_silence_a_rule()
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "seed.yaml");
        File.WriteAllText(path, Seed);
        var (code, output, _) = Run("check", "--no-git", "--severity", "SW1001=off", "--severity", "SW1002=hint", path);
        Assert.Equal(0, code);
        Assert.DoesNotContain("SW1001", output);
        Assert.Contains("hint SW1002", output);
    }
}
