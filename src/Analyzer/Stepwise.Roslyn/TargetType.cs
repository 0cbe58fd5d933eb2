using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace Stepwise.Roslyn;

/// <summary>
/// A type whose creations the analyzer reads: Core's <c>Stepwise.Core.Model.TrainingArguments</c> (its keys are Core's
/// generated <c>TrainingArguments.Settings</c> table), or any type whose properties carry an attribute named
/// <c>HfNameAttribute</c> (mapped as the attributes say). Nothing is derived from the member names.
/// </summary>
public sealed class TargetType
{
    public const string CoreMetadataName = "Stepwise.Core.Model.TrainingArguments";
    private const string AttributeName = "HfNameAttribute";

    private readonly Dictionary<string, string> _hfByProperty;
    private readonly Dictionary<string, string> _propertyByHf;

    private TargetType(INamedTypeSymbol type, Dictionary<string, string> hfByProperty)
    {
        Type = type;
        _hfByProperty = hfByProperty;
        _propertyByHf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var kv in hfByProperty)
            if (!_propertyByHf.ContainsKey(kv.Value)) _propertyByHf[kv.Value] = kv.Key;
    }

    public INamedTypeSymbol Type { get; }
    public IReadOnlyDictionary<string, string> HfByProperty => _hfByProperty;

    /// <summary>The Hugging Face key of a property (null for members that are not settings).</summary>
    public string? HfNameOf(string property) => _hfByProperty.TryGetValue(property, out var hf) ? hf : null;

    /// <summary>The property that holds a Hugging Face key (null when this type has none).</summary>
    public string? PropertyFor(string hfName) => _propertyByHf.TryGetValue(hfName, out var p) ? p : null;

    /// <summary>The Hugging Face key a constructor parameter stands for: its own [HfName], else the property of the same name.</summary>
    public string? HfNameOf(IParameterSymbol parameter)
    {
        if (HfAttribute(parameter) is { } own) return own;
        if (_hfByProperty.TryGetValue(parameter.Name, out var hf)) return hf;
        foreach (var kv in _hfByProperty)
            if (string.Equals(kv.Key, parameter.Name, StringComparison.OrdinalIgnoreCase)) return kv.Value;
        return null;
    }

    public static bool IsCoreType(INamedTypeSymbol type) =>
        type.Name == "TrainingArguments" && type.ContainingNamespace?.ToDisplayString() == "Stepwise.Core.Model";

    internal static TargetType? Create(ITypeSymbol? symbol)
    {
        if (symbol is not INamedTypeSymbol type || type.TypeKind is not (TypeKind.Class or TypeKind.Struct)) return null;
        // Framework types never carry the attribute: skip their (many) members quickly.
        if (type.SpecialType != SpecialType.None) return null;
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (IsCoreType(type))
        {
            // Core's record carries no attributes: its keys are the table generated beside it (the analyzer ships with
            // the Core the project references, so the table is the record's).
            foreach (var (property, hf) in Core.Model.TrainingArguments.Properties) map[property] = hf;
            return new TargetType(type, map);
        }
        for (var t = type; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
        {
            foreach (var member in t.GetMembers())
            {
                if (member is not IPropertySymbol p || map.ContainsKey(p.Name)) continue;
                if (HfAttribute(p) is { } hf) map[p.Name] = hf;
            }
        }
        return map.Count == 0 ? null : new TargetType(type, map);
    }

    private static string? HfAttribute(ISymbol symbol)
    {
        foreach (var a in symbol.GetAttributes())
        {
            if (a.AttributeClass?.Name != AttributeName) continue;
            if (a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value is string s && s.Length > 0) return s;
        }
        return null;
    }
}

/// <summary>Per-compilation cache of which types are targets (most creations are of other types: answered once each).</summary>
public sealed class TargetTypeCache
{
    private readonly ConcurrentDictionary<ITypeSymbol, TargetType?> _cache = new(SymbolEqualityComparer.Default);

    public TargetType? Get(ITypeSymbol? type) => type is null ? null : _cache.GetOrAdd(type, t => TargetType.Create(t));
}
