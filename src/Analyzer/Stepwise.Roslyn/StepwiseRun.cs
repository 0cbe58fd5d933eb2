using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Stepwise.Core;
using Stepwise.Core.Model;

namespace Stepwise.Roslyn;

/// <summary>A finding placed in the C# file, with the reading it came from (the code fix needs its editor).</summary>
public sealed record PlacedFinding(Finding Finding, TextSpan Span, CreationReading Reading);

/// <summary>
/// The one path from a creation to findings, shared by the analyzer and the code fix: read the creation, take the
/// settings and the dataset, run <see cref="Engine.Analyze"/>. Nothing here computes steps or decides a rule.
/// </summary>
public static class StepwiseRun
{
    public static IReadOnlyList<PlacedFinding> Analyze(SyntaxNode node, SemanticModel model, TargetTypeCache cache,
        AnalyzerConfigOptions options, AdditionalDatasets datasets, CancellationToken ct)
    {
        if (!CSharpConfigReader.IsCandidate(node)) return Array.Empty<PlacedFinding>();
        var settings = StepwiseSettings.From(options);
        var reading = CSharpConfigReader.Read(node, model, cache, ct);
        if (reading is null) return Array.Empty<PlacedFinding>();
        if (settings.Problems.Count > 0)
        {
            // Unusable option values are reported where the user looks (the creation) as invalid values.
            var head = reading.Document.HeadSpan;
            var problems = settings.Problems.Select(p => ReadProblem.InvalidValue(p, head)).ToList();
            reading = CSharpConfigReader.Read(node, model, cache, ct, problems)!;
        }

        var findings = Run(reading.Document, settings, datasets, ct);
        if (reading.BaseDocument is { } baseDoc)
        {
            // A with-expression repeats what its receiver already says: report only what the new values change.
            var before = new HashSet<(string, string)>(Run(baseDoc, settings, datasets, ct).Select(f => (f.Id, f.Message)));
            findings = findings.Where(f => !before.Contains((f.Id, f.Message))).ToList();
        }

        var nodeSpan = node.Span;
        var headSpan = reading.Document.HeadSpan;
        var placed = new List<PlacedFinding>(findings.Count);
        foreach (var f in findings)
        {
            if (f.Span.File != reading.Document.Path) continue; // another file's finding (none in C# today)
            var span = new TextSpan(f.Span.Start, f.Span.Length);
            // A finding on the receiver of a with-expression belongs to the expression that caused it.
            if (!nodeSpan.Contains(span)) span = new TextSpan(headSpan.Start, headSpan.Length);
            placed.Add(new PlacedFinding(f, span, reading));
        }
        return placed;
    }

    private static IReadOnlyList<Finding> Run(ConfigDocument doc, StepwiseSettings settings, AdditionalDatasets datasets, CancellationToken ct)
    {
        var worldSize = doc.Find("world_size");
        var options = settings.ToOptions(worldSizeWritten: worldSize is not null);
        var inputs = new AnalysisInputs(doc);
        if (options.DatasetSize is null && datasets.Resolve(settings.DatasetFile, doc.Find("train_file"), ct) is { } ds)
            inputs = inputs with { Datasets = new[] { ds } };
        return Engine.Analyze(inputs, options).Findings;
    }
}
