using StreamJsonRpc;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// The client end of the connection as the server's units see it: notifications and requests by method name, with
/// params objects serialized through <see cref="LspJsonContext"/>. The units take this instead of a JsonRpc so each can
/// be tested against a recording client; the server passes <see cref="RpcClientConnection"/>.
/// </summary>
public interface IClientConnection
{
    /// <summary>False before the connection exists and once it is disposed: nothing is sent then.</summary>
    bool IsOpen { get; }

    /// <summary>Sends a notification; fails like StreamJsonRpc does (ConnectionLostException, ObjectDisposedException).</summary>
    Task Notify(string method, object? argument);

    /// <summary>Sends a request; the answer arrives as a boxed JsonElement (or null). A client error is a RemoteInvocationException.</summary>
    Task<object?> Request(string method, object? argument, CancellationToken cancellationToken = default);
}

/// <summary>The live connection (set once <see cref="StepwiseServer.Listen"/> made it), through <see cref="RpcCalls"/>.</summary>
internal sealed class RpcClientConnection(Func<JsonRpc?> rpc) : IClientConnection
{
    public bool IsOpen => rpc() is { IsDisposed: false };

    public Task Notify(string method, object? argument) => RpcCalls.Notify(Current, method, argument);

    public Task<object?> Request(string method, object? argument, CancellationToken cancellationToken = default) =>
        RpcCalls.Invoke(Current, method, argument, cancellationToken);

    private JsonRpc Current => rpc() ?? throw new ObjectDisposedException(nameof(JsonRpc), "the connection is not open");
}
