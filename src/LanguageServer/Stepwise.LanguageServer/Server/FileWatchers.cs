using Stepwise.LanguageServer.Protocol;
using StreamJsonRpc;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// The files the client watches for the server (workspace/didChangeWatchedFiles, registered dynamically where the
/// client can): the datasets and DeepSpeed/accelerate configs the analysed open documents read. The set is compared
/// after each analysis round and on close; when it changed, one registration with the whole new set replaces the old
/// one (registered first, then the old one unregistered, so no change falls between), and when it became empty the old
/// registration is only withdrawn. An unchanged set sends nothing.
/// </summary>
public sealed class FileWatchers(DocumentStore docs, IClientConnection client, Func<ClientCapabilities> capabilities, ServerLog log)
{
    private const string Method = "workspace/didChangeWatchedFiles";
    private readonly SemaphoreSlim _lock = new(1, 1);
    private HashSet<string> _watched = new(StringComparer.Ordinal);
    private string? _registration;

    /// <summary>The paths (or globs) registered now, sorted.</summary>
    public IReadOnlyList<string> Watched
    {
        get { _lock.Wait(); try { return _watched.OrderBy(x => x, StringComparer.Ordinal).ToList(); } finally { _lock.Release(); } }
    }

    /// <summary><see cref="UpdateAsync"/> off the caller's thread (a pull request that has just analysed a document).</summary>
    public void UpdateLater() => _ = Task.Run(UpdateAsync);

    /// <summary>Registers the files the analysed open documents read now, if that set changed since the last time.</summary>
    public async Task UpdateAsync()
    {
        if (!capabilities().WatchedFilesDynamicRegistration || !client.IsOpen) return;
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            var now = new HashSet<string>(docs.All.Where(d => d.IsAnalyzed).SelectMany(d => d.Analysis.Watched), StringComparer.Ordinal);
            if (now.SetEquals(_watched)) return;
            var old = _registration;
            _watched = now;
            _registration = null;
            if (now.Count > 0)
            {
                var id = "stepwise-watch-" + Guid.NewGuid().ToString("N");
                var watchers = now.OrderBy(x => x, StringComparer.Ordinal).Select(path => new Protocol.FileSystemWatcher(path.Replace('\\', '/'))).ToList();
                await client.Request("client/registerCapability", new RegistrationParams(new[]
                {
                    new Registration(id, Method, new DidChangeWatchedFilesRegistrationOptions(watchers)),
                })).ConfigureAwait(false);
                _registration = id;
            }
            if (old is not null)
                await client.Request("client/unregisterCapability",
                    new UnregistrationParams(new[] { new Unregistration(old, Method) })).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RemoteInvocationException or ConnectionLostException or ObjectDisposedException)
        {
            log.Warning($"registering file watchers failed: {ex.Message}");
        }
        finally { _lock.Release(); }
    }
}
