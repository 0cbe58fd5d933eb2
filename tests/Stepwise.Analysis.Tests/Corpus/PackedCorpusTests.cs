using Stepwise.Cli.Commands;
using Stepwise.Core.Model;
using Xunit.Abstractions;

namespace Stepwise.Analysis.Tests.Corpus;

/// <summary>
/// The packed configs of ../shared/corpus: none may show a step count or epochs derived from the unpacked examples.
/// Without the base model's tokenizer their steps per epoch and epochs are unknown (max_steps may still fix the total);
/// only a config whose token lengths were counted gets numbers.
/// </summary>
public class PackedCorpusTests
{
    private readonly ITestOutputHelper _out;
    public PackedCorpusTests(ITestOutputHelper output) => _out = output;

    [Fact]
    public void No_packed_axolotl_example_has_a_confident_step_count_unless_its_tokenizer_was_found()
    {
        var corpus = SharedCorpus.Find(Path.Combine(TestPaths.Shared, "corpus")).Single(c => c.Name == "axolotl");
        int packed = 0, counted = 0, fixedSteps = 0;
        var problems = new List<string>();
        foreach (var (relative, file) in SharedCorpus.Check(corpus).Select(r => (r.Relative, r.Analysis)))
        foreach (var config in file.Configs)
        {
            if (config.Document.FindSet("sample_packing")?.Value.AsBool() != true || config.Result.Schedule is not { } s) continue;
            packed++;
            Assert.NotNull(s.Packing);
            if (s.Packing!.LengthsSource is not null) { counted++; continue; }
            if (s.StepsPerEpoch is not null || s.Epochs is not null || s.Samples is not null || s.Spread is not null)
                problems.Add($"{relative}: steps per epoch {s.StepsPerEpoch}, epochs {s.Epochs} without token lengths");
            if (s.TotalSteps is long t)
            {
                if (!s.MaxStepsSetsLength || t != s.Inputs.MaxSteps) problems.Add($"{relative}: {t} total steps without max_steps or token lengths");
                else fixedSteps++;
            }
            if (!config.Result.Findings.Any(f => f.Id == "SW1009")) problems.Add($"{relative}: packed without SW1009");
        }
        _out.WriteLine($"{packed} packed axolotl configs: {counted} with counted token lengths, {fixedSteps} with max_steps, the rest unknown");
        Assert.True(packed >= 150, $"only {packed} packed configs found");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
