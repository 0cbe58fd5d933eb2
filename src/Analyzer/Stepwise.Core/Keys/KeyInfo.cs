using System;
using System.Collections.Generic;
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
    internal KeyInfo(string name, KeyType type, object? @default, KeyGroup group, string description)
    {
        Name = name; Type = type; Default = @default; Group = group; Description = description;
    }

    public string Name { get; }
    public KeyType Type { get; }
    /// <summary>The Hugging Face default (TrainingArguments / PEFT / bitsandbytes).</summary>
    public object? Default { get; }
    public KeyGroup Group { get; }
    public string Description { get; }
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
