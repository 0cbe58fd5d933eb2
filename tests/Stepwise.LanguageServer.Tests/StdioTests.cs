using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Stepwise.LanguageServer.Tests;

/// <summary>The built server as its own process over real stdin/stdout.</summary>
public class StdioTests
{
    private static Process Start()
    {
        // The built server: STEPWISE_LSP_EXE (the Native AOT binary, say) or the framework-dependent dll next to the tests.
        var psi = new ProcessStartInfo(Harness.Exe ?? "dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Harness.Exe is null) psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "stepwise-lsp.dll"));
        psi.ArgumentList.Add("--stdio");
        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        return p;
    }

    [Fact]
    public async Task Stdio_server_publishes_diagnostics_fixes_and_exits_0_after_shutdown()
    {
        using var p = Start();
        var client = new LspTestClient(p.StandardInput.BaseStream, p.StandardOutput.BaseStream);
        var init = await client.Result("initialize", new JsonObject { ["processId"] = Environment.ProcessId, ["capabilities"] = new JsonObject() });
        Assert.Equal(2, (int)init!["capabilities"]!["textDocumentSync"]!["change"]!);
        await client.Notify("initialized", new JsonObject());
        const string uri = "file:///tmp/stepwise-stdio.yaml";
        await client.Notify("textDocument/didOpen", new JsonObject { ["textDocument"] = new JsonObject { ["uri"] = uri, ["languageId"] = "yaml", ["version"] = 1, ["text"] = Configs.Sw1001 } });
        var d = Assert.Single(client.WaitForDiagnostics(uri, 1)["diagnostics"]!.AsArray(), x => (string?)x!["code"] == "SW1001")!;
        Assert.Equal("SW1001", (string?)d["code"]);
        var actions = (await client.Result("textDocument/codeAction", new JsonObject
        {
            ["textDocument"] = Harness.Doc(uri), ["range"] = d["range"]!.DeepClone(), ["context"] = new JsonObject { ["diagnostics"] = new JsonArray(d.DeepClone()) },
        }))!.AsArray();
        var edits = actions.First(a => (bool?)a!["isPreferred"] == true)!["edit"]!["changes"]![uri]!.AsArray();
        await client.Notify("textDocument/didChange", new JsonObject
        {
            ["textDocument"] = new JsonObject { ["uri"] = uri, ["version"] = 2 },
            ["contentChanges"] = new JsonArray(new JsonObject { ["text"] = Harness.Apply(Configs.Sw1001, edits) }),
        });
        Assert.Empty(client.WaitForDiagnostics(uri, 2)["diagnostics"]!.AsArray());
        var shutdown = await client.Request("shutdown", null);
        Assert.True(shutdown.ContainsKey("result"));
        await client.Notify("exit", null);
        Assert.True(p.WaitForExit(10000));
        Assert.Equal(0, p.ExitCode);
        Assert.True(client.StreamWasClean);
    }

    [Fact]
    public async Task Stdio_server_exits_1_when_the_client_closes_stdin_without_shutdown()
    {
        using var p = Start();
        var client = new LspTestClient(p.StandardInput.BaseStream, p.StandardOutput.BaseStream);
        await client.Result("initialize", new JsonObject { ["capabilities"] = new JsonObject() });
        p.StandardInput.Close();
        Assert.True(p.WaitForExit(10000));
        Assert.Equal(1, p.ExitCode);
    }
}
