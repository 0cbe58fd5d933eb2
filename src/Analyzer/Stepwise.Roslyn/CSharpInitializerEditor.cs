using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Stepwise.Core.Model;
using Stepwise.Core.Text;

namespace Stepwise.Roslyn;

/// <summary>Where one entry was written: an initializer assignment <c>MaxSteps = 1000</c> or a constructor argument.</summary>
internal sealed class EntrySite
{
    public EntrySite(SyntaxNode item, Func<string, string?> nameFor, bool isArgument = false, bool isPositional = false, bool isVirtual = false)
    {
        Item = item; NameFor = nameFor; IsArgument = isArgument; IsPositional = isPositional; IsVirtual = isVirtual;
    }

    /// <summary>The assignment or argument (for a virtual entry: the expression its value comes from).</summary>
    public SyntaxNode Item { get; }
    /// <summary>The member (initializer) or parameter (argument) name for a Hugging Face key.</summary>
    public Func<string, string?> NameFor { get; }
    public bool IsArgument { get; }
    public bool IsPositional { get; }
    /// <summary>Stands for a value the analysis cannot see (a with-expression's receiver): never edited.</summary>
    public bool IsVirtual { get; }
    /// <summary>A with-expression value that overrides one its receiver sets: removing it brings the receiver's back.</summary>
    public bool Shadows { get; set; }
}

/// <summary>
/// Spells the engine's fixes in C#: property names from the type's key map (TargetType), C# literals, commas kept right.
/// Edits that would not be valid C# (renaming a positional argument, editing a value the analysis could not see)
/// are still returned, as the interface requires, but marked unsafe so the code fix never offers them.
/// </summary>
public sealed class CSharpInitializerEditor : IConfigEditor
{
    private readonly LineIndex _lines;
    private readonly string _newline;
    private readonly ConditionalWeakTable<ConfigEntry, EntrySite> _sites = new();
    private readonly HashSet<TextEdit> _unsafe = new(ReferenceComparer.Instance);

    public CSharpInitializerEditor(LineIndex lines)
    {
        _lines = lines;
        _newline = lines.Text.IndexOf("\r\n", StringComparison.Ordinal) >= 0 ? "\r\n" : "\n";
    }

    internal void Register(ConfigEntry entry, EntrySite site) => _sites.Add(entry, site);

    internal void MarkShadowing(ConfigEntry entry) => Site(entry).Shadows = true;

    /// <summary>False for an edit that would not compile or that touches code the analysis could not see.</summary>
    public bool IsSafe(TextEdit edit) => !_unsafe.Contains(edit);

    private EntrySite Site(ConfigEntry e) =>
        _sites.TryGetValue(e, out var s) ? s : throw new InvalidOperationException($"entry {e.Key} was not read by this editor");

    private TextEdit Mark(TextEdit edit, bool isUnsafe)
    {
        if (isUnsafe) _unsafe.Add(edit);
        return edit;
    }

    public string FormatValue(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        string s => SymbolDisplay.FormatLiteral(s, quote: true),
        int or long or short or byte or sbyte or uint or ushort => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        ulong u => u.ToString(CultureInfo.InvariantCulture),
        double d => Double(d),
        float f => Double(f) + "f",
        decimal m => m.ToString(CultureInfo.InvariantCulture) + "m",
        ConfigValue c => FormatConfigValue(c),
        IEnumerable items => "new[] { " + string.Join(", ", items.Cast<object?>().Select(FormatValue)) + " }",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "null",
    };

    private string FormatConfigValue(ConfigValue c) => c.Kind switch
    {
        ValueKind.Sequence => "new[] { " + string.Join(", ", c.Items.Select(FormatConfigValue)) + " }",
        ValueKind.Mapping or ValueKind.Unknown => throw new NotSupportedException($"a {c.Kind} value has no C# literal"),
        _ => FormatValue(c.Raw),
    };

    private static string Double(double d)
    {
        if (double.IsNaN(d)) return "double.NaN";
        if (double.IsPositiveInfinity(d)) return "double.PositiveInfinity";
        if (double.IsNegativeInfinity(d)) return "double.NegativeInfinity";
        return d.ToString("R", CultureInfo.InvariantCulture);
    }

    private (string Name, bool Known) Name(EntrySite site, string hfKey)
    {
        var name = site.NameFor(hfKey);
        return name is null ? (hfKey, false) : (name, true);
    }

    public TextEdit SetValue(ConfigEntry entry, object? value)
    {
        var site = Site(entry);
        return Mark(_lines.Edit(entry.ValueSpan, FormatValue(value)), site.IsVirtual);
    }

    public TextEdit Rename(ConfigEntry entry, string newKey)
    {
        var site = Site(entry);
        var (name, known) = Name(site, newKey);
        if (site.IsArgument && site.IsPositional)
            return Mark(_lines.Edit(entry.ValueSpan.Start, 0, name + ": "), true);
        return Mark(_lines.Edit(entry.KeySpan, name), site.IsVirtual || site.Shadows || !known);
    }

    public TextEdit Remove(ConfigEntry entry)
    {
        var site = Site(entry);
        // A positional argument cannot go without shifting every argument after it.
        return Mark(_lines.Edit(entry.RemovalSpan, ""), site.IsVirtual || site.IsPositional || site.Shadows);
    }

    public TextEdit Replace(ConfigEntry entry, string newKey, object? value)
    {
        var site = Site(entry);
        var (name, known) = Name(site, newKey);
        var text = site.IsArgument ? $"{name}: {FormatValue(value)}" : $"{name} = {FormatValue(value)}";
        int start = site.IsPositional ? entry.ValueSpan.Start : entry.KeySpan.Start;
        return Mark(_lines.Edit(start, entry.ValueSpan.End - start, text), site.IsVirtual || site.IsPositional || site.Shadows || !known);
    }

    public TextEdit AddAfter(ConfigEntry anchor, string key, object? value)
    {
        var site = Site(anchor);
        var (name, known) = Name(site, key);
        var item = site.IsArgument ? $"{name}: {FormatValue(value)}" : $"{name} = {FormatValue(value)}";
        bool isUnsafe = site.IsVirtual || !known;

        var node = site.Item;
        var next = node.GetLastToken().GetNextToken();
        bool hasComma = next.IsKind(SyntaxKind.CommaToken);
        int anchorLine = _lines.PositionOf(node.SpanStart).Line;
        int lineStart = _lines.LineStart(anchorLine);
        bool ownLine = _lines.Text.Substring(lineStart, node.SpanStart - lineStart).Trim().Length == 0;
        var indent = _lines.Text.Substring(lineStart, node.SpanStart - lineStart);

        if (ownLine)
        {
            // One setting per line: the new one goes on its own line below, indented the same.
            return hasComma
                ? Mark(_lines.Edit(next.Span.End, 0, _newline + indent + item + ","), isUnsafe)
                : Mark(_lines.Edit(node.Span.End, 0, "," + _newline + indent + item), isUnsafe);
        }
        return hasComma
            ? Mark(_lines.Edit(next.Span.End, 0, " " + item + ","), isUnsafe)
            : Mark(_lines.Edit(node.Span.End, 0, ", " + item), isUnsafe);
    }

    private sealed class ReferenceComparer : IEqualityComparer<TextEdit>
    {
        public static readonly ReferenceComparer Instance = new();
        public bool Equals(TextEdit? x, TextEdit? y) => ReferenceEquals(x, y);
        public int GetHashCode(TextEdit obj) => RuntimeHelpers.GetHashCode(obj);
    }
}
