using System.Globalization;
using System.Linq;
using System.Text;
using Stepwise.Core.Rules;

namespace Stepwise.Core.Artefacts;

/// <summary>
/// The Roslyn analyzer's descriptor table (src/Analyzer/Stepwise.Roslyn/StepwiseDescriptorTable.cs) and its release
/// tracking file, written from <see cref="RuleSet.Descriptors"/>. They are checked in rather than built at run time
/// because the Roslyn analyzers' release tracking (RS2008) and RS1017 need compile-time constant ids.
/// </summary>
public static class RoslynDescriptorTable
{
    /// <summary>The C# source of <c>Stepwise.Roslyn.StepwiseDescriptors</c>.</summary>
    public static string Table()
    {
        var ds = RuleSet.Descriptors.ToList();
        var sb = new StringBuilder();
        sb.Append("// Generated from Stepwise.Core.Rules.RuleSet.Descriptors by `./stepwise dev generate`\n");
        sb.Append("// (Stepwise.Core/Artefacts/RoslynDescriptorTable.cs). Do not edit; run it again after a rule change\n");
        sb.Append("// (checked in rather than built at run time because Roslyn's release tracking needs constant ids).\n");
        sb.Append("using System.Collections.Immutable;\nusing Microsoft.CodeAnalysis;\n\nnamespace Stepwise.Roslyn;\n\n");
        sb.Append("/// <summary>One DiagnosticDescriptor per engine rule: same ids, titles, default severities and help links.</summary>\n");
        sb.Append("public static class StepwiseDescriptors\n{\n");
        foreach (var d in ds)
        {
            sb.Append($"    public static readonly DiagnosticDescriptor {d.Id} = new(\n");
            sb.Append($"        id: {Literal(d.Id)},\n");
            sb.Append($"        title: {Literal(d.Title)},\n");
            sb.Append("        messageFormat: \"{0}\",\n");
            sb.Append($"        category: {Literal(d.Category)},\n");
            sb.Append($"        defaultSeverity: DiagnosticSeverity.{SeverityName(d.DefaultSeverity)},\n");
            sb.Append("        isEnabledByDefault: true,\n");
            sb.Append($"        description: {Literal(Description(d))},\n");
            sb.Append($"        helpLinkUri: {Literal(d.HelpUri.ToString())});\n\n");
        }
        sb.Append($"    public static readonly ImmutableArray<DiagnosticDescriptor> All = ImmutableArray.Create({string.Join(", ", ds.Select(d => d.Id))});\n\n");
        sb.Append("    public static DiagnosticDescriptor? Find(string id) => id switch\n    {\n");
        foreach (var d in ds) sb.Append($"        {Literal(d.Id)} => {d.Id},\n");
        sb.Append("        _ => null,\n    };\n}\n");
        return sb.ToString();
    }

    /// <summary>AnalyzerReleases.Unshipped.md: every rule as a new rule of the coming release.</summary>
    public static string Unshipped()
    {
        var sb = new StringBuilder();
        sb.Append("; Unshipped analyzer release\n");
        sb.Append("; https://github.com/dotnet/roslyn-analyzers/blob/main/src/Microsoft.CodeAnalysis.Analyzers/ReleaseTrackingAnalyzers.Help.md\n");
        sb.Append("; Generated from Stepwise.Core.Rules.RuleSet.Descriptors by `./stepwise dev generate`; move to Shipped.md at a release.\n\n");
        sb.Append("### New Rules\n\nRule ID | Category | Severity | Notes\n--------|----------|----------|-------\n");
        foreach (var d in RuleSet.Descriptors)
            sb.Append($"{d.Id} | {d.Category} | {SeverityName(d.DefaultSeverity)} | {d.Title}\n");
        return sb.ToString();
    }

    /// <summary>The descriptor's description: what the rule does, then why.</summary>
    public static string Description(RuleDescriptor d) => d.What + " " + d.Why;

    /// <summary>The name of Roslyn's <c>DiagnosticSeverity</c> member for an engine severity (Roslyn has no
    /// separate hint: Hint maps to Hidden).</summary>
    public static string SeverityName(Severity s) => s switch
    {
        Severity.Error => "Error",
        Severity.Warning => "Warning",
        Severity.Information => "Info",
        _ => "Hidden",
    };

    /// <summary>
    /// A regular C# string literal with the value <paramref name="s"/>: backslash, quote and the characters that have
    /// a short escape are escaped; control, unassigned, line/paragraph separator and surrogate code units become
    /// \uXXXX; everything else (non-ASCII letters and symbols included) is written as is. The Roslyn tests compare it
    /// with Roslyn's own SymbolDisplay.FormatLiteral on every descriptor string.
    /// </summary>
    public static string Literal(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); continue;
                case '"': sb.Append("\\\""); continue;
                case '\0': sb.Append("\\0"); continue;
                case '\a': sb.Append("\\a"); continue;
                case '\b': sb.Append("\\b"); continue;
                case '\f': sb.Append("\\f"); continue;
                case '\n': sb.Append("\\n"); continue;
                case '\r': sb.Append("\\r"); continue;
                case '\t': sb.Append("\\t"); continue;
                case '\v': sb.Append("\\v"); continue;
            }
            switch (CharUnicodeInfo.GetUnicodeCategory(c))
            {
                case UnicodeCategory.Control:
                case UnicodeCategory.OtherNotAssigned:
                case UnicodeCategory.LineSeparator:
                case UnicodeCategory.ParagraphSeparator:
                case UnicodeCategory.Surrogate:
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
