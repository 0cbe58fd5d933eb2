using Stepwise.Core.Rules;

namespace Stepwise.Analysis.Tests.Rules;

/// <summary>docs/rules is generated from the rule table; these tests keep it in step and the ids well-formed.</summary>
public class RuleDocsTests
{
    [Fact]
    public void Every_rule_page_in_docs_matches_the_rule_table()
    {
        var dir = Path.Combine(TestPaths.RepoRoot, "docs", "rules");
        foreach (var d in RuleSet.Descriptors)
        {
            var path = Path.Combine(dir, d.Id + ".md");
            Assert.True(File.Exists(path), $"{path} missing: run `./stepwise dev generate`");
            Assert.True(File.ReadAllText(path) == d.ToMarkdown(), $"{path} is stale: run `./stepwise dev generate`");
        }
    }

    [Fact]
    public void Rule_ids_are_unique_and_well_formed_and_documented()
    {
        var ids = RuleSet.Descriptors.Select(d => d.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(RuleSet.Descriptors, d =>
        {
            Assert.Matches("^SW[0-9]{4}$", d.Id);
            Assert.False(string.IsNullOrWhiteSpace(d.What));
            Assert.False(string.IsNullOrWhiteSpace(d.Why));
            Assert.False(string.IsNullOrWhiteSpace(d.Example));
            Assert.False(string.IsNullOrWhiteSpace(d.FixText));
        });
    }

    [Fact]
    public void Each_rule_class_lives_in_a_file_named_by_its_id()
    {
        var rulesDir = Path.Combine(TestPaths.RepoRoot, "src", "Analyzer", "Stepwise.Core", "Rules");
        foreach (var rule in RuleSet.All)
        {
            var id = rule.Descriptor.Id;
            var file = Directory.EnumerateFiles(rulesDir, id + "_*.cs", SearchOption.AllDirectories).SingleOrDefault();
            Assert.True(file is not null, $"no Rules/**/{id}_*.cs for {rule.GetType().Name}");
            Assert.Equal(rule.GetType().Name, Path.GetFileNameWithoutExtension(file));
        }
    }
}
