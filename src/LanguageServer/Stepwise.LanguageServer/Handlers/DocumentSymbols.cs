using Stepwise.Core.Model;
using Stepwise.Core.Text;
using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server;

namespace Stepwise.LanguageServer.Handlers;

/// <summary>textDocument/documentSymbol: the outline of each config (keys, nested mappings, list items); a file with
/// several configurations gets one parent symbol per configuration.</summary>
public static class DocumentSymbols
{
    /// <summary>List items outlined one by one; the rest of a longer list (a config that inlines its data) is one
    /// symbol, so the outline of a 100,000-record list stays a few kilobytes instead of megabytes per edit.</summary>
    public const int MaxListItems = 200;

    public static List<DocumentSymbol> For(DocumentSnapshot doc)
    {
        var configs = doc.Analysis.Configs.ToList();
        if (configs.Count == 1 && configs[0].Document.ConfigSpan is null) return Entries(configs[0].Document.Entries);
        var list = new List<DocumentSymbol>();
        foreach (var c in configs)
        {
            var children = Entries(c.Document.Entries);
            var span = c.Document.ConfigSpan;
            var range = span is not null ? Diagnostics.Range(span.Range) : Cover(children) ?? Diagnostics.Range(c.Document.HeadSpan.Range);
            var head = c.Document.HeadSpan;
            list.Add(new DocumentSymbol
            {
                Name = c.Document.Entries.FirstOrDefault()?.Section ?? c.Document.Dialect.DisplayName(),
                Detail = c.Document.Dialect.DisplayName(),
                Kind = SymbolKind.Module,
                Range = range,
                SelectionRange = Diagnostics.Range(head.Range) is var sel && Inside(sel, range) ? sel : new LspRange(range.Start, range.Start),
                Children = children,
            });
        }
        return list;
    }

    private static List<DocumentSymbol> Entries(IEnumerable<ConfigEntry> entries) => entries.Select(Symbol).ToList();

    private static DocumentSymbol Symbol(ConfigEntry e)
    {
        var selection = Diagnostics.Range(e.KeySpan.Range);
        var end = e.ValueSpan.End >= e.KeySpan.End ? e.ValueSpan.Range.End : e.KeySpan.Range.End;
        var range = new LspRange(selection.Start, new LspPosition(end.Line, end.Character));
        List<DocumentSymbol>? children = null;
        if (e.Value.Kind == ValueKind.Mapping) children = Entries(e.Value.Entries);
        else if (e.Value.Kind == ValueKind.Sequence && e.Value.Items.Any(i => i.Kind == ValueKind.Mapping && i.Entries.Count > 0))
        {
            children = new List<DocumentSymbol>();
            var items = e.Value.Items;
            for (int index = 0; index < items.Count; index++)
            {
                var item = items[index];
                if (index == MaxListItems)
                {
                    // The first key of the first collapsed item starts the range; the list's end closes it.
                    var first = items.Skip(index).Where(i => i.Kind == ValueKind.Mapping && i.Entries.Count > 0).Select(i => i.Entries[0]).FirstOrDefault();
                    if (first is not null)
                    {
                        var start = Diagnostics.Range(first.KeySpan.Range).Start;
                        var rest = new LspRange(start, Diagnostics.Range(e.ValueSpan.Range).End);
                        children.Add(new DocumentSymbol
                        {
                            Name = $"[{index}..{items.Count - 1}]", Detail = $"{items.Count - index:N0} more items", Kind = SymbolKind.Array,
                            Range = rest, SelectionRange = new LspRange(start, start),
                        });
                    }
                    break;
                }
                var inner = item.Kind == ValueKind.Mapping ? Entries(item.Entries) : new List<DocumentSymbol>();
                if (inner.Count > 0 && Cover(inner) is { } r)
                    children.Add(new DocumentSymbol { Name = $"[{index}]", Kind = SymbolKind.Object, Range = r, SelectionRange = new LspRange(r.Start, r.Start), Children = inner });
            }
        }
        if (children is not null && Cover(children) is { } cover) range = Union(range, cover);
        return new DocumentSymbol
        {
            Name = e.Key,
            Detail = e.Value.Kind is ValueKind.Mapping or ValueKind.Sequence ? e.Value.ToString() : Short(e.ValueText),
            Kind = KindOf(e.Value),
            Range = range,
            SelectionRange = selection,
            Children = children,
        };
    }

    private static string Short(string s)
    {
        s = s.Replace('\n', ' ').Replace('\r', ' ');
        return s.Length <= 60 ? s : s.Substring(0, 59) + "…";
    }

    private static int KindOf(ConfigValue v) => v.Kind switch
    {
        ValueKind.Mapping => SymbolKind.Object,
        ValueKind.Sequence => SymbolKind.Array,
        ValueKind.Integer or ValueKind.Float => SymbolKind.Number,
        ValueKind.Bool => SymbolKind.Boolean,
        ValueKind.Null => SymbolKind.Null,
        ValueKind.String => SymbolKind.String,
        _ => SymbolKind.Property,
    };

    private static int Compare(LspPosition a, LspPosition b) => a.Line != b.Line ? a.Line.CompareTo(b.Line) : a.Character.CompareTo(b.Character);
    private static LspRange Union(LspRange a, LspRange b) => new(Compare(a.Start, b.Start) <= 0 ? a.Start : b.Start, Compare(a.End, b.End) >= 0 ? a.End : b.End);
    private static bool Inside(LspRange inner, LspRange outer) => Compare(inner.Start, outer.Start) >= 0 && Compare(inner.End, outer.End) <= 0;
    private static LspRange? Cover(List<DocumentSymbol> symbols) => symbols.Count == 0 ? null : symbols.Select(s => s.Range).Aggregate(Union);
}
