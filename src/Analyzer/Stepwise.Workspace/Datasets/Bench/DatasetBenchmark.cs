using System.Diagnostics;
using System.Globalization;
using System.Text;
using Stepwise.Core.Model;

namespace Stepwise.Workspace.Datasets.Bench;

/// <summary>
/// Dataset counting benchmark (a command, not a test): JSON Lines counting throughput on a generated file next to
/// <c>wc -l</c> on the same file in the same run, and the warm re-check of the unchanged file through the cache.
/// Goals: at least 0.8x the throughput of <c>wc -l</c>; a warm re-check under 1 ms.
/// </summary>
public static class DatasetBenchmark
{
    private const string Marker = "stepwise-bench-v1";
    private const int Runs = 5;

    /// <returns>0 when both goals are met, 1 when one is missed, 2 when the benchmark could not run.</returns>
    public static int Run(TextWriter output, long bytes = 1L << 30, string? directory = null)
    {
        var inv = CultureInfo.InvariantCulture;
        string path = Path.Combine(directory ?? Path.GetTempPath(), $"stepwise-bench-{bytes}.jsonl");
        long expected;
        try { expected = Ensure(path, bytes, output); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            output.WriteLine($"cannot write the benchmark file {path}: {e.Message}");
            return 2;
        }
        double mb = bytes / 1e6;
        output.WriteLine($"file: {path} ({mb.ToString("N0", inv)} MB, {expected.ToString("N0", inv)} records)");

        // Warm the page cache for both contenders, so both read from memory.
        var options = new RecordCounterOptions { MaxScanBytes = long.MaxValue };
        var first = RecordCounter.CountUncached(new FileInfo(path), options);
        if (first.Rows != expected)
        {
            output.WriteLine($"WRONG COUNT: ours {first.Rows?.ToString(inv) ?? first.Problem}, expected {expected}");
            return 2;
        }
        var wcFirst = WcLines(path);
        if (wcFirst.Error is not null) output.WriteLine($"wc -l unavailable: {wcFirst.Error}");

        var ours = new List<double>();
        var wc = new List<double>();
        for (int i = 0; i < Runs; i++)
        {
            // Alternate so drift (other load, frequency) hits both alike.
            var sw = Stopwatch.StartNew();
            var c = RecordCounter.CountUncached(new FileInfo(path), options);
            sw.Stop();
            if (c.Rows != expected) { output.WriteLine($"WRONG COUNT on run {i}: {c.Rows}"); return 2; }
            ours.Add(sw.Elapsed.TotalSeconds);
            if (wcFirst.Error is null)
            {
                var w = WcLines(path);
                if (w.Lines != expected) output.WriteLine($"note: wc -l says {w.Lines} lines");
                wc.Add(w.Seconds);
            }
        }
        double oursBest = ours.Min(), oursMedian = Median(ours);
        output.WriteLine($"stepwise JSONL count: best {Rate(mb, oursBest)} MB/s, median {Rate(mb, oursMedian)} MB/s ({(oursBest * 1000).ToString("N0", inv)} ms best of {Runs})");
        bool fastEnough = true;
        if (wc.Count > 0)
        {
            double wcBest = wc.Min(), wcMedian = Median(wc);
            output.WriteLine($"wc -l:                best {Rate(mb, wcBest)} MB/s, median {Rate(mb, wcMedian)} MB/s ({(wcBest * 1000).ToString("N0", inv)} ms best of {Runs})");
            double ratio = wcMedian / oursMedian;
            fastEnough = ratio >= 0.8;
            output.WriteLine($"ratio (median throughput, ours / wc -l): {ratio.ToString("0.00", inv)}x  (goal >= 0.80x: {(fastEnough ? "met" : "MISSED")})");
        }

        // Warm re-check: the unchanged file through the cache (one stat), directly and through the resolver.
        var counter = new RecordCounter(options);
        counter.CountFile(path);
        var resolver = new DatasetResolver(new DatasetResolverOptions { Counter = counter, CacheRoots = new HuggingFaceCacheRoots("/nonexistent", "/nonexistent") });
        var reference = new DatasetReference(DatasetSourceKind.PathOrHub, path, null);
        if (resolver.Resolve(reference, null).Rows != expected) { output.WriteLine("WRONG COUNT through the resolver"); return 2; }
        // The same file named in a LLaMA-Factory registry, resolved from a config two folders below it.
        string registryDir = Path.Combine(Path.GetDirectoryName(path)!, "stepwise-bench-lf");
        Directory.CreateDirectory(Path.Combine(registryDir, "data"));
        Directory.CreateDirectory(Path.Combine(registryDir, "examples", "train"));
        File.WriteAllText(Path.Combine(registryDir, "data", "dataset_info.json"),
            $"{{\"bench\": {{\"file_name\": {System.Text.Json.JsonSerializer.Serialize(path)}}}}}");
        var lfReference = new DatasetReference(DatasetSourceKind.LlamaFactoryRegistry, "bench", null);
        string lfConfigDir = Path.Combine(registryDir, "examples", "train");
        if (resolver.Resolve(lfReference, lfConfigDir).Rows != expected) { output.WriteLine("WRONG COUNT through the LLaMA-Factory registry"); return 2; }

        var (fileMean, fileMax) = Time(() => counter.CountFile(path), 2000);
        var (resolveMean, resolveMax) = Time(() => resolver.Resolve(reference, null), 2000);
        var (lfMean, lfMax) = Time(() => resolver.Resolve(lfReference, lfConfigDir), 2000);
        bool warmFast = Math.Max(resolveMean, lfMean) < 1.0;
        output.WriteLine($"warm re-check of the unchanged file (cache hit), mean / max of 2,000: (goal < 1 ms: {(warmFast ? "met" : "MISSED")})");
        output.WriteLine($"  RecordCounter.CountFile           {Us(fileMean)} / {Us(fileMax)}");
        output.WriteLine($"  DatasetResolver, path             {Us(resolveMean)} / {Us(resolveMax)}");
        output.WriteLine($"  DatasetResolver, LLaMA-Factory    {Us(lfMean)} / {Us(lfMax)}");
        return fastEnough && warmFast ? 0 : 1;
    }

    private static (double MeanMs, double MaxMs) Time(Action action, int n)
    {
        for (int i = 0; i < 50; i++) action();
        double max = 0;
        var total = Stopwatch.StartNew();
        for (int i = 0; i < n; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            action();
            max = Math.Max(max, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        return (total.Elapsed.TotalMilliseconds / n, max);
    }

    private static string Us(double ms) => (ms * 1000).ToString("N1", CultureInfo.InvariantCulture) + " us";
    private static string Rate(double mb, double seconds) => (mb / seconds).ToString("N0", CultureInfo.InvariantCulture);
    private static double Median(List<double> xs) { var s = xs.Order().ToList(); return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2; }

    private static (long Lines, double Seconds, string? Error) WcLines(string path)
    {
        try
        {
            var psi = new ProcessStartInfo("wc", ["-l", path]) { RedirectStandardOutput = true, UseShellExecute = false };
            var sw = Stopwatch.StartNew();
            using var p = Process.Start(psi)!;
            string text = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            sw.Stop();
            if (p.ExitCode != 0) return (0, 0, $"exit code {p.ExitCode}");
            return (long.Parse(text.Trim().Split(' ')[0], CultureInfo.InvariantCulture), sw.Elapsed.TotalSeconds, null);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or FormatException)
        {
            return (0, 0, e.Message);
        }
    }

    /// <summary>
    /// Writes (or reuses) a JSON Lines file of exactly <paramref name="bytes"/> bytes: alpaca-like records of
    /// 150-1,200 bytes with escapes and non-ASCII text. Returns its record count (kept in the first record).
    /// </summary>
    private static long Ensure(string path, long bytes, TextWriter output)
    {
        var existing = new FileInfo(path);
        if (existing.Exists && existing.Length == bytes && ReadCount(path) is long known) return known;

        output.WriteLine($"generating {path} ...");
        string tmp = path + ".tmp";
        var rng = new Random(20260101);
        string[] words = ["the", "model", "learning", "rate", "batch", "step", "epoch", "données", "数据", "gradient", "\\\"quoted\\\"", "tab\\t", "line\\nbreak", "a", "of", "to"];
        long written = 0, records = 0;
        // The first record carries the count; its size is fixed so it can be rewritten in place.
        byte[] header = Encoding.UTF8.GetBytes($"{{\"{Marker}\": \"{0:D20}\"}}\n");
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            fs.Write(header);
            written += header.Length;
            records++;
            var sb = new StringBuilder();
            while (true)
            {
                sb.Clear();
                sb.Append("{\"instruction\": \"");
                Words(sb, rng, words, rng.Next(5, 30));
                sb.Append("\", \"input\": \"");
                Words(sb, rng, words, rng.Next(0, 40));
                sb.Append("\", \"output\": \"");
                Words(sb, rng, words, rng.Next(10, 150));
                sb.Append("\"}");
                var line = Encoding.UTF8.GetBytes(sb.ToString());
                long remaining = bytes - written;
                if (remaining < line.Length + 1 + 2048)
                {
                    // Last record: pad its output so the file ends exactly at the requested size.
                    var last = Encoding.UTF8.GetBytes("{\"output\": \"" + new string('x', (int)Math.Max(0, remaining - 15)) + "\"}\n");
                    if (last.Length != remaining) throw new IOException($"benchmark size {bytes} too small");
                    fs.Write(last);
                    records++;
                    break;
                }
                fs.Write(line);
                fs.WriteByte((byte)'\n');
                written += line.Length + 1;
                records++;
            }
            fs.Position = 0;
            fs.Write(Encoding.UTF8.GetBytes($"{{\"{Marker}\": \"{records:D20}\"}}\n"));
        }
        File.Move(tmp, path, overwrite: true);
        return records;
    }

    private static void Words(StringBuilder sb, Random rng, string[] words, int n)
    {
        for (int i = 0; i < n; i++) { if (i > 0) sb.Append(' '); sb.Append(words[rng.Next(words.Length)]); }
    }

    private static long? ReadCount(string path)
    {
        try
        {
            using var r = new StreamReader(path);
            var line = r.ReadLine();
            string prefix = $"{{\"{Marker}\": \"";
            if (line is null || !line.StartsWith(prefix, StringComparison.Ordinal)) return null;
            return long.TryParse(line.AsSpan(prefix.Length, 20), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        }
        catch (IOException) { return null; }
    }
}
