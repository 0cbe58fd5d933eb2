using System.Text.Json;
using static TorchSharp.torch;

namespace Stepwise.Trainer.SafeTensors;

/// <summary>
/// The weights of a Hugging Face folder: model.safetensors, or shards listed in model.safetensors.index.json
/// ({"weight_map": {name: file}}). All headers are opened and validated before any tensor is read.
/// </summary>
public sealed class Checkpoint : IDisposable
{
    public string Folder { get; }
    public IReadOnlyList<SafeTensorsFile> Files { get; }
    private readonly Dictionary<string, (SafeTensorsFile File, TensorInfo Info)> _map = new(StringComparer.Ordinal);

    private Checkpoint(string folder, List<SafeTensorsFile> files)
    {
        Folder = folder; Files = files;
        foreach (var f in files)
            foreach (var t in f.Tensors)
                if (!_map.TryAdd(t.Name, (f, t)))
                    throw new CheckpointFormatException($"{f.Path}: tensor '{t.Name}' also appears in {_map[t.Name].File.Path}");
    }

    public IEnumerable<string> Names => _map.Keys;
    public bool Contains(string name) => _map.ContainsKey(name);
    public TensorInfo Info(string name) => _map.TryGetValue(name, out var e) ? e.Info
        : throw new CheckpointFormatException($"{Folder}: checkpoint has no tensor '{name}'");
    public Tensor Read(string name) { var e = _map[name]; return e.File.Read(e.Info); }
    public byte[] ReadRaw(string name) { var e = _map[name]; return e.File.ReadRaw(e.Info); }

    /// <summary>Tensors in file order (shard by shard, by offset), the order that reads the disk sequentially.</summary>
    public IEnumerable<string> NamesInFileOrder() =>
        Files.SelectMany(f => f.Tensors.OrderBy(t => t.Begin).Select(t => t.Name));

    public static Checkpoint Open(string folder)
    {
        if (!Directory.Exists(folder)) throw new CheckpointFormatException($"{folder}: model folder not found");
        string single = Path.Combine(folder, "model.safetensors");
        string index = Path.Combine(folder, "model.safetensors.index.json");
        var files = new List<SafeTensorsFile>();
        try
        {
            if (File.Exists(index))
            {
                foreach (var shard in ReadIndex(index))
                {
                    string p = Path.Combine(folder, shard);
                    if (!File.Exists(p)) throw new CheckpointFormatException($"{index}: shard '{shard}' is listed but missing from {folder}");
                    files.Add(SafeTensorsFile.Open(p));
                }
                var ckpt = new Checkpoint(folder, files);
                ckpt.CheckIndex(index);
                return ckpt;
            }
            if (File.Exists(single))
            {
                files.Add(SafeTensorsFile.Open(single));
                return new Checkpoint(folder, files);
            }
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
        foreach (var pickle in new[] { "pytorch_model.bin", "pytorch_model.bin.index.json", "model.pt", "consolidated.00.pth" })
            if (File.Exists(Path.Combine(folder, pickle)))
                SafeTensorsFile.RefusePickle(Path.Combine(folder, pickle.Replace(".index.json", "")));
        throw new CheckpointFormatException($"{folder}: no model.safetensors or model.safetensors.index.json");
    }

    private static List<string> ReadIndex(string index)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(index));
            if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException($"{index}: missing \"weight_map\" object");
            var shards = new List<string>();
            foreach (var p in map.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String) throw new CheckpointFormatException($"{index}: weight_map['{p.Name}'] is not a file name");
                var f = p.Value.GetString()!;
                if (f.Contains('/') || f.Contains('\\') || f.Contains(".."))
                    throw new CheckpointFormatException($"{index}: weight_map['{p.Name}'] = '{f}' points outside the model folder");
                SafeTensorsFile.RefusePickle(f);
                if (!shards.Contains(f)) shards.Add(f);
            }
            return shards;
        }
        catch (JsonException e) { throw new CheckpointFormatException($"{index}: not valid JSON: {e.Message}"); }
    }

    private void CheckIndex(string index)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(index));
        foreach (var p in doc.RootElement.GetProperty("weight_map").EnumerateObject())
        {
            if (!_map.TryGetValue(p.Name, out var e))
                throw new CheckpointFormatException($"{index}: tensor '{p.Name}' is listed in shard '{p.Value.GetString()}' but that shard does not contain it");
            if (Path.GetFileName(e.File.Path) != p.Value.GetString())
                throw new CheckpointFormatException($"{index}: tensor '{p.Name}' is listed in '{p.Value.GetString()}' but found in '{Path.GetFileName(e.File.Path)}'");
        }
    }

    public void Dispose() { foreach (var f in Files) f.Dispose(); }
}
