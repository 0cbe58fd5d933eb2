using Stepwise.Core;
using Stepwise.Core.Model;
using Stepwise.Workspace;

namespace Stepwise.Analysis.Tests.Corpus;

/// <summary>Real configs written by others (shared/corpus/llama-factory): every one parses, and the known case trips the rule.</summary>
public class LlamaFactoryCorpusTests
{
    public static TheoryData<string> CorpusFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(TestPaths.Corpus, "*", SearchOption.AllDirectories)
                     .Where(f => f.EndsWith(".yaml") || f.EndsWith(".yml") || f.EndsWith(".json"))
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}data{Path.DirectorySeparatorChar}") || f.EndsWith("dataset_info.json"))
                     .OrderBy(f => f, StringComparer.Ordinal))
            data.Add(Path.GetRelativePath(TestPaths.Corpus, f));
        return data;
    }

    private static readonly ConfigChecker Checker = new(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false });

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Every_corpus_file_parses_without_read_errors(string relative)
    {
        var result = Checker.AnalyzeFile(Path.Combine(TestPaths.Corpus, relative));
        Assert.Null(result.Error);
        var problems = result.Configs.SelectMany(c => c.Document.Problems).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems.Select(p => $"{p.Span}: {p.Message}")));
        Assert.DoesNotContain(result.Configs.SelectMany(c => c.Result.Findings), f => f.Id is "SW0001" or "SW9001");
    }

    [Fact]
    public void Corpus_has_the_files_the_brief_names()
    {
        var files = ((IEnumerable<object[]>)CorpusFiles()).Select(r => (string)r[0]).ToList();
        Assert.Contains(Path.Combine("examples", "ascend", "qwen3_full_sft_fsdp2.yaml"), files);
        Assert.True(files.Count > 40, $"only {files.Count} corpus files found");
    }

    [Fact]
    public void Ascend_qwen3_example_reports_SW1002_with_4_epochs()
    {
        var path = Path.Combine(TestPaths.Corpus, "examples", "ascend", "qwen3_full_sft_fsdp2.yaml");
        var result = Checker.AnalyzeFile(path);
        var c = Assert.Single(result.Configs);
        Assert.Equal(Dialect.LlamaFactory, c.Document.Dialect);
        Assert.Equal(999, c.Result.DatasetSize.Count); // alpaca_en_demo.json: 999 records, under max_samples 1000
        Assert.Equal(4.0, c.Result.Schedule!.Epochs);
        var f = Assert.Single(c.Result.Findings, x => x.Id == "SW1002");
        Assert.Contains("the run trains 4.0 epochs", f.Message);
    }

    [Fact]
    public void Ascend_qwen3_example_on_two_processes_trains_7_94_epochs()
    {
        var checker = new ConfigChecker(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false, Analysis = new AnalysisOptions { WorldSize = 2 } });
        var c = checker.AnalyzeFile(Path.Combine(TestPaths.Corpus, "examples", "ascend", "qwen3_full_sft_fsdp2.yaml")).Configs.Single();
        Assert.Equal("7.94", Stepwise.Core.Arithmetic.Schedules.Epochs(c.Result.Schedule!.Epochs!.Value));
        Assert.Contains("7.94 epochs", c.Result.Findings.Single(x => x.Id == "SW1002").Message);
    }

    [Fact]
    public void Ascend_qwen3_with_its_accelerate_config_takes_num_processes()
    {
        var acc = Path.Combine(TestPaths.Corpus, "examples", "accelerate", "fsdp2_config.yaml");
        var checker = new ConfigChecker(new WorkspaceOptions { UseGit = false, AccelerateConfig = acc });
        var c = checker.AnalyzeFile(Path.Combine(TestPaths.Corpus, "examples", "ascend", "qwen3_full_sft_fsdp2.yaml")).Configs.Single();
        var expected = Stepwise.Readers.ConfigReaders.Read(File.ReadAllText(acc), acc).Single().Find("num_processes")!.Value.AsLong();
        Assert.Equal(expected, c.Result.Schedule!.Inputs.WorldSize);
    }
}
