using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server;

namespace Stepwise.LanguageServer.Tests.Units;

public class DocumentStoreTests
{
    private const string Uri = "file:///w/train.yaml";
    private readonly ScriptedAnalysis _analysis = new();
    private readonly StringWriter _log = new();
    private readonly DocumentStore _docs;

    public DocumentStoreTests() { _docs = new DocumentStore(_analysis.Analyze, new ServerLog(_log)); }

    private static TextDocumentContentChangeEvent[] Edit(int line, int from, int to, string text) =>
        new[] { new TextDocumentContentChangeEvent { Range = new LspRange(new LspPosition(line, from), new LspPosition(line, to)), Text = text } };

    [Fact]
    public void Changes_make_a_new_snapshot_at_the_client_version_and_keep_the_old_one_intact()
    {
        var v1 = _docs.Open(new TextDocumentItem(Uri, "yaml", 1, "max_steps: 10\n"));
        var v2 = _docs.Change(Uri, 2, Edit(0, 11, 13, "500"));

        Assert.NotNull(v2);
        Assert.Equal("max_steps: 500\n", v2.Text);
        Assert.Equal(2, v2.Version);
        Assert.Equal("max_steps: 10\n", v1.Text);
        Assert.True(_docs.TryGet(Uri, out var current));
        Assert.Same(v2, current);
        Assert.False(_docs.IsCurrent(v1));
        Assert.True(_docs.IsCurrent(v2));
        Assert.Empty(_analysis.Analysed);   // nothing analysed until someone asks
    }

    [Fact]
    public void A_change_that_is_not_after_the_current_version_or_to_a_closed_document_is_ignored_and_logged()
    {
        var v3 = _docs.Open(new TextDocumentItem(Uri, "yaml", 3, "a: 1\n"));
        Assert.Null(_docs.Change(Uri, 3, Edit(0, 3, 4, "2")));
        Assert.Null(_docs.Change(Uri, 2, Edit(0, 3, 4, "2")));
        Assert.Null(_docs.Change("file:///w/other.yaml", 9, Edit(0, 0, 0, "x")));
        Assert.True(_docs.TryGet(Uri, out var current));
        Assert.Same(v3, current);
        var log = _log.ToString();
        Assert.Contains($"didChange for {Uri} has version 3, not after 3: ignored", log);
        Assert.Contains("didChange for file:///w/other.yaml, which is not open: ignored", log);
    }

    [Fact]
    public void A_refused_change_keeps_the_text()
    {
        _docs.Open(new TextDocumentItem(Uri, "yaml", 1, "a: 1\nb: 2\n"));
        var inverted = new[] { new TextDocumentContentChangeEvent { Range = new LspRange(new LspPosition(1, 2), new LspPosition(0, 0)), Text = "" } };
        Assert.Null(_docs.Change(Uri, 2, inverted));
        Assert.True(_docs.TryGet(Uri, out var current));
        Assert.Equal(1, current.Version);
        Assert.Contains("is after its end", _log.ToString());
    }

    [Fact]
    public void Close_removes_the_document_once_and_lookup_finds_open_documents_by_path()
    {
        _docs.Open(new TextDocumentItem(Uri, "yaml", 4, "a: 1"));
        Assert.Equal((Uri, 4), _docs.LookupOpen(DocumentUris.ToPath(Uri)));
        Assert.True(_docs.Close(Uri));
        Assert.False(_docs.Close(Uri));
        Assert.Null(_docs.LookupOpen(DocumentUris.ToPath(Uri)));
        Assert.Empty(_docs.All);
    }

    [Theory]
    [InlineData("/w/data/train.jsonl", "/w/data/train.jsonl", true)]
    [InlineData("/w/data/*.jsonl", "/w/data/shard-2.jsonl", true)]
    [InlineData("/w/data/*.jsonl", "/w/data/sub/shard-2.jsonl", false)]
    [InlineData("/w/data/train.jsonl", "/w/data/train.json", false)]
    public void A_watched_path_or_glob_says_which_changed_files_a_result_depends_on(string watched, string changed, bool depends) =>
        Assert.Equal(depends, DocumentStore.DependsOn(watched, changed));

    [Fact]
    public void Regenerate_only_touches_analysed_documents_that_read_the_changed_file()
    {
        _ = _docs.Open(new TextDocumentItem(Uri, "yaml", 1, "watch /w/data/a.jsonl")).Analysis;
        _docs.Open(new TextDocumentItem("file:///w/unanalysed.yaml", "yaml", 1, "watch /w/data/a.jsonl"));   // not analysed: nothing to redo
        _ = _docs.Open(new TextDocumentItem("file:///w/b.yaml", "yaml", 1, "watch /w/data/b.jsonl")).Analysis;

        Assert.Equal(new[] { Uri }, _docs.Regenerate("/w/data/a.jsonl"));
        Assert.Equal(3, _docs.Regenerate(null).Count);
        Assert.True(_docs.TryGet(Uri, out var snap));
        Assert.Equal(2, snap.Generation);
        Assert.Equal("1.2", snap.ResultId);
    }
}
