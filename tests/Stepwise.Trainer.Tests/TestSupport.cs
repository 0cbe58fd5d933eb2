using System.Diagnostics;
using System.Text.Json.Nodes;
using Stepwise.Trainer.Models;

namespace Stepwise.Trainer.Tests;

public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "stepwise-trainer-tests-" + Guid.NewGuid().ToString("N"));
    public TempDir() => Directory.CreateDirectory(Path);
    public string this[string name] => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}

public static class TestModels
{
    /// <summary>A Llama small enough for tests yet with every feature: GQA (4 heads over 2), 2 layers.</summary>
    public static LlamaConfig Tiny(bool tied = false) => DefaultModel.Config() with
    {
        VocabSize = 61, HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 2, NumAttentionHeads = 4,
        NumKeyValueHeads = 2, HeadDim = 8, RopeTheta = 10000, RmsNormEps = 1e-5, TieWordEmbeddings = tied,
        MaxPositionEmbeddings = 64, Raw = new JsonObject { ["initializer_range"] = 0.2 },
    };

    /// <summary>Creates a tiny checkpoint folder (float32) with larger-than-default weights so logits are not all ~0.</summary>
    public static string Create(TempDir dir, string name, bool tied = false, long seed = 1)
    {
        string path = dir[name];
        DefaultModel.Create(path, seed, Tiny(tied));
        return path;
    }
}

public static class Oracle
{
    public const string Python = "/usr/bin/python3";

    /// <summary>Runs the PyTorch reference (oracle/llama_reference.py).</summary>
    public static void Run(params string[] args) => RunScript("llama_reference.py", args);

    /// <summary>
    /// Runs oracle/<paramref name="script"/> with Debian's python3; fails (never skips) when python3 or a module the
    /// script imports is missing (Debian names them python3-&lt;module&gt;: torch, numpy, jinja2, sentencepiece).
    /// </summary>
    public static void RunScript(string script, params string[] args)
    {
        if (!File.Exists(Python))
            Assert.Fail($"{Python} not found: the reference {script} needs Debian's python3 and its python3-* modules. Run `scripts/setup.sh --test`.");
        var psi = new ProcessStartInfo(Python) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "oracle", script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string err = p.StandardError.ReadToEnd();
        stdout.Wait();
        p.WaitForExit();
        if (p.ExitCode == 0) return;
        var missing = System.Text.RegularExpressions.Regex.Match(err, "No module named '([^'.]+)");
        if (missing.Success)
            Assert.Fail($"{Python} lacks {missing.Groups[1].Value}: install Debian's python3-{missing.Groups[1].Value} with `scripts/setup.sh --test`.\n{err}");
        Assert.Fail($"reference script {script} failed ({p.ExitCode}):\n{err}");
    }
}

public static class TestSupportExt
{
    /// <summary>Bitwise-equal values and equal shapes (Tensor.equal in TorchSharp is elementwise).</summary>
    public static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.eq(b).all().item<bool>();
}
