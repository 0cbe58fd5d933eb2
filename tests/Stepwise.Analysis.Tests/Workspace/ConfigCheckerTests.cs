using System.Diagnostics;
using Stepwise.Core;
using Stepwise.Workspace;

namespace Stepwise.Analysis.Tests.Workspace;

public class ConfigCheckerTests
{
    private static void Git(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", "user.email=t@t", "-c", "user.name=t", "-c", "commit.gpgsign=false" }.Concat(args)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
    }

    [Fact]
    public void SW1003_reads_the_committed_version_from_git()
    {
        var dir = TestPaths.TempDir();
        Git(dir, "init", "-q");
        var path = Path.Combine(dir, "train.yaml");
        File.WriteAllText(path, "# stepwise: dataset_size=52002\nper_device_train_batch_size: 8\nmax_steps: 1000\n");
        Git(dir, "add", "train.yaml");
        Git(dir, "commit", "-q", "-m", "first");
        File.WriteAllText(path, "# stepwise: dataset_size=52002\nper_device_train_batch_size: 128\nmax_steps: 1000\n");

        var result = new ConfigChecker(new WorkspaceOptions { UseDefaultAccelerateConfig = false }).AnalyzeFile(path);
        var f = Assert.Single(result.Configs.Single().Result.Findings, x => x.Id == "SW1003");
        Assert.Contains("from 8 to 128", f.Message);
        Assert.Contains("0.15 -> 2.46 epochs, 16.0x the training time", f.Message);

        var noGit = new ConfigChecker(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false }).AnalyzeFile(path);
        Assert.DoesNotContain(noGit.Configs.Single().Result.Findings, x => x.Id == "SW1003");
    }

    [Fact]
    public void Untracked_files_and_folders_without_git_get_no_SW1003()
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "train.yaml");
        File.WriteAllText(path, "per_device_train_batch_size: 128\nmax_steps: 1000\n");
        var result = new ConfigChecker(new WorkspaceOptions { UseDefaultAccelerateConfig = false }).AnalyzeFile(path);
        Assert.DoesNotContain(result.Configs.Single().Result.Findings, x => x.Id == "SW1003");
    }

    [Fact]
    public void DeepSpeed_reference_is_followed_relative_to_the_config_and_watched()
    {
        var dir = TestPaths.TempDir();
        File.WriteAllText(Path.Combine(dir, "ds.json"), "{\"train_micro_batch_size_per_gpu\": 4, \"gradient_accumulation_steps\": \"auto\"}");
        var path = Path.Combine(dir, "train.yaml");
        File.WriteAllText(path, "per_device_train_batch_size: 8\nnum_train_epochs: 1\ndeepspeed: ds.json\n");
        var result = new ConfigChecker(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false }).AnalyzeFile(path);
        Assert.Contains(Path.Combine(dir, "ds.json"), result.Watched);
        var f = Assert.Single(result.Configs.Single().Result.Findings, x => x.Id == "SW1007");
        Assert.Contains("train_micro_batch_size_per_gpu=4 but per_device_train_batch_size=8", f.Message);
        Assert.Equal(Path.Combine(dir, "ds.json"), f.Fixes.Single().Edits.Single().Path);
    }

    [Fact]
    public void Dataset_files_are_watched_by_their_resolved_paths_including_the_LLaMA_Factory_registry()
    {
        var dir = TestPaths.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "data", "shards"));
        File.WriteAllText(Path.Combine(dir, "data", "dataset_info.json"), "{\"mine\": {\"file_name\": \"mine.json\"}}");
        File.WriteAllText(Path.Combine(dir, "data", "mine.json"), "[{\"instruction\": \"a\", \"output\": \"b\"}]");
        File.WriteAllText(Path.Combine(dir, "data", "shards", "a.jsonl"), "{\"text\": 1}\n");
        File.WriteAllText(Path.Combine(dir, "data", "shards", "b.jsonl"), "{\"text\": 2}\n");
        var lf = Path.Combine(dir, "lf.yaml");
        File.WriteAllText(lf, "stage: sft\nfinetuning_type: lora\ntemplate: llama3\ndataset: mine,absent\ndataset_dir: data\nper_device_train_batch_size: 1\nnum_train_epochs: 1\n");
        var checker = new ConfigChecker(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false });
        var watched = checker.AnalyzeFile(lf).Watched;
        // The registry (also for the name it lacks: adding the entry must refresh) and the file it points to.
        Assert.Contains(Path.Combine(dir, "data", "dataset_info.json"), watched);
        Assert.Contains(Path.Combine(dir, "data", "mine.json"), watched);
        Assert.DoesNotContain("mine", watched);

        var hf = Path.Combine(dir, "hf.yaml");
        File.WriteAllText(hf, "base_model: m\nmicro_batch_size: 1\nnum_epochs: 1\ndatasets:\n  - path: data/shards/*.jsonl\n    type: completion\n  - path: later.jsonl\n    type: completion\n");
        watched = checker.AnalyzeFile(hf).Watched;
        Assert.Contains(Path.Combine(dir, "data", "shards", "a.jsonl"), watched);
        Assert.Contains(Path.Combine(dir, "data", "shards", "b.jsonl"), watched);
        Assert.Contains("later.jsonl", watched); // not there yet: creating it must refresh the diagnostics
        Assert.Contains("data/shards/*.jsonl", watched); // a new shard must refresh them too
    }

    [Theory]
    [InlineData("data/*.jsonl", "/r/data/c.jsonl", true)]
    [InlineData("data/*.jsonl", "/r/data/sub/c.jsonl", false)]
    [InlineData("data/**/*.jsonl", "/r/data/sub/c.jsonl", true)]
    [InlineData("data/*.jsonl", "/r/other/c.jsonl", false)]
    [InlineData("data/*.jsonl", "/r/data/.hidden.jsonl", false)]
    [InlineData("/abs/shard-[0-9].parquet", "/abs/shard-7.parquet", true)]
    [InlineData("/abs/shard-[0-9].parquet", "/abs/shard-x.parquet", false)]
    public void Glob_matches_a_single_path_as_Expand_would_list_it(string pattern, string path, bool expected) =>
        Assert.Equal(expected, Stepwise.Workspace.Datasets.Glob.Matches("/r", pattern, path));

    [Fact]
    public void Missing_deepspeed_file_is_SW9004_on_the_reference()
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "train.yaml");
        File.WriteAllText(path, "per_device_train_batch_size: 8\ndeepspeed: nowhere.json\n");
        var result = new ConfigChecker(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false }).AnalyzeFile(path);
        var f = Assert.Single(result.Configs.Single().Result.Findings, x => x.Id == "SW9004");
        Assert.Equal(1, f.Span.Range.Start.Line);
        Assert.Contains("'nowhere.json' not found", f.Message);
    }

    [Fact]
    public void Dataset_file_is_counted_and_split()
    {
        var dir = TestPaths.TempDir();
        File.WriteAllLines(Path.Combine(dir, "d.jsonl"), Enumerable.Range(0, 1000).Select(i => $"{{\"text\": \"{i}\"}}"));
        var path = Path.Combine(dir, "a.yml");
        File.WriteAllText(path, "base_model: m\nmicro_batch_size: 10\nnum_epochs: 1\nval_set_size: 0.1\ndatasets:\n  - path: d.jsonl\n    type: completion\n");
        var r = new ConfigChecker(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false }).AnalyzeFile(path).Configs.Single().Result;
        Assert.Equal(900, r.DatasetSize.Count); // 1000 - ceil(0.1 x 1000)
        Assert.Equal(90, r.Schedule!.TotalSteps); // axolotl: ceil(900 x 1 / 10)
    }

    [Fact]
    public void Analyzing_an_editor_buffer_uses_the_buffer_not_the_disk()
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "train.yaml");
        File.WriteAllText(path, "per_device_train_batch_size: 8\n");
        var r = new ConfigChecker(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false })
            .AnalyzeText(path, "per_device_train_batch_size: 128\nmax_steps: 1000\n# stepwise: dataset_size=52002\n");
        Assert.Contains(r.Configs.Single().Result.Findings, f => f.Id == "SW1001");
    }
}
