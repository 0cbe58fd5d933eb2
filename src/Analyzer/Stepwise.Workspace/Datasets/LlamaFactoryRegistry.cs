using System.Text.Json;

namespace Stepwise.Workspace.Datasets;

/// <summary>One entry of LLaMA-Factory's <c>dataset_info.json</c> (llamafactory/data/parser.py, DatasetAttr).</summary>
public sealed record LlamaFactoryEntry(
    string Name,
    string? FileName = null,
    string? HfHubUrl = null,
    string? MsHubUrl = null,
    string? OmHubUrl = null,
    string? ScriptUrl = null,
    string? CloudFileName = null,
    string? Subset = null,
    string? Split = null,
    string? Folder = null,
    long? NumSamples = null);

/// <summary>A parsed <c>dataset_info.json</c> registry: dataset name -> where its data lives.</summary>
public sealed class LlamaFactoryRegistry
{
    private LlamaFactoryRegistry(string path, IReadOnlyDictionary<string, LlamaFactoryEntry> entries, string? problem)
    {
        Path = path; Entries = entries; Problem = problem;
    }

    public string Path { get; }
    public IReadOnlyDictionary<string, LlamaFactoryEntry> Entries { get; }
    /// <summary>Why the file could not be read as a registry (then <see cref="Entries"/> is empty).</summary>
    public string? Problem { get; }

    /// <summary>A registry is kilobytes (LLaMA-Factory's own lists a few hundred datasets); larger ones are refused.</summary>
    public const long MaxRegistryBytes = 64L * 1024 * 1024;

    public static LlamaFactoryRegistry Read(FileInfo file)
    {
        try
        {
            using var stream = new MemoryStream(RegularFiles.ReadAllBytes(file.FullName, MaxRegistryBytes), writable: false);
            using var doc = JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 64 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                return new LlamaFactoryRegistry(file.FullName, new Dictionary<string, LlamaFactoryEntry>(), "the registry is not a JSON object of dataset entries");
            var entries = new Dictionary<string, LlamaFactoryEntry>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.Object) continue;
                string? S(string key) => p.Value.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                long? N(string key) => p.Value.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;
                entries[p.Name] = new LlamaFactoryEntry(p.Name, S("file_name"), S("hf_hub_url"), S("ms_hub_url"), S("om_hub_url"), S("script_url"),
                    S("cloud_file_name"), S("subset"), S("split"), S("folder"), N("num_samples"));
            }
            return new LlamaFactoryRegistry(file.FullName, entries, null);
        }
        catch (JsonException e)
        {
            return new LlamaFactoryRegistry(file.FullName, new Dictionary<string, LlamaFactoryEntry>(),
                $"dataset_info.json is not valid JSON (line {e.LineNumber + 1}, column {e.BytePositionInLine + 1}): {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new LlamaFactoryRegistry(file.FullName, new Dictionary<string, LlamaFactoryEntry>(), $"cannot read {file.FullName}: {e.Message}");
        }
    }

    /// <summary>The registered name closest to <paramref name="name"/> (for "did you mean"), if any is close.</summary>
    public string? Closest(string name)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var k in Entries.Keys)
        {
            int d = Distance(name.ToLowerInvariant(), k.ToLowerInvariant());
            if (d < bestDistance) { bestDistance = d; best = k; }
        }
        return best is not null && bestDistance <= Math.Max(2, name.Length / 4) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
