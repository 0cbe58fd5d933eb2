using System.Text.Json;
using Stepwise.LanguageServer.Handlers;
using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server.Training;
using Stepwise.Workspace;
using StreamJsonRpc;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// The LSP methods and the lifecycle, wired to the units that do the work: <see cref="DocumentStore"/> (open
/// documents), <see cref="DiagnosticsScheduler"/> (analysis rounds and publishing), <see cref="FileWatchers"/>,
/// <see cref="SettingsState"/>, <see cref="BackgroundTokenCounts"/>, <see cref="ServerEngine"/> and
/// <see cref="CommandDispatch"/> (training runs, workspace check). Each handler only checks the lifecycle state and
/// puts its work on the <see cref="RequestQueue"/>; the features themselves are the plain functions in Handlers/.
/// Every public method here is a JSON-RPC method (<see cref="RpcCalls.TargetMetadata"/>); anything else is
/// [JsonRpcIgnore] or not public.
/// </summary>
public sealed class StepwiseServer
{
    private readonly ServerOptions _options;
    private readonly IClientConnection _client;
    private readonly ServerLog _log;
    private readonly RequestQueue _queue;
    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TrainingRuns _training;
    private readonly WorkspaceCheck _check;
    private readonly BackgroundTokenCounts _tokens;
    private readonly SettingsState _settings;
    private readonly ServerEngine _engine;
    private readonly DocumentStore _docs;
    private readonly FileWatchers _watchers;
    private readonly DiagnosticsScheduler _diagnostics;
    private readonly CommandDispatch _commands;
    private JsonRpc? _rpc;
    private volatile int _state; // 0 new, 1 initialized, 2 shut down
    private ClientCapabilities _capabilities = new();

    public StepwiseServer(ServerOptions? options = null)
    {
        _options = options ?? new ServerOptions();
        _log = new ServerLog(_options.Log ?? Console.Error);
        _queue = new RequestQueue((ex, what) => _log.Error($"{what} failed: {ex}"));
        var client = _client = new RpcClientConnection(() => _rpc);
        Func<ClientCapabilities> capabilities = () => _capabilities;
        _training = new TrainingRuns(client, _log);
        _check = new WorkspaceCheck(client, _log);
        // Settings and finished token counts analyse every open document again, in order with the edits.
        _tokens = new BackgroundTokenCounts(() => _engine!.Checker.TokenCounts, client, capabilities, () => _state == 1,
            () => _queue.Mutate("token count done", () => _diagnostics!.Reanalyze(null)), _options.TokenCountGate, _log);
        _settings = new SettingsState(client, _queue, WithTokenCounts, () => _diagnostics!.Reanalyze(null), _log);
        _engine = new ServerEngine(_settings, _tokens, path => _docs!.LookupOpen(path), _options.MaxAnalysedLength, _options.Analyze, _log);
        _docs = new DocumentStore(_engine.Analyze, _log);
        _watchers = new FileWatchers(_docs, client, capabilities, _log);
        _diagnostics = new DiagnosticsScheduler(_docs, client, capabilities, _watchers.UpdateAsync, _log);
        _commands = new CommandDispatch(_docs, _engine, _settings, _training, _check, _queue, client, capabilities, _log);
    }

    /// <summary>Token counts never block an analysis here: a miss is counted in the background (<see cref="BackgroundTokenCounts"/>).</summary>
    private WorkspaceOptions WithTokenCounts(WorkspaceOptions o) =>
        o with { TokenCounting = TokenCountMode.Background, StartTokenCount = _tokens.Start, TokenCounter = _options.TokenCounter ?? o.TokenCounter };

    /// <summary>The training runs this server started (tests wait on them).</summary>
    public TrainingRuns Training => _training;

    /// <summary>Completes with the process exit code on `exit` (0 after shutdown, 1 otherwise) or when the client goes away.</summary>
    public Task<int> Exit => _exit.Task;
    public ServerSettings Settings => _settings.Current;
    public ClientCapabilities Client => _capabilities;

    /// <summary>The token counts queued or running now (tests wait on them).</summary>
    public IReadOnlyCollection<Task> TokenCounts => _tokens.Pending;

    /// <summary>Wires a JSON-RPC connection over LSP's header framing to this server and starts listening.</summary>
    [JsonRpcIgnore]
    public JsonRpc Listen(Stream input, Stream output)
    {
        StartupTrace.Mark("listen");
        var formatter = RpcCalls.Formatter();
        StartupTrace.Mark("formatter");
        // Two cores: one builds the JSON-RPC connection (StreamJsonRpc's own start-up), the other compiles what
        // answering initialize and the first didOpen will run.
        if (_options.WarmUp) Warmup.Start(this, formatter.JsonSerializerOptions);
        var handler = new LspMessageHandler(output, input, formatter, m => _log.Warning(m));
        StartupTrace.Mark("handler");
        var rpc = new LspJsonRpc(handler, () => _state != 0);
        StartupTrace.Mark("jsonrpc");
        rpc.AddLocalRpcTarget(RpcCalls.TargetMetadata, this, new JsonRpcTargetOptions { AllowNonPublicInvocation = false, DisposeOnDisconnect = false });
        StartupTrace.Mark("target added");
        rpc.CancelLocallyInvokedMethodsWhenConnectionIsClosed = true;
        rpc.Disconnected += (_, e) =>
        {
            if (e.Reason != DisconnectedReason.LocallyDisposed) _log.Info($"connection closed: {e.Description}");
            _exit.TrySetResult(_state == 2 ? 0 : 1);
        };
        _rpc = rpc;
        rpc.StartListening();
        return rpc;
    }

    /// <summary>The warm-up's analysis of a made-up document (<see cref="ServerEngine.WarmAnalysis"/>).</summary>
    internal DocumentSnapshot WarmAnalysis(string path, string text) => _engine.WarmAnalysis(path, text);

    // ---------------------------------------------------------------- lifecycle

    /// <summary>Params and answer stay JSON (<see cref="InitializeAnswer"/>): only the capabilities are read.</summary>
    [JsonRpcMethod("initialize", UseSingleObjectParameterDeserialization = true)]
    public JsonElement Initialize(JsonElement @params)
    {
        StartupTrace.Mark("initialize received");
        if (_state != 0) throw RpcErrors.Of(ErrorCodes.InvalidRequest, "initialize was already received");
        if (@params.ValueKind != JsonValueKind.Object) throw RpcErrors.Of(ErrorCodes.InvalidParams, "initialize needs params");
        _capabilities = ClientCapabilities.From(@params.TryGetProperty("capabilities", out var caps) ? caps : default);
        _state = 1;
        return InitializeAnswer.For(_capabilities.PullDiagnostics, TrainCommands.All, Version);
    }

    private static string Version => typeof(StepwiseServer).Assembly.GetName().Version?.ToString(3) ?? "0.1.0";

    [JsonRpcMethod("initialized")]
    public void Initialized()
    {
        StartupTrace.Mark("initialized received");
        if (_state != 1) return;
        _log.Attach(_client);
        _settings.Initialized(_capabilities.Configuration);
    }

    [JsonRpcMethod("shutdown")]
    public object? Shutdown()
    {
        if (StartupTrace.Enabled) StartupTrace.Memory();
        RequireInitialized();
        _state = 2;
        _tokens.CancelAll();
        return null;
    }

    [JsonRpcMethod("exit")]
    public void ExitNotification() => _exit.TrySetResult(_state == 2 ? 0 : 1);

    private void RequireInitialized()
    {
        if (_state == 0) throw RpcErrors.Of(ErrorCodes.ServerNotInitialized, "the server has not been initialized");
        if (_state == 2) throw RpcErrors.Of(ErrorCodes.InvalidRequest, "the server is shutting down");
    }

    // ---------------------------------------------------------------- documents

    [JsonRpcMethod("textDocument/didOpen", UseSingleObjectParameterDeserialization = true)]
    public void DidOpen(DidOpenTextDocumentParams p)
    {
        if (_state != 1 || p?.TextDocument is not { Uri: not null, Text: not null } item) { Ignored("didOpen", p is null); return; }
        StartupTrace.Mark("didOpen received");
        _queue.Mutate("didOpen", () =>
        {
            var snapshot = _docs.Open(item);
            _check.Opened(snapshot.Path, _capabilities.PullDiagnostics);
            _diagnostics.Schedule(item.Uri);
        });
    }

    [JsonRpcMethod("textDocument/didChange", UseSingleObjectParameterDeserialization = true)]
    public void DidChange(DidChangeTextDocumentParams p)
    {
        if (_state != 1 || p?.TextDocument?.Uri is not { } uri) { Ignored("didChange", p is null); return; }
        _queue.Mutate("didChange", () =>
        {
            if (_docs.Change(uri, p.TextDocument.Version, p.ContentChanges) is not null) _diagnostics.Schedule(uri);
        });
    }

    [JsonRpcMethod("textDocument/didClose", UseSingleObjectParameterDeserialization = true)]
    public void DidClose(DidCloseTextDocumentParams p)
    {
        if (_state != 1 || p?.TextDocument?.Uri is not { } uri) { Ignored("didClose", p is null); return; }
        _queue.Mutate("didClose", () =>
        {
            if (!_docs.Close(uri)) return;
            _tokens.Closed(uri);
            _diagnostics.Closed(uri);
            _ = _watchers.UpdateAsync();
        });
    }

    [JsonRpcMethod("textDocument/didSave", UseSingleObjectParameterDeserialization = true)]
    public void DidSave(DidSaveTextDocumentParams p)
    {
        if (_state != 1 || p?.TextDocument?.Uri is not { } uri) { Ignored("didSave", p is null); return; }
        // Saving a DeepSpeed JSON that another open config names changes that config's result.
        _queue.Mutate("didSave", () => _diagnostics.Reanalyze(DocumentUris.ToPath(uri)));
    }

    private void Ignored(string method, bool noParams)
    {
        if (_state == 0) _log.Warning($"{method} before initialize: ignored");
        else if (noParams) _log.Warning($"{method} without usable params: ignored");
        else if (_state == 2) _log.Warning($"{method} after shutdown: ignored");
        else _log.Warning($"{method} with malformed params: ignored");
    }

    // ---------------------------------------------------------------- settings and watched files

    [JsonRpcMethod("workspace/didChangeConfiguration", UseSingleObjectParameterDeserialization = true)]
    public void DidChangeConfiguration(DidChangeConfigurationParams p)
    {
        if (_state != 1) return;
        _settings.Changed(_capabilities.Configuration, p?.Settings);
    }

    [JsonRpcMethod("workspace/didChangeWatchedFiles", UseSingleObjectParameterDeserialization = true)]
    public void DidChangeWatchedFiles(DidChangeWatchedFilesParams p)
    {
        if (_state != 1 || p?.Changes is null) return;
        var paths = p.Changes.Where(c => c?.Uri is not null).Select(c => DocumentUris.ToPath(c.Uri)).ToList();
        _queue.Mutate("didChangeWatchedFiles", () => { foreach (var path in paths) _diagnostics.Reanalyze(path); });
    }

    // ---------------------------------------------------------------- read-only requests

    private Task<T?> Read<T>(TextDocumentIdentifier? id, Func<DocumentSnapshot, CancellationToken, T?> read, T? whenClosed, CancellationToken ct)
    {
        RequireInitialized();
        if (id?.Uri is not { } uri) throw RpcErrors.Of(ErrorCodes.InvalidParams, "textDocument.uri is required");
        return _queue.Read<T?>(async token =>
        {
            if (_options.ReadGate is { } gate) await gate(token).ConfigureAwait(false);
            token.ThrowIfCancellationRequested();
            return _docs.TryGet(uri, out var snap) ? read(snap, token) : whenClosed;
        }, ct);
    }

    [JsonRpcMethod("textDocument/diagnostic", UseSingleObjectParameterDeserialization = true)]
    public Task<DocumentDiagnosticReport?> PullDiagnostics(DocumentDiagnosticParams p, CancellationToken ct) =>
        Read<DocumentDiagnosticReport>(p?.TextDocument, (snap, token) =>
        {
            var analysis = snap.Analysis;
            _watchers.UpdateLater();
            return p!.PreviousResultId == snap.ResultId
                ? new DocumentDiagnosticReport { Kind = "unchanged", ResultId = snap.ResultId }
                : new DocumentDiagnosticReport { Kind = "full", ResultId = snap.ResultId, Items = analysis.Diagnostics };
        }, new DocumentDiagnosticReport { Kind = "full", Items = Array.Empty<Diagnostic>() }, ct);

    [JsonRpcMethod("textDocument/codeAction", UseSingleObjectParameterDeserialization = true)]
    public Task<List<CodeAction>?> CodeAction(CodeActionParams p, CancellationToken ct)
    {
        RequireInitialized();
        if (p is { Range: null }) throw RpcErrors.Of(ErrorCodes.InvalidParams, "range is required");
        return Read(p?.TextDocument, (snap, _) => CodeActions.For(snap, p!, _capabilities.DocumentChanges, _docs.LookupOpen), new List<CodeAction>(), ct);
    }

    [JsonRpcMethod("textDocument/hover", UseSingleObjectParameterDeserialization = true)]
    public Task<Hover?> Hover(TextDocumentPositionParams p, CancellationToken ct)
    {
        RequireInitialized();
        if (p is { Position: null }) throw RpcErrors.Of(ErrorCodes.InvalidParams, "position is required");
        return Read(p?.TextDocument, (snap, _) => Hovers.For(snap, p!.Position), null, ct);
    }

    [JsonRpcMethod("textDocument/inlayHint", UseSingleObjectParameterDeserialization = true)]
    public Task<List<InlayHint>?> InlayHint(RangeParams p, CancellationToken ct)
    {
        RequireInitialized();
        if (p is { Range: null }) throw RpcErrors.Of(ErrorCodes.InvalidParams, "range is required");
        return Read(p?.TextDocument, (snap, _) => InlayHints.For(snap, p!.Range), new List<InlayHint>(), ct);
    }

    [JsonRpcMethod("textDocument/codeLens", UseSingleObjectParameterDeserialization = true)]
    public Task<List<CodeLens>?> CodeLens(TextDocumentParams p, CancellationToken ct) =>
        Read(p?.TextDocument, (snap, _) => CodeLenses.For(snap), new List<CodeLens>(), ct);

    [JsonRpcMethod("textDocument/completion", UseSingleObjectParameterDeserialization = true)]
    public Task<CompletionList?> Completion(CompletionParams p, CancellationToken ct)
    {
        RequireInitialized();
        if (p is { Position: null }) throw RpcErrors.Of(ErrorCodes.InvalidParams, "position is required");
        return Read(p?.TextDocument, (snap, _) => Completions.For(snap, p!.Position, _capabilities.SnippetSupport), new CompletionList(false, Array.Empty<CompletionItem>()), ct);
    }

    [JsonRpcMethod("textDocument/documentSymbol", UseSingleObjectParameterDeserialization = true)]
    public Task<List<DocumentSymbol>?> DocumentSymbol(TextDocumentParams p, CancellationToken ct) =>
        Read(p?.TextDocument, (snap, _) => DocumentSymbols.For(snap), new List<DocumentSymbol>(), ct);

    // ---------------------------------------------------------------- commands

    [JsonRpcMethod("workspace/executeCommand", UseSingleObjectParameterDeserialization = true)]
    public Task<object?> ExecuteCommand(ExecuteCommandParams p, CancellationToken ct)
    {
        RequireInitialized();
        return _commands.ExecuteAsync(p, ct);
    }

    [JsonRpcMethod("window/workDoneProgress/cancel", UseSingleObjectParameterDeserialization = true)]
    public void WorkDoneProgressCancel(WorkDoneProgressCancelParams p)
    {
        if (_state != 1 || p is null) return;
        _commands.CancelProgress(p.Token);
    }
}
