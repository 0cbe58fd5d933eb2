using System;

namespace Stepwise.Core.Rules;

/// <summary>
/// A rule's public identity and docs. Ids are stable public API (never reused). The docs in docs/rules/ and
/// `stepwise check --explain` are generated from these fields, never written twice.
/// </summary>
public sealed class RuleDescriptor
{
    public RuleDescriptor(string id, string title, Severity defaultSeverity, string category, string what, string why, string example, string fix)
    {
        Id = id; Title = title; DefaultSeverity = defaultSeverity; Category = category; What = what; Why = why; Example = example; FixText = fix;
    }

    /// <summary>Where generated rule pages live; shells may point it elsewhere (an installed copy of docs/rules).</summary>
    public static string HelpBase { get; set; } = "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/";

    public string Id { get; }
    public string Title { get; }
    public Severity DefaultSeverity { get; }
    public string Category { get; }
    public string What { get; }
    public string Why { get; }
    public string Example { get; }
    public string FixText { get; }
    public Uri HelpUri => new(HelpBase + Id + ".md");

    /// <summary>The rule's page in Markdown (docs/rules/SWnnnn.md and --explain).</summary>
    public string ToMarkdown() =>
        $"# {Id}: {Title}\n\nDefault severity: {DefaultSeverity.Id()} · Category: {Category}\n\n" +
        $"## What it does\n{What}\n\n## Why is this bad?\n{Why}\n\n## Example\n{Example}\n\n## Fix\n{FixText}\n";
}
