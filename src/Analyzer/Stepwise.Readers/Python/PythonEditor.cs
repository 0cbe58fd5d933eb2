using System.Runtime.CompilerServices;
using Stepwise.Core.Model;
using Stepwise.Core.Text;

namespace Stepwise.Readers.Python;

/// <summary>
/// Where one argument (key=value in a call, "key": value in a dict display) sits in the Python code, in code
/// offsets: the whole item, its key, its value, the comma after it, what removing it deletes, and its indentation.
/// </summary>
public sealed record ArgLayout(
    int ItemStart, int ItemEnd,
    int KeyStart, int KeyEnd,
    int ValueStart, int ValueEnd,
    int CommaAfter,
    int RemoveStart, int RemoveEnd,
    bool StartsLine, string Indent,
    char KeyQuote);

/// <summary>
/// Spells fixes in a Python call: values as Python literals, keywords renamed in place, arguments removed with their
/// comma (whole lines when they stand on their own line), new keywords added on their own line with the anchor's
/// indentation in a multi-line call, or after the anchor's comma on one line. Comments, trailing commas and line
/// breaks around the edit are kept. Works on code offsets and maps them into the file through an <see cref="ISourceMap"/>
/// (a notebook's JSON strings), escaping the new text the way the file needs.
/// </summary>
public sealed class PythonEditor : IConfigEditor
{
    private readonly string _code;
    private readonly ISourceMap _map;
    private readonly LineIndex _host;
    private readonly ConditionalWeakTable<ConfigEntry, ArgLayout> _layouts = new();

    public PythonEditor(string code, ISourceMap map, LineIndex host)
    {
        _code = code; _map = map; _host = host;
    }

    internal void Register(ConfigEntry entry, ArgLayout layout) => _layouts.AddOrUpdate(entry, layout);

    /// <summary>The layout of an entry this editor's reader made, or null.</summary>
    public ArgLayout? LayoutOf(ConfigEntry entry) => _layouts.TryGetValue(entry, out var l) ? l : null;

    public string FormatValue(object? value) => PythonLiterals.Format(value);

    public TextEdit SetValue(ConfigEntry entry, object? value)
    {
        if (LayoutOf(entry) is not { } l) return _host.Edit(entry.ValueSpan, _map.Escape(FormatValue(value)));
        return Edit(l.ValueStart, l.ValueEnd, FormatValue(value));
    }

    public TextEdit Rename(ConfigEntry entry, string newKey)
    {
        if (LayoutOf(entry) is not { } l) return _host.Edit(entry.KeySpan, _map.Escape(newKey));
        if (l.KeyStart == l.KeyEnd) return Edit(l.ValueStart, l.ValueStart, newKey + "="); // a positional argument gets its keyword
        return Edit(l.KeyStart, l.KeyEnd, KeyText(l, newKey));
    }

    public TextEdit Remove(ConfigEntry entry)
    {
        if (LayoutOf(entry) is not { } l) return _host.Edit(entry.RemovalSpan, "");
        return Edit(l.RemoveStart, l.RemoveEnd, "");
    }

    public TextEdit Replace(ConfigEntry entry, string newKey, object? value)
    {
        if (LayoutOf(entry) is not { } l)
        {
            int s = entry.KeySpan.Start, e = entry.ValueSpan.End;
            return _host.Edit(s, e - s, _map.Escape(newKey + "=" + FormatValue(value)));
        }
        return Edit(l.KeyStart, l.ValueEnd, Item(l, newKey, value));
    }

    public TextEdit AddAfter(ConfigEntry anchor, string key, object? value)
    {
        if (LayoutOf(anchor) is not { } l)
            return _host.Edit(anchor.ValueSpan.End, 0, _map.Escape(", " + key + "=" + FormatValue(value)));
        string item = Item(l, key, value);
        if (l.StartsLine)
        {
            // A multi-line call: the new keyword goes on its own line, indented like the anchor.
            if (l.CommaAfter >= 0)
            {
                int p = l.CommaAfter + 1;
                int lineEnd = RestOfLineIsBlank(p, out int contentEnd) ? contentEnd : -1;
                return lineEnd >= 0
                    ? Edit(lineEnd, lineEnd, "\n" + l.Indent + item + ",")
                    : Edit(p, p, "\n" + l.Indent + item + ",");
            }
            if (RestOfLineIsBlank(l.ItemEnd, out int end))
            {
                // Last argument without a trailing comma, maybe a comment after it: a, # c  ->  a,  # c \n new
                string rest = _code.Substring(l.ItemEnd, end - l.ItemEnd);
                return Edit(l.ItemEnd, end, "," + rest + "\n" + l.Indent + item);
            }
            return Edit(l.ItemEnd, l.ItemEnd, ",\n" + l.Indent + item);
        }
        return l.CommaAfter >= 0
            ? Edit(l.CommaAfter + 1, l.CommaAfter + 1, " " + item + ",")
            : Edit(l.ItemEnd, l.ItemEnd, ", " + item);
    }

    private string KeyText(ArgLayout l, string key) => l.KeyQuote == '\0' ? key : l.KeyQuote + key + l.KeyQuote;

    private string Item(ArgLayout l, string key, object? value) =>
        l.KeyQuote == '\0' ? key + "=" + FormatValue(value) : KeyText(l, key) + ": " + FormatValue(value);

    /// <summary>True when only blanks and maybe a comment follow <paramref name="p"/> on its line; <paramref name="contentEnd"/>
    /// is then the offset before the line break.</summary>
    private bool RestOfLineIsBlank(int p, out int contentEnd)
    {
        int i = p;
        while (i < _code.Length && (_code[i] == ' ' || _code[i] == '\t' || _code[i] == '\f')) i++;
        if (i < _code.Length && _code[i] == '#') while (i < _code.Length && _code[i] != '\n' && _code[i] != '\r') i++;
        contentEnd = i;
        return i >= _code.Length || _code[i] == '\n' || _code[i] == '\r';
    }

    private TextEdit Edit(int start, int end, string newText)
    {
        int hs = _map.ToHost(start);
        int he = _map.ToHost(end);
        return _host.Edit(hs, Math.Max(0, he - hs), _map.Escape(newText));
    }

    /// <summary>
    /// Computes an item's layout from its place among its siblings. Removal deletes whole lines when the item stands
    /// alone on its line(s); otherwise the item and the comma after it (or the comma before it when it is last
    /// without a trailing comma), so the rest of the call is untouched.
    /// </summary>
    internal static ArgLayout Compute(string code, int itemStart, int itemEnd, int keyStart, int keyEnd, int valueStart,
        int valueEnd, int commaAfter, int prevTokenEnd, int prevCommaStart, char keyQuote)
    {
        int lineStart = itemStart;
        while (lineStart > 0 && code[lineStart - 1] != '\n' && code[lineStart - 1] != '\r') lineStart--;
        bool startsLine = true;
        for (int k = lineStart; k < itemStart; k++)
            if (code[k] is not (' ' or '\t' or '\f')) { startsLine = false; break; }
        string indent = startsLine ? code.Substring(lineStart, itemStart - lineStart) : "";

        int after = commaAfter >= 0 ? commaAfter + 1 : itemEnd;
        int i = after;
        while (i < code.Length && code[i] is ' ' or '\t' or '\f') i++;
        int blankEnd = i;
        if (i < code.Length && code[i] == '#') while (i < code.Length && code[i] != '\n' && code[i] != '\r') i++;
        bool endsLine = i < code.Length && (code[i] == '\n' || code[i] == '\r');
        int breakEnd = endsLine ? i + (code[i] == '\r' && i + 1 < code.Length && code[i + 1] == '\n' ? 2 : 1) : i;

        int rs, re;
        if (startsLine && endsLine)
        {
            rs = lineStart; re = breakEnd;
        }
        else if (commaAfter >= 0)
        {
            if (endsLine) { rs = prevTokenEnd; re = commaAfter + 1; }  // a=1, b=2,⏎ -> a=1,⏎
            else { rs = itemStart; re = blankEnd; }                      // b=2, c=3 -> c=3
        }
        else if (prevCommaStart >= 0) { rs = prevCommaStart; re = itemEnd; } // a=1, b=2) -> a=1)
        else { rs = itemStart; re = itemEnd; }
        return new ArgLayout(itemStart, itemEnd, keyStart, keyEnd, valueStart, valueEnd, commaAfter, rs, re, startsLine, indent, keyQuote);
    }
}
