using Stepwise.Core.Keys;
using Stepwise.Core.Model;
using Stepwise.LanguageServer.Server;
using Stepwise.Workspace;

namespace Stepwise.LanguageServer.Handlers;

/// <summary>Finds entries of a document's configurations: by position, and by canonical key name.</summary>
public static class ConfigEntries
{
    /// <summary>The entries one level down: a mapping's, or those of the mappings inside a list.</summary>
    public static IEnumerable<ConfigEntry> Children(ConfigValue v) =>
        v.Kind == ValueKind.Mapping ? v.Entries : v.Kind == ValueKind.Sequence ? v.Items.SelectMany(i => i.Kind == ValueKind.Mapping ? i.Entries : Enumerable.Empty<ConfigEntry>()) : Enumerable.Empty<ConfigEntry>();

    /// <summary>
    /// The innermost entry whose key or value holds the offset, with its configuration. Nested entries lie inside
    /// their parent's span, so only entries holding the offset are descended into: a hover on a top-level key of a
    /// config with a long inline data list never builds that list.
    /// </summary>
    public static (ConfigAnalysis Config, ConfigEntry Entry)? At(DocumentAnalysis analysis, int offset)
    {
        (ConfigAnalysis, ConfigEntry)? best = null;
        int bestLength = int.MaxValue;
        void Visit(ConfigAnalysis config, IEnumerable<ConfigEntry> entries)
        {
            foreach (var e in entries)
            {
                int start = e.KeySpan.Start, end = Math.Max(e.KeySpan.End, e.ValueSpan.End);
                if (offset < start || offset > end) continue;
                if (end - start < bestLength) { best = (config, e); bestLength = end - start; }
                Visit(config, Children(e.Value));
            }
        }
        foreach (var config in analysis.Configs) Visit(config, config.Document.Entries);
        return best;
    }

    /// <summary>The top-level entry a dialect uses for a canonical (Hugging Face) key, if written.</summary>
    public static ConfigEntry? Find(ConfigDocument doc, string canonical) =>
        doc.Find(KeyTable.Spelling(canonical, doc.Dialect)) ?? (doc.Dialect == Dialect.Hf ? null : doc.Find(canonical));

    /// <summary>The key info of an entry in its document's dialect (top-level entries only: nested keys are not settings).</summary>
    public static KeyInfo? Info(ConfigDocument doc, ConfigEntry e) =>
        e.IsTopLevel || doc.Syntax == ConfigSyntax.Python ? KeyTable.Lookup(doc.Dialect, e.Key) : null;
}
