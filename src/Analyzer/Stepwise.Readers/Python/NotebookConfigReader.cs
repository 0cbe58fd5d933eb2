using System.Globalization;
using System.Text;
using System.Text.Json;
using Stepwise.Core.Model;
using Stepwise.Core.Text;

namespace Stepwise.Readers.Python;

/// <summary>
/// Reads a Jupyter notebook (.ipynb, nbformat 4, and v3's worksheets): the code cells' sources, joined in order so
/// constants from earlier cells are seen, are read as one Python script. Every span points into the notebook's JSON
/// text, at the characters of the JSON string literals (escapes counted), and edits are JSON-escaped, so fixes can
/// be applied to the .ipynb file as it is. Outputs are skipped by the JSON reader, never decoded.
/// </summary>
public sealed class NotebookConfigReader : IConfigReader
{
    public static readonly NotebookConfigReader Instance = new();

    public ConfigSyntax Syntax => ConfigSyntax.Python;

    public IReadOnlyList<ConfigDocument> Read(string text, string? path)
    {
        var lines = new LineIndex(text, path);
        Notebook nb;
        try
        {
            nb = Notebook.Parse(text);
        }
        catch (NotebookException ex)
        {
            var span = lines.Span(ex.Offset, ex.Offset < text.Length ? 1 : 0);
            var problem = ReadProblem.Unreadable($"notebook: {ex.Message}", span);
            var editor = new PythonEditor("", IdentityMap.Instance, lines);
            return new[]
            {
                new ConfigDocument(path, text, ConfigSyntax.Python, Dialect.Unknown, Array.Empty<ConfigEntry>(), editor,
                    null, new[] { problem }, lines),
            };
        }
        if (nb.Language is { } lang && !lang.Equals("python", StringComparison.OrdinalIgnoreCase)) return Array.Empty<ConfigDocument>();
        if (nb.Code.Length == 0) return Array.Empty<ConfigDocument>();
        var analysis = new PythonAnalysis(nb.Code, nb.Map, lines, path, nb.CellStarts, notebook: true);
        return PythonDocuments.Build(analysis, text, path, lines);
    }
}

internal sealed class NotebookException : Exception
{
    public NotebookException(string message, int offset) : base(message) => Offset = offset;
    public int Offset { get; }
}

/// <summary>The code of a notebook's code cells, with each code character's offset in the JSON text.</summary>
internal sealed class Notebook
{
    private Notebook(string code, JsonStringMap map, int[] cellStarts, string? language)
    {
        Code = code; Map = map; CellStarts = cellStarts; Language = language;
    }

    public string Code { get; }
    public JsonStringMap Map { get; }
    /// <summary>Code offsets where the second and later cells start (the tokenizer closes what a cell leaves open).</summary>
    public int[] CellStarts { get; }
    /// <summary>metadata.kernelspec.language or metadata.language_info.name, when stated.</summary>
    public string? Language { get; }

    // Cell magics whose body is still Python; any other %%magic (bash, writefile, html...) makes the cell not Python.
    private static readonly HashSet<string> PythonCellMagics = new(StringComparer.Ordinal) { "time", "timeit", "capture", "prun", "python", "python3" };

    public static Notebook Parse(string text)
    {
        int bom = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
        var bytes = Encoding.UTF8.GetBytes(text.Substring(bom));
        var offsets = new ByteToChar(text, bom);
        var cells = new List<List<int>>(); // per code cell: char offsets of the opening quotes of its source strings
        string? language = null;
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new NotebookException("a notebook is a JSON object; this text is not one", 0);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                if (name == "cells" && reader.TokenType == JsonTokenType.StartArray) ReadCells(ref reader, offsets, cells);
                else if (name == "worksheets" && reader.TokenType == JsonTokenType.StartArray)
                {
                    // nbformat 3: {"worksheets": [{"cells": [...]}]}
                    while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                    {
                        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                        {
                            var wn = reader.GetString();
                            reader.Read();
                            if (wn == "cells" && reader.TokenType == JsonTokenType.StartArray) ReadCells(ref reader, offsets, cells);
                            else reader.Skip();
                        }
                    }
                }
                else if (name == "metadata" && reader.TokenType == JsonTokenType.StartObject)
                {
                    using var meta = JsonDocument.ParseValue(ref reader);
                    // A language name with an unpaired surrogate escape names no language we know: read the cells.
                    try { language = LanguageOf(meta.RootElement); }
                    catch (InvalidOperationException) { language = null; }
                }
                else reader.Skip();
            }
            while (reader.Read()) { } // the rest must still be valid JSON
        }
        catch (JsonException ex)
        {
            int line = (int)(ex.LineNumber ?? 0);
            long bytePos = ex.BytePositionInLine ?? 0;
            int offset = CharOffsetOfLinePosition(text, bom, line, bytePos);
            var msg = ex.Message;
            int cut = msg.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0) msg = msg.Substring(0, cut).TrimEnd('.', ' ');
            throw new NotebookException($"not valid JSON: {msg}", offset);
        }
        catch (InvalidOperationException ex)
        {
            // System.Text.Json reads a key or string holding an unpaired surrogate escape ("\ud800") but refuses to
            // turn it into a .NET string (GetString); Jupyter cannot save such a file either.
            throw new NotebookException($"not valid JSON: {ex.Message.TrimEnd('.')}", offsets.CharOffset(reader.TokenStartIndex));
        }

        var code = new StringBuilder();
        var host = new List<int>();
        var cellStarts = new List<int>();
        int lastEnd = 0;
        foreach (var sources in cells)
        {
            var cell = new StringBuilder();
            var cellHost = new List<int>();
            int cellEnd = -1;
            foreach (var quote in sources) cellEnd = DecodeJsonString(text, quote, cell, cellHost);
            if (cell.Length == 0) continue;
            if (IsForeignCellMagic(cell)) continue;
            if (code.Length > 0)
            {
                if (code[^1] != '\n')
                {
                    // Cells are joined by a line break that is in no JSON string: it maps to the previous cell's end.
                    code.Append('\n');
                    host.Add(lastEnd);
                }
                cellStarts.Add(code.Length);
            }
            code.Append(cell);
            host.AddRange(cellHost);
            lastEnd = cellEnd;
        }
        host.Add(lastEnd);
        return new Notebook(code.ToString(), new JsonStringMap(host.ToArray()), cellStarts.ToArray(), language);
    }

    private static bool IsForeignCellMagic(StringBuilder cell)
    {
        if (cell.Length < 2 || cell[0] != '%' || cell[1] != '%') return false;
        int e = 2;
        while (e < cell.Length && (char.IsLetterOrDigit(cell[e]) || cell[e] == '_')) e++;
        return !PythonCellMagics.Contains(cell.ToString(2, e - 2));
    }

    /// <summary>The stated language; an empty one (Colab writes <c>"language_info": {"name": ""}</c>) states nothing.</summary>
    private static string? LanguageOf(JsonElement meta)
    {
        if (meta.TryGetProperty("kernelspec", out var ks) && ks.ValueKind == JsonValueKind.Object
            && ks.TryGetProperty("language", out var l) && l.ValueKind == JsonValueKind.String && l.GetString() is { Length: > 0 } kl) return kl;
        if (meta.TryGetProperty("language_info", out var li) && li.ValueKind == JsonValueKind.Object
            && li.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && n.GetString() is { Length: > 0 } ln) return ln;
        return null;
    }

    private static void ReadCells(ref Utf8JsonReader reader, ByteToChar offsets, List<List<int>> cells)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject) { reader.Skip(); continue; }
            string? type = null;
            var sources = new List<int>();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                if (name == "cell_type" && reader.TokenType == JsonTokenType.String) type = reader.GetString();
                else if ((name == "source" || name == "input") && reader.TokenType == JsonTokenType.String)
                    sources.Add(offsets.CharOffset(reader.TokenStartIndex));
                else if ((name == "source" || name == "input") && reader.TokenType == JsonTokenType.StartArray)
                {
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (reader.TokenType == JsonTokenType.String) sources.Add(offsets.CharOffset(reader.TokenStartIndex));
                        else reader.Skip();
                    }
                }
                else reader.Skip(); // outputs, metadata, attachments: skipped without decoding
            }
            if (type == "code") cells.Add(sources);
        }
    }

    /// <summary>Decodes the JSON string whose opening quote is at <paramref name="quote"/>, recording for each decoded
    /// character the offset of its (escaped) spelling. Returns the offset of the closing quote.</summary>
    private static int DecodeJsonString(string text, int quote, StringBuilder sb, List<int> host)
    {
        int i = quote + 1;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '"') return i;
            if (c != '\\') { sb.Append(c); host.Add(i); i++; continue; }
            int start = i;
            char e = i + 1 < text.Length ? text[i + 1] : '\\';
            switch (e)
            {
                case 'n': sb.Append('\n'); i += 2; break;
                case 't': sb.Append('\t'); i += 2; break;
                case 'r': sb.Append('\r'); i += 2; break;
                case 'b': sb.Append('\b'); i += 2; break;
                case 'f': sb.Append('\f'); i += 2; break;
                case 'u' when i + 6 <= text.Length
                    && int.TryParse(text.AsSpan(i + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int v):
                    sb.Append((char)v); i += 6; break;
                default: sb.Append(e); i += 2; break; // \" \\ \/
            }
            host.Add(start);
        }
        return text.Length;
    }

    private static int CharOffsetOfLinePosition(string text, int bom, int line, long bytePos)
    {
        int i = bom;
        for (int l = 0; l < line && i < text.Length; i++)
            if (text[i] == '\n') l++;
        long b = 0;
        while (i < text.Length && b < bytePos && text[i] != '\n')
        {
            b += ByteToChar.Utf8Length(text, i, out int chars);
            i += chars;
        }
        return Math.Min(i, text.Length);
    }

    /// <summary>Converts increasing UTF-8 byte offsets (of the text after a BOM) to UTF-16 offsets, in one pass.</summary>
    private sealed class ByteToChar
    {
        private readonly string _text;
        private int _char;
        private long _byte;

        public ByteToChar(string text, int start) { _text = text; _char = start; }

        public int CharOffset(long byteOffset)
        {
            if (byteOffset < _byte) { _char = _text.Length > 0 && _text[0] == '\uFEFF' ? 1 : 0; _byte = 0; }
            while (_byte < byteOffset && _char < _text.Length)
            {
                _byte += Utf8Length(_text, _char, out int chars);
                _char += chars;
            }
            return _char;
        }

        /// <summary>UTF-8 bytes of the character at i (a surrogate pair counts as one, 4 bytes; a lone surrogate as U+FFFD).</summary>
        public static int Utf8Length(string s, int i, out int chars)
        {
            char c = s[i];
            chars = 1;
            if (c < 0x80) return 1;
            if (c < 0x800) return 2;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { chars = 2; return 4; }
            return 3;
        }
    }
}
