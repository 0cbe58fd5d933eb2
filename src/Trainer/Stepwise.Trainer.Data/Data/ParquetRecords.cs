using System.Text.Json.Nodes;
using Parquet;

namespace Stepwise.Trainer.Data;

/// <summary>Parquet files (what `datasets` writes to the hub): every row group, flat columns of strings and numbers.</summary>
public static class ParquetRecords
{
    public static IReadOnlyList<DataRecord> Load(string path)
    {
        try
        {
            return LoadAsync(path).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not DatasetException and not OutOfMemoryException)
        {
            throw new DatasetException($"{path}: cannot read Parquet: {e.Message}");
        }
    }

    private static async Task<IReadOnlyList<DataRecord>> LoadAsync(string path)
    {
        using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream);
        // Text columns are what instruction data holds; numeric and nested columns (a messages list) are not read.
        var fields = reader.Schema.GetDataFields().Where(f => f.ClrType == typeof(string) && f.MaxRepetitionLevel == 0).ToList();
        if (fields.Count == 0) throw new DatasetException($"{path}: no flat text columns (instruction/output, text, ...) in this Parquet file");
        var list = new List<DataRecord>();
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            int rows = checked((int)group.RowCount);
            var columns = new List<(string Name, string?[] Data)>();
            foreach (var f in fields)
            {
                var data = new string?[rows];
                await group.ReadAsync(f, data.AsMemory(), null);
                columns.Add((f.Name, data));
            }
            for (int r = 0; r < rows; r++)
            {
                var o = new JsonObject();
                foreach (var (name, data) in columns) o[name] = data[r];
                list.Add(new DataRecord(o, path, 0));
            }
        }
        return list;
    }
}
