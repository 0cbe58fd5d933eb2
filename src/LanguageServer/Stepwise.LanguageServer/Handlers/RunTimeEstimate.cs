using System.Globalization;
using System.Text.Json;
using Stepwise.Core;
using Stepwise.Core.Arithmetic;
using Stepwise.Core.Model;

namespace Stepwise.LanguageServer.Handlers;

/// <summary>
/// How long the configured run takes, from the throughput of an earlier run in the same output_dir: HF Trainer writes
/// <c>train_samples_per_second</c> to all_results.json / train_results.json and into the last log_history entry of
/// trainer_state.json. Time = samples the run processes / samples per second.
/// </summary>
public static class RunTimeEstimate
{
    public sealed record Throughput(double SamplesPerSecond, string Source);

    public static Throughput? Find(ConfigDocument doc, string? configDirectory)
    {
        var entry = doc.Find("output_dir");
        if (entry?.Value.AsString() is not { Length: > 0 } dir) return null;
        var full = Path.IsPathRooted(dir) ? dir : Path.GetFullPath(Path.Combine(configDirectory ?? "", dir));
        foreach (var name in new[] { "all_results.json", "train_results.json", "trainer_state.json" })
        {
            var file = Path.Combine(full, name);
            if (!File.Exists(file)) continue;
            try
            {
                using var json = JsonDocument.Parse(Stepwise.Workspace.RegularFiles.ReadAllBytes(file, 64L * 1024 * 1024), new JsonDocumentOptions { AllowTrailingCommas = true });
                if (SamplesPerSecond(json.RootElement) is double sps && sps > 0)
                    return new Throughput(sps, Path.Combine(dir, name));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException) { }
        }
        return null;
    }

    private static double? SamplesPerSecond(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return null;
        if (root.TryGetProperty("train_samples_per_second", out var v) && v.ValueKind == JsonValueKind.Number) return v.GetDouble();
        if (root.TryGetProperty("log_history", out var history) && history.ValueKind == JsonValueKind.Array)
            for (int i = history.GetArrayLength() - 1; i >= 0; i--)
                if (history[i].ValueKind == JsonValueKind.Object && history[i].TryGetProperty("train_samples_per_second", out var h) && h.ValueKind == JsonValueKind.Number)
                    return h.GetDouble();
        return null;
    }

    /// <summary>"≈ 2 h 13 min: 128,000 samples at 16.0 samples/s (output/all_results.json)", or null when unknown.</summary>
    public static string? Describe(AnalysisResult result, Throughput? throughput)
    {
        if (throughput is null || result.Schedule is not { } s) return null;
        // A packed run counts what HF's train_samples_per_second counts for it: steps x b x A x W (a "sample" is a
        // packed row, or for axolotl's multipack one micro_batch_size share of a bin), never the unpacked examples; with
        // its rows unknown there is no estimate.
        if (s.PackedUnknown is not null) return null;
        long? samples = s.Packing is { Packed: true } ? (s.TotalSteps is long tp ? tp * s.SamplesPerStep : null)
            : s.Samples ?? (s.TotalSteps is long t ? t * s.SamplesPerStep : null);
        if (samples is not long n) return null;
        var seconds = n / throughput.SamplesPerSecond;
        return $"≈ {Duration(seconds)}: {Schedules.Num(n)} samples at {throughput.SamplesPerSecond.ToString("0.##", CultureInfo.InvariantCulture)} samples/s " +
               $"(train_samples_per_second of the earlier run in {throughput.Source})";
    }

    public static string Duration(double seconds)
    {
        if (seconds < 60) return $"{Math.Max(1, Math.Round(seconds)):0} s";
        var t = TimeSpan.FromSeconds(seconds);
        if (t.TotalHours < 1) return $"{t.Minutes} min";
        if (t.TotalDays < 1) return $"{(int)t.TotalHours} h {t.Minutes:00} min";
        return $"{(int)t.TotalDays} d {t.Hours} h";
    }
}
