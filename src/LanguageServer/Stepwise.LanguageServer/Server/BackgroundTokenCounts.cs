using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server.Training;
using Stepwise.Workspace.Tokens;
using StreamJsonRpc;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// Token counts never block an analysis in the server: a packed run whose token lengths are not cached is analysed at
/// once ("packed: counting tokens") and its count queued here (<see cref="Start"/>, the engine's StartTokenCount).
/// Counts run one at a time on all cores but one, with work-done progress where the client supports it; a count that
/// no open document waits on any more is cancelled; a finished count (or a failure, remembered by the counter) has
/// every open document analysed again (<c>counted</c>), which then reads the cached lengths.
/// </summary>
/// <param name="counter">The counter whose cache the analyses read.</param>
/// <param name="serving">False before initialize and after shutdown: no count starts, none is restarted.</param>
/// <param name="counted">Runs after a count finished or failed (not when cancelled): analyse the documents again.</param>
/// <param name="gate">Awaited once a count has its turn, before it starts (tests hold a count in flight).</param>
public sealed class BackgroundTokenCounts(
    Func<TokenCounter> counter, IClientConnection client, Func<ClientCapabilities> capabilities, Func<bool> serving,
    Action counted, Func<CancellationToken, Task>? gate, ServerLog log)
{
    /// <summary>The document whose analysis runs on this thread (the analysis is synchronous): the count it asks for is
    /// wanted by that document until its next analysis asks for another, or none.</summary>
    [ThreadStatic] private static string? t_analysing;

    private sealed class TokenCount(TokenJob job, bool pinned)
    {
        public TokenJob Job { get; } = job;
        /// <summary>Asked for outside a document's analysis: never cancelled for being unwanted.</summary>
        public bool Pinned { get; } = pinned;
        public CancellationTokenSource Cancel { get; } = new();
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly object _lock = new();
    /// <summary>uri -> the key of the count its newest analysis waits on.</summary>
    private readonly Dictionary<string, string> _wanted = new(StringComparer.Ordinal);
    /// <summary>key -> the count queued or running for it (one per key).</summary>
    private readonly Dictionary<string, TokenCount> _counts = new(StringComparer.Ordinal);
    /// <summary>One count at a time: each uses all but one core, and a workspace can ask for several.</summary>
    private readonly SemaphoreSlim _slot = new(1, 1);

    /// <summary>The counts queued or running now (tests wait on them).</summary>
    public IReadOnlyCollection<Task> Pending { get { lock (_lock) return _counts.Values.Select(c => c.Done.Task).ToList(); } }

    /// <summary>Called by the engine during an analysis whose token lengths are not cached: queues the count. Never blocks.</summary>
    public void Start(TokenJob job)
    {
        lock (_lock)
        {
            if (t_analysing is { } uri) _wanted[uri] = job.Key;
            Enqueue(job, pinned: t_analysing is null);
        }
    }

    /// <summary>Around the analysis of a document's snapshot (on the analysing thread): the count its previous analysis
    /// waited on is cancelled when no open document waits on it any more (a sequence_len typed digit by digit asks for
    /// one count per value; only the last one is worth running).</summary>
    public AnalysisScope Analysing(string uri)
    {
        string? previous;
        lock (_lock) _wanted.Remove(uri, out previous);
        var outer = t_analysing;
        t_analysing = uri;
        return new AnalysisScope(this, outer, previous);
    }

    public readonly struct AnalysisScope : IDisposable
    {
        private readonly BackgroundTokenCounts _owner;
        private readonly string? _outer, _previous;
        internal AnalysisScope(BackgroundTokenCounts owner, string? outer, string? previous) { _owner = owner; _outer = outer; _previous = previous; }
        public void Dispose()
        {
            t_analysing = _outer;
            _owner.Unwanted(_previous);
        }
    }

    /// <summary>A document was closed: the count it waited on may be unwanted now.</summary>
    public void Closed(string uri)
    {
        string? previous;
        lock (_lock) _wanted.Remove(uri, out previous);
        Unwanted(previous);
    }

    /// <summary>Shutdown: a count still running would hold cores after the client has gone.</summary>
    public void CancelAll()
    {
        lock (_lock) foreach (var count in _counts.Values) count.Cancel.Cancel();
    }

    private void Unwanted(string? key)
    {
        if (key is null) return;
        lock (_lock)
            if (!_wanted.ContainsValue(key) && _counts.TryGetValue(key, out var count) && !count.Pinned)
                count.Cancel.Cancel();
    }

    private void Enqueue(TokenJob job, bool pinned)
    {
        if (_counts.ContainsKey(job.Key)) return;   // queued, running, or being cancelled (then restarted: RunAsync)
        var count = new TokenCount(job, pinned);
        _counts[job.Key] = count;
        _ = Task.Run(() => RunAsync(count));
    }

    /// <summary>
    /// Counts off the analysis path, with work-done progress ("Counting tokens", percent of the records) where the
    /// client supports it. A failure is logged once and shown in the diagnostics; it is not retried until the inputs change.
    /// </summary>
    private async Task RunAsync(TokenCount count)
    {
        var job = count.Job;
        var ct = count.Cancel.Token;
        bool finished = false;
        try
        {
            try { await _slot.WaitAsync(ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            try
            {
                if (gate is { } held)
                {
                    try { await held(ct).ConfigureAwait(false); }
                    catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
                }
                if (!serving() || ct.IsCancellationRequested) return;
                var progress = await BeginProgressAsync(job).ConfigureAwait(false);
                long lastReported = 0;
                var watch = System.Diagnostics.Stopwatch.StartNew();
                string end;
                try
                {
                    // On a thread of its own (the counter adds its helpers the same way): the pool answers edits.
                    var tokenCounter = counter();
                    await Task.Factory.StartNew(() => tokenCounter.Count(job, done =>
                    {
                        if (progress is null || !client.IsOpen || job.Records == 0) return;
                        uint pct = (uint)Math.Min(99, done * 100 / job.Records);
                        long now = Interlocked.Read(ref lastReported);
                        if (pct < now + 5 || Interlocked.CompareExchange(ref lastReported, pct, now) != now) return;
                        _ = client.Notify("$/progress", new ProgressParams(progress, new ProgressValue("report", Message: $"{done:N0} of {job.Records:N0} records", Percentage: pct)));
                    }, ct, parallelism: Math.Max(1, Environment.ProcessorCount - 1)), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
                    end = $"{job.Records:N0} records counted in {watch.Elapsed.TotalSeconds:0.0} s";
                    log.Info($"token count: {end} ({job.Describe})");
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
                    log.Warning($"token count failed ({job.Describe}): {ex.Message}");
                    finished = true;
                }
                if (progress is not null && client.IsOpen)
                {
                    try { await client.Notify("$/progress", new ProgressParams(progress, new ProgressValue("end", Message: end))).ConfigureAwait(false); }
                    catch (Exception ex) when (ex is ConnectionLostException or ObjectDisposedException) { }
                }
            }
            finally { _slot.Release(); }
        }
        finally
        {
            lock (_lock)
            {
                if (_counts.TryGetValue(job.Key, out var current) && ReferenceEquals(current, count)) _counts.Remove(job.Key);
                // Cancelled, but a document asked for it again meanwhile (its analysis found this count still here).
                if (!finished && serving() && _wanted.ContainsValue(job.Key)) Enqueue(job, pinned: false);
            }
            if (finished && serving()) counted();
            count.Cancel.Dispose();
            count.Done.TrySetResult();
        }
    }

    /// <summary>The progress token of a count the client shows ("begin" sent), or null when it shows none.</summary>
    private async Task<string?> BeginProgressAsync(TokenJob job)
    {
        if (!capabilities().WorkDoneProgress || !client.IsOpen) return null;
        var token = "stepwise-tokens-" + Guid.NewGuid().ToString("N");
        try
        {
            await client.Request("window/workDoneProgress/create", new WorkDoneProgressCreateParams(token)).ConfigureAwait(false);
            await client.Notify("$/progress", new ProgressParams(token, new ProgressValue("begin", Title: "Counting tokens", Cancellable: false,
                Message: $"{job.Records:N0} records ({job.Describe})", Percentage: 0u))).ConfigureAwait(false);
            return token;
        }
        catch (Exception ex) when (ex is RemoteInvocationException or ConnectionLostException or ObjectDisposedException) { return null; }
    }
}
