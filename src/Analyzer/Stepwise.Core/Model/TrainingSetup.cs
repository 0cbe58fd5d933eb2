using System;
using System.Collections.Generic;
using System.Linq;
using Stepwise.Core.Keys;
using Stepwise.Core.Text;

namespace Stepwise.Core.Model;

public enum ValueOrigin
{
    /// <summary>Written in the config.</summary>
    Written,
    /// <summary>Not written: the tool's default for this dialect.</summary>
    Defaulted,
    /// <summary>Stated by an inline <c># stepwise:</c> directive.</summary>
    Directive,
    /// <summary>From a referenced file (DeepSpeed JSON, accelerate YAML).</summary>
    Referenced,
    /// <summary>From a command-line option or an editor setting.</summary>
    Override,
}

/// <summary>One effective setting under its canonical (Hugging Face) name, with where it came from.</summary>
public sealed class Setting
{
    public Setting(string name, ConfigValue value, ValueOrigin origin, ConfigEntry? entry = null, ConfigDocument? document = null, string? note = null)
    {
        Name = name; Value = value; Origin = origin; Entry = entry; Document = document; Note = note;
    }

    public string Name { get; }
    public ConfigValue Value { get; }
    public ValueOrigin Origin { get; }
    /// <summary>The entry that states it, when written (in this or a referenced document).</summary>
    public ConfigEntry? Entry { get; }
    public ConfigDocument? Document { get; }
    /// <summary>Human note on where the value came from ("accelerate config fsdp.yaml", "--world-size").</summary>
    public string? Note { get; }
    public bool IsWritten => Origin == ValueOrigin.Written;
    public SourceSpan? Span => Entry?.ValueSpan;

    public override string ToString() => $"{Name}={Value} ({Origin})";
}

/// <summary>A training dataset the config points at, before its size is known.</summary>
public sealed record DatasetReference(
    DatasetSourceKind Kind,
    string Name,
    SourceSpan? Span,
    string? Split = null,
    string? DataFiles = null,
    string? DatasetDir = null,
    string? Subset = null);

public enum DatasetSourceKind
{
    /// <summary>A local path or a hub name; the resolver decides.</summary>
    PathOrHub,
    /// <summary>A name in LLaMA-Factory's dataset_dir/dataset_info.json registry.</summary>
    LlamaFactoryRegistry,
}

/// <summary>What the workspace found out about one dataset reference: rows, or why not.</summary>
public sealed record ResolvedDataset(DatasetReference Reference, long? Rows, string Detail, string? Problem = null)
{
    public static ResolvedDataset Unknown(DatasetReference r, string why) => new(r, null, why, why);

    /// <summary>Full paths of the files the size was read from (data files, a LLaMA-Factory registry); empty when none.</summary>
    public IReadOnlyList<string> Files { get; init; } = Array.Empty<string>();
}

/// <summary>
/// The format-neutral model of one training setup: effective settings under Hugging Face names
/// (written, defaulted, from directives or referenced files), the datasets, and the keys nobody knows.
/// </summary>
public sealed class TrainingSetup
{
    private readonly Dictionary<string, Setting> _settings;

    internal TrainingSetup(ConfigDocument document, Dictionary<string, Setting> settings, IReadOnlyList<ConfigEntry> unknown,
        IReadOnlyList<DatasetReference> datasets)
    {
        Document = document; _settings = settings; UnknownEntries = unknown; Datasets = datasets;
    }

    public ConfigDocument Document { get; }
    public Dialect Dialect => Document.Dialect;
    public IReadOnlyList<ConfigEntry> UnknownEntries { get; }
    public IReadOnlyList<DatasetReference> Datasets { get; }
    /// <summary>Settings that were stated somewhere (written, directive, referenced, override).</summary>
    public IEnumerable<Setting> Stated => _settings.Values;

    /// <summary>The effective setting: stated, else this dialect's default.</summary>
    public Setting Get(string name)
    {
        if (_settings.TryGetValue(name, out var s)) return s;
        var info = KeyTable.Get(name);
        return new Setting(name, ConfigValue.From(info?.DefaultIn(Dialect)), ValueOrigin.Defaulted);
    }

    public bool IsStated(string name) => _settings.ContainsKey(name);
    public bool IsWritten(string name) => _settings.TryGetValue(name, out var s) && s.IsWritten;
    public Setting? Find(string name) => _settings.TryGetValue(name, out var s) ? s : null;

    public long? Long(string name) => Get(name).Value.AsLong();
    public double? Double(string name) => Get(name).Value.AsDouble();
    public bool Bool(string name) => Get(name).Value.AsBool() ?? false;
    public string? String(string name) => Get(name).Value.AsString();

    internal void Set(Setting s) => _settings[s.Name] = s;

    /// <summary>The key as this document's dialect spells it (for messages and fixes).</summary>
    public string Spell(string canonical) => KeyTable.Spelling(canonical, Dialect);
}

/// <summary>Builds a <see cref="TrainingSetup"/> from a document and what it references.</summary>
public static class SetupBuilder
{
    public static TrainingSetup Build(ConfigDocument doc, ConfigDocument? deepSpeed = null, ConfigDocument? accelerate = null,
        long? worldSizeOverride = null, string? worldSizeNote = null)
    {
        var settings = new Dictionary<string, Setting>(StringComparer.Ordinal);
        var unknown = new List<ConfigEntry>();
        foreach (var e in doc.Entries)
        {
            var info = KeyTable.Lookup(doc.Dialect, e.Key) ?? (doc.Dialect == Dialect.Unknown ? KeyTable.Get(e.Key) : null);
            if (info is null)
            {
                // Keys of another trainer dialect written in this one are still understood (a LLaMA-Factory file may
                // carry HF keys): fall back to the canonical name before calling a key unknown.
                info = KeyTable.Get(e.Key);
                if (info is null) { unknown.Add(e); continue; }
            }
            // A null value (YAML `eval_steps:` left empty, `~`, JSON null, Python None) means "not set": axolotl tests
            // `data.get("eval_steps")`, pydantic and the dataclasses take None as their default. Every rule and the
            // arithmetic then see the dialect's default, exactly as for a key that is not written at all.
            if (e.Value.Kind == ValueKind.Null) continue;
            // A deprecated spelling feeds its replacement when the replacement is not written too.
            var name = info.ReplacedBy is { } newer && KeyTable.Get(newer) is not null ? newer : info.Name;
            if (name != info.Name && settings.TryGetValue(name, out var existing) && existing.Entry?.Key == name) continue;
            settings[name] = new Setting(name, e.Value, ValueOrigin.Written, e, doc);
            if (name != info.Name) settings[info.Name] = new Setting(info.Name, e.Value, ValueOrigin.Written, e, doc);
        }

        var setup = new TrainingSetup(doc, settings, unknown, DatasetReferences(doc));

        foreach (var d in doc.Directives)
        {
            switch (d.Name)
            {
                case "world_size" when long.TryParse(d.Value, out var w):
                    setup.Set(new Setting("world_size", ConfigValue.Integer(w), ValueOrigin.Directive, null, doc, "inline # stepwise: directive"));
                    break;
                case "dataset_size" when long.TryParse(d.Value.Replace(",", "").Replace("_", ""), out var n):
                    setup.Set(new Setting("dataset_size", ConfigValue.Integer(n), ValueOrigin.Directive, null, doc, "inline # stepwise: directive"));
                    break;
                case "n_gpu" when long.TryParse(d.Value, out var g):
                    setup.Set(new Setting("n_gpu", ConfigValue.Integer(g), ValueOrigin.Directive, null, doc, "inline # stepwise: directive"));
                    break;
            }
        }

        if (accelerate is not null && !setup.IsStated("world_size"))
        {
            var np = accelerate.Find("num_processes");
            if (np?.Value.AsLong() is long n && n > 0)
                setup.Set(new Setting("world_size", ConfigValue.Integer(n), ValueOrigin.Referenced, np, accelerate,
                    $"num_processes in accelerate config {System.IO.Path.GetFileName(accelerate.Path ?? "")}"));
        }

        if (deepSpeed is not null)
        {
            foreach (var key in new[] { "train_batch_size", "train_micro_batch_size_per_gpu", "gradient_accumulation_steps" })
            {
                var e = deepSpeed.Find(key);
                if (e is null || e.Value.Kind == ValueKind.Null) continue;
                setup.Set(new Setting("deepspeed." + key, e.Value, ValueOrigin.Referenced, e, deepSpeed,
                    $"{key} in DeepSpeed config {System.IO.Path.GetFileName(deepSpeed.Path ?? "")}"));
            }
        }

        if (worldSizeOverride is long ws)
            setup.Set(new Setting("world_size", ConfigValue.Integer(ws), ValueOrigin.Override, null, null, worldSizeNote ?? "override"));

        return setup;
    }

    /// <summary>The training datasets a document names, in its dialect's way (no I/O: the workspace resolves them).</summary>
    public static IReadOnlyList<DatasetReference> DatasetReferences(ConfigDocument doc)
    {
        var list = new List<DatasetReference>();
        switch (doc.Dialect)
        {
            case Dialect.LlamaFactory:
            {
                var ds = doc.Find("dataset");
                var dir = doc.Find("dataset_dir")?.Value.AsString();
                if (ds is null) break;
                IEnumerable<string> names = ds.Value.Kind == ValueKind.Sequence
                    ? ds.Value.Items.Select(i => i.AsString() ?? "")
                    : (ds.Value.AsString() ?? "").Split(',');
                foreach (var n in names.Select(n => n.Trim()).Where(n => n.Length > 0))
                    list.Add(new DatasetReference(DatasetSourceKind.LlamaFactoryRegistry, n, ds.ValueSpan, DatasetDir: dir));
                break;
            }
            case Dialect.Axolotl:
            {
                var ds = doc.Find("datasets");
                if (ds is null) break;
                foreach (var item in ds.Value.Items)
                {
                    if (item.Kind != ValueKind.Mapping) continue;
                    var path = item.Find("path");
                    if (path?.Value.AsString() is not { } p) continue;
                    list.Add(new DatasetReference(DatasetSourceKind.PathOrHub, p, path.ValueSpan,
                        Split: item.Find("split")?.Value.AsString() ?? "train",
                        DataFiles: item.Find("data_files")?.Value.AsString(),
                        Subset: item.Find("name")?.Value.AsString()));
                }
                break;
            }
            default:
            {
                foreach (var key in new[] { "train_file", "dataset_path", "dataset_name", "dataset", "data_path", "train_data", "data_files" })
                {
                    var e = doc.Find(key);
                    if (e?.Value.AsString() is { } p && p.Length > 0)
                    {
                        list.Add(new DatasetReference(DatasetSourceKind.PathOrHub, p, e.ValueSpan,
                            Subset: doc.Find("dataset_config_name")?.Value.AsString() ?? doc.Find("dataset_config")?.Value.AsString()));
                        break;
                    }
                }
                break;
            }
        }
        return list;
    }
}
