using System;
using Stepwise.Core.Keys;

namespace Stepwise.Core.Model.Views;

/// <summary>
/// A typed view of one upstream config class over a <see cref="TrainingSetup"/>: the generated subclasses
/// (ConfigViews.g.cs, written by tools/keygen/keygen.py render from the key data) have one property per field the class
/// declares, named after it (<c>load_in_4bit</c> is <c>LoadIn4bit</c>). A field reads the setup on first use under its
/// canonical name (the dialect's spelling looked up in <see cref="KeyTable"/>: axolotl's <c>lora_r</c> is <c>r</c>), so
/// the value is the effective one (written, else the dialect's default) and carries the entry and span it came from.
/// No reflection: the view is a list of names and a slot per field.
/// </summary>
public abstract class ConfigView
{
    private readonly string[] _names;
    /// <summary>One slot per field, filled on first use by the generated properties.</summary>
    protected readonly Field?[] Fields;

    protected ConfigView(TrainingSetup setup, AnalysisOptions options, Dialect spelling, string library, string upstreamClass, string[] names)
    {
        Setup = setup; Options = options; Spelling = spelling; Library = library; UpstreamClass = upstreamClass;
        _names = names;
        Fields = new Field?[names.Length];
    }

    public TrainingSetup Setup { get; }
    public AnalysisOptions Options { get; }
    public ConfigDocument Document => Setup.Document;
    public Dialect Dialect => Setup.Dialect;
    /// <summary>The dialect whose spelling the field names are (Hf for transformers, PEFT and TRL classes).</summary>
    internal Dialect Spelling { get; }
    /// <summary>The library and class the view stands for ("transformers", "TrainingArguments").</summary>
    public string Library { get; }
    public string UpstreamClass { get; }
    /// <summary>The field names in the class's own spelling, in property order.</summary>
    public System.Collections.Generic.IReadOnlyList<string> FieldNames => _names;

    public bool IsAxolotl => Dialect == Dialect.Axolotl;
    public bool IsLlamaFactory => Dialect == Dialect.LlamaFactory;
    public bool IsV5 => Options.IsV5;
    public (int Major, int Minor) Version => Options.Version;
    /// <summary>The library versions the analysis assumes.</summary>
    public VersionAssumptions Versions => Options.EffectiveVersions;
    /// <summary>"transformers 4.57": the release a message is about.</summary>
    public string Release => $"transformers {Version.Major}.{Version.Minor}";
    /// <summary>A canonical key as the document's dialect spells it (for messages).</summary>
    public string Spell(string canonical) => KeyTable.Spelling(canonical, Dialect);

    /// <summary>The canonical (Hugging Face) name of a field of this class, the one the setup stores it under.</summary>
    public string Canonical(string field) => KeyTable.Lookup(Spelling, field)?.Name ?? field;

    internal string NameAt(int index) => _names[index];
}

/// <summary>
/// One field of a <see cref="ConfigView"/>: the upstream name, the setting behind it, and its value converted the way the
/// rules read it (null when unset, unknown, or of another type: SW9002 and the readers speak about those).
/// </summary>
public abstract class Field
{
    private readonly ConfigView _view;
    private Setting? _setting;

    protected Field(ConfigView view, int index)
    {
        _view = view;
        Key = view.NameAt(index);
        Name = view.Canonical(Key);
    }

    /// <summary>The field's name in its class (axolotl <c>lora_r</c>).</summary>
    public string Key { get; }
    /// <summary>The canonical name the setup stores it under (<c>r</c>).</summary>
    public string Name { get; }
    /// <summary>The effective setting: written (in this or a referenced file), stated, else the dialect's default.</summary>
    public Setting Setting => _setting ??= _view.Setup.Get(Name);
    public ConfigValue Raw => Setting.Value;

    /// <summary>Written in the document being checked (a default does not count; a null is not written; a key from a
    /// referenced file has its own checks).</summary>
    public bool IsWritten => Setting.IsWritten && Setting.Document == _view.Setup.Document;
    /// <summary>The entry that writes it in this document, or null.</summary>
    public ConfigEntry? Entry => IsWritten ? Setting.Entry : null;

    /// <summary>Written here and true in Python's sense (not 0, false, "" or an empty list): axolotl's validators test
    /// <c>data.get(key)</c>, so <c>eval_steps: 0</c> is as unset there as <c>eval_steps:</c>. A variable counts as set.</summary>
    public bool IsTruthy => IsWritten && Raw.Kind switch
    {
        ValueKind.Bool => Raw.AsBool() == true,
        ValueKind.Integer or ValueKind.Float => Raw.AsDouble() is double d && d != 0,
        ValueKind.String => (Raw.AsString() ?? "").Length > 0,
        ValueKind.Sequence => Raw.Items.Count > 0,
        ValueKind.Mapping => Raw.Entries.Count > 0,
        ValueKind.Unknown => true,
        _ => false,
    };

    private bool Usable => Raw.Kind is not (ValueKind.Null or ValueKind.Unknown);
    /// <summary>The value as a boolean (also "true"/"false" strings), else null.</summary>
    public bool? Bool => Usable ? Raw.AsBool() : null;
    /// <summary>The value as a number (also a numeric string, as axolotl allows), else null.</summary>
    public double? Number => Usable ? Raw.AsDouble() : null;
    /// <summary>The value as text (numbers and booleans as a config writes them), else null.</summary>
    public string? Text => Usable ? Raw.AsString() : null;

    public override string ToString() => $"{Key}={Raw}";
}

/// <summary>A field every release declares as a bool.</summary>
public sealed class BoolField : Field
{
    public BoolField(ConfigView view, int index) : base(view, index) { }
    public bool? Value => Bool;
}

/// <summary>A field every release declares as an int or a float (read as a number, so a fractional value is seen).</summary>
public sealed class NumberField : Field
{
    public NumberField(ConfigView view, int index) : base(view, index) { }
    public double? Value => Number;
}

/// <summary>A field every release declares as a string or a fixed set of names.</summary>
public sealed class TextField : Field
{
    public TextField(ConfigView view, int index) : base(view, index) { }
    public string? Value => Text;
}

/// <summary>A list, a mapping, a union of types, or a field whose type changed between releases.</summary>
public sealed class ValueField : Field
{
    public ValueField(ConfigView view, int index) : base(view, index) { }
    public ConfigValue Value => Raw;
}

public sealed partial class ConfigViews
{
    public ConfigViews(TrainingSetup setup, AnalysisOptions options)
    {
        Setup = setup ?? throw new ArgumentNullException(nameof(setup));
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    public TrainingSetup Setup { get; }
    public AnalysisOptions Options { get; }
}
