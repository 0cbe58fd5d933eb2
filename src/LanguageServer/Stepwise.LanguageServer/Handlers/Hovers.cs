using System.Globalization;
using System.Text;
using Stepwise.Core.Arithmetic;
using Stepwise.Core.Keys;
using Stepwise.Core.Model;
using Stepwise.Core.Text;
using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server;

namespace Stepwise.LanguageServer.Handlers;

/// <summary>
/// textDocument/hover on a known key: what it means, its default and allowed values (the engine's key table); on
/// batch and run-length keys also the run's full arithmetic and, when output_dir holds an earlier run's
/// throughput, how long this run takes.
/// </summary>
public static class Hovers
{
    public static Hover? For(DocumentSnapshot doc, LspPosition position)
    {
        var analysis = doc.Analysis;
        int offset = doc.Lines.OffsetOf(new Position(position.Line, position.Character));
        if (ConfigEntries.At(analysis, offset) is not var (config, entry)) return null;
        var info = ConfigEntries.Info(config.Document, entry);
        if (info is null) return null;

        var dialect = config.Document.Dialect;
        var md = new StringBuilder();
        md.Append("**").Append(entry.Key).Append("**");
        if (info.Name != entry.Key) md.Append(" (Hugging Face: `").Append(info.Name).Append("`)");
        md.Append(" · ").Append(TypeName(info.Type)).Append("\n\n");
        md.Append(info.Description).Append("\n\n");
        var def = info.DefaultIn(dialect);
        md.Append("Default: ").Append(def is null ? "not set" : $"`{Format(def)}`");
        if (info.Values.Count > 0) md.Append(" · Allowed: ").Append(string.Join(", ", info.Values.Select(v => $"`{v}`")));
        md.Append('\n');
        if (info.ReplacedBy is { } r) md.Append("\nDeprecated: ").Append(info.DeprecationNote).Append("; use `").Append(KeyTable.Spelling(r, dialect)).Append("`.\n");
        // Which upstream class declares the key at the assumed versions, and why those versions.
        var versions = config.Result.Versions;
        var declared = info.DeclaredAt(dialect, versions).Select(f => f.Owner).Distinct().Take(3).ToList();
        if (declared.Count > 0)
            md.Append("\nDeclared by ").Append(string.Join(", ", declared.Select(o =>
                $"`{o.Name}` ({o.Library.Name} {versions.Release(o.Library.Name)?.Version})"))).Append('\n');
        if (dialect is Dialect.Hf or Dialect.Axolotl or Dialect.LlamaFactory)
            md.Append("\nAssumed: ").Append(versions.Describe(dialect)).Append('\n');

        if ((info.Group is KeyGroup.Batch or KeyGroup.Schedule || IsLengthKey(info.Name)) && dialect is Dialect.Hf or Dialect.Axolotl or Dialect.LlamaFactory)
        {
            var result = config.Result;
            md.Append("\n---\n**The run** (").Append(dialect.DisplayName()).Append(")\n\n```text\n");
            foreach (var line in ScheduleSummary.Derivation(result)) md.Append(line).Append('\n');
            md.Append("```\n");
            var time = RunTimeEstimate.Describe(result, RunTimeEstimate.Find(config.Document, Path.GetDirectoryName(doc.Path)));
            if (time is not null) md.Append("\nTime: ").Append(time).Append('\n');
        }
        var span = entry.KeySpan.Range;
        return new Hover(MarkupContent.Markdown(md.ToString().TrimEnd() + "\n"), Diagnostics.Range(span));
    }

    /// <summary>Keys that decide how examples become rows (packing, sequence length): their hover shows the run too.</summary>
    private static bool IsLengthKey(string name) => name is "sample_packing" or "packing" or "neat_packing" or "packing_strategy"
        or "padding_free" or "sequence_len" or "max_length" or "cutoff_len" or "group_by_length";

    public static string TypeName(KeyType t) => t switch
    {
        KeyType.Integer => "integer",
        KeyType.Float => "number",
        KeyType.Bool => "boolean",
        KeyType.String => "string",
        KeyType.Enum => "one of a set",
        KeyType.List => "list",
        KeyType.Mapping => "mapping",
        _ => "any",
    };

    public static string Format(object value) => value switch
    {
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
