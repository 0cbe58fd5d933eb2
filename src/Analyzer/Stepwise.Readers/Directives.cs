using System.Text.RegularExpressions;
using Stepwise.Core.Model;
using Stepwise.Core.Text;

namespace Stepwise.Readers;

/// <summary>Finds <c># stepwise: key=value ...</c> (or <c>// stepwise:</c> in JSONC) comments in a text.</summary>
public static partial class Directives
{
    [GeneratedRegex(@"(?:#|//)[ \t]*stepwise:[ \t]*(?<body>[^\r\n]*)", RegexOptions.CultureInvariant)]
    private static partial Regex Comment();

    [GeneratedRegex(@"(?<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(?<value>[0-9][0-9_]*(?:,[0-9]{3})*(?![0-9])|[^\s,;]+)", RegexOptions.CultureInvariant)]
    private static partial Regex Pair();

    /// <summary>Directive names Stepwise understands.</summary>
    public static readonly string[] Known = { "dataset_size", "world_size", "n_gpu" };

    public static List<Directive> Find(string text, LineIndex lines, Func<int, bool>? isInComment = null)
    {
        var list = new List<Directive>();
        if (text.IndexOf("stepwise:", StringComparison.Ordinal) < 0) return list;
        foreach (Match m in Comment().Matches(text))
        {
            if (isInComment is not null && !isInComment(m.Index)) continue;
            var body = m.Groups["body"];
            foreach (Match p in Pair().Matches(body.Value))
            {
                int start = body.Index + p.Index;
                list.Add(new Directive(p.Groups["name"].Value, p.Groups["value"].Value, lines.Span(start, p.Length)));
            }
        }
        return list;
    }

    /// <summary>Read problems for directives Stepwise does not understand or whose values are not numbers.</summary>
    public static IEnumerable<ReadProblem> Check(IEnumerable<Directive> directives)
    {
        foreach (var d in directives)
        {
            if (!Known.Contains(d.Name))
                yield return ReadProblem.Unreadable($"unknown stepwise directive '{d.Name}' (known: {string.Join(", ", Known)})", d.Span, Stepwise.Core.Severity.Warning);
            else if (!long.TryParse(d.Value.Replace(",", "").Replace("_", ""), out var v) || v <= 0)
                yield return ReadProblem.Unreadable($"stepwise directive {d.Name} needs a positive integer, not '{d.Value}'", d.Span, Stepwise.Core.Severity.Warning);
        }
    }
}
