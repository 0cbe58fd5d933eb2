using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using RuleSet = Stepwise.Core.Rules.RuleSet;

namespace Stepwise.Roslyn.Tests;

/// <summary>
/// The analyzer's descriptor table and its release-tracking file are generated from Core's rule table, checked in
/// (the Roslyn rules RS1017/RS2008 need compile-time constant ids) and kept equal to it here.
/// Regenerate after a rule change: STEPWISE_REGENERATE=1 dotnet test tests/Stepwise.Roslyn.Tests --filter DescriptorTable
/// </summary>
public class DescriptorTableTests
{
    private static string RoslynDir => Path.Combine(RepoRoot(), "src", "Analyzer", "Stepwise.Roslyn");

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Tooling.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Tooling.sln not found above " + AppContext.BaseDirectory);
    }

    private static string Lit(string s) => SymbolDisplay.FormatLiteral(s, quote: true);

    private static string SeverityName(Stepwise.Core.Severity s) => s switch
    {
        Stepwise.Core.Severity.Error => "Error",
        Stepwise.Core.Severity.Warning => "Warning",
        Stepwise.Core.Severity.Information => "Info",
        _ => "Hidden",
    };

    public static string GenerateTable()
    {
        var ds = RuleSet.Descriptors.ToList();
        var sb = new StringBuilder();
        sb.Append("// Generated from Stepwise.Core.Rules.RuleSet.Descriptors by tests/Stepwise.Roslyn.Tests/DescriptorTableTests.cs.\n");
        sb.Append("// Do not edit: after a rule change run\n");
        sb.Append("//   STEPWISE_REGENERATE=1 dotnet test tests/Stepwise.Roslyn.Tests --filter DescriptorTable\n");
        sb.Append("// (checked in rather than built at run time because Roslyn's release tracking needs constant ids).\n");
        sb.Append("using System.Collections.Immutable;\nusing Microsoft.CodeAnalysis;\n\nnamespace Stepwise.Roslyn;\n\n");
        sb.Append("/// <summary>One DiagnosticDescriptor per engine rule: same ids, titles, default severities and help links.</summary>\n");
        sb.Append("public static class StepwiseDescriptors\n{\n");
        foreach (var d in ds)
        {
            sb.Append($"    public static readonly DiagnosticDescriptor {d.Id} = new(\n");
            sb.Append($"        id: {Lit(d.Id)},\n");
            sb.Append($"        title: {Lit(d.Title)},\n");
            sb.Append("        messageFormat: \"{0}\",\n");
            sb.Append($"        category: {Lit(d.Category)},\n");
            sb.Append($"        defaultSeverity: DiagnosticSeverity.{SeverityName(d.DefaultSeverity)},\n");
            sb.Append("        isEnabledByDefault: true,\n");
            sb.Append($"        description: {Lit(d.What + " " + d.Why)},\n");
            sb.Append($"        helpLinkUri: {Lit(d.HelpUri.ToString())});\n\n");
        }
        sb.Append($"    public static readonly ImmutableArray<DiagnosticDescriptor> All = ImmutableArray.Create({string.Join(", ", ds.Select(d => d.Id))});\n\n");
        sb.Append("    public static DiagnosticDescriptor? Find(string id) => id switch\n    {\n");
        foreach (var d in ds) sb.Append($"        {Lit(d.Id)} => {d.Id},\n");
        sb.Append("        _ => null,\n    };\n}\n");
        return sb.ToString();
    }

    public static string GenerateUnshipped()
    {
        var sb = new StringBuilder();
        sb.Append("; Unshipped analyzer release\n");
        sb.Append("; https://github.com/dotnet/roslyn-analyzers/blob/main/src/Microsoft.CodeAnalysis.Analyzers/ReleaseTrackingAnalyzers.Help.md\n");
        sb.Append("; Generated from Stepwise.Core.Rules.RuleSet.Descriptors (see DescriptorTableTests); move to Shipped.md at a release.\n\n");
        sb.Append("### New Rules\n\nRule ID | Category | Severity | Notes\n--------|----------|----------|-------\n");
        foreach (var d in RuleSet.Descriptors)
            sb.Append($"{d.Id} | {d.Category} | {SeverityName(d.DefaultSeverity)} | {d.Title}\n");
        return sb.ToString();
    }

    private static void Check(string path, string expected)
    {
        var actual = File.Exists(path) ? File.ReadAllText(path).Replace("\r\n", "\n") : "";
        if (actual == expected) return;
        if (Environment.GetEnvironmentVariable("STEPWISE_REGENERATE") == "1")
        {
            File.WriteAllText(path, expected);
            return;
        }
        Assert.Fail($"{path} is out of date with RuleSet.Descriptors; run STEPWISE_REGENERATE=1 dotnet test tests/Stepwise.Roslyn.Tests --filter DescriptorTable");
    }

    [Fact]
    public void DescriptorTable_matches_the_engine_rule_table() =>
        Check(Path.Combine(RoslynDir, "StepwiseDescriptorTable.cs"), GenerateTable());

    [Fact]
    public void DescriptorTable_release_tracking_lists_every_rule() =>
        Check(Path.Combine(RoslynDir, "AnalyzerReleases.Unshipped.md"), GenerateUnshipped());

    [Fact]
    public void DescriptorTable_at_run_time_equals_the_engine_rules()
    {
        var core = RuleSet.Descriptors.ToList();
        var roslyn = StepwiseDescriptors.All;
        Assert.Equal(core.Select(d => d.Id), roslyn.Select(d => d.Id));
        foreach (var (c, r) in core.Zip(roslyn))
        {
            Assert.Equal(c.Title, r.Title.ToString());
            Assert.Equal(c.Category, r.Category);
            Assert.Equal(c.HelpUri.ToString(), r.HelpLinkUri);
            Assert.Equal(SeverityName(c.DefaultSeverity), r.DefaultSeverity switch
            {
                DiagnosticSeverity.Error => "Error",
                DiagnosticSeverity.Warning => "Warning",
                DiagnosticSeverity.Info => "Info",
                _ => "Hidden",
            });
        }
        Assert.Equal(new StepwiseAnalyzer().SupportedDiagnostics.Select(d => d.Id), core.Select(d => d.Id));
    }
}
