using System.Diagnostics;
using System.Text.Json.Nodes;
using Nerdbank.Streams;
using Stepwise.Core.Text;
using Stepwise.LanguageServer.Server;
using StreamJsonRpc;

namespace Stepwise.LanguageServer.Tests;

/// <summary>
/// The server and a raw client on the other end: in-process over a full-duplex stream pair, or, when the environment
/// variable STEPWISE_LSP_EXE names a built server (the Native AOT binary, say), that executable as a child process
/// over its stdin/stdout. Tests that pass <see cref="ServerOptions"/> or inspect <see cref="Server"/> stay in-process.
/// </summary>
public sealed class Harness : IAsyncDisposable
{
    /// <summary>The executable the tests run out of process, when set.</summary>
    public static string? Exe => Environment.GetEnvironmentVariable("STEPWISE_LSP_EXE") is { Length: > 0 } e ? e : null;

    private readonly StepwiseServer? _server;
    private readonly JsonRpc? _rpc;
    private readonly Process? _process;
    public LspTestClient Client { get; }
    public bool OutOfProcess => _process is not null;

    /// <summary>The in-process server (tests that read its state ask for <c>inProcess: true</c>).</summary>
    public StepwiseServer Server => _server ?? throw new InvalidOperationException("the server runs out of process (STEPWISE_LSP_EXE); start this harness with inProcess: true");

    private Harness(ServerOptions? options, bool inProcess)
    {
        if (Exe is { } exe && options is null && !inProcess)
        {
            var psi = new ProcessStartInfo(exe) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("--stdio");
            psi.Environment["STEPWISE_LSP_WARMUP"] = "0";
            _process = Process.Start(psi)!;
            _process.ErrorDataReceived += (_, _) => { };
            _process.BeginErrorReadLine();
            Client = new LspTestClient(_process.StandardInput.BaseStream, _process.StandardOutput.BaseStream);
            return;
        }
        var (serverSide, clientSide) = FullDuplexStream.CreatePair();
        _server = new StepwiseServer(options ?? new ServerOptions { Log = TextWriter.Null });
        _rpc = _server.Listen(serverSide, serverSide);
        Client = new LspTestClient(clientSide, clientSide);
    }

    public static async Task<Harness> Start(JsonObject? capabilities = null, ServerOptions? options = null, bool initialize = true, Func<JsonObject, JsonNode?>? onServerRequest = null, bool inProcess = false)
    {
        var h = new Harness(options, inProcess);
        if (onServerRequest is not null) h.Client.OnServerRequest = onServerRequest;
        if (initialize)
        {
            await h.Client.Result("initialize", new JsonObject { ["processId"] = null, ["rootUri"] = null, ["capabilities"] = capabilities ?? new JsonObject() });
            await h.Client.Notify("initialized", new JsonObject());
        }
        return h;
    }

    /// <summary>The exit code after `exit`: the server's, or the process's when it runs out of process.</summary>
    public async Task<int> ExitCode(TimeSpan timeout)
    {
        if (_process is null) return await Server.Exit.WaitAsync(timeout);
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>Until the training run of <paramref name="uri"/> is over. Out of process: its last message, the
    /// window/showMessage that follows the end of its progress (TrainingRuns sends end, then the message).</summary>
    public Task WhenTrainingFinished(string uri, TimeSpan timeout) => _process is null
        ? Server.Training.WhenFinished(uri).WaitAsync(timeout)
        : Task.Run(() => Client.WaitFor(n => (string?)n["method"] == "window/showMessage", (int)timeout.TotalMilliseconds));

    public Task Open(string uri, string text, int version = 1, string languageId = "yaml") =>
        Client.Notify("textDocument/didOpen", new JsonObject { ["textDocument"] = new JsonObject { ["uri"] = uri, ["languageId"] = languageId, ["version"] = version, ["text"] = text } });

    public Task Change(string uri, int version, params JsonObject[] changes) =>
        Client.Notify("textDocument/didChange", new JsonObject
        {
            ["textDocument"] = new JsonObject { ["uri"] = uri, ["version"] = version },
            ["contentChanges"] = new JsonArray(changes.Select(c => (JsonNode)c).ToArray()),
        });

    public static JsonObject Range(int l1, int c1, int l2, int c2) => new()
    {
        ["start"] = new JsonObject { ["line"] = l1, ["character"] = c1 },
        ["end"] = new JsonObject { ["line"] = l2, ["character"] = c2 },
    };

    public static JsonObject Edit(int l1, int c1, int l2, int c2, string text) => new() { ["range"] = Range(l1, c1, l2, c2), ["text"] = text };
    public static JsonObject Full(string text) => new() { ["text"] = text };
    public static JsonObject Doc(string uri) => new() { ["uri"] = uri };
    public static JsonObject Pos(string uri, int line, int character) => new() { ["textDocument"] = Doc(uri), ["position"] = new JsonObject { ["line"] = line, ["character"] = character } };

    /// <summary>Applies LSP text edits (non-overlapping) to a text, as a client does.</summary>
    public static string Apply(string text, JsonArray edits)
    {
        var lines = new LineIndex(text);
        var list = edits.Select(e =>
        {
            var r = e!["range"]!;
            int s = lines.OffsetOf(new Position((int)r["start"]!["line"]!, (int)r["start"]!["character"]!));
            int en = lines.OffsetOf(new Position((int)r["end"]!["line"]!, (int)r["end"]!["character"]!));
            return lines.Edit(s, en - s, (string)e["newText"]!);
        });
        return TextEdit.Apply(text, list);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        _rpc?.Dispose();
        if (_process is not null)
        {
            // stdin closed: the server exits on its own; a server that does not is a failure worth seeing.
            try { await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)); }
            catch (TimeoutException) { _process.Kill(entireProcessTree: true); throw new TimeoutException("the server did not exit after its stdin closed"); }
            finally { _process.Dispose(); }
        }
    }
}

/// <summary>A scratch folder outside any git repository (SW1003 compares with git HEAD).</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "stepwise-lsp-tests", Guid.NewGuid().ToString("N"));
    public TempDir() { Directory.CreateDirectory(Path); }
    public string Write(string name, string text)
    {
        var p = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        File.WriteAllText(p, text);
        return p;
    }
    public string Uri(string name) => DocumentUris.FromPath(System.IO.Path.Combine(Path, name));
    public void Dispose() { try { Directory.Delete(Path, true); } catch (Exception) { } }
}

public static class Configs
{
    /// <summary>The seed case: batch raised to 128 with max_steps 1000 kept: ceil(52,002 / 128) = 407 steps per epoch, 1000 / 407 = 2.46 epochs.</summary>
    public const string Sw1001 = "# stepwise: dataset_size=52002\nper_device_train_batch_size: 128\nmax_steps: 1000\nnum_train_epochs: 3\n";
}
