using Stepwise.LanguageServer.Protocol;
using StreamJsonRpc;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// When documents are analysed and their diagnostics published. One analysis loop per document at a time; edits
/// arriving meanwhile are coalesced into one more round on the newest snapshot, so a burst of keystrokes ends in the
/// diagnostics of the final text. Only the newest snapshot of a still-open document publishes (pushed diagnostics,
/// when the client does not pull them), one publication at a time, so an older version never follows a newer one.
/// </summary>
/// <param name="afterRound">Awaited after each round of a document's loop (the file watchers follow what it now reads).</param>
public sealed class DiagnosticsScheduler(
    DocumentStore docs, IClientConnection client, Func<ClientCapabilities> capabilities, Func<Task> afterRound,
    ServerLog log)
{
    private readonly SemaphoreSlim _publishLock = new(1, 1);
    private readonly object _loopLock = new();
    private readonly HashSet<string> _running = new(StringComparer.Ordinal), _dirty = new(StringComparer.Ordinal);

    /// <summary>Whether the loop of <paramref name="uri"/> is running or about to (tests wait for it to end).</summary>
    public bool IsBusy(string uri) { lock (_loopLock) return _running.Contains(uri); }

    /// <summary>Analyses the newest snapshot of <paramref name="uri"/> and publishes its diagnostics, now or after the
    /// round running for it.</summary>
    public void Schedule(string uri)
    {
        lock (_loopLock)
        {
            if (_running.Contains(uri)) { _dirty.Add(uri); return; }
            _running.Add(uri);
        }
        _ = Task.Run(() => LoopAsync(uri));
    }

    /// <summary>A document was closed (already out of the store): a round still running for it publishes nothing, and
    /// pushed diagnostics are cleared with the empty set.</summary>
    public void Closed(string uri)
    {
        if (!capabilities().PullDiagnostics) _ = PublishAsync(uri, null, Array.Empty<Diagnostic>(), null);
    }

    /// <summary>New snapshots for the documents that depend on <paramref name="changedPath"/> (all when null: settings,
    /// a finished token count), analysed again; then the client is asked to refresh what it pulls.</summary>
    public void Reanalyze(string? changedPath)
    {
        var uris = docs.Regenerate(changedPath);
        foreach (var uri in uris) Schedule(uri);
        if (uris.Count == 0) return;
        var caps = capabilities();
        if (caps.PullDiagnostics && caps.DiagnosticRefresh) Refresh("workspace/diagnostic/refresh");
        if (caps.InlayHintRefresh) Refresh("workspace/inlayHint/refresh");
        if (caps.CodeLensRefresh) Refresh("workspace/codeLens/refresh");
    }

    private async Task LoopAsync(string uri)
    {
        while (true)
        {
            lock (_loopLock) _dirty.Remove(uri);
            try
            {
                if (docs.TryGet(uri, out var snap))
                {
                    var analysis = snap.Analysis;
                    if (!capabilities().PullDiagnostics) await PublishAsync(uri, snap, analysis.Diagnostics, snap.Version).ConfigureAwait(false);
                    await afterRound().ConfigureAwait(false);
                }
            }
            catch (Exception ex) { log.Error($"diagnostics for {uri} failed: {ex}"); }
            lock (_loopLock)
            {
                if (!_dirty.Contains(uri)) { _running.Remove(uri); return; }
            }
        }
    }

    /// <param name="expected">The snapshot the diagnostics are of: nothing is sent unless it is still the newest of an
    /// open document. Null for the empty set of a closed document.</param>
    private async Task PublishAsync(string uri, DocumentSnapshot? expected, IReadOnlyList<Diagnostic> diagnostics, int? version)
    {
        if (!client.IsOpen) return;
        await _publishLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (expected is not null && !docs.IsCurrent(expected)) return;
            await client.Notify("textDocument/publishDiagnostics", new PublishDiagnosticsParams(uri, version, diagnostics)).ConfigureAwait(false);
            StartupTrace.Mark("diagnostics sent");
        }
        catch (Exception ex) when (ex is ConnectionLostException or ObjectDisposedException) { }
        finally { _publishLock.Release(); }
    }

    /// <summary>A server-to-client request whose answer does not matter (the refresh requests).</summary>
    private void Refresh(string method)
    {
        if (!client.IsOpen) return;
        _ = client.Request(method, null)
            .ContinueWith(t => log.Warning($"{method} failed: {t.Exception?.GetBaseException().Message}"), TaskContinuationOptions.OnlyOnFaulted);
    }
}
