using System.Text.Json.Nodes;
using Stepwise.LanguageServer.Server.Training;

namespace Stepwise.LanguageServer.Tests.Train;

/// <summary>stepwise.train against FakeTrainer/fake-trainer.sh: exact $/progress, logMessage and showMessage traffic.</summary>
public class TrainTests
{
    private static readonly string FakeTrainer = FindFake();

    private static string FindFake()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "tests", "Stepwise.LanguageServer.Tests", "FakeTrainer", "fake-trainer.sh");
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException("FakeTrainer/fake-trainer.sh not found above " + AppContext.BaseDirectory);
    }

    private const string Body = "learning_rate: 0.0002\nper_device_train_batch_size: 8\nnum_train_epochs: 1\n";
    private static readonly JsonObject WorkDone = new() { ["window"] = new JsonObject { ["workDoneProgress"] = true } };

    private static async Task<(Harness H, string Uri, string Path)> Setup(TempDir dir, string mode, JsonObject? caps = null, JsonObject? extra = null, string name = "train.yaml")
    {
        var h = await Harness.Start(caps?.DeepClone().AsObject() ?? WorkDone.DeepClone().AsObject());
        var settings = new JsonObject { ["trainer"] = new JsonObject { ["path"] = FakeTrainer, ["graceSeconds"] = 1 } };
        foreach (var (k, v) in extra ?? new JsonObject()) settings[k] = v?.DeepClone();
        await h.Client.Notify("workspace/didChangeConfiguration", new JsonObject { ["settings"] = new JsonObject { ["stepwise"] = settings } });
        var path = dir.Write(name, $"# fake: {mode}\n" + Body);
        var uri = dir.Uri(name);
        await h.Open(uri, File.ReadAllText(path));
        return (h, uri, path);
    }

    private static Task<JsonObject> Train(Harness h, string uri) =>
        h.Client.Request("workspace/executeCommand", new JsonObject { ["command"] = "stepwise.server.train", ["arguments"] = new JsonArray(uri) });

    private static List<string> Progress(Harness h, string token) =>
        h.Client.Notifications("$/progress").Where(n => (string?)n["params"]!["token"] == token).Select(n => n["params"]!["value"]!.ToJsonString()).ToList();

    private static List<string> Messages(Harness h, string method) =>
        h.Client.Notifications(method).Select(n => $"{(int)n["params"]!["type"]!} {(string?)n["params"]!["message"]}").ToList();

    private static async Task<string> StartAndFinish(Harness h, string uri)
    {
        var response = await Train(h, uri);
        Assert.Null(response["error"]);
        var token = (string)response["result"]!["token"]!;
        await h.WhenTrainingFinished(uri, TimeSpan.FromSeconds(30));
        h.Client.WaitFor(n => (string?)n["method"] == "window/showMessage");
        return token;
    }

    [Fact]
    public async Task Success_maps_every_event_to_progress_and_shows_the_adapter()
    {
        using var dir = new TempDir();
        var (h, uri, path) = await Setup(dir, "success");
        await using var _ = h;
        var token = await StartAndFinish(h, uri);
        var create = Assert.Single(h.Client.ServerRequests, r => (string?)r["method"] == "window/workDoneProgress/create");
        Assert.Equal(token, (string?)create["params"]!["token"]);
        var outDir = Path.Combine(dir.Path, "out");
        Assert.Equal(new[]
        {
            """{"kind":"begin","title":"Training train.yaml","cancellable":true,"percentage":0}""",
            """{"kind":"report","message":"starting: 3 steps, 1 epochs, 24 examples","percentage":0}""",
            """{"kind":"report","message":"step 1/3 \u00B7 epoch 0.33 \u00B7 loss 2.500 \u00B7 ETA 3m12s","percentage":33}""",
            """{"kind":"report","message":"step 2/3 \u00B7 epoch 0.67 \u00B7 loss 2.250 \u00B7 ETA 1m04s","percentage":66}""",
            """{"kind":"report","message":"step 3/3 \u00B7 epoch 1.00 \u00B7 loss 2.000 \u00B7 ETA 0s","percentage":100}""",
            $$"""{"kind":"end","message":"Done: adapter {{outDir}}/adapter_model.safetensors \u00B7 final loss 2.000"}""",
        }, Progress(h, token));
        var logs = Messages(h, "window/logMessage");
        Assert.Contains($"4 fake-trainer args: train {path} --progress json", logs);
        Assert.Contains("4 loading the model", logs);
        Assert.Contains($"3 Training train.yaml: output in {outDir}", logs);
        Assert.Contains("3 Training train.yaml: eval at step 2: eval_loss 2.400", logs);
        Assert.Contains($"3 Training train.yaml: saved {outDir}/checkpoint-3 at step 3", logs);
        Assert.Equal(new[] { $"3 Training train.yaml: done. Adapter: {outDir}/adapter_model.safetensors · final loss 2.000 · loss curve: {outDir}/loss_curve.png" },
            Messages(h, "window/showMessage"));
        Assert.Empty((await h.Client.Result("workspace/executeCommand", new JsonObject { ["command"] = "stepwise.server.runs" }))!.AsArray());
    }

    [Fact]
    public async Task Crash_ends_the_progress_with_the_exit_code_and_last_stderr_line()
    {
        using var dir = new TempDir();
        var (h, uri, _) = await Setup(dir, "crash");
        await using var __ = h;
        var token = await StartAndFinish(h, uri);
        var progress = Progress(h, token);
        Assert.Equal(4, progress.Count);
        Assert.Equal("""{"kind":"report","message":"step 1/10 \u00B7 epoch 0.10 \u00B7 loss 3.000 \u00B7 ETA 1m30s","percentage":10}""", progress[2]);
        Assert.Equal("""{"kind":"end","message":"Failed: the trainer exited with code 1 at step 1/10: RuntimeError: CUDA out of memory"}""", progress[3]);
        Assert.Equal(new[] { "1 Training train.yaml failed: the trainer exited with code 1 at step 1/10: RuntimeError: CUDA out of memory" }, Messages(h, "window/showMessage"));
        Assert.Contains("4 RuntimeError: CUDA out of memory", Messages(h, "window/logMessage"));
        // The server is still up and answers.
        Assert.NotNull(await h.Client.Result("textDocument/codeLens", new JsonObject { ["textDocument"] = Harness.Doc(uri) }));
    }

    [Fact]
    public async Task Garbage_lines_are_logged_and_an_exit_without_done_is_an_error()
    {
        using var dir = new TempDir();
        var (h, uri, _) = await Setup(dir, "garbage");
        await using var __ = h;
        var token = await StartAndFinish(h, uri);
        var progress = Progress(h, token);
        Assert.Equal("""{"kind":"end","message":"Failed: the trainer exited at step 1/4 without reporting a result (3 lines of its output were not progress events)"}""", progress[^1]);
        Assert.Equal(4, progress.Count);
        var warnings = Messages(h, "window/logMessage").Where(m => m.StartsWith("2 trainer printed", StringComparison.Ordinal)).ToList();
        Assert.Equal(new[]
        {
            "2 trainer printed a line that is not a progress event: this is not json",
            """2 trainer printed a line that is not a progress event: {"no_event": 1}""",
            """2 trainer printed a line that is not a progress event: {"event": "step", "step": """,
        }, warnings);
    }

    [Fact]
    public async Task Cancel_sends_sigint_and_the_trainer_saves_and_stops()
    {
        using var dir = new TempDir();
        var (h, uri, _) = await Setup(dir, "cancel");
        await using var __ = h;
        var response = await Train(h, uri);
        var token = (string)response["result"]!["token"]!;
        h.Client.WaitFor(n => (string?)n["method"] == "$/progress" && ((string?)n["params"]!["value"]!["message"])?.StartsWith("step 1/100", StringComparison.Ordinal) == true);
        var runs = (await h.Client.Result("workspace/executeCommand", new JsonObject { ["command"] = "stepwise.server.runs" }))!.AsArray();
        var run = Assert.Single(runs)!;
        Assert.Equal(uri, (string?)run["config"]);
        Assert.Equal(1, (long)run["step"]!);
        Assert.Equal(100, (long)run["total"]!);
        Assert.Equal((int)response["result"]!["pid"]!, (int)run["pid"]!);

        // One run per config: a second train answers with a message.
        var second = await Train(h, uri);
        Assert.Equal(-32803, (int)second["error"]!["code"]!);
        Assert.Equal("train.yaml is already training (stepwise.server.stop stops it)", (string?)second["error"]!["message"]);
        Assert.Contains("2 train.yaml is already training (stepwise.server.stop stops it)", Messages(h, "window/showMessage"));

        await h.Client.Notify("window/workDoneProgress/cancel", new JsonObject { ["token"] = token });
        await h.WhenTrainingFinished(uri, TimeSpan.FromSeconds(30));
        // The showMessage follows the progress end on the stream: once it is here, so is the end.
        h.Client.WaitFor(n => (string?)n["method"] == "window/showMessage" && ((string?)n["params"]!["message"])!.Contains("stopped at step 1", StringComparison.Ordinal));
        var outDir = Path.Combine(dir.Path, "out");
        Assert.Equal($$"""{"kind":"end","message":"Stopped at step 1: adapter {{outDir}}/adapter_model.safetensors \u00B7 final loss 4.000"}""", Progress(h, token)[^1]);
        h.Client.WaitFor(n => (string?)n["method"] == "window/showMessage" && ((string?)n["params"]!["message"])!.Contains("stopped at step 1", StringComparison.Ordinal));
        Assert.Contains($"3 Training train.yaml: saved {outDir}/checkpoint-1 at step 1", Messages(h, "window/logMessage"));
    }

    [Fact]
    public async Task Stop_kills_a_trainer_that_ignores_sigint_after_the_grace_period()
    {
        using var dir = new TempDir();
        var (h, uri, _) = await Setup(dir, "stubborn");
        await using var __ = h;
        var token = (string)(await Train(h, uri))["result"]!["token"]!;
        h.Client.WaitFor(n => (string?)n["method"] == "$/progress" && ((string?)n["params"]!["value"]!["message"])?.StartsWith("step 1/100", StringComparison.Ordinal) == true);
        var stop = await h.Client.Result("workspace/executeCommand", new JsonObject { ["command"] = "stepwise.server.stop", ["arguments"] = new JsonArray(uri) });
        Assert.True((bool)stop!);
        var started = DateTime.UtcNow;
        await h.WhenTrainingFinished(uri, TimeSpan.FromSeconds(30));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(0.8), "killed before the 1 s grace period");
        h.Client.WaitFor(n => (string?)n["method"] == "window/showMessage" && (int?)n["params"]!["type"] == 1);
        Assert.Equal("""{"kind":"end","message":"Failed: stopped at step 1 before the trainer reported a result (exit code 137)"}""", Progress(h, token)[^1]);
        var notRunning = await h.Client.Result("workspace/executeCommand", new JsonObject { ["command"] = "stepwise.server.stop", ["arguments"] = new JsonArray(uri) });
        Assert.False((bool)notRunning!);
    }

    [Fact]
    public async Task Error_findings_refuse_the_run_and_list_them()
    {
        using var dir = new TempDir();
        var h = await Harness.Start(WorkDone.DeepClone().AsObject());
        await using var __ = h;
        await h.Client.Notify("workspace/didChangeConfiguration", new JsonObject { ["settings"] = new JsonObject { ["stepwise"] = new JsonObject
        {
            ["trainer"] = new JsonObject { ["path"] = FakeTrainer }, ["severity"] = new JsonObject { ["SW1001"] = "error" },
        } } });
        dir.Write("bad.yaml", Configs.Sw1001);
        var uri = dir.Uri("bad.yaml");
        await h.Open(uri, Configs.Sw1001);
        var response = await Train(h, uri);
        Assert.Equal(-32803, (int)response["error"]!["code"]!);
        var message = (string)response["error"]!["message"]!;
        Assert.StartsWith("Cannot train bad.yaml: 1 error finding:\n3:12 SW1001 max_steps=1000 trains 2.46 epochs", message);
        Assert.Equal(new[] { "1 " + message }, Messages(h, "window/showMessage"));
        Assert.Empty(h.Client.Notifications("$/progress"));
        if (!h.OutOfProcess) Assert.False(h.Server.Training.IsRunning(uri));
    }

    [Fact]
    public async Task The_bundled_trainer_refuses_settings_it_does_not_do_though_the_editor_does_not_flag_them()
    {
        using var dir = new TempDir();
        var h = await Harness.Start(WorkDone.DeepClone().AsObject());
        await using var __ = h;
        await h.Client.Notify("workspace/didChangeConfiguration", new JsonObject { ["settings"] = new JsonObject { ["stepwise"] = new JsonObject
        {
            ["trainer"] = new JsonObject { ["path"] = FakeTrainer },
        } } });
        const string text = "learning_rate: 0.0002\nper_device_train_batch_size: 8\noptim: adafactor\nneftune_noise_alpha: 5\nnum_train_epochs: 1\n";
        dir.Write("hf.yaml", text);
        var uri = dir.Uri("hf.yaml");
        await h.Open(uri, text);
        // A plain config for HF Trainer: the editor's diagnostics do not call these settings wrong.
        var diagnostics = h.Client.WaitForDiagnostics(uri, 1)["diagnostics"]!.AsArray();
        Assert.DoesNotContain(diagnostics, d => (string?)d!["code"] == "SW5001");
        var response = await Train(h, uri);
        Assert.Equal(-32803, (int)response["error"]!["code"]!);
        var message = (string)response["error"]!["message"]!;
        Assert.StartsWith("Cannot train hf.yaml with the bundled Stepwise trainer: 2 settings it does not do", message);
        Assert.Contains("\n3:1 SW5001 optim = adafactor: optim 'adafactor' is not available in the bundled trainer", message);
        Assert.Contains("\n4:1 SW5001 neftune_noise_alpha = 5: the bundled trainer does not read this setting", message);
        Assert.Equal(new[] { "1 " + message }, Messages(h, "window/showMessage"));
        Assert.Empty(h.Client.Notifications("$/progress"));
    }

    [Fact]
    public async Task With_forTrainer_stepwise_the_editor_shows_what_the_bundled_trainer_would_refuse()
    {
        using var dir = new TempDir();
        var h = await Harness.Start();
        await using var __ = h;
        const string text = "learning_rate: 0.0002\nper_device_train_batch_size: 8\noptim: adafactor\nneftune_noise_alpha: 5\nnum_train_epochs: 1\n";
        dir.Write("hf.yaml", text);
        var uri = dir.Uri("hf.yaml");
        await h.Open(uri, text);
        Assert.DoesNotContain(h.Client.WaitForDiagnostics(uri, 1)["diagnostics"]!.AsArray(), d => (string?)d!["code"] == "SW5001");
        // The setting says these configs are for the bundled trainer: each refusal becomes an error at its key, as
        // `stepwise check --for-trainer stepwise` reports it.
        await h.Client.Notify("workspace/didChangeConfiguration", new JsonObject { ["settings"] = new JsonObject { ["stepwise"] = new JsonObject
        {
            ["forTrainer"] = "stepwise",
        } } });
        var published = h.Client.WaitFor(n => (string?)n["method"] == "textDocument/publishDiagnostics" && (string?)n["params"]!["uri"] == uri
            && n["params"]!["diagnostics"]!.AsArray().Any(d => (string?)d!["code"] == "SW5001"));
        var sw5001 = published["params"]!["diagnostics"]!.AsArray().Where(d => (string?)d!["code"] == "SW5001").ToList();
        Assert.Equal(new[] { 2, 3 }, sw5001.Select(d => (int)d!["range"]!["start"]!["line"]!).Order());
        Assert.All(sw5001, d => Assert.Equal(1, (int)d!["severity"]!));
        Assert.Contains(sw5001, d => ((string)d!["message"]!).Contains("optim 'adafactor' is not available in the bundled trainer"));
    }

    [Fact]
    public async Task Without_work_done_progress_the_run_is_reported_in_the_log()
    {
        using var dir = new TempDir();
        var (h, uri, _) = await Setup(dir, "success", caps: new JsonObject());
        await using var __ = h;
        var response = await Train(h, uri);
        await h.WhenTrainingFinished(uri, TimeSpan.FromSeconds(30));
        h.Client.WaitFor(n => (string?)n["method"] == "window/showMessage");
        Assert.DoesNotContain(h.Client.ServerRequests, r => (string?)r["method"] == "window/workDoneProgress/create");
        Assert.Empty(h.Client.Notifications("$/progress"));
        var logs = Messages(h, "window/logMessage");
        Assert.Contains("3 Training train.yaml: started", logs);
        Assert.Contains("4 Training train.yaml: step 2/3 · epoch 0.67 · loss 2.250 · ETA 1m04s", logs);
        Assert.Contains(logs, l => l.StartsWith("3 Training train.yaml: Done: adapter ", StringComparison.Ordinal));
        _ = response;
    }

    [Fact]
    public async Task Code_lens_offers_train_beside_the_summary()
    {
        using var dir = new TempDir();
        var (h, uri, _) = await Setup(dir, "success");
        await using var __ = h;
        var lenses = (await h.Client.Result("textDocument/codeLens", new JsonObject { ["textDocument"] = Harness.Doc(uri) }))!.AsArray();
        var train = Assert.Single(lenses, l => (string?)l!["command"]!["command"] == "stepwise.server.train")!;
        Assert.Equal("▶ Train", (string?)train["command"]!["title"]);
        Assert.Equal(uri, (string?)train["command"]!["arguments"]![0]);
        Assert.Equal(2, lenses.Count);
        var unknown = await h.Client.Request("workspace/executeCommand", new JsonObject { ["command"] = "stepwise.nope" });
        Assert.Equal(-32602, (int)unknown["error"]!["code"]!);
    }
}

/// <summary>The VS Code extension's way (docs/vscode.md): its own workDoneToken, the request open for the run, $/cancelRequest = stop.</summary>
public class TrainWithClientTokenTests
{
    [Fact]
    public async Task Client_token_request_answers_at_the_end_and_cancel_request_stops_the_run()
    {
        using var dir = new TempDir();
        var h = await Harness.Start(new JsonObject { ["window"] = new JsonObject { ["workDoneProgress"] = true } });
        await using var __ = h;
        var fake = typeof(TrainTests).GetField("FakeTrainer", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null);
        await h.Client.Notify("workspace/didChangeConfiguration", new JsonObject { ["settings"] = new JsonObject { ["stepwise"] = new JsonObject { ["trainer"] = new JsonObject { ["path"] = (string)fake! } } } });
        dir.Write("ok.yaml", "# fake: success\nlearning_rate: 0.0002\nper_device_train_batch_size: 8\nnum_train_epochs: 1\n");
        var done = await h.Client.Request("workspace/executeCommand", new JsonObject { ["command"] = "stepwise.server.train", ["arguments"] = new JsonArray(dir.Uri("ok.yaml")), ["workDoneToken"] = "stepwise-train-ext1" });
        var outDir = Path.Combine(dir.Path, "out");
        Assert.Equal($$"""{"state":"finished","message":"Done: adapter {{outDir}}/adapter_model.safetensors \u00B7 final loss 2.000","adapterPath":"{{outDir}}/adapter_model.safetensors","lossCurvePath":"{{outDir}}/loss_curve.png","loss":2}""", done["result"]!.ToJsonString());
        Assert.DoesNotContain(h.Client.ServerRequests, r => (string?)r["method"] == "window/workDoneProgress/create");
        Assert.Equal("""{"kind":"begin","title":"Training ok.yaml","cancellable":true,"percentage":0}""",
            h.Client.Notifications("$/progress").First(n => (string?)n["params"]!["token"] == "stepwise-train-ext1")["params"]!["value"]!.ToJsonString());

        dir.Write("stop.yaml", "# fake: cancel\nlearning_rate: 0.0002\nper_device_train_batch_size: 8\nnum_train_epochs: 1\n");
        long id = h.Client.NextId();
        var pending = h.Client.StartRequest("workspace/executeCommand", new JsonObject { ["command"] = "stepwise.server.train", ["arguments"] = new JsonArray(dir.Uri("stop.yaml")), ["workDoneToken"] = "stepwise-train-ext2" }, id);
        h.Client.WaitFor(n => (string?)n["method"] == "$/progress" && (string?)n["params"]!["token"] == "stepwise-train-ext2" && ((string?)n["params"]!["value"]!["message"])?.StartsWith("step 1/100", StringComparison.Ordinal) == true);
        await h.Client.Notify("$/cancelRequest", new JsonObject { ["id"] = id });
        var stopped = await pending;
        Assert.Equal("cancelled", (string?)stopped["result"]!["state"]);
        Assert.StartsWith("Stopped at step 1: adapter ", (string?)stopped["result"]!["message"]);
    }
}

/// <summary>The train answer's paths are absolute even when the trainer prints them relative to its working directory.</summary>
public class TrainPathsTests
{
    [Fact]
    public async Task Relative_adapter_and_loss_curve_paths_come_back_absolute()
    {
        using var dir = new TempDir();
        var h = await Harness.Start(new JsonObject { ["window"] = new JsonObject { ["workDoneProgress"] = true } });
        await using var __ = h;
        var fake = typeof(TrainTests).GetField("FakeTrainer", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null);
        await h.Client.Notify("workspace/didChangeConfiguration", new JsonObject { ["settings"] = new JsonObject { ["stepwise"] = new JsonObject { ["trainer"] = new JsonObject { ["path"] = (string)fake! } } } });
        dir.Write("rel.yaml", "# fake: relative\nlearning_rate: 0.0002\nper_device_train_batch_size: 8\nnum_train_epochs: 1\n");
        var done = await h.Client.Request("workspace/executeCommand", new JsonObject { ["command"] = "stepwise.server.train", ["arguments"] = new JsonArray(dir.Uri("rel.yaml")), ["workDoneToken"] = "t-rel" });
        Assert.Equal(Path.Combine(dir.Path, "out", "adapter"), (string?)done["result"]!["adapterPath"]);
        Assert.Equal(Path.Combine(dir.Path, "out", "loss_curve.png"), (string?)done["result"]!["lossCurvePath"]);
        Assert.Equal($"Done: adapter {Path.Combine(dir.Path, "out", "adapter")} \u00B7 final loss 1.000", (string?)done["result"]!["message"]);
    }
}
