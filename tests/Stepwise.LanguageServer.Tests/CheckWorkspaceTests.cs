using System.Diagnostics;
using System.Text.Json.Nodes;
using Stepwise.LanguageServer.Server;

namespace Stepwise.LanguageServer.Tests;

/// <summary>stepwise.server.checkWorkspace: every config under the folders gets its diagnostics published; .gitignore,
/// exclude globs and open documents are respected; progress goes on the client's token.</summary>
public class CheckWorkspaceTests
{
    private static readonly JsonObject WorkDone = new() { ["window"] = new JsonObject { ["workDoneProgress"] = true } };

    private static void Git(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"git {string.Join(" ", args)}: {p.StandardError.ReadToEnd()}");
    }

    private static Task<JsonObject> Check(Harness h, JsonArray args, string? token = null)
    {
        var p = new JsonObject { ["command"] = "stepwise.server.checkWorkspace", ["arguments"] = args };
        if (token is not null) p["workDoneToken"] = token;
        return h.Client.Request("workspace/executeCommand", p);
    }

    private static List<string> Published(Harness h, string uri) => h.Client.Notifications("textDocument/publishDiagnostics")
        .Where(n => (string?)n["params"]!["uri"] == uri)
        .Select(n => string.Join(",", n["params"]!["diagnostics"]!.AsArray().Select(d => (string?)d!["code"]))).ToList();

    [Fact]
    public async Task Publishes_each_config_once_and_skips_gitignored_excluded_open_and_non_config_files()
    {
        using var dir = new TempDir();
        dir.Write("seed.yaml", Configs.Sw1001);
        dir.Write("sub/ok.yaml", "# stepwise: dataset_size=1000\nper_device_train_batch_size: 10\nnum_train_epochs: 1\n");
        dir.Write("ignored/bad.yaml", Configs.Sw1001);
        dir.Write("skip/bad.yaml", Configs.Sw1001);
        dir.Write("open.yaml", Configs.Sw1001);
        dir.Write("notes.yaml", "title: not a training config\nitems: [1, 2]\n");
        dir.Write(".gitignore", "ignored/\n");
        Git(dir.Path, "init", "-q");

        await using var h = await Harness.Start(WorkDone.DeepClone().AsObject());
        await h.Open(dir.Uri("open.yaml"), Configs.Sw1001);
        h.Client.WaitForDiagnostics(dir.Uri("open.yaml"), 1);
        var response = await Check(h, new JsonArray(DocumentUris.FromPath(dir.Path), new JsonObject { ["exclude"] = new JsonArray("**/skip") }), "check-1");

        Assert.Null(response["error"]);
        var r = response["result"]!;
        Assert.Equal(4, (int)r["files"]!); // seed, sub/ok, open, notes: ignored/ and skip/ are not listed
        Assert.Equal(1, (int)r["open"]!); // open.yaml keeps the diagnostics of its buffer
        Assert.Equal(2, (int)r["configs"]!); // seed, sub/ok
        Assert.Equal(2, (int)r["warnings"]!); // SW1001 + SW1002 of seed.yaml
        Assert.Equal(new[] { "SW1001,SW1002" }, Published(h, dir.Uri("seed.yaml")));
        Assert.Equal(new[] { "" }, Published(h, dir.Uri("sub/ok.yaml")));
        Assert.Empty(Published(h, dir.Uri("ignored/bad.yaml")));
        Assert.Empty(Published(h, dir.Uri("skip/bad.yaml")));
        Assert.Empty(Published(h, dir.Uri("notes.yaml")));
        Assert.Single(Published(h, dir.Uri("open.yaml"))); // only the buffer's own diagnostics, not a second set

        var progress = h.Client.Notifications("$/progress").Where(n => (string?)n["params"]!["token"] == "check-1").Select(n => n["params"]!["value"]!).ToList();
        Assert.Equal("begin", (string?)progress[0]["kind"]);
        Assert.Equal("Stepwise: checking the workspace", (string?)progress[0]["title"]);
        Assert.Equal("end", (string?)progress[^1]["kind"]);
        Assert.Equal("2 configs in 4 files: 0 errors, 2 warnings, 0 notes", (string?)progress[^1]["message"]);
    }

    [Fact]
    public async Task Outside_git_the_walk_skips_hidden_and_package_folders_and_a_second_check_clears_what_left()
    {
        using var dir = new TempDir();
        dir.Write("a.yaml", Configs.Sw1001);
        dir.Write("node_modules/pkg/b.yaml", Configs.Sw1001);
        dir.Write(".cache/c.yaml", Configs.Sw1001);
        await using var h = await Harness.Start();
        var first = await Check(h, new JsonArray(dir.Path));
        Assert.Equal(1, (int)first["result"]!["configs"]!);
        Assert.Empty(Published(h, dir.Uri("node_modules/pkg/b.yaml")));
        Assert.Empty(Published(h, dir.Uri(".cache/c.yaml")));

        File.WriteAllText(Path.Combine(dir.Path, "a.yaml"), "title: no longer a config\n");
        var second = await Check(h, new JsonArray(dir.Path));
        Assert.Equal(0, (int)second["result"]!["configs"]!);
        Assert.Equal(new[] { "SW1001,SW1002", "" }, Published(h, dir.Uri("a.yaml")));
    }

    [Fact]
    public async Task Without_folders_the_command_is_an_invalid_params_error()
    {
        await using var h = await Harness.Start();
        var response = await Check(h, new JsonArray());
        Assert.Equal(-32602, (int)response["error"]!["code"]!);
        Assert.Contains("workspace folder", (string?)response["error"]!["message"]);
    }

    [Theory]
    [InlineData("**/node_modules", "a/node_modules/x/c.yaml", true)]
    [InlineData("**/node_modules", "node_modules", true)]
    [InlineData("out", "out/train.yaml", true)]
    [InlineData("out", "src/out/train.yaml", false)]
    [InlineData("**/*.{tmp,bak}.yaml", "x/y.bak.yaml", true)]
    [InlineData("**/.git", "sub/.git/config.json", true)]
    [InlineData("data/[ab].json", "data/a.json", true)]
    [InlineData("data/[ab].json", "data/c.json", false)]
    [InlineData("*.py", "sub/train.py", false)]
    public void Exclude_globs_follow_files_exclude_syntax(string glob, string path, bool excluded) =>
        Assert.Equal(excluded, new ExcludeGlobs(new[] { glob }).Excludes(path));
}

/// <summary>Each server log line reaches the client once: as window/logMessage after initialized, never also on stderr.</summary>
public class ServerLogOnceTests
{
    [Fact]
    public async Task After_initialized_a_log_line_is_a_log_message_and_not_also_stderr()
    {
        var stderr = new StringWriter();
        await using var h = await Harness.Start(options: new ServerOptions { Log = stderr });
        await h.Client.Notify("textDocument/didChange", new JsonObject
        {
            ["textDocument"] = new JsonObject { ["uri"] = "file:///nowhere/never-opened.yaml", ["version"] = 2 },
            ["contentChanges"] = new JsonArray(new JsonObject { ["text"] = "a: 1\n" }),
        });
        var log = h.Client.WaitFor(n => (string?)n["method"] == "window/logMessage" && ((string?)n["params"]!["message"])!.Contains("never-opened.yaml"));
        Assert.Equal("didChange for file:///nowhere/never-opened.yaml, which is not open: ignored", (string?)log["params"]!["message"]);
        await Task.Delay(100);
        Assert.Single(h.Client.Notifications("window/logMessage"), n => ((string?)n["params"]!["message"])!.Contains("never-opened.yaml"));
        Assert.DoesNotContain("never-opened.yaml", stderr.ToString());
    }
}
