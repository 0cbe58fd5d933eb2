using System.Diagnostics;
using System.Text.Json;
using Stepwise.Core.Model;
using Stepwise.Readers.Python;
using Stepwise.Workspace;

namespace Stepwise.Analysis.Tests.Python;

/// <summary>
/// IPython syntax in notebooks (magics, shell commands continued over lines, help) is skipped, never a read error;
/// and a notebook whose trainer is a class of its own is still reported. The oracle for what is IPython and what is
/// Python is IPython's own input transformer (Debian's python3-ipython: IPython.core.inputtransformer2.TransformerManager)
/// followed by CPython's parser.
/// </summary>
public class NotebookMagicsTests
{
    private static readonly NotebookConfigReader Reader = new();

    private static string Notebook(params string[] cells) =>
        "{\"cells\": [" + string.Join(",", cells.Select(c => "{\"cell_type\": \"code\", \"metadata\": {}, \"outputs\": [], \"source\": "
            + JsonSerializer.Serialize(c) + "}")) + "], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}";

    private static IReadOnlyList<ReadProblem> ProblemsOf(string cell) =>
        Reader.Read(Notebook(cell + "\nargs = TrainingArguments(max_steps=3)\n"), "m.ipynb").SelectMany(d => d.Problems).ToList();

    /// <summary>
    /// Whether IPython turns the cell into Python that CPython parses (a %%capture/%%time cell: its body, which IPython
    /// runs as a cell of its own); null when Debian's python3 with IPython is not installed.
    /// </summary>
    private static bool? IPythonAccepts(string cell)
    {
        const string exe = "/usr/bin/python3";
        if (!File.Exists(exe)) return null;
        const string script = "import ast, sys\n"
            + "try:\n    from IPython.core.inputtransformer2 import TransformerManager\nexcept ImportError:\n    print('missing'); sys.exit(0)\n"
            + "cell = sys.stdin.read()\n"
            + "first, _, body = cell.partition('\\n')\n"
            + "if first.split()[0] in ('%%capture', '%%time', '%%timeit'): cell = body\n"
            + "try:\n    ast.parse(TransformerManager().transform_cell(cell)); print('ok')\nexcept SyntaxError:\n    print('error')\n";
        var psi = new ProcessStartInfo(exe) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(cell);
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return output switch { "ok" => true, "error" => false, _ => null };
    }

    // Cells written in the shapes real notebooks use (Unsloth's install cells, Colab helpers), and ones that are not valid.
    public static TheoryData<string, bool> Cells() => new()
    {
        // A shell line continued by a trailing backslash: the next lines (a quoted requirement, an unquoted URL whose
        // commit starts with digits) belong to the command.
        { "!uv pip install -qqq \\\n    \"unsloth @ git+https://github.com/unslothai/unsloth@0add68262ab0a2e33b84524346cb27cbb2787356\"", true },
        { "!uv pip install -q \\\n    git+https://github.com/triton-lang/triton.git@0add68262ab0a2e33b84524346cb27cbb2787356#subdirectory=python/triton_kernels\nx = 1", true },
        // Shell and magic lines inside blocks, as in a %%capture install cell.
        { "%%capture\nimport os\nif \"COLAB_\" in \"\".join(os.environ.keys()):\n    !pip install -q \\\n        torch \\\n        9abc@1\nelse:\n    %pip install peft\n!pip install trl", true },
        { "files = !ls data \\\n    | head -3\nprint(files)", true },
        { "home = %env HOME\nprint(home)", true },
        { "TrainingArguments?\nprint(1)", true },
        { "?TrainingArguments\nSFTConfig??", true },
        { "%time x = 1\n%load_ext autoreload", true },
        // A backslash followed by a space does not continue the command: the next line is Python again.
        { "!echo a \\ \nx = 1", true },
        { "!echo a \\ \n0add = 1", false },
        // Without a backslash the next line is Python, and this one is not valid Python.
        { "!pip install a\n    0add68262ab0a2e33b84524346cb27cbb2787356", false },
    };

    [Theory]
    [MemberData(nameof(Cells))]
    public void IPython_lines_are_skipped_exactly_where_IPython_transforms_them(string cell, bool valid)
    {
        var oracle = IPythonAccepts(cell);
        if (oracle is not null) Assert.Equal(valid, oracle.Value); // the expectation agrees with IPython itself
        var problems = ProblemsOf(cell);
        Assert.True(valid == (problems.Count == 0), string.Join("\n", problems.Select(p => p.Message)));
    }

    [Fact]
    public void A_notebook_with_a_custom_trainer_an_install_cell_and_an_empty_language_name_is_reported()
    {
        // Colab writes "language_info": {"name": ""} and no kernelspec language: that states no language.
        var text = PythonFixtures.Read("unsloth_custom_trainer.ipynb");
        var doc = Assert.Single(Reader.Read(text, "unsloth_custom_trainer.ipynb"));
        Assert.Empty(doc.Problems);
        Assert.True(doc.HasTrainingArguments);
        Assert.Equal("SFTConfig", doc.Find("max_steps")!.Owner);
        Assert.Equal(30L, doc.Find("max_steps")!.Value.AsLong());
        Assert.Equal(2L, doc.Find("per_device_train_batch_size")!.Value.AsLong());
        Assert.Equal(ValueKind.Unknown, doc.Find("bf16")!.Value.Kind);
        Assert.Equal("SFTConfig(", text.Substring(doc.ConfigSpan!.Start, "SFTConfig(".Length));
        foreach (var e in doc.Entries)
            Assert.Equal(e.Key, JsonSerializer.Deserialize<string>("\"" + text.Substring(e.KeySpan.Start, e.KeySpan.Length) + "\""));
    }

    [Fact]
    public void A_notebook_whose_arguments_class_is_known_only_from_the_trainer_is_reported_without_unknown_keys()
    {
        var path = PythonFixtures.PathOf("unsloth_continued_pretraining.ipynb");
        var analysis = new ConfigChecker(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false }).AnalyzeFile(path);
        var config = Assert.Single(analysis.Configs);
        Assert.Equal("UnslothTrainingArguments", config.Document.Find("embedding_learning_rate")!.Owner);
        Assert.Equal(16L, config.Result.Schedule!.SamplesPerStep);
        Assert.DoesNotContain(config.Result.Findings, f => f.Id is "SW9001" or "SW9003");
    }
}
