using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis.Diagnostics;
using Stepwise.Core;

namespace Stepwise.Roslyn;

/// <summary>
/// The analyzer's settings, from .editorconfig / .globalconfig (per file):
/// <c>stepwise.dataset_size</c>, <c>stepwise.world_size</c>, <c>stepwise.epoch_threshold</c>,
/// <c>stepwise.transformers_version</c>, <c>stepwise.dataset_file</c>.
/// </summary>
public sealed class StepwiseSettings
{
    public const string DatasetSizeKey = "stepwise.dataset_size";
    public const string WorldSizeKey = "stepwise.world_size";
    public const string EpochThresholdKey = "stepwise.epoch_threshold";
    public const string TransformersVersionKey = "stepwise.transformers_version";
    public const string DatasetFileKey = "stepwise.dataset_file";

    public long? DatasetSize { get; private set; }
    public long? WorldSize { get; private set; }
    public double? EpochThreshold { get; private set; }
    public string? TransformersVersion { get; private set; }
    public string? DatasetFile { get; private set; }
    /// <summary>Values that could not be used, as messages naming the key and what it should be.</summary>
    public IReadOnlyList<string> Problems => _problems;
    private readonly List<string> _problems = new();

    public static StepwiseSettings From(AnalyzerConfigOptions options)
    {
        var s = new StepwiseSettings();
        if (options.TryGetValue(DatasetSizeKey, out var n))
            s.DatasetSize = s.Count(DatasetSizeKey, n, min: 0);
        if (options.TryGetValue(WorldSizeKey, out var w))
            s.WorldSize = s.Count(WorldSizeKey, w, min: 1);
        if (options.TryGetValue(EpochThresholdKey, out var t))
        {
            if (double.TryParse(t.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d > 0) s.EpochThreshold = d;
            else s._problems.Add($"{EpochThresholdKey} = '{t}' in .editorconfig/.globalconfig must be a positive number (e.g. 2.0)");
        }
        if (options.TryGetValue(TransformersVersionKey, out var v))
        {
            var trimmed = v.Trim();
            var parts = trimmed.Split('.');
            if (parts.Length >= 1 && parts.Length <= 3 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out _)
                && (parts.Length < 2 || int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                s.TransformersVersion = trimmed;
            else s._problems.Add($"{TransformersVersionKey} = '{v}' in .editorconfig/.globalconfig must be a version such as 4.57");
        }
        if (options.TryGetValue(DatasetFileKey, out var f) && f.Trim().Length > 0) s.DatasetFile = f.Trim();
        return s;
    }

    private long? Count(string key, string text, long min)
    {
        var cleaned = text.Trim().Replace("_", "").Replace(",", "");
        if (long.TryParse(cleaned, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min) return v;
        _problems.Add($"{key} = '{text}' in .editorconfig/.globalconfig must be a whole number of at least {min}");
        return null;
    }

    /// <summary>The engine options. World size from here is the project's default: a WorldSize written in the code wins.</summary>
    public AnalysisOptions ToOptions(bool worldSizeWritten)
    {
        var o = new AnalysisOptions { DatasetSize = DatasetSize, WorldSize = worldSizeWritten ? null : WorldSize };
        if (EpochThreshold is double t) o = o with { EpochThreshold = t };
        if (TransformersVersion is { } v) o = o with { TransformersVersion = v };
        return o;
    }
}
