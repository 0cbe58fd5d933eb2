using System.Collections.Concurrent;
using Stepwise.LanguageServer.Protocol;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// The open documents: one immutable <see cref="DocumentSnapshot"/> per URI, replaced whole by open, change and
/// regeneration. Mutations come from the <see cref="RequestQueue"/> one at a time; reads (requests, the diagnostics
/// loop, the watcher registration) may run on any thread and see either the old or the new snapshot.
/// </summary>
/// <param name="analyze">How a snapshot gets its analysis (run lazily, at most once per snapshot).</param>
public sealed class DocumentStore(Func<DocumentSnapshot, DocumentAnalysis> analyze, ServerLog log)
{
    private readonly ConcurrentDictionary<string, DocumentSnapshot> _docs = new(StringComparer.Ordinal);

    public bool TryGet(string uri, out DocumentSnapshot snapshot) => _docs.TryGetValue(uri, out snapshot!);

    /// <summary>Whether <paramref name="snapshot"/> is still the newest snapshot of its document (an open one).</summary>
    public bool IsCurrent(DocumentSnapshot snapshot) => _docs.TryGetValue(snapshot.Uri, out var current) && ReferenceEquals(current, snapshot);

    public IEnumerable<DocumentSnapshot> All => _docs.Values;

    /// <summary>didOpen: the document at its client version (a second open of the same URI replaces the first).</summary>
    public DocumentSnapshot Open(TextDocumentItem item)
    {
        var snapshot = new DocumentSnapshot(item.Uri, DocumentUris.ToPath(item.Uri, item.LanguageId), item.LanguageId, item.Version, item.Text, 0, analyze);
        _docs[item.Uri] = snapshot;
        return snapshot;
    }

    /// <summary>didChange: the new snapshot, or null (logged) when the document is not open, the version is not after the
    /// current one, or the changes are refused.</summary>
    public DocumentSnapshot? Change(string uri, int version, IReadOnlyList<TextDocumentContentChangeEvent>? changes)
    {
        if (!_docs.TryGetValue(uri, out var current)) { log.Warning($"didChange for {uri}, which is not open: ignored"); return null; }
        if (version <= current.Version)
        {
            log.Warning($"didChange for {uri} has version {version}, not after {current.Version}: ignored");
            return null;
        }
        var text = DocumentSnapshot.ApplyChanges(current.Text, changes, out var problem);
        if (problem is not null) log.Warning($"didChange for {uri} v{version}: {problem}");
        if (text is null) return null;
        var next = current.With(version, text, analyze);
        _docs[uri] = next;
        return next;
    }

    /// <summary>didClose: whether the document was open.</summary>
    public bool Close(string uri) => _docs.TryRemove(uri, out _);

    /// <summary>New snapshots (same text, next generation) of the documents whose result depends on
    /// <paramref name="changedPath"/> (all open documents when null); their URIs.</summary>
    public List<string> Regenerate(string? changedPath)
    {
        var regenerated = new List<string>();
        foreach (var (uri, snap) in _docs)
        {
            if (changedPath is not null && !(snap.IsAnalyzed && snap.Analysis.Watched.Any(w => DependsOn(w, changedPath))))
                continue;
            _docs[uri] = snap.Regenerate(analyze);
            regenerated.Add(uri);
        }
        return regenerated;
    }

    /// <summary>A watched entry is a full path or a glob (a dataset written as data/*.jsonl: a new shard counts too).</summary>
    public static bool DependsOn(string watched, string changedPath) =>
        DocumentUris.SamePath(watched, changedPath)
        || (Stepwise.Workspace.Datasets.Glob.HasWildcards(watched) && Stepwise.Workspace.Datasets.Glob.Matches("/", watched, changedPath));

    /// <summary>The open document at <paramref name="path"/> (its URI and version), for results that name other files.</summary>
    public (string Uri, int Version)? LookupOpen(string path)
    {
        foreach (var d in _docs.Values) if (DocumentUris.SamePath(d.Path, path)) return (d.Uri, d.Version);
        return null;
    }
}
