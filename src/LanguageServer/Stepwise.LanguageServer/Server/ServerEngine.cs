using Stepwise.LanguageServer.Handlers;
using Stepwise.LanguageServer.Protocol;
using Stepwise.Workspace;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// The engine as the server runs it: one <see cref="ConfigChecker"/>, built on first use from the settings, and the
/// ways the server asks it: a snapshot's analysis turned into LSP diagnostics (too-large documents and engine crashes
/// become one diagnostic instead of an error), a file of Check Workspace, and a config as the bundled trainer reads it.
/// </summary>
/// <param name="lookupOpen">The open document at a path (diagnostics that name another file point at its buffer).</param>
/// <param name="analyze">Replaces the engine entry point (<see cref="ServerOptions.Analyze"/>); null: the engine.</param>
public sealed class ServerEngine(
    SettingsState settings, BackgroundTokenCounts tokens, Diagnostics.OpenDocumentLookup lookupOpen,
    int maxAnalysedLength, Func<string, string, WorkspaceOptions, FileAnalysis>? analyze, ServerLog log)
{
    private ConfigChecker? _checker;

    public ConfigChecker Checker => LazyInitializer.EnsureInitialized(ref _checker, () => new ConfigChecker(settings.Options));

    /// <summary>A snapshot's analysis (<see cref="DocumentSnapshot"/> calls it once, on first use).</summary>
    public DocumentAnalysis Analyze(DocumentSnapshot s)
    {
        if (s.Text.Length > maxAnalysedLength)
        {
            var d = new Diagnostic
            {
                Range = new LspRange(new LspPosition(0, 0), new LspPosition(0, 0)),
                Severity = DiagnosticSeverity.Information, Code = Stepwise.Core.Rules.File.FileRules.ReadError.Id, Source = Diagnostics.Source,
                Message = $"This document has {s.Text.Length:N0} characters; Stepwise analyses documents up to {maxAnalysedLength:N0}",
            };
            return new DocumentAnalysis(null, new[] { d }, null, Array.Empty<string>());
        }
        using var counting = tokens.Analysing(s.Uri);
        try
        {
            StartupTrace.Mark("analysis start");
            var options = settings.Options;
            var file = analyze is { } replaced
                ? replaced(s.Path, s.Text, options)
                : Checker.AnalyzeText(s.Path, s.Text, options);
            var dir = System.IO.Path.GetDirectoryName(s.Path) ?? "";
            var watched = file.Watched.Select(w => System.IO.Path.GetFullPath(System.IO.Path.Combine(dir, w))).ToList();
            var result = new DocumentAnalysis(file, Diagnostics.From(s, file, lookupOpen), null, watched);
            StartupTrace.Mark("analysis done");
            return result;
        }
        catch (Exception ex)
        {
            log.Error($"analysing {s.Uri} (version {s.Version}) failed: {ex}");
            return new DocumentAnalysis(null, new[] { Diagnostics.InternalError($"{ex.GetType().Name}: {ex.Message}") }, ex.Message, Array.Empty<string>());
        }
    }

    /// <summary>A file Check Workspace publishes (not open, not analysed again): its token lengths are counted inline.</summary>
    public FileAnalysis AnalyzeForCheck(string path, string text) => Checker.AnalyzeText(path, text, settings.CheckOptions);

    /// <summary>The SW5001 findings of the text analysed for the bundled trainer, as `line:col SW5001 message` lines.</summary>
    public List<string> BundledTrainerRefusals(string path, string text)
    {
        var options = settings.Options;
        options = options with { Analysis = options.Analysis with { ForBundledTrainer = true } };
        var file = analyze is { } replaced ? replaced(path, text, options) : Checker.AnalyzeText(path, text, options);
        return file.Configs
            .SelectMany(c => c.Result.Findings)
            .Where(f => f.Id == Stepwise.Core.Rules.Trainer.SW5001_NotDoneByBundledTrainer.Rule.Id)
            .Select(f => $"{f.Span.Range.Start.Line + 1}:{f.Span.Range.Start.Character + 1} {f.Id} {f.Message}")
            .ToList();
    }

    /// <summary>Runs the engine and the diagnostics conversion once on a made-up document (<see cref="Warmup"/>):
    /// nothing is stored or published, and git is not asked.</summary>
    public DocumentSnapshot WarmAnalysis(string path, string text)
    {
        var options = settings.Options with { UseGit = false };
        return new DocumentSnapshot(DocumentUris.FromPath(path), path, "yaml", 1, text, 0, s =>
        {
            var file = Checker.AnalyzeText(s.Path, s.Text, options);
            return new DocumentAnalysis(file, Diagnostics.From(s, file, _ => null), null, Array.Empty<string>());
        });
    }
}
