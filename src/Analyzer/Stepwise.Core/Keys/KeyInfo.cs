using System;
using System.Collections.Generic;
using System.Linq;
using Stepwise.Core.Keys.Upstream;
using Stepwise.Core.Model;

namespace Stepwise.Core.Keys;

public enum KeyType { Integer, Float, Bool, String, Enum, List, Mapping, Any }

public enum KeyGroup { Schedule, Batch, Optimizer, Evaluation, Checkpointing, Logging, Precision, Data, Quantization, Lora, Distributed, Model, Other }

/// <summary>
/// One known setting: its Hugging Face name (the canonical one), type, default, our own description,
/// allowed values, and how each dialect spells it. The readers, the rules, the schema writer, completion
/// and hover all read this one table.
/// </summary>
public sealed class KeyInfo
{
    internal KeyInfo(string name, KeyGroup group, string description)
    {
        Name = name; Type = KeyType.Any; Group = group; _description = description;
    }

    /// <summary>Sets the type and default the overlay states itself (for what the key data does not decide).</summary>
    internal void StateOwn(KeyType? type, bool statesDefault, object? @default)
    {
        if (type is { } t) { Type = t; StatedType = t; }
        if (statesDefault) { Default = @default; StatesDefault = true; }
    }

    public string Name { get; }
    public KeyType Type { get; internal set; }
    /// <summary>The default of the key's home class at its newest release (TrainingArguments / PEFT / bitsandbytes for HF names).</summary>
    public object? Default { get; internal set; }
    public KeyGroup Group { get; }
    /// <summary>Our own description; for a key only the upstream data knows, one written from the facts (class, type, releases).</summary>
    public string Description => _description.Length > 0 ? _description : (_generated ??= FactsDescription());
    private readonly string _description;
    private string? _generated;
    /// <summary>The type the overlay (KeyTable.cs) states itself; null when the key data decides it.</summary>
    public KeyType? StatedType { get; private set; }
    /// <summary>Whether the overlay states the default itself (the data has none for the key, or a behavioural one).</summary>
    public bool StatesDefault { get; private set; }
    /// <summary>Whether the type / default come from the key data's home field (overlay values for them would be dead).</summary>
    public bool TypeFromData { get; internal set; }
    public bool DefaultFromData { get; internal set; }
    /// <summary>Dialects whose default the overlay states itself, and those whose default the data decided.</summary>
    public IReadOnlyCollection<Dialect> DialectDefaultsStated => _statedDialectDefaults;
    internal readonly HashSet<Dialect> _statedDialectDefaults = new();
    public IReadOnlyCollection<Dialect> DialectDefaultsFromData => _dataDialectDefaults;
    internal readonly HashSet<Dialect> _dataDialectDefaults = new();
    /// <summary>Listed by Stepwise's own table (KeyTable.cs), not only by the generated upstream data.</summary>
    public bool Handwritten { get; internal set; }
    /// <summary>
    /// Also declared by a package the key data does not read, so no release of the data can say it is absent
    /// (LLaMA-Factory's Megatron keys: mcore_adapter's TrainingArguments, parsed when USE_MCA=1).
    /// </summary>
    public bool DeclaredOutsideData { get; internal set; }
    /// <summary>The upstream field each dialect's spelling stands for (its newest declaration), where the data has one.</summary>
    public IReadOnlyDictionary<Dialect, UpstreamField> Declarations => _declarations;
    internal readonly Dictionary<Dialect, UpstreamField> _declarations = new();

    private string FactsDescription()
    {
        var f = _declarations.Values.FirstOrDefault();
        if (f is null) return "";
        var rels = f.Owner.Library.Releases;
        var first = rels.FirstOrDefault(r => f.Releases.Contains(r.Index));
        return $"Declared by {f.Owner.Library.Name} {f.Owner.Name} ({f.Annotation})" +
               (first is not null && first.Index > 0 ? $", since {f.Owner.Library.Name} {first.Version}" : "") + ".";
    }

    /// <summary>The fields declaring this key (as <paramref name="dialect"/> spells it) at the assumed releases, most specific class first.</summary>
    public IReadOnlyList<UpstreamField> DeclaredAt(Dialect dialect, VersionAssumptions versions) =>
        KeyCatalog.For(dialect, versions, python: true).Declarations(SpellingIn(dialect));

    /// <summary>
    /// The allowed values of this key as <paramref name="dialect"/> declares it (newest release): the dialect's own
    /// field where it is not the key's home (LLaMA-Factory's mixed_precision is not accelerate's), else <see cref="Values"/>.
    /// </summary>
    public IReadOnlyList<string> ValuesIn(Dialect dialect)
    {
        if (_declarations.TryGetValue(dialect, out var f) && !IsHome(f)) return f.Choices;
        return Values;
    }

    /// <summary>The type as <paramref name="dialect"/> declares it (see <see cref="ValuesIn"/>); Any stays Any.</summary>
    public KeyType TypeIn(Dialect dialect)
    {
        if (Type == KeyType.Any) return Type;
        if (_declarations.TryGetValue(dialect, out var f) && !IsHome(f) && f.Type != KeyType.Any && !(RatioAllowed && f.Type == KeyType.Integer)) return f.Type;
        return Type;
    }

    private bool IsHome(UpstreamField f)
    {
        foreach (var kv in _declarations)
            if (SpellingIn(kv.Key) == Name) return kv.Value == f;
        return false;
    }

    /// <summary>The allowed values at the assumed releases (the declaring field's), else <see cref="Values"/>.</summary>
    public IReadOnlyList<string> ValuesAt(Dialect dialect, VersionAssumptions versions)
    {
        foreach (var f in DeclaredAt(dialect, versions))
            if (f.Choices.Count > 0) return f.Choices;
        if (dialect != Dialect.Hf)
            foreach (var f in DeclaredAt(Dialect.Hf, versions))
                if (f.Choices.Count > 0 && SpellingIn(Dialect.Hf) == Name) return f.Choices;
        return Values;
    }
    public IReadOnlyList<string> Values { get; internal set; } = Array.Empty<string>();
    /// <summary>Dialects where the key exists, with their spelling (canonical name unless stated).</summary>
    public IReadOnlyDictionary<Dialect, string> Spellings => _spellings;
    internal readonly Dictionary<Dialect, string> _spellings = new();
    internal readonly Dictionary<Dialect, object?> _dialectDefaults = new();
    /// <summary>Set when the key is a deprecated spelling: the name to use instead.</summary>
    public string? ReplacedBy { get; internal set; }
    public string? DeprecationNote { get; internal set; }
    /// <summary>Whether a value that can be a ratio (&lt; 1) of total steps.</summary>
    public bool RatioAllowed { get; internal set; }
    /// <summary>Smallest and largest values the tool accepts (published in the JSON schema as minimum/maximum).</summary>
    public double? Minimum { get; internal set; }
    public double? Maximum { get; internal set; }
    /// <summary>Whether axolotl accepts a string besides the key's type ("auto" for bf16, "2e-4" for a learning rate).</summary>
    public bool AcceptsString { get; internal set; }

    public bool ExistsIn(Dialect d) => _spellings.ContainsKey(d);
    public string SpellingIn(Dialect d) => _spellings.TryGetValue(d, out var s) ? s : Name;

    public object? DefaultIn(Dialect d) => _dialectDefaults.TryGetValue(d, out var v) ? v : Default;

    public override string ToString() => Name;
}
