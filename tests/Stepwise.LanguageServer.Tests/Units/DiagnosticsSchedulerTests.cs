using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server;

namespace Stepwise.LanguageServer.Tests.Units;

public class DiagnosticsSchedulerTests
{
    private const string Uri = "file:///w/train.yaml";

    private sealed class Rig
    {
        public readonly ScriptedAnalysis Analysis = new();
        public readonly RecordingClient Client = new();
        public ClientCapabilities Capabilities = new();
        public readonly ServerLog Log = new(TextWriter.Null);
        public readonly DocumentStore Docs;
        public readonly DiagnosticsScheduler Scheduler;
        public int Rounds;

        public Rig()
        {
            Docs = new DocumentStore(Analysis.Analyze, Log);
            Scheduler = new DiagnosticsScheduler(Docs, Client, () => Capabilities, () => { Interlocked.Increment(ref Rounds); return Task.CompletedTask; }, Log);
        }

        public void Open(string text, int version = 1, string uri = Uri) { Docs.Open(new TextDocumentItem(uri, "yaml", version, text)); Scheduler.Schedule(uri); }

        public void Change(int version, string text, string uri = Uri)
        {
            Assert.NotNull(Docs.Change(uri, version, new[] { new TextDocumentContentChangeEvent { Text = text } }));
            Scheduler.Schedule(uri);
        }

        public Task Idle(string uri = Uri) => Eventually.True(() => !Scheduler.IsBusy(uri), $"the diagnostics loop of {uri} ended");
        public IReadOnlyList<PublishDiagnosticsParams> Published => Client.Arguments<PublishDiagnosticsParams>("textDocument/publishDiagnostics");
    }

    [Fact]
    public async Task A_burst_of_changes_during_an_analysis_ends_in_one_analysis_of_the_newest_version()
    {
        var rig = new Rig();
        rig.Analysis.Hold(1);
        rig.Open("v1");
        await rig.Analysis.WaitStarted();
        for (int v = 2; v <= 6; v++) rig.Change(v, "v" + v);
        rig.Analysis.Release();
        await rig.Idle();

        Assert.Equal(new[] { 1, 6 }, rig.Analysis.Analysed);
        // The round of version 1 found a newer snapshot when it was done: it published nothing.
        var published = Assert.Single(rig.Published);
        Assert.Equal(6, published.Version);
        Assert.Equal("v6", Assert.Single(published.Diagnostics).Message);
    }

    [Fact]
    public async Task Publications_of_a_document_never_go_back_to_an_older_version()
    {
        var rig = new Rig();
        rig.Analysis.Delay = TimeSpan.FromMilliseconds(1);
        rig.Open("v1");
        for (int v = 2; v <= 150; v++)
        {
            rig.Change(v, "v" + v);
            if (v % 10 == 0) await Task.Delay(2); // let some rounds finish in between
        }
        await rig.Idle();

        var versions = rig.Published.Select(p => p.Version!.Value).ToList();
        Assert.NotEmpty(versions);
        for (int i = 1; i < versions.Count; i++) Assert.True(versions[i] > versions[i - 1], $"version {versions[i]} published after {versions[i - 1]}");
        Assert.Equal(150, versions[^1]);
        Assert.Equal("v150", rig.Published[^1].Diagnostics[0].Message);
    }

    [Fact]
    public async Task Closing_a_document_mid_analysis_clears_its_diagnostics_and_drops_its_pending_round()
    {
        var rig = new Rig();
        rig.Analysis.Hold(1);
        rig.Open("v1");
        await rig.Analysis.WaitStarted();
        rig.Change(2, "v2");                 // pending: the loop would run again for it
        Assert.True(rig.Docs.Close(Uri));
        rig.Scheduler.Closed(Uri);
        rig.Analysis.Release();
        await rig.Idle();
        await Eventually.True(() => rig.Published.Count > 0, "the empty set was published");

        Assert.Equal(new[] { 1 }, rig.Analysis.Analysed);
        var published = Assert.Single(rig.Published);
        Assert.Empty(published.Diagnostics);
        Assert.Null(published.Version);
    }

    [Fact]
    public async Task With_pulled_diagnostics_nothing_is_pushed_and_the_round_still_runs()
    {
        var rig = new Rig { Capabilities = new ClientCapabilities { PullDiagnostics = true } };
        rig.Open("v1");
        await rig.Idle();
        Assert.True(rig.Docs.Close(Uri));
        rig.Scheduler.Closed(Uri);

        Assert.Equal(new[] { 1 }, rig.Analysis.Analysed);
        Assert.Equal(1, rig.Rounds);
        Assert.Empty(rig.Client.Sent);
    }

    [Fact]
    public async Task A_changed_file_reanalyses_only_the_documents_that_read_it_and_asks_for_refreshes()
    {
        var rig = new Rig
        {
            Capabilities = new ClientCapabilities { PullDiagnostics = true, DiagnosticRefresh = true, InlayHintRefresh = true, CodeLensRefresh = true },
        };
        const string other = "file:///w/other.yaml";
        rig.Open("a: 1\nwatch /w/data/train.jsonl");
        rig.Open("b: 1", uri: other);
        await rig.Idle();
        await rig.Idle(other);
        Assert.True(rig.Docs.TryGet(Uri, out var before));

        rig.Scheduler.Reanalyze("/w/data/other.jsonl");   // read by no document
        Assert.Empty(rig.Client.Sent);

        rig.Scheduler.Reanalyze("/w/data/train.jsonl");
        await rig.Idle();
        Assert.True(rig.Docs.TryGet(Uri, out var after));
        Assert.Equal(before.Generation + 1, after.Generation);
        Assert.Equal(before.Text, after.Text);
        Assert.True(rig.Docs.TryGet(other, out var untouched));
        Assert.Equal(0, untouched.Generation);
        Assert.Equal(new[] { 1, 1, 1 }, rig.Analysis.Analysed);   // both opens, then the reader of train.jsonl again
        Assert.Equal(new[] { "workspace/diagnostic/refresh", "workspace/inlayHint/refresh", "workspace/codeLens/refresh" },
            rig.Client.Sent.Where(s => s.IsRequest).Select(s => s.Method));
    }
}
