namespace Stepwise.LanguageServer.Server;

/// <summary>
/// The server on this process's stdin/stdout, for hosts other than stepwise-lsp's own Program (the `stepwise lsp`
/// command of the installed .NET tool runs it in-process). stdout carries LSP messages only; logs go to stderr until
/// the client is initialized.
/// </summary>
public static class LspHost
{
    public static async Task<int> RunAsync()
    {
        Warmup.PreloadKeyData(Environment.GetEnvironmentVariable("STEPWISE_LSP_PRELOAD"));
        var server = new StepwiseServer(new ServerOptions { Log = Console.Error, WarmUp = Warmup.WorthIt(Environment.GetEnvironmentVariable("STEPWISE_LSP_WARMUP")) });
        using var rpc = server.Listen(Console.OpenStandardInput(), Console.OpenStandardOutput());
        return await server.Exit.ConfigureAwait(false);
    }
}
