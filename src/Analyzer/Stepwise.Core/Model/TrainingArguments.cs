using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Stepwise.Core.Model;

/// <summary>
/// Names the Hugging Face key a property of a user's own C# type stands for: the Roslyn analyzer reads creations of any
/// type whose properties carry it. Core's <see cref="TrainingArguments"/> does not need it (its keys are the generated
/// <see cref="TrainingArguments.Settings"/> table).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class HfNameAttribute : Attribute
{
    public HfNameAttribute(string name) => Name = name;
    public string Name { get; }
}

/// <summary>One setting of <see cref="TrainingArguments"/>: its property, its key, and the upstream class and release
/// its type and default come from (null for a setting of the trainer's own format); <see cref="Why"/> says where the
/// record departs from that field.</summary>
public sealed class TrainingArgument
{
    public TrainingArgument(string property, string key, string? library, string? upstreamClass, string? release, string? why)
    {
        Property = property; Key = key; Library = library; UpstreamClass = upstreamClass; Release = release; Why = why;
    }

    public string Property { get; }
    public string Key { get; }
    public string? Library { get; }
    public string? UpstreamClass { get; }
    public string? Release { get; }
    public string? Why { get; }
}

/// <summary>
/// The typed C# view of a training setup, with PascalCase Hugging Face names. C# users configure the bundled trainer
/// with it (<c>new TrainingArguments { PerDeviceTrainBatchSize = 128, MaxSteps = 1000 }</c>); the trainer reads its
/// settings through it. The properties, their types and defaults, the key table and <see cref="FromSetup"/> are
/// generated from the key data (TrainingArguments.g.cs, by tools/keygen/keygen.py render: RECORD lists the keys);
/// this half holds the lookups and the conversions.
/// </summary>
public sealed partial record TrainingArguments
{
    /// <summary>The property for a Hugging Face key (null when this view has none).</summary>
    public static string? PropertyFor(string hfName) => Lookup.PropertyByKey.TryGetValue(hfName, out var p) ? p : null;

    /// <summary>The Hugging Face key of a property name (null when unknown).</summary>
    public static string? HfNameOf(string propertyName) => Lookup.KeyByProperty.TryGetValue(propertyName, out var k) ? k : null;

    public static IEnumerable<(string Property, string HfName)> Properties => Settings.Select(s => (s.Property, s.Key));

    public override string ToString() =>
        string.Join(", ", Values().Select(v => $"{v.Key}={Convert.ToString(v.Value, CultureInfo.InvariantCulture)}"));

    // A class of its own: static fields of the two halves of a partial type initialise in no defined order, and these
    // read Settings.
    private static class Lookup
    {
        public static readonly Dictionary<string, string> KeyByProperty = Settings.ToDictionary(s => s.Property, s => s.Key, StringComparer.Ordinal);
        public static readonly Dictionary<string, string> PropertyByKey = Settings.ToDictionary(s => s.Key, s => s.Property, StringComparer.Ordinal);
    }

    /// <summary>What <see cref="FromSetup"/> reads: a stated, non-null value converted to the property's type, else the
    /// default; a value that does not convert keeps the default and is reported.</summary>
    private readonly struct SettingReader
    {
        private readonly TrainingSetup _setup;
        private readonly List<string>? _problems;

        public SettingReader(TrainingSetup setup, List<string>? problems) { _setup = setup; _problems = problems; }

        public int Int(string key, int fallback) => Int(key, (int?)fallback) ?? fallback;
        public int? Int(string key, int? fallback) =>
            Read(key, "Int32", v => v.AsLong() is long l && l >= int.MinValue && l <= int.MaxValue ? (int)l : (int?)null, fallback);

        public double Double(string key, double fallback) => Double(key, (double?)fallback) ?? fallback;
        public double? Double(string key, double? fallback) => Read(key, "Double", v => v.AsDouble(), fallback);

        public bool Bool(string key, bool fallback) => Bool(key, (bool?)fallback) ?? fallback;
        public bool? Bool(string key, bool? fallback) => Read(key, "Boolean", v => v.AsBool(), fallback);

        public string Text(string key, string fallback) => TextOrNull(key, fallback) ?? fallback;
        public string? TextOrNull(string key, string? fallback)
        {
            var v = Stated(key);
            if (v is null) return DialectDefault(key)?.AsString() ?? fallback;
            if (v.AsString() is { } s) return s;
            Problem(key, v, "String");
            return fallback;
        }

        /// <summary>A list, or one comma-separated string.</summary>
        public IReadOnlyList<string>? List(string key, IReadOnlyList<string>? fallback)
        {
            var v = Stated(key);
            if (v is null) return fallback; // a dialect's list default (LLaMA-Factory's lora_target "all") is its reader's to expand
            if (v.Kind == ValueKind.Sequence) return v.Items.Select(i => i.AsString() ?? "").ToList();
            if (v.AsString() is { } s) return s.Split(',').Select(x => x.Trim()).Where(x => x.Length > 0).ToList();
            Problem(key, v, "IReadOnlyList`1");
            return fallback;
        }

        private T? Read<T>(string key, string typeName, Func<ConfigValue, T?> convert, T? fallback) where T : struct
        {
            var v = Stated(key);
            if (v is null) return DialectDefault(key) is { } d && convert(d) is { } byDefault ? byDefault : fallback;
            if (convert(v) is { } converted) return converted;
            Problem(key, v, typeName);
            return fallback;
        }

        private ConfigValue? Stated(string key) => _setup.Find(key) is { } s && s.Value.Kind is not ValueKind.Null ? s.Value : null;

        /// <summary>
        /// The default of the tool whose file this is, for a key the file leaves out: what <see cref="TrainingSetup.Get"/>
        /// gives (the key table's default in the dialect). axolotl's config model defaults lr_scheduler to cosine,
        /// optimizer to adamw_torch_fused, micro_batch_size and num_epochs to 1 and output_dir to ./model-out, and a run
        /// of that file does that, not Hugging Face's linear / adamw_torch / 8 / 3. Null for Hugging Face files (the
        /// record's defaults are TrainingArguments' own) and where the tool has none; a default that does not convert
        /// (axolotl's bf16 "auto") leaves the record's.
        /// </summary>
        private ConfigValue? DialectDefault(string key) =>
            _setup.Dialect == Dialect.Hf || _setup.Get(key).Value is not { Kind: not ValueKind.Null } d ? null : d;

        private void Problem(string key, ConfigValue v, string typeName) =>
            _problems?.Add($"{_setup.Find(key)?.Entry?.Key ?? key}: cannot use {v} as {typeName}");
    }
}
