using System.Diagnostics;
using System.Globalization;

namespace Stepwise.Fuzz;

/// <summary>
/// The fuzzing benchmark command:
/// <code>dotnet run --project tests/Stepwise.Fuzz -c Release -- [--inputs N | --seconds T] [--harness NAME,...] [--seed S]
///     [--findings DIR] [--no-coverage]</code>
/// Spreads N inputs (default 1,000,000) or T seconds over the harnesses, and prints per harness and in total: inputs,
/// inputs/s, edges covered, crashes, hangs (&gt; 1 s per input), and the process's peak memory. With coverage (the
/// default) it first copies its own folder to instrumented/ and instruments Stepwise's assemblies there with SharpFuzz,
/// then runs that copy; the build output itself is never instrumented. Exit code 1 when anything was found.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        bool coverage = !args.Contains("--no-coverage");
        if (coverage && Environment.GetEnvironmentVariable("STEPWISE_FUZZ_INSTRUMENTED") != "1")
            return Instrumented.RunChild(args);
        return Run(args, coverage);
    }

    private static int Run(string[] args, bool coverage)
    {
        FuzzEngine.EnsureMap(); // before anything instrumented runs: its edge counters write there
        if (args.Length >= 3 && args[0] == "--minimize") return Minimize(args[1], args[2]);
        long inputs = 1_000_000;
        double? seconds = null;
        int seed = 14;
        string findings = Path.Combine(Directory.GetCurrentDirectory(), "fuzz-findings");
        string[]? only = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--inputs": inputs = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); inputs = long.MaxValue; break;
                case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--findings": findings = Path.GetFullPath(args[++i]); break;
                case "--harness": only = args[++i].Split(','); break;
                case "--no-coverage": break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }
        var corpus = Seeds.FindSharedCorpus();
        var harnesses = Harnesses.All(corpus).Where(h => only is null || only.Contains(h.Name)).ToList();
        var engine = new FuzzEngine(seed, findings, Console.Out);
        engine.StartWatchdog(TimeSpan.FromSeconds(60));
        Console.WriteLine($"fuzzing {harnesses.Count} harnesses, seed {seed}, seeds from {corpus ?? "(no shared corpus)"}, coverage {(coverage ? "SharpFuzz edges" : "off")}, findings in {findings}");

        // Regressions first: every input kept from earlier crashes must pass.
        int regressionFailures = 0;
        foreach (var (h, file, bytes) in Regressions.Load(harnesses))
            if (engine.RunOne(h, bytes, out _) is { } failure) { regressionFailures++; Console.WriteLine($"REGRESSION {h.Name}/{Path.GetFileName(file)}: {failure}"); }

        var total = Stopwatch.StartNew();
        var stats = new List<HarnessStats>();
        for (int k = 0; k < harnesses.Count; k++)
        {
            long share = inputs == long.MaxValue ? long.MaxValue : inputs / harnesses.Count + (k < inputs % harnesses.Count ? 1 : 0);
            var until = seconds is double s ? DateTime.UtcNow.AddSeconds(s / harnesses.Count) : DateTime.MaxValue;
            var st = engine.Fuzz(harnesses[k], share, until);
            stats.Add(st);
            Console.WriteLine($"  {st.Name,-22} {st.Inputs,10:N0} inputs {st.Inputs / Math.Max(st.Seconds, 1e-9),9:N0}/s  edges {st.Edges,6:N0}  corpus {st.Corpus,5:N0}  crashes {st.Crashes}  hangs {st.Hangs}");
        }
        long all = stats.Sum(s => s.Inputs);
        Console.WriteLine($"total: {all:N0} inputs in {total.Elapsed.TotalSeconds:F0} s = {all / total.Elapsed.TotalSeconds:N0} inputs/s; "
            + $"edges {stats.Sum(s => s.Edges):N0} (per harness, summed); crashes {stats.Sum(s => s.Crashes)}; hangs {stats.Sum(s => s.Hangs)}; "
            + $"regressions failing {regressionFailures}; peak RSS {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MB; "
            + $"load average {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a")}");
        foreach (var f in engine.Failures) Console.WriteLine($"{f.Kind} {f.Harness} {f.File}\n    {f.Message.Replace("\n", "\n    ")}");
        return engine.Failures.Count + regressionFailures == 0 ? 0 : 1;
    }

    private static int Minimize(string harness, string file)
    {
        var h = Harnesses.All(null).Single(x => x.Name == harness);
        var engine = new FuzzEngine(1, null, TextWriter.Null);
        string? Fail(byte[] b) => engine.RunOne(h, b, out _) is { } f ? f.Split('\n')[0] : null;
        var input = File.ReadAllBytes(file);
        var target = Fail(input) ?? throw new InvalidOperationException("the input does not fail");
        bool progress = true;
        while (progress)
        {
            progress = false;
            for (int chunk = Math.Max(1, input.Length / 2); chunk >= 1; chunk /= 2)
                for (int i = 0; i + chunk <= input.Length;)
                {
                    var candidate = input[..i].Concat(input[(i + chunk)..]).ToArray();
                    if (Fail(candidate) == target) { input = candidate; progress = true; }
                    else i += chunk;
                }
        }
        Console.WriteLine(target);
        Console.WriteLine(Convert.ToBase64String(input));
        Console.WriteLine(System.Text.Encoding.UTF8.GetString(input));
        return 0;
    }
}

/// <summary>`--minimize HARNESS FILE --no-coverage`: shrinks a failing input (lines, then characters) while the same
/// failure (its first line) stays, and prints the result.</summary>
public static partial class ProgramMinimize { }

/// <summary>Inputs that once crashed a harness, kept under regressions/&lt;harness&gt;/ and replayed before every run.</summary>
public static class Regressions
{
    public static IEnumerable<(Harness Harness, string File, byte[] Bytes)> Load(IEnumerable<Harness> harnesses)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "regressions");
        foreach (var h in harnesses)
        {
            var dir = Path.Combine(root, h.Name);
            if (!Directory.Exists(dir)) continue;
            foreach (var f in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal)) yield return (h, f, File.ReadAllBytes(f));
        }
    }
}

/// <summary>Runs this program again from a copy of its folder whose Stepwise assemblies SharpFuzz instrumented.</summary>
internal static class Instrumented
{
    private static readonly string[] Targets = { "Stepwise.Core.dll", "Stepwise.Readers.dll", "Stepwise.Workspace.dll", "stepwise-cli.dll", "stepwise-lsp.dll" };

    public static int RunChild(string[] args)
    {
        var bin = AppContext.BaseDirectory;
        var dir = Path.Combine(bin, "instrumented");
        var stamp = Path.Combine(dir, ".stamp");
        var expected = string.Join("\n", Targets.Select(t => $"{t} {File.GetLastWriteTimeUtc(Path.Combine(bin, t)).Ticks}"));
        if (!File.Exists(stamp) || File.ReadAllText(stamp) != expected)
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
            foreach (var f in Directory.EnumerateFiles(bin, "*", SearchOption.AllDirectories))
            {
                var rel = Path.GetRelativePath(bin, f);
                if (rel.StartsWith("instrumented", StringComparison.Ordinal)) continue;
                var to = Path.Combine(dir, rel);
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Copy(f, to);
            }
            foreach (var t in Targets)
            {
                var types = SharpFuzz.Fuzzer.Instrument(Path.Combine(dir, t), name => name.StartsWith("Stepwise.", StringComparison.Ordinal), SharpFuzz.Options.Value);
                Console.WriteLine($"instrumented {t}: {types.Count()} types");
            }
            File.WriteAllText(stamp, expected);
        }
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(dir, "Stepwise.Fuzz.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["STEPWISE_FUZZ_INSTRUMENTED"] = "1";
        using var child = Process.Start(psi)!;
        child.WaitForExit();
        return child.ExitCode;
    }
}
