using System.Collections.Concurrent;
using System.Text.Json;
using Stepwise.LanguageServer.Handlers;
using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server.Training;
using Stepwise.Workspace;
using StreamJsonRpc;

namespace Stepwise.LanguageServer.Server;

public sealed class ServerOptions
{
    /// <summary>Documents longer than this (UTF-16 code units) are kept but not analysed.</summary>
    public int MaxAnalysedLength { get; init; } = 16 * 1024 * 1024;
    /// <summary>Awaited by every read-only request before it runs (tests use it to hold a request in flight).</summary>
    public Func<CancellationToken, Task>? ReadGate { get; init; }
    /// <summary>Replaces the engine entry point (tests use it to make analysis throw).</summary>
    public Func<string, string, WorkspaceOptions, FileAnalysis>? Analyze { get; init; }
    public TextWriter? Log { get; init; }
    /// <summary>Compile the JSON and engine code paths on a background thread while the connection is set up and
    /// the client sends initialized/didOpen (<see cref="Warmup"/>). The executable turns it on; tests leave it off.</summary>
    public bool WarmUp { get; init; }
    /// <summary>The token counter (and its disk cache) for packed runs; null = the shared one over ~/.cache/stepwise.</summary>
    public Stepwise.Workspace.Tokens.TokenCounter? TokenCounter { get; init; }
    /// <summary>Awaited by a background token count once it has its turn, before it starts (tests hold a count in flight).</summary>
    public Func<CancellationToken, Task>? TokenCountGate { get; init; }
}

/// <summary>
/// The LSP message handlers: lifecycle, document sync, diagnostics, and the feature requests. Each handler only
/// checks the lifecycle state and puts its work on the <see cref="RequestQueue"/>; the features themselves are the
/// plain functions in Handlers/.
/// </summary>
public sealed class StepwiseServer
{
    private readonly ServerOptions _options;
    private readonly ServerLog _log;
    private readonly RequestQueue _queue;
    private readonly ConcurrentDictionary<string, DocumentSnapshot> _docs = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _publishLock = new(1, 1);
    private readonly object _loopLock = new();
    private readonly HashSet<string> _running = new(StringComparer.Ordinal), _dirty = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _watchLock = new(1, 1);
    private HashSet<string> _watched = new(StringComparer.Ordinal);
    private string? _watchRegistration;
    private ConfigAnalyzer? _analyzer;
    // Null until first needed: the defaults load the engine's assemblies, which initialize does not need.
    private WorkspaceOptions? _workspaceOptions;
    private volatile ServerSettings? _settings;
    private JsonRpc? _rpc;
    private volatile int _state; // 0 new, 1 initialized, 2 shut down
    private ClientCapabilities _client = new();
    private readonly TrainingRuns _training;
    private readonly WorkspaceCheck _check;
    /// <summary>Completes once the settings pulled at `initialized` are applied (or cannot be): commands that depend on
    /// them (which trainer, which analysis options) wait for it, so a Train right after start honours the settings.</summary>
    private readonly TaskCompletionSource _settingsPulled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile TrainerSettings _trainerSettings = TrainerSettings.Default;

    public StepwiseServer(ServerOptions? options = null)
    {
        _options = options ?? new ServerOptions();
        _log = new ServerLog(_options.Log ?? Console.Error);
        _queue = new RequestQueue((ex, what) => _log.Error($"{what} failed: {ex}"));
        _training = new TrainingRuns(() => _rpc, _log);
        _check = new WorkspaceCheck(() => _rpc, _log);
    }

    /// <summary>The training runs this server started (tests wait on them).</summary>
    public TrainingRuns Training => _training;

    /// <summary>Completes with the process exit code on `exit` (0 after shutdown, 1 otherwise) or when the client goes away.</summary>
    public Task<int> Exit => _exit.Task;
    public ServerSettings Settings => _settings ?? ServerSettings.Default;
    // The warm-up thread may ask first; settings applied meanwhile win over the defaults.
    private WorkspaceOptions Options => Volatile.Read(ref _workspaceOptions)
        ?? Interlocked.CompareExchange(ref _workspaceOptions, WithTokenCounts(Settings.ToWorkspaceOptions()), null) ?? _workspaceOptions!;

    /// <summary>Token counts never block an analysis here: a miss is counted in the background (<see cref="StartTokenCount"/>).</summary>
    private WorkspaceOptions WithTokenCounts(WorkspaceOptions o) =>
        o with { TokenCounting = TokenCountMode.Background, StartTokenCount = StartTokenCount, TokenCounter = _options.TokenCounter ?? o.TokenCounter };
    /// <summary>Check Workspace publishes files that are not open and will not be analysed again: their token lengths
    /// are counted before their result (cached like the background counts).</summary>
    private WorkspaceOptions CheckOptions => Options with { TokenCounting = TokenCountMode.Inline, StartTokenCount = null };
    public ClientCapabilities Client => _client;

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

    // ---------------------------------------------------------------- lifecycle

    /// <summary>Params and answer stay JSON (<see cref="InitializeAnswer"/>): only the capabilities are read.</summary>
    [JsonRpcMethod("initialize", UseSingleObjectParameterDeserialization = true)]
    public JsonElement Initialize(JsonElement @params)
    {
        StartupTrace.Mark("initialize received");
        if (_state != 0) throw Error(ErrorCodes.InvalidRequest, "initialize was already received");
        if (@params.ValueKind != JsonValueKind.Object) throw Error(ErrorCodes.InvalidParams, "initialize needs params");
        _client = ClientCapabilities.From(@params.TryGetProperty("capabilities", out var caps) ? caps : default);
        _state = 1;
        return InitializeAnswer.For(_client.PullDiagnostics, TrainCommands.All, Version);
    }

    private static string Version => typeof(StepwiseServer).Assembly.GetName().Version?.ToString(3) ?? "0.1.0";

    [JsonRpcMethod("initialized")]
    public void Initialized()
    {
        StartupTrace.Mark("initialized received");
        if (_state != 1) return;
        _log.Attach(_rpc!);
        if (_client.Configuration) _ = PullSettingsAsync();
        else _settingsPulled.TrySetResult();
    }

    [JsonRpcMethod("shutdown")]
    public object? Shutdown()
    {
        if (StartupTrace.Enabled) StartupTrace.Memory();
        RequireInitialized();
        _state = 2;
        // A token count still running would hold cores after the client has gone.
        lock (_countLock) foreach (var count in _tokenCounts.Values) count.Cancel.Cancel();
        return null;
    }

    [JsonRpcMethod("exit")]
    public void ExitNotification() => _exit.TrySetResult(_state == 2 ? 0 : 1);

    private void RequireInitialized()
    {
        if (_state == 0) throw Error(ErrorCodes.ServerNotInitialized, "the server has not been initialized");
        if (_state == 2) throw Error(ErrorCodes.InvalidRequest, "the server is shutting down");
    }

    private static LocalRpcException Error(int code, string message) => new(message) { ErrorCode = code };

    // ---------------------------------------------------------------- documents

    [JsonRpcMethod("textDocument/didOpen", UseSingleObjectParameterDeserialization = true)]
    public void DidOpen(DidOpenTextDocumentParams p)
    {
        if (_state != 1 || p?.TextDocument is not { Uri: not null, Text: not null } item) { Ignored("didOpen", p is null); return; }
        StartupTrace.Mark("didOpen received");
        _queue.Mutate("didOpen", () =>
        {
            var snapshot = new DocumentSnapshot(item.Uri, DocumentUris.ToPath(item.Uri, item.LanguageId), item.LanguageId, item.Version, item.Text, 0, Analyze);
            _docs[item.Uri] = snapshot;
            _check.Opened(snapshot.Path, _client.PullDiagnostics);
            ScheduleDiagnostics(item.Uri);
        });
    }

    [JsonRpcMethod("textDocument/didChange", UseSingleObjectParameterDeserialization = true)]
    public void DidChange(DidChangeTextDocumentParams p)
    {
        if (_state != 1 || p?.TextDocument?.Uri is not { } uri) { Ignored("didChange", p is null); return; }
        _queue.Mutate("didChange", () =>
        {
            if (!_docs.TryGetValue(uri, out var current)) { _log.Warning($"didChange for {uri}, which is not open: ignored"); return; }
            if (p.TextDocument.Version <= current.Version)
            {
                _log.Warning($"didChange for {uri} has version {p.TextDocument.Version}, not after {current.Version}: ignored");
                return;
            }
            var text = DocumentSnapshot.ApplyChanges(current.Text, p.ContentChanges, out var problem);
            if (problem is not null) _log.Warning($"didChange for {uri} v{p.TextDocument.Version}: {problem}");
            if (text is null) return;
            _docs[uri] = current.With(p.TextDocument.Version, text, Analyze);
            ScheduleDiagnostics(uri);
        });
    }

    [JsonRpcMethod("textDocument/didClose", UseSingleObjectParameterDeserialization = true)]
    public void DidClose(DidCloseTextDocumentParams p)
    {
        if (_state != 1 || p?.TextDocument?.Uri is not { } uri) { Ignored("didClose", p is null); return; }
        _queue.Mutate("didClose", () =>
        {
            if (!_docs.TryRemove(uri, out _)) return;
            DocumentClosed(uri);
            if (!_client.PullDiagnostics) _ = PublishAsync(uri, null, Array.Empty<Diagnostic>(), null);
            _ = UpdateWatchersAsync();
        });
    }

    [JsonRpcMethod("textDocument/didSave", UseSingleObjectParameterDeserialization = true)]
    public void DidSave(DidSaveTextDocumentParams p)
    {
        if (_state != 1 || p?.TextDocument?.Uri is not { } uri) { Ignored("didSave", p is null); return; }
        // Saving a DeepSpeed JSON that another open config names changes that config's result.
        _queue.Mutate("didSave", () => Regenerate(DocumentUris.ToPath(uri)));
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
        if (_client.Configuration) { _ = PullSettingsAsync(); return; }
        var section = LspJson.Probe(p?.Settings, "stepwise");
        _queue.Mutate("didChangeConfiguration", () => ApplySettings(section));
    }

    private async Task PullSettingsAsync()
    {
        try
        {
            // As object (a JsonElement arrives boxed): StreamJsonRpc's request code for reference types is precompiled,
            // an instantiation over the JsonElement struct would be compiled by the JIT while the first document waits.
            var answer = await RpcCalls.Invoke(_rpc!, "workspace/configuration",
                new ConfigurationParams(new[] { new ConfigurationItem(null, "stepwise") })).ConfigureAwait(false);
            JsonElement? section = answer is JsonElement { ValueKind: JsonValueKind.Array } result && result.GetArrayLength() > 0 ? result[0] : null;
            _queue.Mutate("workspace/configuration", () => { try { ApplySettings(section); } finally { _settingsPulled.TrySetResult(); } });
        }
        catch (Exception ex) when (ex is RemoteInvocationException or ConnectionLostException or ObjectDisposedException or JsonException or InvalidOperationException)
        {
            _log.Warning($"workspace/configuration failed: {ex.Message}");
            _settingsPulled.TrySetResult();
        }
    }

    private void ApplySettings(JsonElement? section)
    {
        var problems = new List<string>();
        var settings = ServerSettings.Parse(section, problems);
        _trainerSettings = TrainerSettings.Parse(section, problems);
        foreach (var problem in problems) _log.Warning($"setting ignored: {problem}");
        // The client usually answers with the defaults: no new snapshots (and no second analysis) for those.
        if (settings.SameAs(Settings)) return;
        _settings = settings;
        Volatile.Write(ref _workspaceOptions, WithTokenCounts(settings.ToWorkspaceOptions()));
        Regenerate(null);
    }

    [JsonRpcMethod("workspace/didChangeWatchedFiles", UseSingleObjectParameterDeserialization = true)]
    public void DidChangeWatchedFiles(DidChangeWatchedFilesParams p)
    {
        if (_state != 1 || p?.Changes is null) return;
        var paths = p.Changes.Where(c => c?.Uri is not null).Select(c => DocumentUris.ToPath(c.Uri)).ToList();
        _queue.Mutate("didChangeWatchedFiles", () => { foreach (var path in paths) Regenerate(path); });
    }

    /// <summary>A watched entry is a full path or a glob (a dataset written as data/*.jsonl: a new shard counts too).</summary>
    private static bool DependsOn(string watched, string changedPath) =>
        DocumentUris.SamePath(watched, changedPath)
        || (Stepwise.Workspace.Datasets.Glob.HasWildcards(watched) && Stepwise.Workspace.Datasets.Glob.Matches("/", watched, changedPath));

    /// <summary>New snapshots (same text) for the documents that depend on <paramref name="changedPath"/> (all when null), then refresh.</summary>
    private void Regenerate(string? changedPath)
    {
        int count = 0;
        foreach (var (uri, snap) in _docs)
        {
            if (changedPath is not null && !(snap.IsAnalyzed && snap.Analysis.Watched.Any(w => DependsOn(w, changedPath))))
                continue;
            _docs[uri] = snap.Regenerate(Analyze);
            ScheduleDiagnostics(uri);
            count++;
        }
        if (count == 0) return;
        if (_client.PullDiagnostics && _client.DiagnosticRefresh) Notify("workspace/diagnostic/refresh");
        if (_client.InlayHintRefresh) Notify("workspace/inlayHint/refresh");
        if (_client.CodeLensRefresh) Notify("workspace/codeLens/refresh");
    }

    // ---------------------------------------------------------------- token counts in the background

    /// <summary>The document whose analysis runs on this thread (the analysis is synchronous): the count it asks for is
    /// wanted by that document until its next analysis asks for another, or none.</summary>
    [ThreadStatic] private static string? t_analysing;

    private sealed class TokenCount(Stepwise.Workspace.Tokens.TokenJob job, bool pinned)
    {
        public Stepwise.Workspace.Tokens.TokenJob Job { get; } = job;
        /// <summary>Asked for outside a document's analysis: never cancelled for being unwanted.</summary>
        public bool Pinned { get; } = pinned;
        public CancellationTokenSource Cancel { get; } = new();
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly object _countLock = new();
    /// <summary>uri -> the key of the count its newest analysis waits on.</summary>
    private readonly Dictionary<string, string> _wantedCounts = new(StringComparer.Ordinal);
    /// <summary>key -> the count queued or running for it (one per key).</summary>
    private readonly Dictionary<string, TokenCount> _tokenCounts = new(StringComparer.Ordinal);
    /// <summary>One count at a time: each uses all but one core, and a workspace can ask for several.</summary>
    private readonly SemaphoreSlim _countSlot = new(1, 1);

    /// <summary>The token counts queued or running now (tests wait on them).</summary>
    public IReadOnlyCollection<Task> TokenCounts { get { lock (_countLock) return _tokenCounts.Values.Select(c => c.Done.Task).ToList(); } }

    /// <summary>Called by the workspace during an analysis whose token lengths are not cached: the analysis goes on
    /// ("packed: counting tokens") and the count is queued. Never blocks.</summary>
    private void StartTokenCount(Stepwise.Workspace.Tokens.TokenJob job)
    {
        lock (_countLock)
        {
            if (t_analysing is { } uri) _wantedCounts[uri] = job.Key;
            Enqueue(job, pinned: t_analysing is null);
        }
    }

    private void Enqueue(Stepwise.Workspace.Tokens.TokenJob job, bool pinned)
    {
        if (_tokenCounts.ContainsKey(job.Key)) return;   // queued, running, or being cancelled (then restarted: RunCountAsync)
        var count = new TokenCount(job, pinned);
        _tokenCounts[job.Key] = count;
        _ = Task.Run(() => RunCountAsync(count));
    }

    /// <summary>Around a document's analysis: the count its previous analysis waited on is cancelled when no open
    /// document waits on it any more (a sequence_len typed digit by digit asks for one count per value; only the last
    /// one is worth running).</summary>
    private void AnalysisStarting(string uri, out string? previous)
    {
        lock (_countLock) _wantedCounts.Remove(uri, out previous);
    }

    private void AnalysisDone(string? previous)
    {
        if (previous is null) return;
        lock (_countLock)
            if (!_wantedCounts.ContainsValue(previous) && _tokenCounts.TryGetValue(previous, out var count) && !count.Pinned)
                count.Cancel.Cancel();
    }

    private void DocumentClosed(string uri)
    {
        string? previous;
        lock (_countLock) _wantedCounts.Remove(uri, out previous);
        AnalysisDone(previous);
    }

    /// <summary>
    /// Counts a packed run's token lengths off the analysis path, one count at a time and on all cores but one, with
    /// work-done progress ("Counting tokens", percent of the records) where the client supports it, then analyses every
    /// open document again: the lengths are cached (or the failure remembered), so the new analysis has the exact steps
    /// or the reason there are none. A failure is logged once and shown in the diagnostics; it is not retried until
    /// the inputs change.
    /// </summary>
    private async Task RunCountAsync(TokenCount count)
    {
        var job = count.Job;
        var ct = count.Cancel.Token;
        bool finished = false;
        try
        {
            try { await _countSlot.WaitAsync(ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            try
            {
                if (_options.TokenCountGate is { } gate)
                {
                    try { await gate(ct).ConfigureAwait(false); }
                    catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
                }
                if (_state != 1 || ct.IsCancellationRequested) return;
                string? token = null;
                var rpc = _rpc;
                if (_client.WorkDoneProgress && rpc is { IsDisposed: false })
                {
                    token = "stepwise-tokens-" + Guid.NewGuid().ToString("N");
                    try
                    {
                        await RpcCalls.Invoke(rpc, "window/workDoneProgress/create", new WorkDoneProgressCreateParams(token)).ConfigureAwait(false);
                        await RpcCalls.Notify(rpc, "$/progress", new ProgressParams(token, new ProgressValue("begin", Title: "Counting tokens", Cancellable: false,
                            Message: $"{job.Records:N0} records ({job.Describe})", Percentage: 0u))).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is RemoteInvocationException or ConnectionLostException or ObjectDisposedException) { token = null; }
                }
                long lastReported = 0;
                var watch = System.Diagnostics.Stopwatch.StartNew();
                string end;
                try
                {
                    // On a thread of its own (the counter adds its helpers the same way): the pool answers edits.
                    var counter = Analyzer.TokenCounts;
                    await Task.Factory.StartNew(() => counter.Count(job, done =>
                    {
                        if (token is null || rpc is not { IsDisposed: false } || job.Records == 0) return;
                        uint pct = (uint)Math.Min(99, done * 100 / job.Records);
                        long now = Interlocked.Read(ref lastReported);
                        if (pct < now + 5 || Interlocked.CompareExchange(ref lastReported, pct, now) != now) return;
                        _ = RpcCalls.Notify(rpc, "$/progress", new ProgressParams(token, new ProgressValue("report", Message: $"{done:N0} of {job.Records:N0} records", Percentage: pct)));
                    }, ct, parallelism: Math.Max(1, Environment.ProcessorCount - 1)), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
                    end = $"{job.Records:N0} records counted in {watch.Elapsed.TotalSeconds:0.0} s";
                    _log.Info($"token count: {end} ({job.Describe})");
                    finished = true;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    end = "cancelled: no open config needs this count any more";
                }
                catch (Exception ex)
                {
                    // TokenCountException says what failed and what to fix; anything else is ours. Remembered either way
                    // (TokenCounter), so the analyses that follow show it instead of counting again.
                    end = $"not counted: {ex.Message}";
                    _log.Warning($"token count failed ({job.Describe}): {ex.Message}");
                    finished = true;
                }
                if (token is not null && rpc is { IsDisposed: false })
                {
                    try { await RpcCalls.Notify(rpc, "$/progress", new ProgressParams(token, new ProgressValue("end", Message: end))).ConfigureAwait(false); }
                    catch (Exception ex) when (ex is ConnectionLostException or ObjectDisposedException) { }
                }
            }
            finally { _countSlot.Release(); }
        }
        finally
        {
            lock (_countLock)
            {
                if (_tokenCounts.TryGetValue(job.Key, out var current) && ReferenceEquals(current, count)) _tokenCounts.Remove(job.Key);
                // Cancelled, but a document asked for it again meanwhile (its analysis found this count still here).
                if (!finished && _state == 1 && _wantedCounts.ContainsValue(job.Key)) Enqueue(job, pinned: false);
            }
            if (finished && _state == 1) _queue.Mutate("token count done", () => Regenerate(null));
            count.Cancel.Dispose();
            count.Done.TrySetResult();
        }
    }

    /// <summary>A server-to-client request whose answer does not matter (the refresh requests).</summary>
    private void Notify(string method)
    {
        if (_rpc is not { IsDisposed: false } rpc) return;
        _ = RpcCalls.Invoke(rpc, method, null)
            .ContinueWith(t => _log.Warning($"{method} failed: {t.Exception?.GetBaseException().Message}"), TaskContinuationOptions.OnlyOnFaulted);
    }

    private void UpdateWatchersLater() => _ = Task.Run(UpdateWatchersAsync);

    private async Task UpdateWatchersAsync()
    {
        if (!_client.WatchedFilesDynamicRegistration || _rpc is not { IsDisposed: false } rpc) return;
        await _watchLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var now = new HashSet<string>(_docs.Values.Where(d => d.IsAnalyzed).SelectMany(d => d.Analysis.Watched), StringComparer.Ordinal);
            if (now.SetEquals(_watched)) return;
            var old = _watchRegistration;
            _watched = now;
            _watchRegistration = null;
            if (now.Count > 0)
            {
                var id = "stepwise-watch-" + Guid.NewGuid().ToString("N");
                var watchers = now.OrderBy(x => x, StringComparer.Ordinal).Select(path => new Protocol.FileSystemWatcher(path.Replace('\\', '/'))).ToList();
                await RpcCalls.Invoke(rpc, "client/registerCapability", new RegistrationParams(new[]
                {
                    new Registration(id, "workspace/didChangeWatchedFiles", new DidChangeWatchedFilesRegistrationOptions(watchers)),
                })).ConfigureAwait(false);
                _watchRegistration = id;
            }
            if (old is not null)
                await RpcCalls.Invoke(rpc, "client/unregisterCapability",
                    new UnregistrationParams(new[] { new Unregistration(old, "workspace/didChangeWatchedFiles") })).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RemoteInvocationException or ConnectionLostException or ObjectDisposedException)
        {
            _log.Warning($"registering file watchers failed: {ex.Message}");
        }
        finally { _watchLock.Release(); }
    }

    // ---------------------------------------------------------------- analysis and diagnostics

    private DocumentAnalysis Analyze(DocumentSnapshot s)
    {
        if (s.Text.Length > _options.MaxAnalysedLength)
        {
            var d = new Diagnostic
            {
                Range = new LspRange(new LspPosition(0, 0), new LspPosition(0, 0)),
                Severity = DiagnosticSeverity.Information, Code = Stepwise.Core.Rules.File.FileRules.ReadError.Id, Source = Diagnostics.Source,
                Message = $"This document has {s.Text.Length:N0} characters; Stepwise analyses documents up to {_options.MaxAnalysedLength:N0}",
            };
            return new DocumentAnalysis(null, new[] { d }, null, Array.Empty<string>());
        }
        AnalysisStarting(s.Uri, out var previousCount);
        var outer = t_analysing;
        t_analysing = s.Uri;
        try
        {
            StartupTrace.Mark("analysis start");
            var options = Options;
            var file = _options.Analyze is { } analyze
                ? analyze(s.Path, s.Text, options)
                : Analyzer.AnalyzeText(s.Path, s.Text, options);
            var dir = System.IO.Path.GetDirectoryName(s.Path) ?? "";
            var watched = file.Watched.Select(w => System.IO.Path.GetFullPath(System.IO.Path.Combine(dir, w))).ToList();
            var result = new DocumentAnalysis(file, Diagnostics.From(s, file, LookupOpen), null, watched);
            StartupTrace.Mark("analysis done");
            return result;
        }
        catch (Exception ex)
        {
            _log.Error($"analysing {s.Uri} (version {s.Version}) failed: {ex}");
            return new DocumentAnalysis(null, new[] { Diagnostics.InternalError($"{ex.GetType().Name}: {ex.Message}") }, ex.Message, Array.Empty<string>());
        }
        finally
        {
            t_analysing = outer;
            AnalysisDone(previousCount);
        }
    }

    private ConfigAnalyzer Analyzer => LazyInitializer.EnsureInitialized(ref _analyzer, () => new ConfigAnalyzer(Options));

    /// <summary>Runs the engine and the diagnostics conversion once on a made-up document (<see cref="Warmup"/>):
    /// nothing is stored or published, and git is not asked.</summary>
    internal DocumentSnapshot WarmAnalysis(string path, string text)
    {
        var options = Options with { UseGit = false };
        return new DocumentSnapshot(DocumentUris.FromPath(path), path, "yaml", 1, text, 0, s =>
        {
            var file = Analyzer.AnalyzeText(s.Path, s.Text, options);
            return new DocumentAnalysis(file, Diagnostics.From(s, file, _ => null), null, Array.Empty<string>());
        });
    }

    private (string Uri, int Version)? LookupOpen(string path)
    {
        foreach (var d in _docs.Values) if (DocumentUris.SamePath(d.Path, path)) return (d.Uri, d.Version);
        return null;
    }

    /// <summary>One analysis loop per document at a time; edits arriving meanwhile are coalesced into one more round
    /// on the newest snapshot, so a burst of keystrokes ends in the diagnostics of the final text.</summary>
    private void ScheduleDiagnostics(string uri)
    {
        lock (_loopLock)
        {
            if (_running.Contains(uri)) { _dirty.Add(uri); return; }
            _running.Add(uri);
        }
        _ = Task.Run(() => DiagnosticsLoopAsync(uri));
    }

    private async Task DiagnosticsLoopAsync(string uri)
    {
        while (true)
        {
            lock (_loopLock) _dirty.Remove(uri);
            try
            {
                if (_docs.TryGetValue(uri, out var snap))
                {
                    var analysis = snap.Analysis;
                    if (!_client.PullDiagnostics) await PublishAsync(uri, snap, analysis.Diagnostics, snap.Version).ConfigureAwait(false);
                    await UpdateWatchersAsync().ConfigureAwait(false);
                }
            }
            catch (Exception ex) { _log.Error($"diagnostics for {uri} failed: {ex}"); }
            lock (_loopLock)
            {
                if (!_dirty.Contains(uri)) { _running.Remove(uri); return; }
            }
        }
    }

    private async Task PublishAsync(string uri, DocumentSnapshot? expected, IReadOnlyList<Diagnostic> diagnostics, int? version)
    {
        if (_rpc is not { IsDisposed: false } rpc) return;
        await _publishLock.WaitAsync().ConfigureAwait(false);
        try
        {
            // Only the newest snapshot of a still-open document publishes; a close publishes the empty set.
            if (expected is not null && (!_docs.TryGetValue(uri, out var current) || !ReferenceEquals(current, expected))) return;
            await RpcCalls.Notify(rpc, "textDocument/publishDiagnostics", new PublishDiagnosticsParams(uri, version, diagnostics)).ConfigureAwait(false);
            StartupTrace.Mark("diagnostics sent");
        }
        catch (Exception ex) when (ex is ConnectionLostException or ObjectDisposedException) { }
        finally { _publishLock.Release(); }
    }

    // ---------------------------------------------------------------- read-only requests

    private Task<T?> Read<T>(TextDocumentIdentifier? id, Func<DocumentSnapshot, CancellationToken, T?> read, T? whenClosed, CancellationToken ct)
    {
        RequireInitialized();
        if (id?.Uri is not { } uri) throw Error(ErrorCodes.InvalidParams, "textDocument.uri is required");
        return _queue.Read<T?>(async token =>
        {
            if (_options.ReadGate is { } gate) await gate(token).ConfigureAwait(false);
            token.ThrowIfCancellationRequested();
            return _docs.TryGetValue(uri, out var snap) ? read(snap, token) : whenClosed;
        }, ct);
    }

    [JsonRpcMethod("textDocument/diagnostic", UseSingleObjectParameterDeserialization = true)]
    public Task<DocumentDiagnosticReport?> PullDiagnostics(DocumentDiagnosticParams p, CancellationToken ct) =>
        Read<DocumentDiagnosticReport>(p?.TextDocument, (snap, token) =>
        {
            var analysis = snap.Analysis;
            UpdateWatchersLater();
            return p!.PreviousResultId == snap.ResultId
                ? new DocumentDiagnosticReport { Kind = "unchanged", ResultId = snap.ResultId }
                : new DocumentDiagnosticReport { Kind = "full", ResultId = snap.ResultId, Items = analysis.Diagnostics };
        }, new DocumentDiagnosticReport { Kind = "full", Items = Array.Empty<Diagnostic>() }, ct);

    [JsonRpcMethod("textDocument/codeAction", UseSingleObjectParameterDeserialization = true)]
    public Task<List<CodeAction>?> CodeAction(CodeActionParams p, CancellationToken ct)
    {
        RequireInitialized();
        if (p is { Range: null }) throw Error(ErrorCodes.InvalidParams, "range is required");
        return Read(p?.TextDocument, (snap, _) => CodeActions.For(snap, p!, _client.DocumentChanges, LookupOpen), new List<CodeAction>(), ct);
    }

    [JsonRpcMethod("textDocument/hover", UseSingleObjectParameterDeserialization = true)]
    public Task<Hover?> Hover(TextDocumentPositionParams p, CancellationToken ct)
    {
        RequireInitialized();
        if (p is { Position: null }) throw Error(ErrorCodes.InvalidParams, "position is required");
        return Read(p?.TextDocument, (snap, _) => Hovers.For(snap, p!.Position), null, ct);
    }

    [JsonRpcMethod("textDocument/inlayHint", UseSingleObjectParameterDeserialization = true)]
    public Task<List<InlayHint>?> InlayHint(RangeParams p, CancellationToken ct)
    {
        RequireInitialized();
        if (p is { Range: null }) throw Error(ErrorCodes.InvalidParams, "range is required");
        return Read(p?.TextDocument, (snap, _) => InlayHints.For(snap, p!.Range), new List<InlayHint>(), ct);
    }

    [JsonRpcMethod("textDocument/codeLens", UseSingleObjectParameterDeserialization = true)]
    public Task<List<CodeLens>?> CodeLens(TextDocumentParams p, CancellationToken ct) =>
        Read(p?.TextDocument, (snap, _) => CodeLenses.For(snap), new List<CodeLens>(), ct);

    [JsonRpcMethod("textDocument/completion", UseSingleObjectParameterDeserialization = true)]
    public Task<CompletionList?> Completion(CompletionParams p, CancellationToken ct)
    {
        RequireInitialized();
        if (p is { Position: null }) throw Error(ErrorCodes.InvalidParams, "position is required");
        return Read(p?.TextDocument, (snap, _) => Completions.For(snap, p!.Position, _client.SnippetSupport), new CompletionList(false, Array.Empty<CompletionItem>()), ct);
    }

    [JsonRpcMethod("textDocument/documentSymbol", UseSingleObjectParameterDeserialization = true)]
    public Task<List<DocumentSymbol>?> DocumentSymbol(TextDocumentParams p, CancellationToken ct) =>
        Read(p?.TextDocument, (snap, _) => DocumentSymbols.For(snap), new List<DocumentSymbol>(), ct);

    // ---------------------------------------------------------------- training commands

    [JsonRpcMethod("workspace/executeCommand", UseSingleObjectParameterDeserialization = true)]
    public Task<object?> ExecuteCommand(ExecuteCommandParams p, CancellationToken ct)
    {
        RequireInitialized();
        if (p?.Command is not { } command || !TrainCommands.All.Contains(command))
            throw Error(ErrorCodes.InvalidParams, $"unknown command {p?.Command ?? "(none)"}; this server runs {string.Join(", ", TrainCommands.All)}");
        if (command == TrainCommands.Runs) return Task.FromResult<object?>(_training.List());
        string? clientToken = p.WorkDoneToken is { ValueKind: JsonValueKind.String } t ? t.GetString()
            : p.WorkDoneToken is { ValueKind: JsonValueKind.Number } n ? n.GetRawText() : null;
        if (command == TrainCommands.CheckWorkspace) return AfterSettingsAsync(() => CheckWorkspaceAsync(p.Arguments, clientToken, ct), ct);
        var uri = CommandUri(p.Arguments) ?? throw Error(ErrorCodes.InvalidParams, $"{command} needs the config URI as its first argument");
        if (command == TrainCommands.Stop)
        {
            if (_training.Stop(uri)) return Task.FromResult<object?>(true);
            ShowMessage(MessageType.Warning, $"{System.IO.Path.GetFileName(DocumentUris.ToPath(uri))} is not training");
            return Task.FromResult<object?>(false);
        }
        // Through the queue, so a train right after an edit or a settings change sees them.
        return AfterSettingsAsync(() => _queue.Read<object?>(_ => StartTrainingAsync(uri, clientToken, ct), CancellationToken.None), ct);
    }

    /// <summary>Runs <paramref name="run"/> once the initial settings are applied (at most 10 s after asking).</summary>
    private async Task<object?> AfterSettingsAsync(Func<Task<object?>> run, CancellationToken ct)
    {
        try { await _settingsPulled.Task.WaitAsync(TimeSpan.FromSeconds(10), ct).ConfigureAwait(false); }
        catch (TimeoutException) { _log.Warning("no answer to workspace/configuration within 10 s: going on with the settings known now"); }
        return await run().ConfigureAwait(false);
    }

    private async Task<object?> CheckWorkspaceAsync(List<JsonElement>? args, string? clientToken, CancellationToken ct)
    {
        var (folders, exclude) = WorkspaceCheck.ParseArguments(args);
        if (folders.Count == 0) throw Error(ErrorCodes.InvalidParams, $"{TrainCommands.CheckWorkspace} needs the workspace folder URIs as its arguments");
        // Off the request thread: a large tree takes a while, and edits and other requests go on meanwhile.
        try
        {
            return await Task.Run(() => _check.RunAsync(folders, exclude, (path, text) => Analyzer.AnalyzeText(path, text, CheckOptions), LookupOpen,
                _client.WorkDoneProgress, clientToken, ct), ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) { throw Error(-32800, "the workspace check was cancelled"); }
    }

    private static string? CommandUri(List<JsonElement>? args)
    {
        if (args is not { Count: > 0 }) return null;
        var a = args[0];
        if (a.ValueKind == JsonValueKind.String) return a.GetString();
        if (a.ValueKind == JsonValueKind.Object && a.TryGetProperty("uri", out var u) && u.ValueKind == JsonValueKind.String) return u.GetString();
        return null;
    }

    private async Task<object?> StartTrainingAsync(string uri, string? clientToken, CancellationToken requestCancelled)
    {
        var path = DocumentUris.ToPath(uri);
        var name = System.IO.Path.GetFileName(path);
        if (!_docs.TryGetValue(uri, out var snap))
        {
            string text;
            try { text = await File.ReadAllTextAsync(path).ConfigureAwait(false); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw Fail($"Cannot train {name}: {ex.Message}");
            }
            snap = new DocumentSnapshot(uri, path, null, 0, text, 0, Analyze);
        }
        if (!snap.Analysis.Configs.Any()) throw Fail($"Cannot train {name}: it is not a training config Stepwise reads");
        var blocking = TrainCommands.Blocking(snap);
        if (blocking.Count > 0)
            throw Fail($"Cannot train {name}: {blocking.Count} error finding{(blocking.Count == 1 ? "" : "s")}:\n{string.Join("\n", blocking)}");
        var settings = _trainerSettings;
        if (settings.Launcher == "stepwise")
        {
            // The bundled trainer refuses settings it would not do as written (SW5001). The editor's diagnostics leave
            // them out (the same config is right for HF / axolotl / LLaMA-Factory), so they are listed here, as
            // `stepwise train` lists them before it loads a model.
            var refusals = BundledTrainerRefusals(snap);
            if (refusals.Count > 0)
                throw Fail($"Cannot train {name} with the bundled Stepwise trainer: {refusals.Count} setting{(refusals.Count == 1 ? "" : "s")} it does not do " +
                           $"(change them, or set stepwise.launcher to the stack the config is written for):\n{string.Join("\n", refusals)}");
        }
        var (launch, problem) = TrainerLaunch.Resolve(settings, path, TrainCommands.DialectOf(snap) ?? Stepwise.Core.Model.Dialect.Hf, AppContext.BaseDirectory);
        if (launch is null) throw Fail($"Cannot train {name}: {problem}");
        if (_training.IsRunning(uri)) throw Fail($"{name} is already training (stepwise.server.stop stops it)", MessageType.Warning);
        var (run, error) = await _training.StartAsync(uri, $"Training {name}", System.IO.Path.GetDirectoryName(path) ?? ".", launch, _client.WorkDoneProgress, settings.GraceSeconds, clientToken).ConfigureAwait(false);
        if (run is null) throw Fail(error!.StartsWith(name, StringComparison.Ordinal) ? error : $"Cannot train {name}: {error}", error.Contains("already training", StringComparison.Ordinal) ? MessageType.Warning : MessageType.Error);
        if (clientToken is null) return new TrainStarted(run.Config, run.Pid, run.Token, run.Command);
        // The client's token is valid until the answer: answer when the run is over; cancelling the request stops it.
        using (requestCancelled.Register(() => _training.Stop(uri)))
            return await _training.OutcomeOf(uri, run.Token).ConfigureAwait(false);
    }

    /// <summary>The SW5001 findings of the snapshot analysed for the bundled trainer, as `line:col SW5001 message` lines.</summary>
    private List<string> BundledTrainerRefusals(DocumentSnapshot snap)
    {
        var options = Options with { Analysis = Options.Analysis with { ForBundledTrainer = true } };
        var file = _options.Analyze is { } analyze ? analyze(snap.Path, snap.Text, options) : Analyzer.AnalyzeText(snap.Path, snap.Text, options);
        return file.Configs
            .SelectMany(c => c.Result.Findings)
            .Where(f => f.Id == Stepwise.Core.Rules.Trainer.SW5001_NotDoneByBundledTrainer.Rule.Id)
            .Select(f => $"{f.Span.Range.Start.Line + 1}:{f.Span.Range.Start.Character + 1} {f.Id} {f.Message}")
            .ToList();
    }

    /// <summary>Shows the message and makes the request fail with it (RequestFailed, -32803).</summary>
    private LocalRpcException Fail(string message, int type = MessageType.Error)
    {
        ShowMessage(type, message);
        return Error(-32803, message);
    }

    private void ShowMessage(int type, string message)
    {
        if (_rpc is not { IsDisposed: false } rpc) return;
        _ = RpcCalls.Notify(rpc, "window/showMessage", new LogMessageParams(type, message))
            .ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
    }

    [JsonRpcMethod("window/workDoneProgress/cancel", UseSingleObjectParameterDeserialization = true)]
    public void WorkDoneProgressCancel(WorkDoneProgressCancelParams p)
    {
        if (_state != 1 || p is null) return;
        var token = p.Token.ValueKind == JsonValueKind.String ? p.Token.GetString() : p.Token.ValueKind == JsonValueKind.Number ? p.Token.GetRawText() : null;
        if (token is null || !(_check.Cancel(token) || _training.Cancel(token))) _log.Warning($"window/workDoneProgress/cancel for unknown token {p.Token.GetRawText()}: ignored");
    }
}
