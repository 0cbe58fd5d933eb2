using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server;
using Stepwise.Workspace;

namespace Stepwise.LanguageServer.Tests.Units;

public class ServerEngineTests
{
    private int _engineCalls;

    private FileAnalysis Counting(string path, string text, WorkspaceOptions options)
    {
        Interlocked.Increment(ref _engineCalls);
        return UnitKit.NotAConfig(path, text, options);
    }

    [Fact]
    public void A_document_over_the_length_limit_gets_one_information_diagnostic_and_no_engine_run()
    {
        var kit = new UnitKit(Counting, maxAnalysedLength: 10);
        var snap = kit.Docs.Open(new TextDocumentItem("file:///w/big.yaml", "yaml", 1, new string('a', 11)));

        var d = Assert.Single(snap.Analysis.Diagnostics);
        Assert.Equal(DiagnosticSeverity.Information, d.Severity);
        Assert.Equal("This document has 11 characters; Stepwise analyses documents up to 10", d.Message);
        Assert.Equal(0, _engineCalls);

        var small = kit.Docs.Open(new TextDocumentItem("file:///w/small.yaml", "yaml", 1, new string('a', 10)));
        Assert.Empty(small.Analysis.Diagnostics);
        Assert.Equal(1, _engineCalls);
    }

    [Fact]
    public void An_engine_crash_becomes_an_internal_error_diagnostic_and_a_log_line()
    {
        var kit = new UnitKit((_, _, _) => throw new InvalidOperationException("boom"));
        var snap = kit.Docs.Open(new TextDocumentItem("file:///w/train.yaml", "yaml", 3, "a: 1"));

        var d = Assert.Single(snap.Analysis.Diagnostics);
        Assert.Equal(Stepwise.Core.Rules.File.FileRules.InternalError.Id, d.Code);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Contains("(internal error: InvalidOperationException: boom)", d.Message);
        Assert.Equal("boom", snap.Analysis.InternalError);
        Assert.Contains("analysing file:///w/train.yaml (version 3) failed: System.InvalidOperationException: boom", kit.LogText.ToString());
    }

    [Fact]
    public void Watched_paths_are_made_absolute_against_the_document_folder()
    {
        var kit = new UnitKit((path, text, _) => new FileAnalysis(path, text, Array.Empty<ConfigAnalysis>(), null, new[] { "data/train.jsonl", "/abs/ds.json" }));
        var dir = Path.Combine(Path.GetTempPath(), "w");
        var snap = kit.Docs.Open(new TextDocumentItem(DocumentUris.FromPath(Path.Combine(dir, "train.yaml")), "yaml", 1, "a: 1"));

        Assert.Equal(new[] { Path.GetFullPath(Path.Combine(dir, "data/train.jsonl")), Path.GetFullPath("/abs/ds.json") }, snap.Analysis.Watched);
    }

    [Fact]
    public async Task The_engine_gets_the_options_of_the_applied_settings()
    {
        WorkspaceOptions? seen = null;
        var kit = new UnitKit((path, text, options) => { seen = options; return UnitKit.NotAConfig(path, text, options); });
        kit.Settings.Changed(false, System.Text.Json.JsonDocument.Parse("""{"stepwise": {"epochThreshold": 5}}""").RootElement.Clone());
        await kit.Drain().WaitAsync(TimeSpan.FromSeconds(10));

        _ = kit.Docs.Open(new TextDocumentItem("file:///w/train.yaml", "yaml", 1, "a: 1")).Analysis;
        Assert.Equal(5.0, seen!.Analysis.EpochThreshold);
        Assert.False(kit.Engine.BundledTrainerRefusals("/w/train.yaml", "a: 1").Any());
        Assert.True(seen.Analysis.ForBundledTrainer, "the bundled trainer's analysis asks for its refusals");
    }
}
