using System.Diagnostics;
using Stepwise.Core.Model;
using Stepwise.Readers;

namespace Stepwise.Analysis.Tests.Rules;

/// <summary>
/// The same check as <see cref="SchemaTests"/> with an independent implementation: ajv (draft-07, strict) over the
/// files as js-yaml reads them (YAML 1.2, like yaml-language-server). Needs node and npm on PATH; installs the two
/// pinned packages of Rules/ajv/package-lock.json on first run (`npm ci`, as scripts/test.sh does for the other Node folders).
/// </summary>
public class AjvSchemaTests
{
    private static string Dir => Path.Combine(TestPaths.RepoRoot, "tests", "Stepwise.Analysis.Tests", "Rules", "ajv");
    private static readonly object InstallLock = new();

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = Dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(180_000)) { p.Kill(true); throw new TimeoutException($"{file} {string.Join(' ', args)} took over 3 minutes"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    private static void EnsureInstalled()
    {
        lock (InstallLock)
        {
            if (Directory.Exists(Path.Combine(Dir, "node_modules", "ajv")) && Directory.Exists(Path.Combine(Dir, "node_modules", "js-yaml"))) return;
            var (code, output) = Run("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error");
            Assert.True(code == 0, "npm ci in Rules/ajv failed (node and npm are needed for this test):\n" + output);
        }
    }

    private static IEnumerable<string> Pairs(IEnumerable<string> files) =>
        from f in files
        from d in ConfigReaders.Read(File.ReadAllText(f), f).Take(1)
        where d.Dialect != Dialect.Unknown
        select $"{d.Dialect.Id()}={f}";

    [Fact]
    public void Ajv_accepts_the_bundled_examples_and_the_corpus()
    {
        EnsureInstalled();
        var files = ((IEnumerable<object[]>)SchemaTests.ConfigFiles()).Select(r => (string)r[0]).ToList();
        var pairs = Pairs(files).ToList();
        Assert.True(pairs.Count > 60, $"only {pairs.Count} files to validate");
        var (code, output) = Run("node", new[] { "validate.mjs", Path.Combine(TestPaths.RepoRoot, "schemas") }.Concat(pairs).ToArray());
        Assert.True(code == 0, output);
        Assert.Contains($"# schemas 5, files {pairs.Count}, invalid 0", output);
    }

    [Fact]
    public void Ajv_rejects_values_the_schemas_forbid()
    {
        EnsureInstalled();
        var dir = TestPaths.TempDir();
        var bad = Path.Combine(dir, "bad.yaml");
        File.WriteAllText(bad, "output_dir: o\nlearning_rate: 1e-4\nmax_steps: 10\noptim: adamw\nper_device_train_batch_size: 0\nwarmup_ratio: 3\nbf16: \"yes\"\n");
        var badAxolotl = Path.Combine(dir, "bad_axolotl.yml");
        File.WriteAllText(badAxolotl, "base_model: m\nmicro_batch_size: 0\nadapter: qlorra\n");
        var (code, output) = Run("node", new[] { "validate.mjs", Path.Combine(TestPaths.RepoRoot, "schemas") }.Concat(Pairs(new[] { bad, badAxolotl })).ToArray());
        Assert.Equal(1, code);
        Assert.Contains("/optim must be equal to one of the allowed values", output);
        Assert.Contains("/per_device_train_batch_size must be >= 1", output);
        Assert.Contains("/warmup_ratio must be <= 1", output);
        Assert.Contains("/bf16 must be boolean", output);
        Assert.Contains("/micro_batch_size must be >= 1", output);
        Assert.Contains("/adapter must be equal to one of the allowed values", output);
        Assert.Contains("invalid 2", output);
    }
}
