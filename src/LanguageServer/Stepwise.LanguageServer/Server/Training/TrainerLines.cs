using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Stepwise.LanguageServer.Server.Training;

/// <summary>One progress event of <c>--progress json</c> (docs/trainer/progress-protocol.md); fields the server
/// does not use are ignored, missing optional ones are null.</summary>
public sealed record TrainerEvent(string Kind, JsonElement Json)
{
    public double? Number(string name) => Json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble()
        : Json.TryGetProperty(name, out var s) && s.ValueKind == JsonValueKind.String && s.GetString() is "NaN" ? double.NaN : null;
    public long? Integer(string name) => Json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;
    public string? Text(string name) => Json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    public bool Flag(string name) => Json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;
}

/// <summary>Reading the trainer's stdout: JSON events from our trainer, best-effort progress from external launchers.</summary>
public static partial class TrainerLines
{
    /// <summary>A JSON object with a string "event", or null for anything else (garbage, a log line on stdout).</summary>
    public static TrainerEvent? ParseEvent(string line)
    {
        var t = line.Trim();
        if (t.Length == 0 || t[0] != '{') return null;
        try
        {
            using var doc = JsonDocument.Parse(t);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("event", out var e) || e.ValueKind != JsonValueKind.String)
                return null;
            return new TrainerEvent(e.GetString()!, doc.RootElement.Clone());
        }
        catch (JsonException) { return null; }
    }

    /// <summary>HF Trainer's tqdm bar: <c> 12%|█▏        | 120/1000 [01:02&lt;07:40,  1.91it/s]</c>.</summary>
    [GeneratedRegex(@"^\s*(?<pct>\d{1,3})%\|[^|]*\|\s*(?<step>\d+)/(?<total>\d+)\s*(?:\[(?<elapsed>[\d:]+)<(?<eta>[\d:?]+)[^\]]*\])?")]
    private static partial Regex Tqdm();

    /// <summary>HF Trainer's log dict: <c>{'loss': 1.2345, 'grad_norm': 0.5, 'learning_rate': 2e-05, 'epoch': 0.3}</c>.</summary>
    [GeneratedRegex(@"^\s*\{\s*'(?:loss|train_loss|eval_loss)'\s*:")]
    private static partial Regex LogDict();

    [GeneratedRegex(@"'(?<key>[A-Za-z_]+)'\s*:\s*(?<value>[-+0-9.eE]+|nan|inf)")]
    private static partial Regex DictEntry();

    public static (long Step, long Total, string? Eta)? ParseTqdm(string line)
    {
        // tqdm redraws with \r: the last redraw on the line is the newest.
        var last = line.Split('\r').LastOrDefault(s => s.Trim().Length > 0) ?? "";
        var m = Tqdm().Match(last);
        if (!m.Success) return null;
        long step = long.Parse(m.Groups["step"].Value, CultureInfo.InvariantCulture), total = long.Parse(m.Groups["total"].Value, CultureInfo.InvariantCulture);
        if (total <= 0 || step > total) return null;
        return (step, total, m.Groups["eta"].Success && !m.Groups["eta"].Value.Contains('?') ? m.Groups["eta"].Value : null);
    }

    public static IReadOnlyDictionary<string, double>? ParseLogDict(string line)
    {
        if (!LogDict().IsMatch(line)) return null;
        var map = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (Match m in DictEntry().Matches(line))
            if (double.TryParse(m.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) map[m.Groups["key"].Value] = v;
        return map.Count == 0 ? null : map;
    }

    /// <summary><c>3m12s</c>, <c>1h02m</c>, <c>45s</c>.</summary>
    public static string Duration(double seconds)
    {
        if (double.IsNaN(seconds) || seconds < 0) return "?";
        long s = (long)Math.Round(seconds);
        if (s >= 3600) return $"{s / 3600}h{s % 3600 / 60:00}m";
        if (s >= 60) return $"{s / 60}m{s % 60:00}s";
        return $"{s}s";
    }

    public static string Loss(double? loss) => loss is double l ? (double.IsNaN(l) ? "NaN" : l.ToString("0.000", CultureInfo.InvariantCulture)) : "?";

    /// <summary>The report message: <c>step 120/407 · epoch 0.29 · loss 1.234 · ETA 3m12s</c> (parts that are unknown left out).</summary>
    public static string StepMessage(long step, long? total, double? epoch, double? loss, double? etaSeconds, string? etaText = null)
    {
        var parts = new List<string> { total is long t ? $"step {step}/{t}" : $"step {step}" };
        if (epoch is double e) parts.Add("epoch " + e.ToString("0.00", CultureInfo.InvariantCulture));
        if (loss is not null) parts.Add("loss " + Loss(loss));
        if (etaSeconds is double eta) parts.Add("ETA " + Duration(eta));
        else if (etaText is not null) parts.Add("ETA " + etaText);
        return string.Join(" · ", parts);
    }

    public static uint Percentage(long step, long total) => total <= 0 ? 0u : (uint)Math.Clamp(step * 100 / total, 0, 100);
}
