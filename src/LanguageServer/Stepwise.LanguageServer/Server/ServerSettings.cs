using System.Globalization;
using System.Text.Json;
using Stepwise.Core;
using Stepwise.Workspace;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// The <c>stepwise</c> settings section (workspace/configuration): worldSize, datasetSize, epochThreshold,
/// transformersVersion, forTrainer and severity (rule id -> off/hint/info/warning/error). Bad values are reported and skipped.
/// </summary>
public sealed record ServerSettings
{
    public long? WorldSize { get; init; }
    public long? DatasetSize { get; init; }
    public double EpochThreshold { get; init; } = 2.0;
    /// <summary>A transformers version to assume ("4.57"); null or empty: what the workspace says (installed, pinned), else the newest known.</summary>
    public string? TransformersVersion { get; init; }
    public IReadOnlyDictionary<string, Severity?> Severities { get; init; } = new Dictionary<string, Severity?>();
    /// <summary>
    /// forTrainer = "stepwise": the configs are for the bundled trainer, so diagnostics include SW5001 (what it does not do),
    /// as `check --for-trainer stepwise` does. Empty (the default): configs are for their own stack, and only Train says so.
    /// </summary>
    public bool ForBundledTrainer { get; init; }

    public static readonly ServerSettings Default = new();

    /// <summary>Equal values, severities compared by content (record equality compares the dictionary reference).</summary>
    public bool SameAs(ServerSettings other) =>
        WorldSize == other.WorldSize && DatasetSize == other.DatasetSize && EpochThreshold.Equals(other.EpochThreshold)
        && TransformersVersion == other.TransformersVersion && ForBundledTrainer == other.ForBundledTrainer && Severities.Count == other.Severities.Count
        && Severities.All(kv => other.Severities.TryGetValue(kv.Key, out var v) && v == kv.Value);

    public WorkspaceOptions ToWorkspaceOptions() => new()
    {
        Analysis = new AnalysisOptions
        {
            WorldSize = WorldSize,
            DatasetSize = DatasetSize,
            EpochThreshold = EpochThreshold,
            TransformersVersion = TransformersVersion,
            ForBundledTrainer = ForBundledTrainer,
            Severities = Severities,
        },
    };

    /// <summary>Reads the section; problems (wrong types, unknown severities) go to <paramref name="problems"/>.</summary>
    public static ServerSettings Parse(JsonElement? section, List<string> problems)
    {
        var s = new ServerSettings();
        if (section is not { ValueKind: JsonValueKind.Object } e) return s;

        long? Positive(string name)
        {
            if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n > 0) return n;
            if (v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var m) && m > 0) return m;
            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var z) && z == 0) return null; // 0 = "not set" in settings UIs
            problems.Add($"stepwise.{name} must be a positive integer, not {v.GetRawText()}");
            return null;
        }

        s = s with { WorldSize = Positive("worldSize"), DatasetSize = Positive("datasetSize") };
        if (e.TryGetProperty("epochThreshold", out var t) && t.ValueKind != JsonValueKind.Null)
        {
            if (t.ValueKind == JsonValueKind.Number && t.GetDouble() > 0) s = s with { EpochThreshold = t.GetDouble() };
            else problems.Add($"stepwise.epochThreshold must be a positive number, not {t.GetRawText()}");
        }
        if (e.TryGetProperty("transformersVersion", out var tv) && tv.ValueKind != JsonValueKind.Null)
        {
            var text = tv.ValueKind == JsonValueKind.String ? tv.GetString() : null;
            if (text is { Length: 0 }) s = s with { TransformersVersion = null };
            else if (text is { Length: > 0 } && char.IsDigit(text[0])) s = s with { TransformersVersion = text };
            else problems.Add($"stepwise.transformersVersion must be a version such as \"4.57\", not {tv.GetRawText()}");
        }
        if (e.TryGetProperty("forTrainer", out var ft) && ft.ValueKind != JsonValueKind.Null)
        {
            var text = ft.ValueKind == JsonValueKind.String ? ft.GetString() : null;
            if (text is "" or "stepwise") s = s with { ForBundledTrainer = text == "stepwise" };
            else problems.Add($"stepwise.forTrainer must be \"stepwise\" or empty, not {ft.GetRawText()}");
        }
        if (e.TryGetProperty("severity", out var sev) && sev.ValueKind == JsonValueKind.Object)
        {
            var map = new Dictionary<string, Severity?>(StringComparer.Ordinal);
            foreach (var p in sev.EnumerateObject())
            {
                var text = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
                if (SeverityNames.TryParse(text, out var level)) map[p.Name.ToUpperInvariant()] = level;
                else problems.Add($"stepwise.severity.{p.Name} must be off, hint, info, warning or error, not {p.Value.GetRawText()}");
            }
            s = s with { Severities = map };
        }
        return s;
    }
}
