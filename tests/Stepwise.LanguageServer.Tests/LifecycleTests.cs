using System.Text;
using System.Text.Json.Nodes;

namespace Stepwise.LanguageServer.Tests;

public class LifecycleTests
{
    [Fact]
    public async Task Request_before_initialize_is_rejected_with_ServerNotInitialized()
    {
        await using var h = await Harness.Start(initialize: false);
        var response = await h.Client.Request("textDocument/hover", Harness.Pos("file:///x.yaml", 0, 0));
        Assert.Equal(-32002, (int)response["error"]!["code"]!);
        var shapeless = await h.Client.Request("textDocument/hover", new JsonObject { ["textDocument"] = 5 });
        Assert.Equal(-32002, (int)shapeless["error"]!["code"]!);
    }

    [Fact]
    public async Task Initialize_advertises_exactly_the_features_served()
    {
        await using var h = await Harness.Start(initialize: false);
        var result = await h.Client.Result("initialize", new JsonObject { ["processId"] = null, ["capabilities"] = new JsonObject() });
        Assert.Equal(
            """{"positionEncoding":"utf-16","textDocumentSync":{"openClose":true,"change":2,"save":{"includeText":false}},"hoverProvider":true,"completionProvider":{"triggerCharacters":[":"],"resolveProvider":false},"codeActionProvider":{"codeActionKinds":["quickfix"],"resolveProvider":false},"codeLensProvider":{"resolveProvider":false},"executeCommandProvider":{"commands":["stepwise.server.train","stepwise.server.stop","stepwise.server.runs","stepwise.server.checkWorkspace"]},"inlayHintProvider":true,"documentSymbolProvider":true}""",
            result!["capabilities"]!.ToJsonString());
        Assert.Equal("stepwise-lsp", (string?)result["serverInfo"]!["name"]);
        var again = await h.Client.Request("initialize", new JsonObject { ["capabilities"] = new JsonObject() });
        Assert.Equal(-32600, (int)again["error"]!["code"]!);
    }

    [Fact]
    public async Task Pull_capable_client_gets_a_diagnostic_provider()
    {
        await using var h = await Harness.Start(new JsonObject { ["textDocument"] = new JsonObject { ["diagnostic"] = new JsonObject() } }, inProcess: true);
        Assert.True(h.Server.Client.PullDiagnostics);
    }

    [Fact]
    public async Task Exit_after_shutdown_gives_code_0()
    {
        await using var h = await Harness.Start();
        var response = await h.Client.Request("shutdown", null);
        Assert.True(response.ContainsKey("result"));
        Assert.Null(response["result"]);
        var after = await h.Client.Request("textDocument/hover", Harness.Pos("file:///x.yaml", 0, 0));
        Assert.Equal(-32600, (int)after["error"]!["code"]!);
        await h.Client.Notify("exit", null);
        Assert.Equal(0, await h.ExitCode(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Exit_without_shutdown_gives_code_1()
    {
        await using var h = await Harness.Start();
        await h.Client.Notify("exit", null);
        Assert.Equal(1, await h.ExitCode(TimeSpan.FromSeconds(10)));
    }
}

public class MalformedInputTests
{
    [Fact]
    public async Task Invalid_json_gets_a_parse_error_with_id_null_and_the_server_keeps_serving()
    {
        await using var h = await Harness.Start();
        await h.Client.SendRaw(Encoding.ASCII.GetBytes("Content-Length: 5\r\n\r\n{bad}"));
        var error = h.Client.WaitFor(m => m["error"] is not null && m["id"] is null && m.ContainsKey("id"));
        Assert.Equal(-32700, (int)error["error"]!["code"]!);
        await h.Client.SendRaw(Encoding.ASCII.GetBytes("Content-Length: 9\r\n\r\n{\"a\": 1}\n"));
        h.Client.WaitFor(m => (int?)m["error"]?["code"] == -32600);
        var ok = await h.Client.Request("textDocument/codeLens", new JsonObject { ["textDocument"] = Harness.Doc("file:///nothing.yaml") });
        Assert.Equal("[]", ok["result"]!.ToJsonString());
    }

    [Fact]
    public async Task Header_without_a_number_is_skipped()
    {
        await using var h = await Harness.Start();
        await h.Client.SendRaw(Encoding.ASCII.GetBytes("Content-Length: twelve\r\n\r\n"));
        await h.Client.SendRaw(Encoding.ASCII.GetBytes("X-Nothing: 1\r\n\r\n"));
        var ok = await h.Client.Request("textDocument/codeLens", new JsonObject { ["textDocument"] = Harness.Doc("file:///nothing.yaml") });
        Assert.Equal("[]", ok["result"]!.ToJsonString());
    }

    [Fact]
    public async Task Unknown_methods_and_wrong_param_shapes_get_json_rpc_errors()
    {
        await using var h = await Harness.Start();
        Assert.Equal(-32601, (int)(await h.Client.Request("textDocument/noSuchThing", new JsonObject()))["error"]!["code"]!);
        Assert.Equal(-32602, (int)(await h.Client.Request("textDocument/hover", new JsonObject { ["textDocument"] = 5, ["position"] = "x" }))["error"]!["code"]!);
        Assert.Equal(-32602, (int)(await h.Client.Request("textDocument/hover", new JsonObject { ["textDocument"] = Harness.Doc("file:///a.yaml") }))["error"]!["code"]!);
        // Notifications with wrong shapes cannot be answered: they are dropped and the server goes on.
        await h.Client.Notify("textDocument/didOpen", new JsonObject { ["textDocument"] = "nope" });
        await h.Client.Notify("textDocument/didChange", new JsonObject { ["textDocument"] = new JsonObject { ["uri"] = "file:///never-opened.yaml", ["version"] = 2 }, ["contentChanges"] = new JsonArray() });
        var hover = await h.Client.Request("textDocument/hover", Harness.Pos("file:///never-opened.yaml", 0, 0));
        Assert.True(hover.ContainsKey("result"));
        Assert.Null(hover["result"]);
    }

    [Fact]
    public async Task Out_of_order_versions_and_inverted_ranges_are_ignored_and_out_of_range_edits_clamp()
    {
        await using var h = await Harness.Start();
        const string uri = "file:///tmp/stepwise-order.yaml";
        await h.Open(uri, Configs.Sw1001, 5);
        h.Client.WaitForDiagnostics(uri, 5);
        await h.Change(uri, 4, Harness.Edit(1, 29, 1, 32, "8"));   // older version: ignored
        await h.Change(uri, 6, Harness.Edit(1, 32, 1, 29, "8"));   // start after end: refused
        await h.Change(uri, 7, Harness.Edit(99, 0, 120, 5, "\nlearning_rate: 0.0002")); // past the end: appended
        await h.Change(uri, 8, Harness.Edit(1, 29, 1, 32, "16"));
        var d = h.Client.WaitForDiagnostics(uri, 8);
        // 16 per step: ceil(52,002 / 16) = 3,251 steps per epoch; 1000 steps = 0.31 epochs: no SW1001.
        Assert.DoesNotContain(d["diagnostics"]!.AsArray(), x => (string?)x!["code"] == "SW1001");
        var symbols = (await h.Client.Result("textDocument/documentSymbol", new JsonObject { ["textDocument"] = Harness.Doc(uri) }))!.AsArray();
        Assert.Equal(new[] { "per_device_train_batch_size", "max_steps", "num_train_epochs", "learning_rate" }, symbols.Select(s => (string)s!["name"]!));
        Assert.Equal("16", (string?)symbols[0]!["detail"]);
        Assert.Equal(0, h.Client.Notifications("textDocument/publishDiagnostics").Count(n => (int?)n["params"]!["version"] is 4 or 6));
    }

    [Fact]
    public async Task Huge_documents_are_kept_but_not_analysed()
    {
        await using var h = await Harness.Start(options: new Server.ServerOptions { Log = TextWriter.Null, MaxAnalysedLength = 1000 });
        const string uri = "file:///tmp/stepwise-huge.yaml";
        await h.Open(uri, Configs.Sw1001 + new string('#', 2000) + "\n");
        var d = h.Client.WaitForDiagnostics(uri, 1);
        var only = Assert.Single(d["diagnostics"]!.AsArray());
        Assert.Equal("SW9001", (string?)only!["code"]);
        Assert.Equal(3, (int)only["severity"]!);
    }
}
