using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stepwise.Trainer.Data;

/// <summary>One dataset record with where it came from (for messages that point at the line).</summary>
public sealed record DataRecord(JsonObject Fields, string Source, int Line)
{
    public string Where => Line > 0 ? $"{Source}:{Line}" : Source;
    public string? Str(string key) => Fields[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s
        : Fields[key] is JsonNode n && n is not JsonObject and not JsonArray ? n.ToJsonString() : null;
}

/// <summary>A dataset file that cannot be used, with file:line:col where there is one.</summary>
public sealed class DatasetException : Exception
{
    public DatasetException(string message) : base(message) { }
}

/// <summary>
/// Reads training records from JSON Lines, a JSON array (or an object holding one array), CSV with a header row, or
/// Parquet. Every record becomes a JSON object of its columns.
/// </summary>
public static class RecordFiles
{
    public static IReadOnlyList<DataRecord> Load(string path)
    {
        if (Directory.Exists(path))
        {
            var files = Directory.EnumerateFiles(path).Where(IsDataFile).OrderBy(f => f, StringComparer.Ordinal).ToList();
            if (files.Count == 0) throw new DatasetException($"{path}: no .jsonl/.json/.csv/.parquet files in this folder");
            return files.SelectMany(Load).ToList();
        }
        if (!File.Exists(path)) throw new DatasetException($"{path}: dataset file not found");
        string ext = Path.GetExtension(path).ToLowerInvariant();
        var records = ext switch
        {
            ".jsonl" or ".ndjson" => JsonLines(path),
            ".json" => Json(path),
            ".csv" => Csv(path, ','),
            ".tsv" => Csv(path, '\t'),
            ".parquet" => ParquetReading ? ParquetRecords.Load(path)
                : throw new DatasetException($"{path}: the native language server does not read Parquet records (Parquet.Net is not ahead-of-time safe); `stepwise check` reads them"),
            _ => throw new DatasetException($"{path}: unknown dataset format '{ext}' (use .jsonl, .json, .csv, .tsv or .parquet)"),
        };
        if (records.Count == 0) throw new DatasetException($"{path}: the dataset has no records");
        return records;
    }

    /// <summary>
    /// Whether Parquet records can be read. The language server's Native AOT build turns it off
    /// (RuntimeHostConfigurationOption with Trim="true"), so the trimmer drops the Parquet.Net reader, whose reflection
    /// the AOT compiler cannot check; everywhere else it is on.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.FeatureSwitchDefinition(ParquetSwitch)]
    public static bool ParquetReading => !AppContext.TryGetSwitch(ParquetSwitch, out bool on) || on;

    public const string ParquetSwitch = "Stepwise.Trainer.Data.ParquetReading";

    public static bool IsDataFile(string f) =>
        Path.GetExtension(f).ToLowerInvariant() is ".jsonl" or ".ndjson" or ".json" or ".csv" or ".tsv" or ".parquet";

    public static IReadOnlyList<DataRecord> JsonLines(string path) => ParseJsonLines(File.ReadAllText(path), path);

    public static IReadOnlyList<DataRecord> ParseJsonLines(string text, string source)
    {
        var list = new List<DataRecord>();
        int lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            JsonNode? node;
            try { node = JsonNode.Parse(line); }
            catch (JsonException e)
            {
                throw new DatasetException($"{source}:{lineNo}:{(e.BytePositionInLine ?? 0) + 1}: not valid JSON: {FirstSentence(e.Message)}");
            }
            if (node is not JsonObject o) throw new DatasetException($"{source}:{lineNo}:1: each line must be a JSON object, found {node?.GetValueKind().ToString() ?? "null"}");
            list.Add(new DataRecord(o, source, lineNo));
        }
        return list;
    }

    private static IReadOnlyList<DataRecord> Json(string path)
    {
        string text = File.ReadAllText(path);
        JsonNode? root;
        try { root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true }); }
        catch (JsonException e)
        {
            // A .json file that is really JSON Lines is common: read it as such when the first line parses alone.
            if (LooksLikeJsonLines(text)) return ParseJsonLines(text, path);
            throw new DatasetException($"{path}:{(e.LineNumber ?? 0) + 1}:{(e.BytePositionInLine ?? 0) + 1}: not valid JSON: {FirstSentence(e.Message)}");
        }
        var array = root as JsonArray;
        if (root is JsonObject obj)
            array = obj.Select(kv => kv.Value).OfType<JsonArray>().FirstOrDefault()
                ?? throw new DatasetException($"{path}:1:1: expected an array of records (or an object with one array field)");
        if (array is null) throw new DatasetException($"{path}:1:1: expected an array of records");
        var list = new List<DataRecord>();
        for (int i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject o) throw new DatasetException($"{path}: record {i} is not a JSON object");
            list.Add(new DataRecord((JsonObject)o.DeepClone(), path, 0));
        }
        return list;
    }

    private static bool LooksLikeJsonLines(string text)
    {
        var first = text.Split('\n').FirstOrDefault(l => l.Trim().Length > 0);
        if (first is null) return false;
        try { return JsonNode.Parse(first) is JsonObject; } catch (JsonException) { return false; }
    }

    /// <summary>CSV (RFC 4180: quoted fields may hold separators, doubled quotes and newlines) with a header row.</summary>
    public static IReadOnlyList<DataRecord> Csv(string path, char sep) => ParseCsv(File.ReadAllText(path), path, sep);

    public static IReadOnlyList<DataRecord> ParseCsv(string text, string source, char sep = ',')
    {
        var rows = new List<(int Line, List<string> Cells)>();
        var cells = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false, any = false;
        int line = 1, rowLine = 1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; }
                    else quoted = false;
                }
                else { if (c == '\n') line++; cell.Append(c); }
                continue;
            }
            if (c == '"' && cell.Length == 0) { quoted = true; any = true; }
            else if (c == sep) { cells.Add(cell.ToString()); cell.Clear(); any = true; }
            else if (c == '\r') { }
            else if (c == '\n')
            {
                if (any || cell.Length > 0) { cells.Add(cell.ToString()); rows.Add((rowLine, cells)); }
                cells = new List<string>(); cell.Clear(); any = false; line++; rowLine = line;
            }
            else { cell.Append(c); any = true; }
        }
        if (quoted) throw new DatasetException($"{source}:{rowLine}:1: a quoted field is not closed before the end of the file");
        if (any || cell.Length > 0) { cells.Add(cell.ToString()); rows.Add((rowLine, cells)); }
        if (rows.Count == 0) return Array.Empty<DataRecord>();
        var header = rows[0].Cells.Select(h => h.Trim().TrimStart('\uFEFF')).ToList();
        var list = new List<DataRecord>();
        foreach (var (ln, r) in rows.Skip(1))
        {
            if (r.Count != header.Count)
                throw new DatasetException($"{source}:{ln}:1: {r.Count} fields, the header has {header.Count}");
            var o = new JsonObject();
            for (int k = 0; k < header.Count; k++) o[header[k]] = r[k];
            list.Add(new DataRecord(o, source, ln));
        }
        return list;
    }

    private static string FirstSentence(string message)
    {
        int i = message.IndexOf(". ", StringComparison.Ordinal);
        return i > 0 ? message[..i] : message;
    }
}
