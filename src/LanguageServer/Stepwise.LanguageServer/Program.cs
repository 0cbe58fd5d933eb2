using Stepwise.LanguageServer.Server;

StartupTrace.Mark("main");
StartupTrace.WatchAssemblyLoads();

// stepwise-lsp: the Stepwise language server on stdio. `--stdio` (what vscode-languageclient appends) is accepted
// and ignored; stdout carries LSP messages only, logs go to stderr.
if (args.Contains("--version"))
{
    Console.Error.WriteLine($"stepwise-lsp {typeof(StepwiseServer).Assembly.GetName().Version?.ToString(3)}");
    return 0;
}
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.Error.WriteLine("usage: stepwise-lsp [--stdio]\nSpeaks the Language Server Protocol (3.17) on stdin/stdout; see docs/lsp.md.");
    return 0;
}

Warmup.PreloadKeyData(Environment.GetEnvironmentVariable("STEPWISE_LSP_PRELOAD"));
var server = new StepwiseServer(new ServerOptions { Log = Console.Error, WarmUp = Warmup.WorthIt(Environment.GetEnvironmentVariable("STEPWISE_LSP_WARMUP")) });
StartupTrace.Mark("server constructed");
using var rpc = server.Listen(Console.OpenStandardInput(), Console.OpenStandardOutput());
StartupTrace.Mark("listening");
var code = await server.Exit.ConfigureAwait(false);
return code;
