using System;
using System.Collections.Generic;
using System.Linq;
using Stepwise.Core.Keys.Upstream;
using Stepwise.Core.Model;

namespace Stepwise.Core.Keys;

/// <summary>
/// The table of settings Stepwise understands. Two layers:
/// <list type="bullet">
/// <item>the generated upstream data (<see cref="UpstreamData"/>, from tools/keygen/keygen.py): every key each config
/// class declares, with type, default and allowed values per release. It decides types, defaults and values, and adds
/// every upstream key the overlay does not list (described from the facts alone);</item>
/// <item>the overlay (KeyTable.Overlay.cs), in our own words: the canonical (Hugging Face) name a dialect's spelling stands for
/// (axolotl micro_batch_size = per_device_train_batch_size), descriptions, groups, ranges, deprecations, and the few
/// defaults that are behaviour rather than a field default (axolotl builds an nf4 + double-quant BitsAndBytesConfig).
/// An entry states a type or default only where the data does not decide it (<c>Own</c>, <c>OwnType</c>,
/// <c>OwnDefault</c>, <c>.Typed</c>, <c>.Defaults</c>: Stepwise's own settings, Megatron keys, a deliberate Any, a
/// None the tool reads as a value); KeyTableOverlayTests fails on one the data overrides.</item>
/// </list>
/// </summary>
public static partial class KeyTable
{
    private static readonly Dialect[] HfLike = { Dialect.Hf, Dialect.LlamaFactory };
    private static readonly Dialect[] AllTrainer = { Dialect.Hf, Dialect.LlamaFactory, Dialect.Axolotl };

    /// <summary>Every optimizer name TrainingArguments accepted in any release of the key data (oldest first); see <see cref="KeyInfo.ValuesAt"/> for one release.</summary>
    public static readonly string[] Optimizers = UpstreamChoices("transformers", "TrainingArguments", "optim");

    /// <summary>Every scheduler name of TrainingArguments.lr_scheduler_type in any release of the key data.</summary>
    public static readonly string[] Schedulers = UpstreamChoices("transformers", "TrainingArguments", "lr_scheduler_type");

    public static readonly string[] Strategies = UpstreamChoices("transformers", "TrainingArguments", "eval_strategy");
    public static readonly string[] SaveStrategies = UpstreamChoices("transformers", "TrainingArguments", "save_strategy");

    private static string[] UpstreamChoices(string library, string cls, string field)
    {
        var c = UpstreamData.Instance.Library(library)?.Class(cls);
        var list = new List<string>();
        if (c is null) return list.ToArray();
        foreach (var f in c.Fields.Where(f => f.Name == field).OrderBy(f => f.Releases.First))
            foreach (var v in f.Choices)
                if (!list.Contains(v)) list.Add(v);
        return list.ToArray();
    }

    private static readonly List<KeyInfo> _all = new();
    private static readonly Dictionary<Dialect, Dictionary<string, KeyInfo>> _byDialect = new();
    private static readonly Dictionary<string, KeyInfo> _byName = new(StringComparer.Ordinal);

    public static IReadOnlyList<KeyInfo> All => _all;

    static KeyTable()
    {
        Overlay();
        ApplyUpstream();

        foreach (var k in _all)
            foreach (var kv in k._spellings)
            {
                if (!_byDialect.TryGetValue(kv.Key, out var map)) _byDialect[kv.Key] = map = new Dictionary<string, KeyInfo>(StringComparer.Ordinal);
                map[kv.Value] = k;
            }
    }

    /// <summary>
    /// Lays the generated upstream data over the table: the declaring field (newest release) of each spelling decides
    /// type, default and values; every upstream key the overlay does not list joins the table under its own name.
    /// </summary>
    private static void ApplyUpstream()
    {
        var dialects = new[] { Dialect.Hf, Dialect.LlamaFactory, Dialect.Axolotl, Dialect.DeepSpeed, Dialect.Accelerate };
        foreach (var k in _all) k.Handwritten = true;
        var declared = dialects.ToDictionary(d => d, d => KeyCatalog.EverDeclared(d, python: d == Dialect.Hf));

        foreach (var k in _all)
        {
            foreach (var d in dialects)
                if (k._spellings.TryGetValue(d, out var spelling) && declared[d].TryGetValue(spelling, out var f))
                    k._declarations[d] = f;
            // The home declaration: TrainingArguments / PEFT / bitsandbytes for HF names, else the dialect's own.
            UpstreamField? home = null;
            foreach (var d in dialects)
                if (k._declarations.TryGetValue(d, out var f) && k.SpellingIn(d) == k.Name) { home = f; break; }
            if (home is not null)
            {
                // Any in the overlay is deliberate (accelerate writes downcast_bf16: 'no' for a bool field; report_to
                // takes a string or a list); a ratio key stays a float where a release declares an int.
                if (home.Type != KeyType.Any && k.StatedType != KeyType.Any && !(k.StatedType == KeyType.Float && home.Type == KeyType.Integer && k.RatioAllowed))
                {
                    k.Type = home.Type;
                    k.TypeFromData = true;
                }
                if (home.DefaultExpression is null && !(home.Default is null && k.StatesDefault && k.Default is not null))
                {
                    k.Default = home.Default;
                    k.DefaultFromData = true;
                }
                if (home.Choices.Count > 0) k.Values = home.Choices;
            }
            foreach (var kv in k._declarations)
            {
                var f = kv.Value;
                if (f == home || f.DefaultExpression is not null) continue;
                // a default the data states for this dialect's own spelling (axolotl micro_batch_size: 1)
                if (!k._dialectDefaults.ContainsKey(kv.Key) || k.SpellingIn(kv.Key) != k.Name)
                {
                    k._dialectDefaults[kv.Key] = f.Default;
                    k._dataDialectDefaults.Add(kv.Key);
                }
            }
        }

        // Every other upstream key, under its own name (a name the table knows in another dialect gains this dialect).
        var spelled = dialects.ToDictionary(d => d, d => new HashSet<string>(_all.Where(k => k._spellings.ContainsKey(d)).Select(k => k._spellings[d]), StringComparer.Ordinal));
        foreach (var d in dialects)
            foreach (var kv in declared[d].OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                var (name, f) = (kv.Key, kv.Value);
                if (spelled[d].Contains(name)) continue;
                if (_byName.TryGetValue(name, out var existing))
                {
                    existing._spellings[d] = name;
                    existing._declarations[d] = f;
                    if (f.DefaultExpression is null && !Equals(f.Default, existing.Default))
                    {
                        existing._dialectDefaults[d] = f.Default;
                        existing._dataDialectDefaults.Add(d);
                    }
                    continue;
                }
                var group = f.Owner.Name.IndexOf("BitsAndBytes", StringComparison.Ordinal) >= 0 ? KeyGroup.Quantization
                    : f.Owner.Library.Name == "peft" ? KeyGroup.Lora
                    : d is Dialect.DeepSpeed or Dialect.Accelerate ? KeyGroup.Distributed : KeyGroup.Other;
                var k = K(name, group, "");
                k.Type = f.Type;
                k.Default = f.DefaultExpression is null ? f.Default : null;
                k.TypeFromData = k.DefaultFromData = true;
                if (f.Choices.Count > 0) k.Values = f.Choices;
                k._spellings[d] = name;
                k._declarations[d] = f;
            }
    }

    /// <summary>A key whose type and default the key data decides.</summary>
    private static KeyInfo K(string name, KeyGroup group, string description)
    {
        var k = new KeyInfo(name, group, description);
        _all.Add(k);
        _byName[name] = k;
        return k;
    }

    /// <summary>A key whose type and default the overlay states itself (KeyTableOverlayTests fails where the data decides them).</summary>
    private static KeyInfo K(string name, KeyType type, object? def, KeyGroup group, string description)
    {
        var k = K(name, group, description);
        k.StateOwn(type, true, def);
        return k;
    }

    /// <summary>The type the overlay states itself: Any where values of several kinds are deliberate, else for a key the data lacks.</summary>
    private static KeyInfo Typed(this KeyInfo k, KeyType type) { k.StateOwn(type, false, null); return k; }

    /// <summary>A default the data does not give (its field's default is None, computed, or absent).</summary>
    private static KeyInfo Defaults(this KeyInfo k, object? value) { k.StateOwn(null, true, value); return k; }

    private static KeyInfo In(this KeyInfo k, params Dialect[] dialects)
    {
        foreach (var d in dialects) k._spellings[d] = k.Name;
        return k;
    }

    /// <summary>The dialect spells the key its own way.</summary>
    private static KeyInfo In(this KeyInfo k, Dialect d, string spelling)
    {
        k._spellings[d] = spelling;
        return k;
    }

    /// <summary>The dialect spells the key its own way, with a default of its own that the key data does not give.</summary>
    private static KeyInfo In(this KeyInfo k, Dialect d, string spelling, object? dialectDefault)
    {
        k._spellings[d] = spelling;
        k._dialectDefaults[d] = dialectDefault;
        k._statedDialectDefaults.Add(d);
        return k;
    }

    /// <summary>One key of a <see cref="Many"/> list.</summary>
    private readonly struct Entry
    {
        public Entry(string name, string? description, KeyType? type, bool statesDefault, object? @default)
        {
            Name = name; Description = description; Type = type; StatesDefault = statesDefault; Default = @default;
        }

        public string Name { get; }
        /// <summary>Null for <see cref="Also"/>: a key described above, which these dialects accept too.</summary>
        public string? Description { get; }
        public KeyType? Type { get; }
        public bool StatesDefault { get; }
        public object? Default { get; }
    }

    /// <summary>A key whose type and default the key data decides.</summary>
    private static Entry Key(string name, string description) => new(name, description, null, false, null);
    /// <summary>A key the data does not type or default (no pinned class declares it under this name).</summary>
    private static Entry Own(string name, KeyType type, object? @default, string description) => new(name, description, type, true, @default);
    /// <summary>A key whose type the overlay states (Any where several kinds are deliberate; the data's is Any or absent).</summary>
    private static Entry OwnType(string name, KeyType type, string description) => new(name, description, type, false, null);
    /// <summary>A key whose default the overlay states (the data's is None, computed, or absent).</summary>
    private static Entry OwnDefault(string name, object? @default, string description) => new(name, description, null, true, @default);
    /// <summary>A key listed above, which these dialects accept too.</summary>
    private static Entry Also(string name) => new(name, null, null, false, null);

    /// <summary>Several keys of one group in the same dialects.</summary>
    private static void Many(Dialect[] dialects, KeyGroup group, params Entry[] keys)
    {
        foreach (var e in keys)
        {
            if (_byName.TryGetValue(e.Name, out var existing))
            {
                if (e.Description is not null) throw new InvalidOperationException($"KeyTable: {e.Name} is described twice; use Also(\"{e.Name}\")");
                existing.In(dialects);
                continue;
            }
            if (e.Description is null) throw new InvalidOperationException($"KeyTable: Also(\"{e.Name}\") before the key is described");
            var k = K(e.Name, group, e.Description);
            k.StateOwn(e.Type, e.StatesDefault, e.Default);
            k.In(dialects);
        }
    }

    private static void DialectDefault(string canonical, Dialect d, object? value)
    {
        var k = Get(canonical)!;
        k._dialectDefaults[d] = value;
        k._statedDialectDefaults.Add(d);
    }

    private static KeyInfo Vals(this KeyInfo k, params string[] values) { k.Values = values; return k; }
    private static KeyInfo Ratio(this KeyInfo k) { k.RatioAllowed = true; return k; }
    private static KeyInfo Deprecated(this KeyInfo k, string replacement, string note) { k.ReplacedBy = replacement; k.DeprecationNote = note; return k; }

    /// <summary>The key info by canonical (Hugging Face) name.</summary>
    public static KeyInfo? Get(string canonicalName) => _byName.TryGetValue(canonicalName, out var k) ? k : null;

    /// <summary>The key a dialect spells as <paramref name="written"/>, if known.</summary>
    public static KeyInfo? Lookup(Dialect dialect, string written)
    {
        if (_byDialect.TryGetValue(dialect, out var map) && map.TryGetValue(written, out var k)) return k;
        return null;
    }

    /// <summary>How <paramref name="dialect"/> spells a canonical key (the canonical name when it has no own spelling).</summary>
    public static string Spelling(string canonical, Dialect dialect) => Get(canonical)?.SpellingIn(dialect) ?? canonical;

    public static IEnumerable<KeyInfo> KeysOf(Dialect dialect) => _all.Where(k => k.ExistsIn(dialect));

    public static IEnumerable<string> SpellingsOf(Dialect dialect) =>
        _byDialect.TryGetValue(dialect, out var map) ? map.Keys : Enumerable.Empty<string>();
}
