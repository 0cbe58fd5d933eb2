using Stepwise.Core.Model;
using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server;

namespace Stepwise.LanguageServer.Handlers;

/// <summary>The server's commands (workspace/executeCommand) and the "▶ Train" code lens.</summary>
public static class TrainCommands
{
    // Server-side ids live in their own namespace (stepwise.server.*), apart from the ids a client contributes itself
    // (the VS Code extension's stepwise.train shows progress UI, then sends stepwise.server.train): a client that
    // registers a command per advertised id cannot collide with its own.
    public const string Train = "stepwise.server.train", Stop = "stepwise.server.stop", Runs = "stepwise.server.runs",
        CheckWorkspace = "stepwise.server.checkWorkspace";
    public static readonly string[] All = { Train, Stop, Runs, CheckWorkspace };

    /// <summary>"▶ Train" beside the summary lens of each training config.</summary>
    public static IEnumerable<CodeLens> Lenses(DocumentSnapshot doc)
    {
        foreach (var config in doc.Analysis.Configs)
        {
            if (config.Document.Dialect is not (Dialect.Hf or Dialect.Axolotl or Dialect.LlamaFactory) || !config.Document.HasTrainingArguments) continue;
            int line = config.Document.ConfigSpan?.Range.Start.Line ?? 0;
            var at = new LspRange(new LspPosition(line, 0), new LspPosition(line, 0));
            yield return new CodeLens
            {
                Range = at,
                Command = new Command { Title = "▶ Train", CommandId = Train, Arguments = new() { System.Text.Json.JsonSerializer.SerializeToElement(doc.Uri, Server.LspJsonContext.Default.String) } },
            };
            yield break; // one config per file trains; the lens sits at the first
        }
    }

    /// <summary>The error findings that block a run, as `line:col SWnnnn message` lines.</summary>
    public static List<string> Blocking(DocumentSnapshot doc) => doc.Analysis.Diagnostics
        .Where(d => d.Severity == DiagnosticSeverity.Error)
        .Select(d => $"{d.Range.Start.Line + 1}:{d.Range.Start.Character + 1} {d.Code} {d.Message}")
        .ToList();

    public static Dialect? DialectOf(DocumentSnapshot doc) => doc.Analysis.Configs.Select(c => (Dialect?)c.Document.Dialect).FirstOrDefault();
}
