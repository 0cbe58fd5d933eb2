using System.Diagnostics.CodeAnalysis;
using StreamJsonRpc;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// The few StreamJsonRpc calls that the trimming analysis cannot prove safe, gathered in one place with the reason
/// they are safe here. They matter for the Native AOT build (see the csproj and docs/lsp.md): there a reflection path
/// that was not kept fails at run time instead of being slow, and the out-of-process tests run against that binary.
/// </summary>
internal static class RpcCalls
{
    /// <summary>The server's JSON-RPC methods (its public members; [JsonRpcMethod] names them), read from a type the
    /// trimmer sees, so their metadata is kept.</summary>
    public static RpcTargetMetadata TargetMetadata => Metadata();

    // Only RPC events whose EventArgs is a struct close a generic type at run time (StreamJsonRpc's
    // RpcTargetMetadata.TryAddCandidateEvent); StepwiseServer declares no events and implements no interfaces.
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "StepwiseServer has no events: nothing generic is closed.")]
    private static RpcTargetMetadata Metadata()
        => RpcTargetMetadata.FromClass(typeof(StepwiseServer), new RpcTargetMetadata.ClassAndInterfaces(typeof(StepwiseServer)));

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Its options get LspJsonContext as their only resolver (LspJson.Configure): every wire type has generated metadata, nothing is reflected.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "As above: no serializer code is generated at run time with a source-generated resolver.")]
    public static SystemTextJsonFormatter Formatter()
    {
        var formatter = new SystemTextJsonFormatter();
        LspJson.Configure(formatter.JsonSerializerOptions);
        return formatter;
    }

    /// <summary>A notification whose params object is serialized whole with the formatter's options (so its type
    /// must be in <see cref="LspJsonContext"/>).</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "SystemTextJsonFormatter writes a params object as one value through LspJsonContext; its members are not reflected over.")]
    public static Task Notify(JsonRpc rpc, string method, object? argument) => rpc.NotifyWithParameterObjectAsync(method, argument);

    /// <summary>A request to the client; the answer arrives as a boxed JsonElement (or null).</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "As Notify.")]
    public static Task<object?> Invoke(JsonRpc rpc, string method, object? argument, CancellationToken cancellationToken = default)
        => rpc.InvokeWithParameterObjectAsync<object?>(method, argument, cancellationToken);
}
