using Stepwise.Workspace;

namespace Stepwise.Analysis.Tests.Workspace;

/// <summary>The project's own demo (`stepwise train` with no config) opened as a file: its real numbers, no finding of ours.</summary>
public class DemoConfigTests
{
    private static string Demo => Path.Combine(TestPaths.RepoRoot, "src", "Trainer", "Stepwise.Trainer", "Resources", "default-train.yaml");

    [Fact]
    public void The_demo_config_counts_its_dataset_and_has_no_findings()
    {
        var r = new ConfigChecker(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false }).AnalyzeFile(Demo).Configs.Single().Result;
        // 350 records beside the config, val_size 0.05 takes ceil(17.5) = 18: 332 train; ceil(332 / 8) = 42 batches / 2 = 21 steps.
        Assert.Equal(350, File.ReadLines(Path.Combine(Path.GetDirectoryName(Demo)!, "default-dataset.jsonl")).Count(l => l.Trim().Length > 0));
        Assert.Equal(332, r.DatasetSize.Count);
        Assert.Equal(21, r.Schedule!.TotalSteps);
        Assert.Equal(1.0, r.Schedule.Epochs);
        Assert.Empty(r.Findings);
    }
}
