using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Core.Model;
using Stepwise.LanguageServer.Server.Training;

namespace Stepwise.LanguageServer.Tests.Train;

public class LauncherTests
{
    private static TrainerSettings Parse(string json)
    {
        var problems = new List<string>();
        var s = TrainerSettings.Parse(JsonDocument.Parse(json).RootElement, problems);
        Assert.Empty(problems);
        return s;
    }

    [Fact]
    public void External_launchers_get_the_config_and_the_world_size()
    {
        var s = Parse("""{"launcher":"accelerate","worldSize":4}""");
        Assert.Equal("accelerate launch --num_processes 4 -m axolotl.cli.train /c/a.yaml", TrainerLaunch.Resolve(s, "/c/a.yaml", Dialect.Axolotl, "/x").Command!.ToString());
        Assert.Equal("stepwise.launcher is accelerate but this is not an axolotl config: set stepwise.launcher.script to the training script that reads it",
            TrainerLaunch.Resolve(s, "/c/a.yaml", Dialect.Hf, "/x").Error);
        var t = Parse("""{"launcher":"torchrun","worldSize":2,"launcher.script":"train.py"}""");
        Assert.Equal("torchrun --nproc_per_node 2 train.py /c/a.yaml", TrainerLaunch.Resolve(t, "/c/a.yaml", Dialect.Hf, "/x").Command!.ToString());
        Assert.NotNull(TrainerLaunch.Resolve(Parse("""{"launcher":"torchrun"}"""), "/c/a.yaml", Dialect.Hf, "/x").Error);
        Assert.Equal("llamafactory-cli train /c/a.yaml", TrainerLaunch.Resolve(Parse("""{"launcher":"llamafactory-cli"}"""), "/c/a.yaml", Dialect.LlamaFactory, "/x").Command!.ToString());
        Assert.Equal("axolotl train /c/a.yaml", TrainerLaunch.Resolve(Parse("""{"launcher":"axolotl"}"""), "/c/a.yaml", Dialect.Axolotl, "/x").Command!.ToString());
        var problems = new List<string>();
        TrainerSettings.Parse(JsonDocument.Parse("""{"launcher":"deepspeed"}""").RootElement, problems);
        Assert.Equal(new[] { "stepwise.launcher must be one of stepwise, accelerate, torchrun, axolotl, llamafactory-cli, not \"deepspeed\"" }, problems);
    }

    [Fact]
    public void Stepwise_launcher_uses_the_setting_then_the_trainer_beside_the_server()
    {
        var c = TrainerLaunch.Resolve(Parse("""{"trainer":{"path":"/opt/my trainer"}}"""), "/c/a.yaml", Dialect.Hf, "/x").Command!;
        Assert.Equal(new[] { "train", "/c/a.yaml", "--progress", "json" }, c.Arguments);
        Assert.Equal("/opt/my trainer", c.FileName);
        using var dir = new TempDir();
        var trainer = dir.Write("stepwise-trainer/stepwise-trainer", "");
        Directory.CreateDirectory(Path.Combine(dir.Path, "stepwise-lsp"));
        Assert.Equal(trainer, TrainerLaunch.Resolve(TrainerSettings.Default, "/c/a.yaml", Dialect.Hf, Path.Combine(dir.Path, "stepwise-lsp")).Command!.FileName);
        if (TrainerLaunch.InstalledTrainer(Environment.GetEnvironmentVariable("PATH"), Environment.GetFolderPath(Environment.SpecialFolder.UserProfile)) is null)
            Assert.StartsWith("no trainer found: install it with `dotnet tool install --global Stepwise.Trainer.Cli`", TrainerLaunch.Resolve(TrainerSettings.Default, "/c/a.yaml", Dialect.Hf, "/nonexistent/stepwise-lsp").Error);
    }

    [Fact]
    public void The_installed_tool_is_found_on_PATH_first_then_in_dotnet_tools()
    {
        using var dir = new TempDir();
        var onPath = dir.Write("bin/stepwise-trainer", "");
        var inTools = dir.Write("home/.dotnet/tools/stepwise-trainer", "");
        var home = Path.Combine(dir.Path, "home");
        Assert.Equal(onPath, TrainerLaunch.InstalledTrainer($"/nonexistent{Path.PathSeparator}{Path.Combine(dir.Path, "bin")}", home));
        Assert.Equal(inTools, TrainerLaunch.InstalledTrainer("/nonexistent", home));
        Assert.Null(TrainerLaunch.InstalledTrainer("/nonexistent", Path.Combine(dir.Path, "nohome")));
    }

    [Theory]
    [InlineData(" 12%|█▏        | 120/1000 [01:02<07:40,  1.91it/s]", 120, 1000, "07:40")]
    [InlineData("100%|██████████| 1000/1000 [08:42<00:00,  1.91it/s]", 1000, 1000, "00:00")]
    [InlineData("  0%|          | 0/4 [00:00<?, ?it/s]\r 25%|██▌       | 1/4 [00:01<00:03,  1.00it/s]", 1, 4, "00:03")]
    [InlineData("  0%|          | 0/4 [00:00<?, ?it/s]", 0, 4, null)]
    public void Tqdm_lines(string line, long step, long total, string? eta) => Assert.Equal((step, total, eta), TrainerLines.ParseTqdm(line));

    [Theory]
    [InlineData("Map: 100%|██████████| 52002/52002 extra")]
    [InlineData("{'loss': 1.2}")]
    [InlineData("loading checkpoint shards")]
    public void Non_progress_lines(string line) => Assert.Null(TrainerLines.ParseTqdm(line));

    [Fact]
    public void Log_dicts()
    {
        var d = TrainerLines.ParseLogDict("{'loss': 1.2345, 'grad_norm': 0.5, 'learning_rate': 2e-05, 'epoch': 0.3}")!;
        Assert.Equal(1.2345, d["loss"]);
        Assert.Equal(2e-05, d["learning_rate"]);
        Assert.Equal(0.3, d["epoch"]);
        Assert.Null(TrainerLines.ParseLogDict("{'train_runtime': 4.1, 'epoch': 1.0}"));
        Assert.Equal("step 120/407 · epoch 0.29 · loss 1.234 · ETA 3m12s", TrainerLines.StepMessage(120, 407, 0.2948, 1.2341, 192));
        Assert.Equal("1h02m", TrainerLines.Duration(3725));
    }

    [Fact]
    public async Task External_launcher_output_is_logged_and_parsed_best_effort()
    {
        using var dir = new TempDir();
        var bin = Path.Combine(dir.Path, "bin");
        Directory.CreateDirectory(bin);
        var fake = Directory.GetParent(typeof(LauncherTests).Assembly.Location)!;
        string script = "";
        for (var d = fake; d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "tests/Stepwise.LanguageServer.Tests/FakeTrainer/fake-trainer.sh"))) { script = Path.Combine(d.FullName, "tests/Stepwise.LanguageServer.Tests/FakeTrainer/fake-trainer.sh"); break; }
        File.CreateSymbolicLink(Path.Combine(bin, "llamafactory-cli"), script);
        var path = dir.Write("lf.yaml", "# fake: external\nlearning_rate: 0.0002\nper_device_train_batch_size: 8\nnum_train_epochs: 1\n");
        var uri = dir.Uri("lf.yaml");
        // In-process: the server must see this test's PATH, changed after it starts.
        var h = await Harness.Start(new JsonObject { ["window"] = new JsonObject { ["workDoneProgress"] = true } }, inProcess: true);
        await using var __ = h;
        // The launcher is found on PATH, as a user's own stack is; this test's folder goes first.
        await h.Client.Notify("workspace/didChangeConfiguration", new JsonObject { ["settings"] = new JsonObject { ["stepwise"] = new JsonObject { ["launcher"] = "llamafactory-cli" } } });
        var oldPath = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", bin + ":" + oldPath);
        JsonObject response;
        try { response = await h.Client.Request("workspace/executeCommand", new JsonObject { ["command"] = "stepwise.server.train", ["arguments"] = new JsonArray(uri) }); }
        finally { Environment.SetEnvironmentVariable("PATH", oldPath); }
        var token = (string)response["result"]!["token"]!;
        await h.WhenTrainingFinished(uri, TimeSpan.FromSeconds(30));
        h.Client.WaitFor(n => (string?)n["method"] == "window/showMessage");
        var progress = h.Client.Notifications("$/progress").Where(n => (string?)n["params"]!["token"] == token).Select(n => n["params"]!["value"]!.ToJsonString()).ToList();
        Assert.Equal(new[]
        {
            """{"kind":"begin","title":"Training lf.yaml","cancellable":true,"percentage":0}""",
            """{"kind":"report","message":"step 0/4","percentage":0}""",
            """{"kind":"report","message":"step 1/4 \u00B7 ETA 00:03","percentage":25}""",
            """{"kind":"report","message":"step 1/4 \u00B7 epoch 0.25 \u00B7 loss 1.875","percentage":25}""",
            """{"kind":"report","message":"step 2/4 \u00B7 loss 1.875 \u00B7 ETA 00:02","percentage":50}""",
            """{"kind":"end","message":"Done \u00B7 final loss 1.875"}""",
        }, progress);
        var logs = h.Client.Notifications("window/logMessage").Select(n => (string?)n["params"]!["message"]).ToList();
        Assert.Contains($"fake-trainer args: train {path}", logs);
        Assert.Contains("{'train_runtime': 4.1, 'train_loss': 1.7, 'epoch': 1.0}", logs);
    }
}
