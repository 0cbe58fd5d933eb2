using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;

namespace Stepwise.Core.Model;

public enum ValueKind { Null, Bool, Integer, Float, String, Sequence, Mapping, Unknown }

/// <summary>
/// A value as a config states it: a scalar (bool, integer, float, string, null), a sequence or a mapping,
/// or Unknown when the text holds something no reader can evaluate (a Python variable, <c>**kwargs</c>).
/// Unknown values are never guessed.
/// </summary>
public sealed class ConfigValue
{
    public ValueKind Kind { get; }
    public object? Raw { get; }
    public IReadOnlyList<ConfigValue> Items => Volatile.Read(ref _items) ?? Build(ref _items, ref _buildItems, NoItems);
    public IReadOnlyList<ConfigEntry> Entries => Volatile.Read(ref _entries) ?? Build(ref _entries, ref _buildEntries, NoEntries);
    /// <summary>Why a value is Unknown (e.g. "a variable", "an argparse value").</summary>
    public string? UnknownReason { get; }

    private static readonly IReadOnlyList<ConfigValue> NoItems = Array.Empty<ConfigValue>();
    private static readonly IReadOnlyList<ConfigEntry> NoEntries = Array.Empty<ConfigEntry>();

    // A large nested value (a 100,000-record data mix) is built only when something reads it: most rules read a
    // handful of top-level keys, and the language server re-reads the whole document on every keystroke.
    private IReadOnlyList<ConfigValue>? _items;
    private IReadOnlyList<ConfigEntry>? _entries;
    private Func<IReadOnlyList<ConfigValue>>? _buildItems;
    private Func<IReadOnlyList<ConfigEntry>>? _buildEntries;

    private ConfigValue(ValueKind kind, object? raw, IReadOnlyList<ConfigValue>? items = null,
        IReadOnlyList<ConfigEntry>? entries = null, string? unknownReason = null)
    {
        Kind = kind; Raw = raw; _items = items ?? NoItems; _entries = entries ?? NoEntries; UnknownReason = unknownReason;
    }

    private ConfigValue(ValueKind kind, Func<IReadOnlyList<ConfigValue>>? items, Func<IReadOnlyList<ConfigEntry>>? entries)
    {
        Kind = kind;
        _buildItems = items;
        _buildEntries = entries;
        if (items is null) _items = NoItems;
        if (entries is null) _entries = NoEntries;
    }

    /// <summary>Builds a lazy list. Several threads may ask at once (the language server's diagnostics and a hover):
    /// the first list published wins and every reader sees that one.</summary>
    private static T Build<T>(ref T? field, ref Func<T>? builder, T empty) where T : class
    {
        var b = Volatile.Read(ref builder);
        var built = b is null ? empty : b();
        var winner = Interlocked.CompareExchange(ref field, built, null) ?? built;
        Volatile.Write(ref builder, null); // let the source (parser nodes) go
        return winner;
    }

    public static readonly ConfigValue Null = new(ValueKind.Null, null);
    private static readonly ConfigValue True = new(ValueKind.Bool, true), False = new(ValueKind.Bool, false);
    /// <summary>Values are immutable, so the two booleans are shared.</summary>
    public static ConfigValue Bool(bool b) => b ? True : False;
    public static ConfigValue Integer(long i) => new(ValueKind.Integer, i);
    public static ConfigValue Float(double d) => new(ValueKind.Float, d);
    public static ConfigValue String(string s) => new(ValueKind.String, s);
    public static ConfigValue Sequence(IReadOnlyList<ConfigValue> items) => new(ValueKind.Sequence, null, items);
    public static ConfigValue Mapping(IReadOnlyList<ConfigEntry> entries) => new(ValueKind.Mapping, null, entries: entries);
    public static ConfigValue Unknown(string reason) => new(ValueKind.Unknown, null, unknownReason: reason);
    /// <summary>A sequence whose items are built on first use of <see cref="Items"/> (once, by <paramref name="items"/>).</summary>
    public static ConfigValue LazySequence(Func<IReadOnlyList<ConfigValue>> items) => new(ValueKind.Sequence, items, null);
    /// <summary>A mapping whose entries are built on first use of <see cref="Entries"/> (once, by <paramref name="entries"/>).</summary>
    public static ConfigValue LazyMapping(Func<IReadOnlyList<ConfigEntry>> entries) => new(ValueKind.Mapping, null, entries);

    /// <summary>From a CLR value (long/int/double/bool/string/null).</summary>
    public static ConfigValue From(object? v) => v switch
    {
        null => Null,
        bool b => Bool(b),
        int i => Integer(i),
        long l => Integer(l),
        double d => Float(d),
        float f => Float(f),
        string s => String(s),
        ConfigValue c => c,
        _ => Unknown(v.GetType().Name),
    };

    public bool IsNumber => Kind is ValueKind.Integer or ValueKind.Float;
    public bool IsKnown => Kind != ValueKind.Unknown;

    /// <summary>The number this value states, also from a numeric string ("2e-4", as axolotl allows).</summary>
    public double? AsDouble()
    {
        switch (Kind)
        {
            case ValueKind.Integer: return (long)Raw!;
            case ValueKind.Float: return (double)Raw!;
            case ValueKind.String:
                return double.TryParse((string)Raw!, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;
            default: return null;
        }
    }

    /// <summary>An integer value; floats that are whole numbers count (1000.0).</summary>
    public long? AsLong()
    {
        switch (Kind)
        {
            case ValueKind.Integer: return (long)Raw!;
            case ValueKind.Float:
                var d = (double)Raw!;
                return Math.Abs(d - Math.Round(d)) < 1e-9 && Math.Abs(d) < 9e18 ? (long)Math.Round(d) : null;
            case ValueKind.String:
                return long.TryParse((string)Raw!, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : null;
            default: return null;
        }
    }

    public bool? AsBool() => Kind switch
    {
        ValueKind.Bool => (bool)Raw!,
        ValueKind.String => ((string)Raw!).ToLowerInvariant() switch { "true" => true, "false" => false, _ => null },
        _ => null,
    };

    public string? AsString() => Kind switch
    {
        ValueKind.String => (string)Raw!,
        ValueKind.Integer => ((long)Raw!).ToString(CultureInfo.InvariantCulture),
        ValueKind.Float => ((double)Raw!).ToString("R", CultureInfo.InvariantCulture),
        ValueKind.Bool => (bool)Raw! ? "true" : "false",
        _ => null,
    };

    public ConfigEntry? Find(string key)
    {
        foreach (var e in Entries) if (e.Key == key) return e;
        return null;
    }

    public override string ToString() => Kind switch
    {
        ValueKind.Null => "null",
        ValueKind.Sequence => $"[{Items.Count} items]",
        ValueKind.Mapping => $"{{{Entries.Count} keys}}",
        ValueKind.Unknown => $"<unknown: {UnknownReason}>",
        _ => AsString() ?? "",
    };
}
