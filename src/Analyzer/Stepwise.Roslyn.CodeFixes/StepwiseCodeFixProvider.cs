using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Stepwise.Core;

namespace Stepwise.Roslyn.CodeFixes;

/// <summary>
/// Offers each Fix of a Stepwise finding as a code action. It re-runs the analyzer's own reading and the engine on
/// the document (so the edits are exactly the engine's), finds the finding the diagnostic stands for, and applies the
/// chosen Fix's edits, which are offsets in this C# file, as text changes.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(StepwiseCodeFixProvider)), Shared]
public sealed class StepwiseCodeFixProvider : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        StepwiseDescriptors.All.Select(d => d.Id).ToImmutableArray();

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(StepwiseAnalyzer.FixCountProperty, out var count) || count is null or "0") continue;
            var placed = await FindAsync(context.Document, diagnostic, context.CancellationToken).ConfigureAwait(false);
            if (placed is null) continue;
            foreach (var fix in placed.Finding.Fixes)
            {
                var changes = Changes(placed, fix);
                if (changes is null) continue;
                var document = context.Document;
                context.RegisterCodeFix(
                    CodeAction.Create(fix.Title, ct => Apply(document, changes, ct), EquivalenceKey(placed.Finding.Id, fix.Title)),
                    diagnostic);
            }
        }
    }

    public static string EquivalenceKey(string id, string fixTitle) => id + ": " + fixTitle;

    /// <summary>The finding behind a diagnostic: same id, same place, same message, from a fresh run on the document.</summary>
    internal static async Task<PlacedFinding?> FindAsync(Document document, Diagnostic diagnostic, CancellationToken ct)
    {
        var root = await document.GetSyntaxRootAsync(ct).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(ct).ConfigureAwait(false);
        if (root is null || model is null) return null;
        var options = document.Project.AnalyzerOptions.AnalyzerConfigOptionsProvider.GetOptions(root.SyntaxTree);
        var datasets = new AdditionalDatasets(document.Project.AnalyzerOptions.AdditionalFiles);
        var cache = new TargetTypeCache();
        var message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);

        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        foreach (var candidate in node.AncestorsAndSelf())
        {
            if (!CSharpConfigReader.Kinds.Any(k => candidate.IsKind(k))) continue;
            foreach (var placed in StepwiseRun.Analyze(candidate, model, cache, options, datasets, ct))
                if (placed.Finding.Id == diagnostic.Id && placed.Span == diagnostic.Location.SourceSpan && placed.Finding.Message == message)
                    return placed;
        }
        return null;
    }

    /// <summary>
    /// The fix's edits as text changes; null when any edit is not valid C# here (marked unsafe by the editor), lies
    /// outside the analysed expression (a with-expression's receiver declared elsewhere), or belongs to another file.
    /// </summary>
    internal static IReadOnlyList<TextChange>? Changes(PlacedFinding placed, Fix fix)
    {
        var nodeSpan = placed.Reading.Node.Span;
        var path = placed.Reading.Document.Path;
        var changes = new List<TextChange>();
        foreach (var fileEdit in fix.Edits)
        {
            if (fileEdit.Path is not null && fileEdit.Path != path) return null;
            var e = fileEdit.Edit;
            if (!placed.Reading.Editor.IsSafe(e)) return null;
            var span = new TextSpan(e.Start, e.Length);
            if (!nodeSpan.Contains(span)) return null;
            changes.Add(new TextChange(span, e.NewText));
        }
        // Overlapping edits would corrupt the file: refuse rather than guess an order.
        var sorted = changes.OrderBy(c => c.Span.Start).ToList();
        for (int i = 1; i < sorted.Count; i++)
            if (sorted[i].Span.Start < sorted[i - 1].Span.End) return null;
        return sorted;
    }

    private static async Task<Document> Apply(Document document, IReadOnlyList<TextChange> changes, CancellationToken ct)
    {
        var text = await document.GetTextAsync(ct).ConfigureAwait(false);
        return document.WithText(text.WithChanges(changes));
    }
}
