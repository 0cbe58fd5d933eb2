using Stepwise.Core;
using Stepwise.Core.Model;
using Stepwise.Core.Text;
using Stepwise.Readers;

namespace Stepwise.Analysis.Tests.Rules;

/// <summary>Analyse a text in memory (no files, no git), apply a fix, re-read.</summary>
public static class RuleTestKit
{
    public static (ConfigDocument Doc, AnalysisResult Result) Analyze(string text, string path = "config.yaml", AnalysisOptions? options = null,
        ConfigDocument? deepSpeed = null, ConfigDocument? previous = null, ConfigDocument? accelerate = null)
    {
        var doc = ConfigReaders.Read(text, path).Single();
        var result = Engine.Analyze(new AnalysisInputs(doc) { DeepSpeed = deepSpeed, Previous = previous, Accelerate = accelerate }, options ?? new AnalysisOptions());
        return (doc, result);
    }

    public static Finding Single(AnalysisResult r, string id) => Assert.Single(r.Findings, f => f.Id == id);

    public static string Apply(string text, Fix fix) => TextEdit.Apply(text, fix.Edits.Where(e => e.Path is null).Select(e => e.Edit));

    /// <summary>Applies the finding's preferred fix (the first one when none is marked preferred).</summary>
    public static string ApplyPreferred(string text, Finding f) => Apply(text, f.Fixes.FirstOrDefault(x => x.IsPreferred) ?? f.Fixes[0]);

    /// <summary>Lines of <paramref name="before"/> that are not in <paramref name="after"/> (to prove an edit stayed local).</summary>
    public static List<string> LinesGone(string before, string after)
    {
        var kept = after.Split('\n').ToList();
        var gone = new List<string>();
        foreach (var l in before.Split('\n'))
            if (!kept.Remove(l)) gone.Add(l);
        return gone;
    }
}
