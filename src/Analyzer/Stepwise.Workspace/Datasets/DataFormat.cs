namespace Stepwise.Workspace.Datasets;

/// <summary>The data file formats datasets' packaged builders read (datasets/packaged_modules/__init__.py, _EXTENSION_TO_MODULE).</summary>
public enum DataFormat
{
    JsonLines,
    Json,
    Csv,
    Tsv,
    Parquet,
    Text,
    Arrow,
}

public static class DataFormats
{
    /// <summary>The format a file name says, looking through one compression suffix; null when not a data file.</summary>
    public static DataFormat? FromPath(string path, out string? compression)
    {
        compression = null;
        string name = Path.GetFileName(path).ToLowerInvariant();
        foreach (var c in new[] { ".gz", ".zst", ".bz2", ".xz", ".zip", ".lz4" })
        {
            if (name.EndsWith(c, StringComparison.Ordinal)) { compression = c[1..]; name = name[..^c.Length]; break; }
        }
        return Path.GetExtension(name) switch
        {
            ".jsonl" or ".ndjson" => DataFormat.JsonLines,
            ".json" => DataFormat.Json,
            ".csv" => DataFormat.Csv,
            ".tsv" => DataFormat.Tsv,
            ".parquet" => DataFormat.Parquet,
            ".txt" => DataFormat.Text,
            ".arrow" => DataFormat.Arrow,
            _ => null,
        };
    }

    public static DataFormat? FromPath(string path) => FromPath(path, out _);

    /// <summary>A packaged builder name used as a dataset path (<c>load_dataset("json", data_files=...)</c>).</summary>
    public static bool IsBuilderName(string name) => name is "json" or "csv" or "parquet" or "text" or "arrow" or "pandas";

    public static string Describe(DataFormat f) => f switch
    {
        DataFormat.JsonLines => "JSON Lines",
        DataFormat.Json => "JSON",
        DataFormat.Csv => "CSV",
        DataFormat.Tsv => "TSV",
        DataFormat.Parquet => "Parquet",
        DataFormat.Text => "text",
        DataFormat.Arrow => "Arrow",
        _ => f.ToString(),
    };
}
