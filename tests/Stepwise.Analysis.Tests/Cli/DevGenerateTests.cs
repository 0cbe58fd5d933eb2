using Stepwise.Cli;
using Stepwise.Core.Artefacts;

namespace Stepwise.Analysis.Tests.Cli;

/// <summary>`stepwise dev generate [--check]`: writes every generated file, only when its text changes; --check
/// writes nothing and lists what is stale (changed, missing, no longer generated) with exit code 1.</summary>
public class DevGenerateTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Program.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void Check_passes_on_the_repository()
    {
        var (code, output, error) = Run("dev", "generate", "--check", "--skip-trainer", "--root", TestPaths.RepoRoot);
        Assert.True(code == 0, output + error);
        Assert.Contains($"{GeneratedFiles.All().Count} generated files are up to date", output);
    }

    [Fact]
    public void Generate_writes_every_file_and_check_lists_changed_missing_and_orphaned_ones()
    {
        var root = TestPaths.TempDir();
        var (code, output, _) = Run("dev", "generate", "--skip-trainer", "--root", root);
        Assert.Equal(0, code);
        var files = GeneratedFiles.All();
        Assert.Contains($"{files.Count} written, 0 already up to date", output);
        foreach (var f in files)
            Assert.Equal(f.Text(), File.ReadAllText(Path.Combine(root, f.Path)));
        Assert.Equal(0, Run("dev", "generate", "--check", "--skip-trainer", "--root", root).Code);

        var page = Path.Combine(root, "docs", "rules", "SW1001.md");
        File.AppendAllText(page, "edited by hand\n");
        File.Delete(Path.Combine(root, "schemas", "axolotl.schema.json"));
        File.WriteAllText(Path.Combine(root, "docs", "rules", "SW0999.md"), "a rule that is gone\n");
        var edited = File.ReadAllText(page);
        (code, output, _) = Run("dev", "generate", "--check", "--skip-trainer", "--root", root);
        Assert.Equal(1, code);
        var stale = output.Split('\n').Where(l => l.StartsWith("stale: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["stale: docs/rules/SW1001.md", "stale: schemas/axolotl.schema.json (missing)", "stale: docs/rules/SW0999.md (no longer generated)"], stale);
        Assert.Contains($"3 stale of {files.Count} generated files", output);
        Assert.Contains("run ./stepwise dev generate", output);
        // --check writes nothing.
        Assert.Equal(edited, File.ReadAllText(page));
        Assert.False(File.Exists(Path.Combine(root, "schemas", "axolotl.schema.json")));

        (code, output, _) = Run("dev", "generate", "--skip-trainer", "--root", root);
        Assert.Equal(0, code);
        Assert.Contains("wrote docs/rules/SW1001.md", output);
        Assert.Contains("wrote schemas/axolotl.schema.json", output);
        Assert.Contains("deleted docs/rules/SW0999.md (no longer generated)", output);
        Assert.Equal(0, Run("dev", "generate", "--check", "--skip-trainer", "--root", root).Code);
    }

    [Fact]
    public void Files_whose_text_is_unchanged_are_not_rewritten()
    {
        var root = TestPaths.TempDir();
        Assert.Equal(0, Run("dev", "generate", "--skip-trainer", "--root", root).Code);
        var table = Path.Combine(root, GeneratedFiles.DescriptorTable);
        var old = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(table, old);
        var (code, output, _) = Run("dev", "generate", "--skip-trainer", "--root", root);
        Assert.Equal(0, code);
        Assert.Contains("0 written", output);
        Assert.Equal(old, File.GetLastWriteTimeUtc(table));
    }

    [Fact]
    public void Check_lists_stale_key_data_from_keygen_and_writes_nothing()
    {
        // A checkout whose keys.txt no longer is what upstream.json renders to: keygen.py (run by dev generate) says
        // which file, --check writes nothing and exits 1 naming the one command.
        var root = TestPaths.TempDir();
        Assert.Equal(0, Run("dev", "generate", "--skip-trainer", "--root", root).Code);
        Directory.CreateDirectory(Path.Combine(root, "tools", "keygen"));
        foreach (var f in new[] { "keygen.py", "upstream.json" })
            File.Copy(Path.Combine(TestPaths.RepoRoot, "tools", "keygen", f), Path.Combine(root, "tools", "keygen", f));
        foreach (var f in new[] { "src/Analyzer/Stepwise.Core/Keys/Upstream/keys.txt", "src/Analyzer/Stepwise.Core/Model/Views/ConfigViews.g.cs",
                     "src/Analyzer/Stepwise.Core/Model/TrainingArguments.g.cs" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, f))!);
            File.Copy(Path.Combine(TestPaths.RepoRoot, f), Path.Combine(root, f));
        }
        var keys = Path.Combine(root, "src/Analyzer/Stepwise.Core/Keys/Upstream/keys.txt");
        Assert.Equal(0, Run("dev", "generate", "--check", "--skip-trainer", "--root", root).Code);

        File.AppendAllText(keys, "# edited by hand\n");
        var edited = File.ReadAllText(keys);
        var (code, output, error) = Run("dev", "generate", "--check", "--skip-trainer", "--root", root);
        Assert.True(code == 1, output + error);
        Assert.Contains("stale: src/Analyzer/Stepwise.Core/Keys/Upstream/keys.txt", output);
        Assert.Contains("run ./stepwise dev generate", output);
        Assert.Equal(edited, File.ReadAllText(keys));
        // --skip-keys leaves the key data out of the check.
        Assert.Equal(0, Run("dev", "generate", "--check", "--skip-trainer", "--skip-keys", "--root", root).Code);
    }

    [Fact]
    public void A_root_that_does_not_exist_is_a_usage_error()
    {
        var (code, output, error) = Run("dev", "generate", "--check", "--root", "/nonexistent/stepwise-root");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("stepwise dev generate: --root: no folder /nonexistent/stepwise-root", error);
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("dev generate")]
    public void Dev_commands_answer_help_with_examples(string command)
    {
        var (code, output, error) = Run([.. command.Split(' '), "--help"]);
        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Contains("./stepwise dev generate", output);
        Assert.Contains("Examples:", output);
    }
}
