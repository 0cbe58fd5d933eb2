using System.CommandLine;
using Stepwise.CommandLine;
using Stepwise.LanguageServer.Server;

namespace Stepwise.Cli.Commands;

/// <summary>`stepwise lsp`: the language server on stdio, in this process (the repository's ./stepwise script runs the
/// separately built, natively compiled stepwise-lsp instead).</summary>
public sealed class LspCommand : CliCommand
{
    public override int Order => 15;

    public override Command Build()
    {
        // vscode-languageclient appends --stdio; stdio is the only transport, so it is accepted and means nothing more.
        var stdio = new Option<bool>("--stdio") { Description = "Talk LSP over stdin/stdout (the default and only transport)" };
        var command = WithExamples(new Command("lsp", "Start the language server (LSP 3.17) on stdin/stdout for any editor") { stdio },
            "stepwise lsp", "Neovim: vim.lsp.start({ name = 'stepwise', cmd = { 'stepwise', 'lsp' } })");
        command.SetAction((_, _) => LspHost.RunAsync());
        return command;
    }
}
