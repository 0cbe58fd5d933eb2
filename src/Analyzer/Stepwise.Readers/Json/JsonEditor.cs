using System.Globalization;
using System.Text;
using Stepwise.Core.Model;
using Stepwise.Core.Text;

namespace Stepwise.Readers.Json;

/// <summary>Spells fixes in JSON, keeping commas valid and every other member untouched.</summary>
public sealed class JsonEditor : IConfigEditor
{
    private readonly LineIndex _lines;
    public JsonEditor(LineIndex lines) => _lines = lines;

    public string FormatValue(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => double.IsFinite(d) ? d.ToString("R", CultureInfo.InvariantCulture) : "null",
        float f => ((double)f).ToString("R", CultureInfo.InvariantCulture),
        _ => Quote(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
    };

    public static string Quote(string s) => JsonText.Quote(s);

    public TextEdit SetValue(ConfigEntry entry, object? value) => _lines.Edit(entry.ValueSpan, FormatValue(value));
    public TextEdit Rename(ConfigEntry entry, string newKey) => _lines.Edit(entry.KeySpan, Quote(newKey));
    public TextEdit Remove(ConfigEntry entry) => _lines.Edit(entry.RemovalSpan, "");

    public TextEdit AddAfter(ConfigEntry anchor, string key, object? value)
    {
        int at = anchor.ValueSpan.End;
        var keyPos = anchor.KeySpan.Range.Start;
        int lineStart = _lines.LineStart(keyPos.Line);
        bool ownLine = _lines.Text.AsSpan(lineStart, anchor.KeySpan.Start - lineStart).Trim().Length == 0;
        string newline = _lines.Text.Contains("\r\n") ? "\r\n" : "\n";
        string sep = ownLine ? "," + newline + _lines.Text.Substring(lineStart, anchor.KeySpan.Start - lineStart) : ", ";
        return _lines.Edit(at, 0, $"{sep}{Quote(key)}: {FormatValue(value)}");
    }

    public TextEdit Replace(ConfigEntry entry, string newKey, object? value)
    {
        int start = entry.KeySpan.Start, end = entry.ValueSpan.End;
        var between = _lines.Text.Substring(entry.KeySpan.End, entry.ValueSpan.Start - entry.KeySpan.End);
        return _lines.Edit(start, end - start, $"{Quote(newKey)}{between}{FormatValue(value)}");
    }
}
