using System.Collections.Generic;

namespace Stepwise.Core.Keys.Upstream;

/// <summary>A config class as upstream declares it: a dataclass, a pydantic model, an __init__ signature (BitsAndBytesConfig), or an enum.</summary>
public sealed class UpstreamClass
{
    internal UpstreamClass(UpstreamLibrary library, string name, string style, ReleaseSet releases, string module)
    {
        Library = library; Name = name; Style = style; Releases = releases; Module = module;
    }

    public UpstreamLibrary Library { get; }
    public string Name { get; }
    /// <summary>"dataclass", "pydantic", "init" (keyword arguments of __init__), "enum", "constants" (DeepSpeed), "union" (axolotl plugins).</summary>
    public string Style { get; }
    public ReleaseSet Releases { get; }
    public string Module { get; }
    /// <summary>"lib:Name" of this class.</summary>
    public string QualifiedName => Library.Name + ":" + Name;
    public IReadOnlyList<(ReleaseSet Releases, IReadOnlyList<string> Bases)> Bases => _bases;
    internal readonly List<(ReleaseSet, IReadOnlyList<string>)> _bases = new();
    public IReadOnlyList<(ReleaseSet Releases, IReadOnlyList<string> Values)> EnumValues => _values;
    internal readonly List<(ReleaseSet, IReadOnlyList<string>)> _values = new();
    /// <summary>Every declaration of the class's own fields (one per field and variant of type/default).</summary>
    public IReadOnlyList<UpstreamField> Fields => _fields;
    /// <summary>The __init__ takes **kwargs (BitsAndBytesConfig): a keyword it does not declare is accepted and ignored.</summary>
    public bool AcceptsExtraKeywords { get; internal set; }
    internal readonly List<UpstreamField> _fields = new();

    public bool ExistsIn(UpstreamRelease r) => r.Library == Library && Releases.Contains(r.Index);

    /// <summary>The direct bases in a release, as "lib:Name" (a base of the same library is qualified here).</summary>
    public IEnumerable<string> BasesIn(int release)
    {
        foreach (var (set, bases) in _bases)
            if (set.Contains(release))
                foreach (var b in bases) yield return b.IndexOf(':') >= 0 ? b : Library.Name + ":" + b;
    }

    public override string ToString() => QualifiedName;
}

/// <summary>One field of a class in the releases where it has this type and default.</summary>
public sealed class UpstreamField
{
    internal UpstreamField(UpstreamClass owner, string name, KeyType type, ReleaseSet releases, object? @default, string? defaultExpression,
        IReadOnlyList<string> choices, string? attribute, string annotation, IReadOnlyList<object?> alternatives)
    {
        Owner = owner; Name = name; Type = type; Releases = releases; Default = @default; DefaultExpression = defaultExpression;
        Choices = choices; Attribute = attribute; Annotation = annotation; AlternativeDefaults = alternatives;
    }

    public UpstreamClass Owner { get; }
    /// <summary>The key as a config file spells it (a pydantic alias when the field has one).</summary>
    public string Name { get; }
    public KeyType Type { get; }
    public ReleaseSet Releases { get; }
    /// <summary>The default as a value (null, bool, long, double, string, list, dictionary); null also when it is an expression.</summary>
    public object? Default { get; }
    /// <summary>The default's source text when it is not a literal ("&lt;required&gt;" for a field without a default).</summary>
    public string? DefaultExpression { get; }
    public bool Required => DefaultExpression == "<required>";
    public IReadOnlyList<string> Choices { get; }
    /// <summary>The Python attribute behind a pydantic alias (axolotl accepts both: populate_by_name).</summary>
    public string? Attribute { get; }
    /// <summary>The annotation, normalised (Optional[X] -> X | None).</summary>
    public string Annotation { get; }
    /// <summary>Defaults that hold under a condition instead (TrainingArguments' optim: adamw_torch_fused with torch 2.8+).</summary>
    public IReadOnlyList<object?> AlternativeDefaults { get; }

    public override string ToString() => $"{Owner.QualifiedName}.{Name}";
}
