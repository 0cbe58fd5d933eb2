using System.Threading.Channels;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// Roslyn's RequestExecutionQueue idea, reduced to what this server needs. StreamJsonRpc starts handlers in arrival
/// order but an awaiting handler can be overtaken, so every message is put here synchronously by its handler:
/// mutating messages (open/change/close/settings) run one at a time in order; a read-only request waits until every
/// mutation queued before it has run, then runs on its own (on a snapshot) while the queue moves on.
/// </summary>
public sealed class RequestQueue : IAsyncDisposable
{
    private readonly Channel<Func<Task>> _items = Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _worker;
    private readonly Action<Exception, string> _onError;

    public RequestQueue(Action<Exception, string> onError)
    {
        _onError = onError;
        _worker = Task.Run(RunAsync);
    }

    /// <summary>Queues a mutation; it runs after everything queued before it and before anything queued after it.</summary>
    public void Mutate(string what, Action action)
    {
        _items.Writer.TryWrite(() =>
        {
            try { action(); }
            catch (Exception ex) { _onError(ex, what); }
            return Task.CompletedTask;
        });
    }

    /// <summary>Queues a read-only request: it sees every earlier mutation and runs in parallel with later ones.</summary>
    public Task<T> Read<T>(Func<CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_items.Writer.TryWrite(() =>
            {
                // Started, not awaited: the queue goes on with the next message meanwhile.
                _ = Task.Run(async () =>
                {
                    try
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        done.TrySetResult(await read(cancellationToken).ConfigureAwait(false));
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { done.TrySetCanceled(cancellationToken); }
                    catch (Exception ex) { done.TrySetException(ex); }
                }, CancellationToken.None);
                return Task.CompletedTask;
            }))
            done.TrySetException(new ObjectDisposedException(nameof(RequestQueue)));
        return done.Task;
    }

    public Task<T> Read<T>(Func<CancellationToken, T> read, CancellationToken cancellationToken) =>
        Read(ct => Task.FromResult(read(ct)), cancellationToken);

    private async Task RunAsync()
    {
        await foreach (var item in _items.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try { await item().ConfigureAwait(false); }
            catch (Exception ex) { _onError(ex, "queue item"); }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _items.Writer.TryComplete();
        await _worker.ConfigureAwait(false);
    }
}
