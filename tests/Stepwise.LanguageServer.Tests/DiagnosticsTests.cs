using System.Text.Json.Nodes;
using Stepwise.LanguageServer.Server;

namespace Stepwise.LanguageServer.Tests;

public class DiagnosticsTests
{
    [Fact]
    public async Task Open_publishes_SW1001_with_the_document_version_at_the_max_steps_value()
    {
        await using var h = await Harness.Start();
        const string uri = "file:///tmp/stepwise-sw1001.yaml";
        await h.Open(uri, Configs.Sw1001, 3);
        var p = h.Client.WaitForDiagnostics(uri, 3);
        // SW1002 (num_train_epochs ignored) comes with it, at the num_train_epochs key.
        Assert.Equal(new[] { "SW1001", "SW1002" }, p["diagnostics"]!.AsArray().Select(x => (string)x!["code"]!));
        var d = p["diagnostics"]![0]!;
        Assert.Equal(Harness.Range(2, 11, 2, 15).ToJsonString(), d["range"]!.ToJsonString());
        Assert.Equal(2, (int)d["severity"]!);
        Assert.Equal("SW1001", (string?)d["code"]);
        Assert.Equal("stepwise", (string?)d["source"]);
        Assert.EndsWith("/SW1001.md", (string?)d["codeDescription"]!["href"]);
        Assert.StartsWith("max_steps=1000 trains 2.46 epochs", (string?)d["message"]);
        Assert.Equal("SW1001", (string?)d["data"]!["id"]);
        Assert.Equal(3, (int)d["data"]!["version"]!);
    }

    [Fact]
    public async Task Incremental_change_recomputes_and_close_clears()
    {
        await using var h = await Harness.Start();
        const string uri = "file:///tmp/stepwise-incremental.yaml";
        await h.Open(uri, Configs.Sw1001);
        Assert.Contains(h.Client.WaitForDiagnostics(uri, 1)["diagnostics"]!.AsArray(), x => (string?)x!["code"] == "SW1001");
        // Batch 8: ceil(52,002 / 8) = 6,501 steps per epoch, 1000 steps = 0.15 epochs: no SW1001; SW1004 (under one epoch) and SW1002 instead.
        await h.Change(uri, 2, Harness.Edit(1, 29, 1, 32, "8"));
        Assert.Equal(new[] { "SW1004", "SW1002" }, h.Client.WaitForDiagnostics(uri, 2)["diagnostics"]!.AsArray().Select(x => (string)x!["code"]!));
        await h.Client.Notify("textDocument/didClose", new JsonObject { ["textDocument"] = Harness.Doc(uri) });
        h.Client.WaitFor(n => (string?)n["method"] == "textDocument/publishDiagnostics" && n["params"]!["version"] is null && (string?)n["params"]!["uri"] == uri);
    }

    [Fact]
    public async Task Three_hundred_rapid_changes_end_in_the_diagnostics_of_the_final_text()
    {
        await using var h = await Harness.Start();
        const string uri = "file:///tmp/stepwise-rapid.yaml";
        await h.Open(uri, Configs.Sw1001);
        // Each change rewrites the batch value; the last one leaves 256: ceil(52,002/256) = 204 steps/epoch, 1000 = 4 x 204 + 184
        // steps -> 4 + 184/204 = 4.90 epochs in trainer_state.json (not exactly 4.9, so both decimals are shown).
        string value = "128";
        for (int v = 2; v <= 301; v++)
        {
            var next = v == 301 ? "256" : (v % 2 == 0 ? "8" : "128");
            await h.Change(uri, v, Harness.Edit(1, 29, 1, 29 + value.Length, next));
            value = next;
        }
        var final = h.Client.WaitForDiagnostics(uri, 301);
        var d = Assert.Single(final["diagnostics"]!.AsArray(), x => (string?)x!["code"] == "SW1001")!;
        Assert.StartsWith("max_steps=1000 trains 4.90 epochs", (string?)d["message"]);
        // Coalesced: far fewer publishes than changes, never out of version order.
        var versions = h.Client.Notifications("textDocument/publishDiagnostics").Select(n => (int)n["params"]!["version"]!).ToList();
        Assert.Equal(versions.OrderBy(x => x), versions);
        Assert.Equal(301, versions[^1]);
    }

    [Fact]
    public async Task Documents_that_are_not_training_configs_get_nothing()
    {
        await using var h = await Harness.Start();
        const string uri = "file:///tmp/docker-compose.yaml";
        await h.Open(uri, "services:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n");
        Assert.Empty(h.Client.WaitForDiagnostics(uri, 1)["diagnostics"]!.AsArray());
        Assert.Null(await h.Client.Result("textDocument/hover", Harness.Pos(uri, 0, 2)));
        Assert.Equal("[]", (await h.Client.Result("textDocument/codeLens", new JsonObject { ["textDocument"] = Harness.Doc(uri) }))!.ToJsonString());
        Assert.Equal("[]", (await h.Client.Result("textDocument/inlayHint", new JsonObject { ["textDocument"] = Harness.Doc(uri), ["range"] = Harness.Range(0, 0, 9, 0) }))!.ToJsonString());
        Assert.Empty((await h.Client.Result("textDocument/completion", Harness.Pos(uri, 4, 0)))!["items"]!.AsArray());
    }

    [Fact]
    public async Task A_crash_in_one_document_publishes_an_internal_error_and_others_are_still_served()
    {
        var options = new ServerOptions
        {
            Log = TextWriter.Null,
            Analyze = (path, text, o) => path.Contains("boom") ? throw new InvalidOperationException("rule exploded")
                : new Stepwise.Workspace.ConfigChecker(o).AnalyzeText(path, text, o),
        };
        await using var h = await Harness.Start(options: options);
        await h.Open("file:///tmp/boom.yaml", Configs.Sw1001);
        await h.Open("file:///tmp/fine.yaml", Configs.Sw1001);
        var crashed = Assert.Single(h.Client.WaitForDiagnostics("file:///tmp/boom.yaml", 1)["diagnostics"]!.AsArray())!;
        Assert.Equal("SW0001", (string?)crashed["code"]);
        Assert.Equal(1, (int)crashed["severity"]!);
        Assert.Contains("InvalidOperationException: rule exploded", (string?)crashed["message"]);
        Assert.Contains(h.Client.WaitForDiagnostics("file:///tmp/fine.yaml", 1)["diagnostics"]!.AsArray(), x => (string?)x!["code"] == "SW1001");
        Assert.Null(await h.Client.Result("textDocument/hover", Harness.Pos("file:///tmp/boom.yaml", 1, 3)));
    }

    [Fact]
    public async Task Pull_diagnostics_return_a_full_report_then_unchanged()
    {
        await using var h = await Harness.Start(new JsonObject { ["textDocument"] = new JsonObject { ["diagnostic"] = new JsonObject() } });
        const string uri = "file:///tmp/stepwise-pull.yaml";
        await h.Open(uri, Configs.Sw1001, 4);
        var report = (await h.Client.Result("textDocument/diagnostic", new JsonObject { ["textDocument"] = Harness.Doc(uri) }))!;
        Assert.Equal("full", (string?)report["kind"]);
        Assert.Equal(new[] { "SW1001", "SW1002" }, report["items"]!.AsArray().Select(x => (string)x!["code"]!));
        var again = (await h.Client.Result("textDocument/diagnostic", new JsonObject { ["textDocument"] = Harness.Doc(uri), ["previousResultId"] = report["resultId"]!.DeepClone() }))!;
        Assert.Equal("unchanged", (string?)again["kind"]);
        Assert.Empty(h.Client.Notifications("textDocument/publishDiagnostics"));
    }

    [Fact]
    public async Task Cancelled_request_answers_RequestCancelled()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new ServerOptions { Log = TextWriter.Null, ReadGate = ct => gate.Task.WaitAsync(ct) };
        await using var h = await Harness.Start(options: options);
        await h.Open("file:///tmp/cancel.yaml", Configs.Sw1001);
        var pending = h.Client.StartRequest("textDocument/hover", Harness.Pos("file:///tmp/cancel.yaml", 2, 2), 4242);
        await h.Client.Notify("$/cancelRequest", new JsonObject { ["id"] = 4242 });
        var response = await pending;
        Assert.Equal(-32800, (int)response["error"]!["code"]!);
        gate.SetResult();
        Assert.NotNull(await h.Client.Result("textDocument/hover", Harness.Pos("file:///tmp/cancel.yaml", 2, 2)));
    }

    [Fact]
    public async Task Settings_are_pulled_and_a_configuration_change_republishes()
    {
        JsonNode? settings = new JsonObject();
        await using var h = await Harness.Start(new JsonObject { ["workspace"] = new JsonObject { ["configuration"] = true } },
            onServerRequest: m => (string?)m["method"] == "workspace/configuration" ? new JsonArray(settings!.DeepClone()) : null);
        const string uri = "file:///tmp/stepwise-settings.yaml";
        await h.Open(uri, Configs.Sw1001);
        Assert.Equal(2, (int)Assert.Single(h.Client.WaitForDiagnostics(uri, 1)["diagnostics"]!.AsArray(), x => (string?)x!["code"] == "SW1001")!["severity"]!);
        Assert.Contains(h.Client.ServerRequests, r => (string?)r["method"] == "workspace/configuration" && (string?)r["params"]!["items"]![0]!["section"] == "stepwise");

        settings = new JsonObject { ["severity"] = new JsonObject { ["SW1001"] = "error" }, ["worldSize"] = 1 };
        await h.Client.Notify("workspace/didChangeConfiguration", new JsonObject { ["settings"] = null });
        h.Client.WaitFor(n => (string?)n["method"] == "textDocument/publishDiagnostics" && n["params"]!["diagnostics"]!.AsArray().Any(d => (string?)d!["code"] == "SW1001" && (int)d!["severity"]! == 1));

        // A stated world size of 4 gives 4 x 128 = 512 per step: ceil(ceil(52,002/128)/4) = 102 steps/epoch, 1000 = 9 x 102 + 82
        // -> 9 + 82/102 = 9.80 epochs.
        settings = new JsonObject { ["worldSize"] = 4, ["severity"] = new JsonObject { ["SW1001"] = "off" } };
        await h.Client.Notify("workspace/didChangeConfiguration", new JsonObject { ["settings"] = null });
        h.Client.WaitFor(n => (string?)n["method"] == "textDocument/publishDiagnostics" && !n["params"]!["diagnostics"]!.AsArray().Any(d => (string?)d!["code"] == "SW1001"));
        var lens = (await h.Client.Result("textDocument/codeLens", new JsonObject { ["textDocument"] = Harness.Doc(uri) }))!.AsArray();
        Assert.Equal("52,002 examples · 1,000 steps · 9.80 epochs", (string?)lens[0]!["command"]!["title"]);
    }

    [Fact]
    public async Task Settings_in_the_notification_are_used_when_the_client_cannot_be_asked()
    {
        await using var h = await Harness.Start();
        const string uri = "file:///tmp/stepwise-settings-push.yaml";
        await h.Open(uri, Configs.Sw1001);
        h.Client.WaitForDiagnostics(uri, 1);
        await h.Client.Notify("workspace/didChangeConfiguration", new JsonObject { ["settings"] = new JsonObject { ["stepwise"] = new JsonObject { ["epochThreshold"] = 3.0 } } });
        h.Client.WaitFor(n => (string?)n["method"] == "textDocument/publishDiagnostics" && !n["params"]!["diagnostics"]!.AsArray().Any(d => (string?)d!["code"] == "SW1001"));
        if (!h.OutOfProcess) Assert.Equal(3.0, h.Server.Settings.EpochThreshold);
    }

    [Fact]
    public async Task Watched_dataset_change_recomputes_the_diagnostics()
    {
        using var dir = new TempDir();
        dir.Write("data.jsonl", string.Concat(Enumerable.Range(0, 10).Select(i => $"{{\"text\": \"row {i}\"}}\n")));
        var path = dir.Write("train.yaml", "train_file: data.jsonl\nper_device_train_batch_size: 2\nmax_steps: 100\nnum_train_epochs: 3\noutput_dir: out\n");
        await using var h = await Harness.Start(new JsonObject
        {
            ["workspace"] = new JsonObject { ["didChangeWatchedFiles"] = new JsonObject { ["dynamicRegistration"] = true } },
        });
        var uri = dir.Uri("train.yaml");
        await h.Open(uri, File.ReadAllText(path));
        // 10 rows / 2 = 5 steps per epoch: 100 steps = 20 epochs.
        var first = h.Client.WaitForDiagnostics(uri, 1);
        Assert.Contains(first["diagnostics"]!.AsArray(), d => ((string)d!["message"]!).StartsWith("max_steps=100 trains 20.0 epochs", StringComparison.Ordinal));
        await WatcherRegistered(h);
        var registration = h.Client.ServerRequests.First(r => (string?)r["method"] == "client/registerCapability")["params"]!["registrations"]![0]!;
        Assert.Equal("workspace/didChangeWatchedFiles", (string?)registration["method"]);
        Assert.Equal(Path.Combine(dir.Path, "data.jsonl"), (string?)registration["registerOptions"]!["watchers"]![0]!["globPattern"]);

        File.WriteAllText(Path.Combine(dir.Path, "data.jsonl"), string.Concat(Enumerable.Range(0, 1000).Select(i => $"{{\"text\": \"row {i}\"}}\n")));
        File.SetLastWriteTimeUtc(Path.Combine(dir.Path, "data.jsonl"), DateTime.UtcNow.AddSeconds(5));
        int before = h.Client.Notifications("textDocument/publishDiagnostics").Count;
        await h.Client.Notify("workspace/didChangeWatchedFiles", new JsonObject { ["changes"] = new JsonArray(new JsonObject { ["uri"] = dir.Uri("data.jsonl"), ["type"] = 2 }) });
        // 1,000 rows / 2 = 500 steps per epoch: 100 steps = 0.2 epochs, no SW1001.
        var last = await DiagnosticsAfter(h, before);
        Assert.NotNull(last);
        Assert.DoesNotContain(last!["params"]!["diagnostics"]!.AsArray(), d => (string?)d!["code"] == "SW1001");
    }

    [Fact]
    public async Task A_new_file_matching_a_dataset_glob_recomputes_the_diagnostics()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(Path.Combine(dir.Path, "data"));
        dir.Write("data/a.jsonl", string.Concat(Enumerable.Range(0, 10).Select(i => $"{{\"text\": \"row {i}\"}}\n")));
        var path = dir.Write("train.yaml", "train_file: data/*.jsonl\nper_device_train_batch_size: 2\nmax_steps: 100\nnum_train_epochs: 3\noutput_dir: out\n");
        await using var h = await Harness.Start(new JsonObject
        {
            ["workspace"] = new JsonObject { ["didChangeWatchedFiles"] = new JsonObject { ["dynamicRegistration"] = true } },
        });
        var uri = dir.Uri("train.yaml");
        await h.Open(uri, File.ReadAllText(path));
        var first = h.Client.WaitForDiagnostics(uri, 1);
        Assert.Contains(first["diagnostics"]!.AsArray(), d => ((string)d!["message"]!).StartsWith("max_steps=100 trains 20.0 epochs", StringComparison.Ordinal));
        await WatcherRegistered(h);
        var watchers = h.Client.ServerRequests.First(r => (string?)r["method"] == "client/registerCapability")["params"]!["registrations"]![0]!["registerOptions"]!["watchers"]!.AsArray();
        Assert.Contains(watchers, w => (string?)w!["globPattern"] == Path.Combine(dir.Path, "data") + "/*.jsonl");

        // A second shard appears: 10 + 990 rows / 2 = 500 steps per epoch, 100 steps = 0.2 epochs, no SW1001.
        dir.Write("data/b.jsonl", string.Concat(Enumerable.Range(0, 990).Select(i => $"{{\"text\": \"row {i}\"}}\n")));
        int before = h.Client.Notifications("textDocument/publishDiagnostics").Count;
        await h.Client.Notify("workspace/didChangeWatchedFiles", new JsonObject { ["changes"] = new JsonArray(new JsonObject { ["uri"] = dir.Uri("data/b.jsonl"), ["type"] = 1 }) });
        var last = await DiagnosticsAfter(h, before);
        Assert.NotNull(last);
        Assert.DoesNotContain(last!["params"]!["diagnostics"]!.AsArray(), d => (string?)d!["code"] == "SW1001");
    }

    private static async Task WatcherRegistered(Harness h)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!h.Client.ServerRequests.Any(r => (string?)r["method"] == "client/registerCapability") && DateTime.UtcNow < deadline) await Task.Delay(20);
    }

    /// <summary>The first publishDiagnostics after the first <paramref name="before"/> ones, or null within 20 s.</summary>
    private static async Task<JsonObject?> DiagnosticsAfter(Harness h, int before)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var all = h.Client.Notifications("textDocument/publishDiagnostics");
            if (all.Count > before) return all[before];
            await Task.Delay(20);
        }
        return null;
    }
}
