using Stepwise.Core.Model;
using Stepwise.Core.Text;

namespace Stepwise.Readers.Yaml;

/// <summary>Spells fixes in YAML: edits touch only the key, the value or the entry's own lines, so comments,
/// blank lines and every other key stay byte-identical.</summary>
public sealed class YamlEditor : IConfigEditor
{
    private readonly LineIndex _lines;
    public YamlEditor(LineIndex lines) => _lines = lines;

    public string FormatValue(object? value) => YamlScalars.Format(value);

    public TextEdit SetValue(ConfigEntry entry, object? value)
    {
        var span = entry.ValueSpan;
        var text = FormatValue(value);
        // `key:` with nothing after the colon: add the space too.
        if (span.Length == 0 && span.Start > 0 && _lines.Text[span.Start - 1] == ':') text = " " + text;
        return _lines.Edit(span, text);
    }

    public TextEdit Rename(ConfigEntry entry, string newKey) => _lines.Edit(entry.KeySpan, newKey);

    public TextEdit Remove(ConfigEntry entry) => _lines.Edit(entry.RemovalSpan, "");

    public TextEdit AddAfter(ConfigEntry anchor, string key, object? value)
    {
        int insertAt = anchor.RemovalSpan.End;
        var keyPos = anchor.KeySpan.Range.Start;
        int lineStart = _lines.LineStart(keyPos.Line);
        var prefix = _lines.Text.Substring(lineStart, anchor.KeySpan.Start - lineStart);
        // Indentation of the anchor key ("- " of a list item becomes spaces).
        var indent = new string(prefix.Select(c => c == '\t' ? '\t' : ' ').ToArray());
        string newline = _lines.Text.Contains("\r\n") ? "\r\n" : "\n";
        string lead = insertAt > 0 && _lines.Text[insertAt - 1] != '\n' && _lines.Text[insertAt - 1] != '\r' ? newline : "";
        return _lines.Edit(insertAt, 0, $"{lead}{indent}{key}: {FormatValue(value)}{(lead.Length > 0 ? "" : newline)}");
    }

    public TextEdit Replace(ConfigEntry entry, string newKey, object? value)
    {
        int start = entry.KeySpan.Start;
        int end = Math.Max(entry.ValueSpan.End, entry.KeySpan.End);
        var between = _lines.Text.Substring(entry.KeySpan.End, Math.Max(0, entry.ValueSpan.Start - entry.KeySpan.End));
        // Keep the separator as written (`key: `, `key:  `); fall back to ": ".
        var sep = between.Length > 0 && between.TrimEnd().EndsWith(':') ? between : ": ";
        if (entry.ValueSpan.Length == 0) sep = ": ";
        return _lines.Edit(start, end - start, $"{newKey}{sep}{FormatValue(value)}");
    }
}
