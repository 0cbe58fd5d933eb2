using System.Buffers.Binary;
using System.Text.Json;
using Stepwise.Core;
using Stepwise.Core.Keys;
using Stepwise.Core.Model;
using Stepwise.Workspace.Datasets;

namespace Stepwise.Workspace;

/// <summary>
/// Finds what local files say about a config's base model, never over the network: its config.json (model_type,
/// architectures) and, when the weights are there, the names of its modules (from model.safetensors.index.json or the
/// safetensors header). Looked for in the model folder when the model is a local path, in the Hugging Face hub cache
/// (<c>models--ORG--NAME/snapshots/REV/</c>, the revision refs/main names first), and as a config.json beside the
/// training config that declares a model_type.
/// </summary>
public sealed class ModelFiles
{
    private const long MaxHeaderBytes = 64L << 20;
    private readonly HuggingFaceCacheRoots _roots;

    public ModelFiles(HuggingFaceCacheRoots? roots = null) => _roots = roots ?? HuggingFaceCacheRoots.FromEnvironment();

    public static ModelFiles Default { get; } = new();

    /// <summary>The base model of <paramref name="doc"/> as local files describe it, or null; <paramref name="read"/> gets
    /// the files it was read from (so an editor re-checks when they change).</summary>
    public ModelArchitecture? Find(ConfigDocument doc, string? configDir, ICollection<string>? read = null)
    {
        var key = KeyTable.Spelling("model_name_or_path", doc.Dialect);
        var model = doc.FindSet(key)?.Value.AsString()?.Trim();
        string? folder = null;
        if (model is { Length: > 0 })
        {
            folder = LocalFolder(model, configDir) ?? CachedSnapshot(model);
        }
        if (folder is not null && Describe(folder, read) is { } found) return found;
        // A config.json next to the training config (the model's own folder, or one saved beside it for this purpose).
        if (configDir is not null && File.Exists(Path.Combine(configDir, "config.json")))
        {
            var beside = Describe(configDir, read);
            if (beside?.ModelType is not null) return beside;
        }
        return null;
    }

    private static string? LocalFolder(string model, string? configDir)
    {
        if (model.StartsWith('~')) model = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + model[1..];
        foreach (var candidate in Path.IsPathRooted(model) ? new[] { model } :
                     configDir is null ? new[] { Path.GetFullPath(model) } : new[] { Path.GetFullPath(Path.Combine(configDir, model)), Path.GetFullPath(model) })
            if (Directory.Exists(candidate) && File.Exists(Path.Combine(candidate, "config.json"))) return candidate;
        return null;
    }

    /// <summary>huggingface_hub's cache layout: models--ORG--NAME/snapshots/REV, REV from refs/main when present.</summary>
    private string? CachedSnapshot(string model)
    {
        if (!HuggingFaceCache.LooksLikeRepoId(model)) return null;
        var repo = Path.Combine(_roots.HubCache, "models--" + model.Replace("/", "--"));
        var snapshots = Path.Combine(repo, "snapshots");
        if (!Directory.Exists(snapshots)) return null;
        var refMain = Path.Combine(repo, "refs", "main");
        if (File.Exists(refMain))
        {
            var rev = File.ReadAllText(refMain).Trim();
            var pinned = Path.Combine(snapshots, rev);
            if (rev.Length > 0 && File.Exists(Path.Combine(pinned, "config.json"))) return pinned;
        }
        return Directory.EnumerateDirectories(snapshots)
            .Where(d => File.Exists(Path.Combine(d, "config.json")))
            .OrderByDescending(d => Directory.GetLastWriteTimeUtc(d))
            .FirstOrDefault();
    }

    private static ModelArchitecture? Describe(string folder, ICollection<string>? read)
    {
        var configPath = Path.Combine(folder, "config.json");
        string? modelType = null;
        var architectures = new List<string>();
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(configPath), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            if (json.RootElement.ValueKind != JsonValueKind.Object) return null;
            if (json.RootElement.TryGetProperty("model_type", out var mt) && mt.ValueKind == JsonValueKind.String) modelType = mt.GetString();
            if (json.RootElement.TryGetProperty("architectures", out var a) && a.ValueKind == JsonValueKind.Array)
                foreach (var x in a.EnumerateArray()) if (x.ValueKind == JsonValueKind.String) architectures.Add(x.GetString()!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException) { return null; }
        read?.Add(configPath);
        return new ModelArchitecture($"config.json in {folder}") { ModelType = modelType, Architectures = architectures, Modules = Modules(folder, read) };
    }

    /// <summary>Module names (a parameter's name without its last part) from the safetensors index or single file header.</summary>
    private static IReadOnlyList<string>? Modules(string folder, ICollection<string>? read)
    {
        IEnumerable<string>? weights = null;
        try
        {
            var index = Path.Combine(folder, "model.safetensors.index.json");
            var single = Path.Combine(folder, "model.safetensors");
            if (File.Exists(index))
            {
                using var json = JsonDocument.Parse(File.ReadAllBytes(index));
                if (json.RootElement.TryGetProperty("weight_map", out var map) && map.ValueKind == JsonValueKind.Object)
                    weights = map.EnumerateObject().Select(p => p.Name).ToList();
                read?.Add(index);
            }
            else if (File.Exists(single))
            {
                weights = SafeTensorsHeaderNames(single);
                read?.Add(single);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidDataException) { return null; }
        if (weights is null) return null;
        var modules = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var w in weights)
        {
            // bitsandbytes checkpoints add parts after the weight ("q_proj.weight.absmax"): the module ends before ".weight".
            int cut = w.IndexOf(".weight.", StringComparison.Ordinal);
            var name = cut > 0 ? w[..cut] : w.LastIndexOf('.') is var dot and > 0 ? w[..dot] : null;
            if (name is not null) modules.Add(name);
        }
        return modules.Count == 0 ? null : modules.ToList();
    }

    /// <summary>Tensor names from a safetensors file: an 8-byte little-endian header length, then a JSON header.</summary>
    private static IReadOnlyList<string> SafeTensorsHeaderNames(string path)
    {
        using var f = File.OpenRead(path);
        Span<byte> len = stackalloc byte[8];
        f.ReadExactly(len);
        long n = BinaryPrimitives.ReadInt64LittleEndian(len);
        if (n <= 0 || n > MaxHeaderBytes || n > f.Length - 8) throw new InvalidDataException("not a safetensors header");
        var header = new byte[n];
        f.ReadExactly(header);
        using var json = JsonDocument.Parse(header);
        return json.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__").Select(p => p.Name).ToList();
    }
}
