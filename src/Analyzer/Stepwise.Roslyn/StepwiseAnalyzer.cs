using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Stepwise.Roslyn;

/// <summary>
/// Reports the Stepwise engine's findings on creations of TrainingArguments-like types
/// (<c>new TrainingArguments { PerDeviceTrainBatchSize = 128, MaxSteps = 1000 }</c>).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class StepwiseAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: how many fixes the finding carries; then FixN = the Nth fix's title.</summary>
    public const string FixCountProperty = "FixCount";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => StepwiseDescriptors.All;

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var cache = new TargetTypeCache();
            var index = new TargetIndex(start.Compilation, cache);
            var datasets = new AdditionalDatasets(start.Options.AdditionalFiles);
            start.RegisterSyntaxNodeAction(c => AnalyzeNode(c, cache, index, datasets),
                SyntaxKind.ObjectCreationExpression, SyntaxKind.ImplicitObjectCreationExpression, SyntaxKind.WithExpression);
        });
    }

    private static void AnalyzeNode(SyntaxNodeAnalysisContext c, TargetTypeCache cache, TargetIndex index, AdditionalDatasets datasets)
    {
        if (!CSharpConfigReader.IsCandidate(c.Node) || !index.MayBeTarget(c.Node)) return;
        var options = c.Options.AnalyzerConfigOptionsProvider.GetOptions(c.Node.SyntaxTree);
        foreach (var placed in StepwiseRun.Analyze(c.Node, c.SemanticModel, cache, options, datasets, c.CancellationToken))
            c.ReportDiagnostic(ToDiagnostic(placed, c.Node.SyntaxTree));
    }

    internal static Diagnostic ToDiagnostic(PlacedFinding placed, SyntaxTree tree)
    {
        var f = placed.Finding;
        var descriptor = StepwiseDescriptors.Find(f.Id);
        var message = f.Message;
        if (descriptor is null)
        {
            descriptor = StepwiseDescriptors.SW0001;
            message = $"the engine reported {f.Id}, which this analyzer's descriptor table does not list (rebuild the table): {f.Message}";
        }
        var properties = ImmutableDictionary.CreateBuilder<string, string?>();
        properties[FixCountProperty] = f.Fixes.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (int i = 0; i < f.Fixes.Count; i++) properties["Fix" + i] = f.Fixes[i].Title;
        // A rule may report a milder case below its default severity; .editorconfig severities still override both.
        var severity = f.Id == descriptor.Id ? Severity(f.Severity) : descriptor.DefaultSeverity;
        return severity == descriptor.DefaultSeverity
            ? Diagnostic.Create(descriptor, Location.Create(tree, placed.Span), properties.ToImmutable(), message)
            : Diagnostic.Create(descriptor, Location.Create(tree, placed.Span), severity, null, properties.ToImmutable(), message);
    }

    internal static DiagnosticSeverity Severity(Core.Severity s) => s switch
    {
        Core.Severity.Error => DiagnosticSeverity.Error,
        Core.Severity.Warning => DiagnosticSeverity.Warning,
        Core.Severity.Information => DiagnosticSeverity.Info,
        _ => DiagnosticSeverity.Hidden,
    };
}
