using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server;

namespace Stepwise.LanguageServer.Handlers;

/// <summary>
/// textDocument/codeAction: each engine fix of the diagnostics in the request becomes a quickfix (the engine's
/// preferred one with isPreferred), built from the edits the diagnostic carries in its data. When a rule reports
/// more than once in the file, "Fix all SWnnnn in file" applies every preferred fix of that rule at once.
/// </summary>
public static class CodeActions
{
    public static List<CodeAction> For(DocumentSnapshot doc, CodeActionParams p, bool documentChanges, Diagnostics.OpenDocumentLookup lookup)
    {
        var actions = new List<CodeAction>();
        if (p.Context.Only is { Count: > 0 } only && !only.Any(k => k == CodeActionKind.QuickFix || CodeActionKind.QuickFix.StartsWith(k + ".", StringComparison.Ordinal)))
            return actions;

        // The diagnostics the client sent; when it sent none of ours, those of the current analysis under the range.
        var ours = p.Context.Diagnostics.Where(d => d?.Source == Diagnostics.Source && Diagnostics.DataOf(d) is not null).ToList();
        if (ours.Count == 0)
            ours = doc.Analysis.Diagnostics.Where(d => Overlaps(d.Range, p.Range) && Diagnostics.DataOf(d) is not null).ToList();

        var rules = new List<string>();
        foreach (var diagnostic in ours)
        {
            var data = Current(doc, diagnostic);
            if (data is null) continue;
            foreach (var fix in data.Fixes.OrderByDescending(f => f.IsPreferred))
                actions.Add(new CodeAction
                {
                    Title = fix.Title,
                    Kind = CodeActionKind.QuickFix,
                    Diagnostics = new[] { diagnostic },
                    IsPreferred = fix.IsPreferred ? true : null,
                    Edit = Edit(fix.Edits, documentChanges),
                });
            if (!rules.Contains(data.Id)) rules.Add(data.Id);
        }

        foreach (var id in rules)
        {
            var all = doc.Analysis.Diagnostics.Select(d => (Diagnostic: d, Data: Diagnostics.DataOf(d)))
                .Where(x => x.Data?.Id == id && x.Data.Fixes.Count > 0).ToList();
            if (all.Count < 2) continue;
            var edits = new List<FixEditData>();
            var used = new List<FixEditData>();
            foreach (var (_, data) in all)
            {
                var fix = data!.Fixes.FirstOrDefault(f => f.IsPreferred) ?? data.Fixes[0];
                // Fixes that touch the same text cannot be applied together: keep the first.
                if (fix.Edits.Any(e => used.Any(u => u.Uri == e.Uri && Overlaps(u.Range, e.Range)))) continue;
                used.AddRange(fix.Edits);
                edits.AddRange(fix.Edits);
            }
            actions.Add(new CodeAction
            {
                Title = $"Fix all {id} in file",
                Kind = CodeActionKind.QuickFix,
                Diagnostics = all.Select(x => x.Diagnostic).ToList(),
                Edit = Edit(edits, documentChanges),
            });
        }
        return actions;
    }

    /// <summary>The diagnostic's data when it was computed for this version; else the same finding in the current analysis.</summary>
    private static DiagnosticData? Current(DocumentSnapshot doc, Diagnostic diagnostic)
    {
        var data = Diagnostics.DataOf(diagnostic);
        if (data is null) return null;
        if (data.Version == doc.Version) return data;
        var match = doc.Analysis.Diagnostics.FirstOrDefault(d => d.Code == diagnostic.Code && d.Range == diagnostic.Range && d.Message == diagnostic.Message);
        return match is null ? null : Diagnostics.DataOf(match);
    }

    public static WorkspaceEdit Edit(IEnumerable<FixEditData> edits, bool documentChanges)
    {
        var byDocument = edits.GroupBy(e => (e.Uri, e.Version)).ToList();
        if (documentChanges)
            return new WorkspaceEdit
            {
                DocumentChanges = byDocument.Select(g => new TextDocumentEdit(new OptionalVersionedTextDocumentIdentifier(g.Key.Uri, g.Key.Version),
                    g.Select(e => new LspTextEdit(e.Range, e.NewText)).ToList())).ToList(),
            };
        return new WorkspaceEdit
        {
            Changes = byDocument.GroupBy(g => g.Key.Uri).ToDictionary(g => g.Key, g => g.SelectMany(x => x).Select(e => new LspTextEdit(e.Range, e.NewText)).ToList()),
        };
    }

    private static int Compare(LspPosition a, LspPosition b) => a.Line != b.Line ? a.Line.CompareTo(b.Line) : a.Character.CompareTo(b.Character);

    public static bool Overlaps(LspRange a, LspRange b) => Compare(a.Start, b.End) <= 0 && Compare(b.Start, a.End) <= 0;
}
