using System.Text.Json;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace Stepwise.LanguageServer.Server;

/// <summary>JsonRpc with LSP's error codes: params that do not fit the handler's type are Invalid Params (-32602),
/// not a generic -32000 with a stack trace.</summary>
public sealed class LspJsonRpc : JsonRpc
{
    private readonly Func<bool> _initialized;

    public LspJsonRpc(IJsonRpcMessageHandler handler, Func<bool> initialized) : base(handler) { _initialized = initialized; }

    protected override JsonRpcError.ErrorDetail CreateErrorDetails(JsonRpcRequest request, Exception exception)
    {
        if (!_initialized() && request.Method != "initialize")
            return new JsonRpcError.ErrorDetail { Code = (JsonRpcErrorCode)(-32002), Message = "the server has not been initialized" };
        var inner = exception is System.Reflection.TargetInvocationException { InnerException: { } ie } ? ie : exception;
        if (inner is JsonException or RemoteSerializationException || inner.InnerException is JsonException)
            return new JsonRpcError.ErrorDetail
            {
                Code = JsonRpcErrorCode.InvalidParams,
                Message = $"Invalid params for {request.Method}: {inner.GetBaseException().Message}",
            };
        return base.CreateErrorDetails(request, exception);
    }
}
