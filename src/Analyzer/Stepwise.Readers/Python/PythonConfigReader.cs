using System.Text.RegularExpressions;
using Stepwise.Core.Model;
using Stepwise.Core.Text;

namespace Stepwise.Readers.Python;

/// <summary>
/// Reads a Python script: one <see cref="ConfigDocument"/> per run a TrainingArguments-family call configures (its
/// keyword arguments, then those of the BitsAndBytesConfig and LoraConfig calls data flow connects to it), and one per
/// BitsAndBytesConfig or LoraConfig call no training call is connected to (checked on its own, with no schedule). A
/// script with none of these calls is not a training config (no documents). Nothing is executed.
/// </summary>
public sealed class PythonConfigReader : IConfigReader
{
    public static readonly PythonConfigReader Instance = new();

    public ConfigSyntax Syntax => ConfigSyntax.Python;

    public IReadOnlyList<ConfigDocument> Read(string text, string? path)
    {
        var lines = new LineIndex(text, path);
        var analysis = new PythonAnalysis(text, IdentityMap.Instance, lines, path);
        return PythonDocuments.Build(analysis, text, path, lines);
    }
}

/// <summary>Turns a <see cref="PythonAnalysis"/> into documents (shared by the .py and .ipynb readers).</summary>
public static class PythonDocuments
{
    private static readonly Regex MentionsACall = new(
        @"\b(" + string.Join("|", PythonAnalysis.TrainingCalls.Concat(PythonAnalysis.AuxiliaryCalls)) + @")\s*\(",
        RegexOptions.CultureInvariant);

    public static IReadOnlyList<ConfigDocument> Build(PythonAnalysis analysis, string hostText, string? path, LineIndex lines,
        IReadOnlyList<ReadProblem>? extraProblems = null)
    {
        var calls = analysis.FindCalls();
        var directives = analysis.Directives();
        var problems = analysis.Problems();
        problems.AddRange(Directives.Check(directives));
        if (extraProblems is not null) problems.InsertRange(0, extraProblems);

        // Each call's entries are read once; a call shared by several runs lends the same entries to each.
        var entries = new Dictionary<FoundCall, List<ConfigEntry>>(ReferenceEqualityComparer.Instance);
        foreach (var call in calls)
        {
            var own = analysis.EntriesOf(call);
            problems.AddRange(Repeated(own, call.Name));
            entries[call] = own;
        }

        // A training call with the quantization/LoRA calls of its run; then every quantization/LoRA call no run takes.
        var configs = new List<(FoundCall Primary, List<FoundCall> Calls)>();
        var connected = new HashSet<FoundCall>(ReferenceEqualityComparer.Instance);
        foreach (var (training, aux) in new PythonRuns(analysis, calls).Runs(calls))
        {
            configs.Add((training, aux.Prepend(training).ToList()));
            connected.UnionWith(aux);
        }
        foreach (var call in calls)
            if (!call.IsTraining && !connected.Contains(call)) configs.Add((call, new List<FoundCall> { call }));

        if (configs.Count == 0)
        {
            // Not a training script, unless it mentions a config call we could not read because the text is broken.
            if (problems.Count == 0 || !MentionsACall.IsMatch(analysis.Code)) return Array.Empty<ConfigDocument>();
            return new[]
            {
                // No call could be read: the dialect is not known, and no schedule is made up from defaults.
                new ConfigDocument(path, hostText, ConfigSyntax.Python, Dialect.Unknown, Array.Empty<ConfigEntry>(), analysis.Editor,
                    directives, problems, lines, null, dialectCertain: false),
            };
        }

        problems.Sort((a, b) => a.Span.Start.CompareTo(b.Span.Start));

        // Each problem goes to the first config one of whose calls holds it, the rest to the first config: reported once.
        var spans = new Dictionary<FoundCall, SourceSpan>(ReferenceEqualityComparer.Instance);
        foreach (var c in calls) spans[c] = analysis.Span(c.Call.Start, c.Call.End);
        var perConfig = configs.Select(_ => new List<ReadProblem>()).ToList();
        foreach (var p in problems)
        {
            int idx = configs.FindIndex(c => c.Calls.Any(call => p.Span.Start >= spans[call].Start && p.Span.Start < spans[call].End));
            perConfig[idx < 0 ? 0 : idx].Add(p);
        }
        var docs = new List<ConfigDocument>(configs.Count);
        for (int i = 0; i < configs.Count; i++)
        {
            var (primary, held) = configs[i];
            docs.Add(new ConfigDocument(path, hostText, ConfigSyntax.Python, Dialect.Hf, held.SelectMany(c => entries[c]).ToList(), analysis.Editor,
                directives, perConfig[i], lines, spans[primary], dialectCertain: true)
            {
                HasTrainingArguments = primary.IsTraining,
            });
        }
        return docs;
    }

    /// <summary>
    /// A keyword given twice to one call stops Python before training starts: "keyword argument repeated" (a
    /// SyntaxError) when both are written in the call, "got multiple values for keyword argument" (a TypeError) when
    /// one comes from a ** dict or a positional argument.
    /// </summary>
    private static IEnumerable<ReadProblem> Repeated(List<ConfigEntry> entries, string call)
    {
        var seen = new Dictionary<string, ConfigEntry>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (e.Key.StartsWith('*') || e.Key.Length == 0) continue;
            if (seen.TryGetValue(e.Key, out var first))
            {
                yield return ReadProblem.Unreadable(
                    $"{e.Key} is given twice to {call}() (first on line {first.KeySpan.Range.Start.Line + 1}): Python stops with "
                    + "'keyword argument repeated' or 'got multiple values for keyword argument' before training starts",
                    e.KeySpan.Length > 0 ? e.KeySpan : e.ValueSpan);
            }
            else seen[e.Key] = e;
        }
    }
}
