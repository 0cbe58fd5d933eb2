using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server;
using StreamJsonRpc;

namespace Stepwise.LanguageServer.Tests.Units;

public class FileWatchersTests
{
    private readonly ScriptedAnalysis _analysis = new();
    private readonly RecordingClient _client = new();
    private readonly StringWriter _log = new();
    private readonly DocumentStore _docs;
    private readonly FileWatchers _watchers;
    private ClientCapabilities _capabilities = new() { WatchedFilesDynamicRegistration = true };

    public FileWatchersTests()
    {
        var log = new ServerLog(_log);
        _docs = new DocumentStore(_analysis.Analyze, log);
        _watchers = new FileWatchers(_docs, _client, () => _capabilities, log);
    }

    /// <summary>Opens and analyses a document that reads <paramref name="paths"/>.</summary>
    private void OpenAnalysed(string uri, params string[] paths) =>
        _ = _docs.Open(new TextDocumentItem(uri, "yaml", 1, string.Join("\n", paths.Select(p => "watch " + p)))).Analysis;

    private IReadOnlyList<RegistrationParams> Registered => _client.Arguments<RegistrationParams>("client/registerCapability");
    private IReadOnlyList<UnregistrationParams> Unregistered => _client.Arguments<UnregistrationParams>("client/unregisterCapability");

    private static List<string> Globs(RegistrationParams p) =>
        ((DidChangeWatchedFilesRegistrationOptions)Assert.Single(p.Registrations).RegisterOptions!).Watchers.Select(w => w.GlobPattern).ToList();

    [Fact]
    public async Task A_changed_set_replaces_the_registration_and_an_unchanged_one_sends_nothing()
    {
        OpenAnalysed("file:///w/a.yaml", "/w/data/a.jsonl");
        await _watchers.UpdateAsync();
        var first = Assert.Single(Registered);
        Assert.Equal(new[] { "/w/data/a.jsonl" }, Globs(first));
        Assert.Equal("workspace/didChangeWatchedFiles", first.Registrations[0].Method);
        Assert.Empty(Unregistered);

        await _watchers.UpdateAsync();
        Assert.Single(_client.Sent);   // same set: nothing sent

        OpenAnalysed("file:///w/b.yaml", "/w/data/b/*.jsonl", "/w/data/a.jsonl");
        await _watchers.UpdateAsync();
        Assert.Equal(2, Registered.Count);
        Assert.Equal(new[] { "/w/data/a.jsonl", "/w/data/b/*.jsonl" }, Globs(Registered[1]));
        Assert.NotEqual(first.Registrations[0].Id, Registered[1].Registrations[0].Id);
        // The new registration is in place before the old one goes: no change falls between the two.
        Assert.Equal(new[] { "client/registerCapability", "client/registerCapability", "client/unregisterCapability" }, _client.Sent.Select(s => s.Method));
        Assert.Equal(first.Registrations[0].Id, Assert.Single(Assert.Single(Unregistered).Unregisterations).Id);
        Assert.Equal(new[] { "/w/data/a.jsonl", "/w/data/b/*.jsonl" }, _watchers.Watched);
    }

    [Fact]
    public async Task Closing_every_document_unregisters_and_registers_nothing_new()
    {
        OpenAnalysed("file:///w/a.yaml", "/w/data/a.jsonl");
        await _watchers.UpdateAsync();
        var id = Assert.Single(Registered).Registrations[0].Id;

        Assert.True(_docs.Close("file:///w/a.yaml"));
        await _watchers.UpdateAsync();

        Assert.Single(Registered);
        Assert.Equal(id, Assert.Single(Assert.Single(Unregistered).Unregisterations).Id);
        Assert.Empty(_watchers.Watched);
    }

    [Fact]
    public async Task Documents_not_analysed_yet_and_clients_without_dynamic_registration_get_nothing()
    {
        _docs.Open(new TextDocumentItem("file:///w/a.yaml", "yaml", 1, "watch /w/data/a.jsonl"));   // not analysed
        await _watchers.UpdateAsync();
        Assert.Empty(_client.Sent);

        _capabilities = new ClientCapabilities();
        OpenAnalysed("file:///w/b.yaml", "/w/data/b.jsonl");
        await _watchers.UpdateAsync();
        Assert.Empty(_client.Sent);
    }

    [Fact]
    public async Task A_refused_registration_is_logged_and_the_next_change_tries_again()
    {
        _client.Answer = (method, _) => Task.FromException<object?>(new RemoteInvocationException("no watchers here", -32601, (object?)null));
        OpenAnalysed("file:///w/a.yaml", "/w/data/a.jsonl");
        await _watchers.UpdateAsync();
        Assert.Contains("registering file watchers failed: no watchers here", _log.ToString());

        _client.Answer = (_, _) => Task.FromResult<object?>(null);
        OpenAnalysed("file:///w/b.yaml", "/w/data/b.jsonl");
        await _watchers.UpdateAsync();
        Assert.Equal(2, Registered.Count);
        // The refused registration never existed: nothing to unregister.
        Assert.Empty(Unregistered);
    }
}
