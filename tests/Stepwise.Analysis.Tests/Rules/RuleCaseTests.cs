using Stepwise.Core;
using Stepwise.Readers;
using static Stepwise.Analysis.Tests.Rules.RuleTestKit;

namespace Stepwise.Analysis.Tests.Rules;

/// <summary>Every SW2xxx/SW3xxx/SW4xxx/SW9003 case fires on its failing config and stays quiet on its passing one, in YAML
/// and in JSON; where a fix exists, applying it removes the finding and leaves every other key as it was.</summary>
public class RuleCaseTests
{
    private static IEnumerable<bool> Syntaxes => new[] { false, true };

    [Theory]
    [MemberData(nameof(RuleCases.Names), MemberType = typeof(RuleCases))]
    public void Fires_on_the_failing_config(string name)
    {
        var c = RuleCases.All[name];
        foreach (var json in Syntaxes)
        {
            var (text, path) = Configs.Render(c.Base, c.Fail, json);
            var (doc, r) = Analyze(text, path, c.Options);
            Assert.Empty(doc.Problems);
            var hits = r.Findings.Where(f => f.Id == c.Id).ToList();
            Assert.True(hits.Count > 0, $"{c.Id} did not fire ({path}):\n{text}\nfindings: {string.Join("; ", r.Findings.Select(f => f.Id + " " + f.Message))}");
            if (c.Severity is { } sev) Assert.Contains(hits, f => f.Severity == sev);
            if (c.MessagePart is { } part) Assert.Contains(hits, f => f.Message.Contains(part));
            Assert.All(hits, f => Assert.InRange(f.Span.End, 0, text.Length));
        }
    }

    [Theory]
    [MemberData(nameof(RuleCases.Names), MemberType = typeof(RuleCases))]
    public void Is_quiet_on_the_passing_config(string name)
    {
        var c = RuleCases.All[name];
        foreach (var json in Syntaxes)
        {
            var (text, path) = Configs.Render(c.Base, c.Pass, json);
            var (_, r) = Analyze(text, path, c.Options);
            var hits = r.Findings.Where(f => f.Id == c.Id).ToList();
            Assert.True(hits.Count == 0, $"{c.Id} fired on the passing config ({path}):\n{text}\n{string.Join("\n", hits.Select(h => h.Message))}");
        }
    }

    [Theory]
    [MemberData(nameof(RuleCases.WithFix), MemberType = typeof(RuleCases))]
    public void Fix_round_trip_removes_the_finding_and_keeps_the_rest(string name)
    {
        var c = RuleCases.All[name];
        foreach (var json in Syntaxes)
        {
            var (text, path) = Configs.Render(c.Base, c.Fail, json);
            var (before, r) = Analyze(text, path, c.Options);
            var hits = r.Findings.Where(f => f.Id == c.Id).ToList();
            var finding = hits.First(f => f.Fixes.Count > 0);
            var fix = finding.Fixes.FirstOrDefault(f => f.IsPreferred) ?? finding.Fixes[0];
            var after = Apply(text, fix);

            var (afterDoc, r2) = Analyze(after, path, c.Options);
            Assert.Empty(afterDoc.Problems);
            Assert.True(r2.Findings.Count(f => f.Id == c.Id) < hits.Count,
                $"{c.Id} still fires after '{fix.Title}' ({path}):\n{after}\n{string.Join("\n", r2.Findings.Where(f => f.Id == c.Id).Select(f => f.Message))}");

            // The rest is intact: every key on a line the fix did not touch keeps its value.
            // JSON: removing the last member also drops the comma before it; that line's content is unchanged.
            static string Norm(string l) => l.TrimEnd().TrimEnd(',');
            var touched = LinesGone(string.Join("\n", text.Split('\n').Select(Norm)), string.Join("\n", after.Split('\n').Select(Norm)));
            foreach (var e in before.Entries)
            {
                if (touched.Any(l => l.Contains(e.Key))) continue;
                var kept = afterDoc.Find(e.Key);
                Assert.True(kept is not null, $"'{fix.Title}' lost {e.Key} ({path})");
                Assert.Equal(e.ValueText, kept!.ValueText);
            }
            Assert.True(touched.Count <= 1, $"'{fix.Title}' touched {touched.Count} lines: {string.Join(" | ", touched)}");
        }
    }
}
