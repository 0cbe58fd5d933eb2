using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Stepwise.Core.Artefacts;
using RuleSet = Stepwise.Core.Rules.RuleSet;

namespace Stepwise.Roslyn.Tests;

/// <summary>
/// The analyzer's descriptor table and its release-tracking file are generated from Core's rule table
/// (<see cref="RoslynDescriptorTable"/>), checked in (the Roslyn rules RS1017/RS2008 need compile-time constant ids)
/// and kept equal to it here. Regenerate after a rule change: ./stepwise dev generate
/// </summary>
public class DescriptorTableTests
{
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Tooling.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Tooling.sln not found above " + AppContext.BaseDirectory);
    }

    private static void Check(string relative, string expected)
    {
        var path = Path.Combine(RepoRoot(), relative);
        var actual = File.Exists(path) ? File.ReadAllText(path).Replace("\r\n", "\n") : "";
        Assert.True(actual == expected, $"{path} is out of date with RuleSet.Descriptors; run `{GeneratedFiles.Command}`");
    }

    [Fact]
    public void DescriptorTable_matches_the_engine_rule_table() =>
        Check(GeneratedFiles.DescriptorTable, RoslynDescriptorTable.Table());

    [Fact]
    public void DescriptorTable_release_tracking_lists_every_rule() =>
        Check(GeneratedFiles.ReleaseTracking, RoslynDescriptorTable.Unshipped());

    /// <summary>The generator's string literals are the ones Roslyn itself writes for the same text.</summary>
    [Fact]
    public void DescriptorTable_literals_equal_Roslyns_FormatLiteral()
    {
        var texts = RuleSet.Descriptors
            .SelectMany(d => new[] { d.Id, d.Title, d.Category, RoslynDescriptorTable.Description(d), d.HelpUri.ToString() })
            .Concat(["", "a \"quoted\" \\path\\", "tab\tnew\nline\r\0\a\b\f\v", "\u0001\u007f\u0085", "µ × ≥ — é", "\u2029"]);
        foreach (var s in texts)
            Assert.Equal(SymbolDisplay.FormatLiteral(s, quote: true), RoslynDescriptorTable.Literal(s));
    }

    [Fact]
    public void DescriptorTable_at_run_time_equals_the_engine_rules()
    {
        var core = RuleSet.Descriptors.ToList();
        var roslyn = StepwiseDescriptors.All;
        Assert.Equal(core.Select(d => d.Id), roslyn.Select(d => d.Id));
        foreach (var (c, r) in core.Zip(roslyn))
        {
            Assert.Equal(c.Title, r.Title.ToString());
            Assert.Equal(RoslynDescriptorTable.Description(c), r.Description.ToString());
            Assert.Equal(c.Category, r.Category);
            Assert.Equal(c.HelpUri.ToString(), r.HelpLinkUri);
            Assert.Equal(RoslynDescriptorTable.SeverityName(c.DefaultSeverity), r.DefaultSeverity switch
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
