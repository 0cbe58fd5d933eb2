using System.Text.Json;
using Stepwise.Core;
using Stepwise.Core.Text;
using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server;
using Stepwise.Workspace;

namespace Stepwise.LanguageServer.Handlers;

/// <summary>An edit of a fix as it travels in Diagnostic.data: which document (and at which version), where, what.</summary>
public sealed record FixEditData(string Uri, int? Version, LspRange Range, string NewText);

public sealed record FixData(string Title, bool IsPreferred, IReadOnlyList<FixEditData> Edits);

/// <summary>What a diagnostic carries to textDocument/codeAction: the rule, the document version it was computed
/// for, and its fixes spelled as LSP edits, so the code action needs no second analysis.</summary>
public sealed record DiagnosticData(string Id, int Version, IReadOnlyList<FixData> Fixes);

/// <summary>Turns engine findings into LSP diagnostics.</summary>
public static class Diagnostics
{
    public const string Source = "stepwise";

    /// <summary>Looks up an open document by path: its URI and version (null when not open).</summary>
    public delegate (string Uri, int Version)? OpenDocumentLookup(string path);

    public static LspRange Range(TextRange r) => new(new LspPosition(r.Start.Line, r.Start.Character), new LspPosition(r.End.Line, r.End.Character));

    public static int SeverityOf(Severity s) => s switch
    {
        Severity.Error => DiagnosticSeverity.Error,
        Severity.Warning => DiagnosticSeverity.Warning,
        Severity.Information => DiagnosticSeverity.Information,
        _ => DiagnosticSeverity.Hint,
    };

    public static List<Diagnostic> From(DocumentSnapshot doc, FileAnalysis file, OpenDocumentLookup lookup)
    {
        var list = new List<Diagnostic>();
        var seen = new HashSet<(string, int, string)>();
        foreach (var config in file.Configs)
        {
            if (config.Document.Dialect == Stepwise.Core.Model.Dialect.Unknown) continue;
            foreach (var f in config.Result.Findings)
            {
                // A file with several configs may repeat a document-level finding; show it once.
                if (!seen.Add((f.Id, f.Span.Start, f.Message))) continue;
                list.Add(From(doc, f, lookup));
            }
        }
        return list;
    }

    public static Diagnostic From(DocumentSnapshot doc, Finding f, OpenDocumentLookup lookup)
    {
        bool elsewhere = f.Span.File is { } other && !DocumentUris.SamePath(other, doc.Path);
        var range = elsewhere ? Range(doc.Lines.Span(0, doc.Lines.LineContentEnd(0)).Range) : Range(f.Span.Range);
        var message = elsewhere ? $"{System.IO.Path.GetFileName(f.Span.File)}:{f.Span.Range.Start}: {f.Message}" : f.Message;
        var data = new DiagnosticData(f.Id, doc.Version, f.Fixes.Select(fix => new FixData(fix.Title, fix.IsPreferred,
            fix.Edits.Select(e => EditData(doc, e, lookup)).ToList())).ToList());
        return new Diagnostic
        {
            Range = range,
            Severity = SeverityOf(f.Severity),
            Code = f.Id,
            CodeDescription = f.HelpUri is { } u ? new CodeDescription(u.AbsoluteUri) : null,
            Source = Source,
            Message = message,
            RelatedInformation = elsewhere
                ? new List<DiagnosticRelatedInformation> { new(new Location(DocumentUris.FromPath(f.Span.File!), Range(f.Span.Range)), f.Title.Length > 0 ? f.Title : f.Id) }
                : null,
            Data = JsonSerializer.SerializeToElement(data, LspJsonContext.Default.DiagnosticData),
        };
    }

    private static FixEditData EditData(DocumentSnapshot doc, FileEdit e, OpenDocumentLookup lookup)
    {
        if (e.Path is null || DocumentUris.SamePath(e.Path, doc.Path))
            return new FixEditData(doc.Uri, doc.Version, Range(e.Edit.Range), e.Edit.NewText);
        if (lookup(e.Path) is { } open) return new FixEditData(open.Uri, open.Version, Range(e.Edit.Range), e.Edit.NewText);
        return new FixEditData(DocumentUris.FromPath(e.Path), null, Range(e.Edit.Range), e.Edit.NewText);
    }

    /// <summary>The diagnostic published when analysing a document threw: the server goes on serving.</summary>
    public static Diagnostic InternalError(string message) => new()
    {
        Range = new LspRange(new LspPosition(0, 0), new LspPosition(0, 0)),
        Severity = DiagnosticSeverity.Error,
        Code = Stepwise.Core.Rules.File.FileRules.InternalError.Id,
        Source = Source,
        Message = $"Stepwise could not analyse this file (internal error: {message}); see the Stepwise output for details",
    };

    public static DiagnosticData? DataOf(Diagnostic d)
    {
        if (d.Data is not { ValueKind: JsonValueKind.Object } e) return null;
        try { return e.Deserialize(LspJsonContext.Default.DiagnosticData); }
        catch (JsonException) { return null; }
    }
}
