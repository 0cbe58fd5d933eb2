using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Core;
using Stepwise.LanguageServer.Server;

namespace Stepwise.LanguageServer.Tests;

/// <summary>What the start-up shortcuts must not change: the warm-up, the hand-written initialize answer, the
/// settings comparison that spares a second analysis.</summary>
public class StartupTests
{
    [Fact]
    public async Task Warm_up_sends_nothing_and_the_first_document_gets_its_own_diagnostics()
    {
        await using var h = await Harness.Start(options: new ServerOptions { Log = TextWriter.Null, WarmUp = true });
        const string uri = "file:///tmp/stepwise-warm.yaml";
        await h.Open(uri, Configs.Sw1001, 2);
        var p = h.Client.WaitForDiagnostics(uri, 2);
        Assert.Equal(new[] { "SW1001", "SW1002" }, p["diagnostics"]!.AsArray().Select(x => (string)x!["code"]!));
        // Give the warm-up time to finish, then check it published nothing of its own.
        await Task.Delay(500);
        Assert.All(h.Client.Notifications("textDocument/publishDiagnostics"), n => Assert.Equal(uri, (string?)n["params"]!["uri"]));
        Assert.Empty(h.Client.ServerRequests);
    }

    [Fact]
    public async Task Pull_client_is_told_about_the_diagnostic_provider_in_the_initialize_answer()
    {
        await using var h = await Harness.Start(initialize: false);
        var result = await h.Client.Result("initialize", new JsonObject { ["capabilities"] = new JsonObject { ["textDocument"] = new JsonObject { ["diagnostic"] = new JsonObject() } } });
        Assert.Equal("""{"identifier":"stepwise","interFileDependencies":true,"workspaceDiagnostics":false}""", result!["capabilities"]!["diagnosticProvider"]!.ToJsonString());
        Assert.Equal(typeof(StepwiseServer).Assembly.GetName().Version!.ToString(3), (string?)result["serverInfo"]!["version"]);
    }

    [Fact]
    public async Task Initialize_without_params_is_invalid_params()
    {
        await using var h = await Harness.Start(initialize: false);
        var answer = await h.Client.Request("initialize", new JsonArray());
        Assert.NotNull(answer["error"]);
        // The refused initialize left the server uninitialized: a proper one is still accepted.
        var result = await h.Client.Result("initialize", new JsonObject { ["capabilities"] = new JsonObject() });
        Assert.Equal("stepwise-lsp", (string?)result!["serverInfo"]!["name"]);
    }

    [Fact]
    public void Settings_equal_to_the_defaults_are_the_same_even_as_a_new_severity_map()
    {
        var problems = new List<string>();
        using var empty = JsonDocument.Parse("{}");
        Assert.True(ServerSettings.Parse(empty.RootElement, problems).SameAs(ServerSettings.Default));
        using var sev = JsonDocument.Parse("""{"severity":{"sw1001":"error"}}""");
        var a = ServerSettings.Parse(sev.RootElement, problems);
        var b = ServerSettings.Parse(sev.RootElement, problems);
        Assert.False(ReferenceEquals(a.Severities, b.Severities));
        Assert.True(a.SameAs(b));
        Assert.False(a.SameAs(ServerSettings.Default));
        using var other = JsonDocument.Parse("""{"severity":{"sw1001":"off"}}""");
        Assert.False(a.SameAs(ServerSettings.Parse(other.RootElement, problems)));
        using var world = JsonDocument.Parse("""{"worldSize":8}""");
        Assert.False(ServerSettings.Parse(world.RootElement, problems).SameAs(ServerSettings.Default));
        Assert.Empty(problems);
        Assert.Equal(Severity.Error, a.Severities["SW1001"]);
    }
}
