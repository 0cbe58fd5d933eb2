using System.Text.Json.Nodes;

namespace Stepwise.LanguageServer.Tests.Train;

/// <summary>
/// stepwise.train through the language server with the real trainer (the repository's `stepwise` script, which
/// builds stepwise-trainer on first use) on the embedded default model and bundled data: progress from step 1 to the
/// engine's total, then the adapter on disk and a showMessage naming it. The traffic is written to
/// TestResults/lsp-train-transcript.txt beside the test binaries as the run's transcript.
/// </summary>
public class EndToEndTests
{
    private static string RepoScript()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Tooling.sln"))) return Path.Combine(d.FullName, "stepwise");
        throw new FileNotFoundException("Tooling.sln not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public async Task Train_command_runs_the_real_trainer_on_the_default_model_and_reports_the_adapter()
    {
        using var dir = new TempDir();
        var h = await Harness.Start(new JsonObject { ["window"] = new JsonObject { ["workDoneProgress"] = true } });
        await using var _ = h;
        var settings = new JsonObject { ["trainer"] = new JsonObject { ["path"] = RepoScript(), ["graceSeconds"] = 5 } };
        await h.Client.Notify("workspace/didChangeConfiguration", new JsonObject { ["settings"] = new JsonObject { ["stepwise"] = settings } });
        // No model and no dataset: the embedded default model on the bundled records. 3 steps of 4 keeps it short.
        var output = Path.Combine(dir.Path, "out");
        var config = $"output_dir: {output}\nper_device_train_batch_size: 4\nmax_steps: 3\nlearning_rate: 0.001\nsave_strategy: \"no\"\n";
        dir.Write("train.yaml", config);
        var uri = dir.Uri("train.yaml");
        await h.Open(uri, config);

        var response = await h.Client.Request("workspace/executeCommand", new JsonObject { ["command"] = "stepwise.server.train", ["arguments"] = new JsonArray(uri) });
        Assert.Null(response["error"]);
        var token = (string)response["result"]!["token"]!;
        await h.WhenTrainingFinished(uri, TimeSpan.FromMinutes(8));
        var shown = h.Client.WaitFor(n => (string?)n["method"] == "window/showMessage");

        var progress = h.Client.Notifications("$/progress").Where(n => (string?)n["params"]!["token"] == token)
            .Select(n => n["params"]!["value"]!.AsObject()).ToList();
        var transcript = string.Join("\n", h.Client.Notifications("$/progress").Concat(h.Client.Notifications("window/showMessage"))
            .Select(n => n.ToJsonString()));
        var results = Path.Combine(AppContext.BaseDirectory, "TestResults");
        Directory.CreateDirectory(results);
        File.WriteAllText(Path.Combine(results, "lsp-train-transcript.txt"), transcript);

        Assert.Equal("begin", (string?)progress[0]["kind"]);
        Assert.Equal("end", (string?)progress[^1]["kind"]);
        var reports = progress.Where(p => (string?)p["kind"] == "report").Select(p => (string?)p["message"] ?? "").ToList();
        Assert.Contains(reports, m => m.StartsWith("step 1/3", StringComparison.Ordinal));
        Assert.Contains(reports, m => m.StartsWith("step 3/3", StringComparison.Ordinal));
        Assert.StartsWith("Done", (string?)progress[^1]["message"]);
        Assert.True(File.Exists(Path.Combine(output, "adapter_model.safetensors")), transcript);
        Assert.Contains("adapter_model.safetensors", (string?)shown["params"]!["message"]);
    }
}
