using Stepwise.Core.Model;

namespace Stepwise.Workspace.Datasets;

public sealed record DatasetResolverOptions
{
    /// <summary>Hugging Face cache folders; null reads them from the environment (HF_DATASETS_CACHE, HF_HOME, ...).</summary>
    public HuggingFaceCacheRoots? CacheRoots { get; init; }
    /// <summary>The training job's working directory (relative dataset paths fall back to it); null = the current directory.</summary>
    public string? WorkingDirectory { get; init; }
    /// <summary>Counter and its cache; null = <see cref="RecordCounter.Shared"/>.</summary>
    public RecordCounter? Counter { get; init; }
}

/// <summary>
/// Resolves a config's <see cref="DatasetReference"/> to a number of records, from local files, the LLaMA-Factory
/// registry or the local Hugging Face caches. Never guesses and never throws for bad data: an unknown size comes
/// back as <see cref="ResolvedDataset.Problem"/> saying why (SW1005 then tells the user how to state it).
/// The size is the raw split size: max_samples, val_size and val_set_size are applied by the engine.
/// </summary>
public sealed class DatasetResolver
{
    private static readonly Lazy<DatasetResolver> LazyDefault = new(() => new DatasetResolver());
    private readonly FileStampCache<LlamaFactoryRegistry> _registries = new(256);
    private readonly string? _workingDirectory;

    public DatasetResolver(DatasetResolverOptions? options = null)
    {
        options ??= new DatasetResolverOptions();
        Counter = options.Counter ?? RecordCounter.Shared;
        HubCache = new HuggingFaceCache(options.CacheRoots ?? HuggingFaceCacheRoots.FromEnvironment(), Counter);
        _workingDirectory = options.WorkingDirectory;
    }

    /// <summary>A resolver over the environment's caches and the shared counter.</summary>
    public static DatasetResolver Default => LazyDefault.Value;

    public RecordCounter Counter { get; }
    public HuggingFaceCache HubCache { get; }

    public IReadOnlyList<ResolvedDataset> ResolveAll(IEnumerable<DatasetReference> references, string? configDirectory, CancellationToken cancellationToken = default) =>
        references.Select(r => Resolve(r, configDirectory, cancellationToken)).ToList();

    /// <summary>
    /// Rows of one dataset reference. <paramref name="configDirectory"/> is the folder of the config that names it
    /// (relative paths are tried there first, then in the working directory). Only cancellation throws.
    /// </summary>
    public ResolvedDataset Resolve(DatasetReference reference, string? configDirectory, CancellationToken cancellationToken = default)
    {
        var touched = new List<string>();
        try
        {
            var result = reference.Kind switch
            {
                DatasetSourceKind.LlamaFactoryRegistry => ResolveRegistry(reference, configDirectory, touched, cancellationToken),
                _ => ResolvePathOrHub(reference, configDirectory, cancellationToken),
            };
            // What the answer was read from (a registry even when the name is missing in it): editors watch these.
            var files = touched.Concat(result.Files.Select(f => f.Path)).Distinct(StringComparer.Ordinal).ToList();
            return result.Rows is long n
                ? new ResolvedDataset(reference, n, result.Detail) { Files = files }
                : ResolvedDataset.Unknown(reference, result.Problem ?? result.Detail) with { Files = files };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { throw; }
        catch (Exception e)
        {
            // A bug of ours must not take the check down: report it as an unknown size.
            return ResolvedDataset.Unknown(reference, $"could not count '{reference.Name}' ({e.GetType().Name}: {e.Message})");
        }
    }

    private string WorkingDirectory => _workingDirectory ?? Environment.CurrentDirectory;

    private IReadOnlyList<string> Bases(string? configDirectory) =>
        new[] { configDirectory, WorkingDirectory }.Where(d => !string.IsNullOrEmpty(d)).Select(d => Path.GetFullPath(d!)).Distinct().ToList();

    private CountResult ResolvePathOrHub(DatasetReference r, string? configDirectory, CancellationToken ct)
    {
        string name = r.Name.Trim();
        string split = string.IsNullOrWhiteSpace(r.Split) ? "train" : r.Split.Trim();
        if (name.Length == 0) return CountResult.Fail("the dataset path is empty");
        var bases = Bases(configDirectory);

        if (name.Contains("://", StringComparison.Ordinal))
            return CountResult.Fail($"'{name}' is a remote URL; it is not downloaded to count it: state the size");

        // load_dataset("json", data_files=...): the files are local paths.
        if (DataFormats.IsBuilderName(name))
        {
            if (r.DataFiles is not { Length: > 0 } df) return CountResult.Fail($"'{name}' names a file format but no data_files are given");
            foreach (var b in bases)
            {
                var c = Counter.CountPath(df, b, ct);
                if (c.Rows is not null || c.Files.Count > 0) return HuggingFaceCache.WithSplit(c, split, df, "train");
            }
            return CountResult.Fail($"data_files '{df}' not found (looked in {string.Join(", ", bases)})");
        }

        foreach (var b in bases)
        {
            string full = Path.IsPathRooted(name) ? name : Path.Combine(b, name);
            if (Glob.HasWildcards(name))
            {
                var c = Counter.CountPath(name, b, ct);
                if (c.Rows is not null || c.Files.Count > 0) return HuggingFaceCache.WithSplit(c, split, name, "train");
                continue;
            }
            if (File.Exists(full)) return HuggingFaceCache.WithSplit(Counter.CountPath(full, b, ct), split, name, "train");
            if (Directory.Exists(full)) return ResolveFolder(full, name, r.DataFiles, split, ct);
            if (Path.IsPathRooted(name)) break;
        }

        string looked = $"no file or folder '{name}' (looked in {string.Join(", ", bases)})";
        if (DataFormats.FromPath(name) is not null || !HuggingFaceCache.LooksLikeRepoId(name))
            return CountResult.Fail(looked);
        var hub = HubCache.Lookup(name, r.Subset, split, r.DataFiles, null, ct);
        return hub.Rows is not null ? hub : CountResult.Fail($"{hub.Problem} ({looked})");
    }

    /// <summary>A local dataset folder: a save_to_disk folder, data_files inside it, or data files split by name.</summary>
    private CountResult ResolveFolder(string dir, string label, string? dataFiles, string split, CancellationToken ct)
    {
        // DatasetDict.save_to_disk: one sub-folder per split, listed in dataset_dict.json.
        if (File.Exists(Path.Combine(dir, "dataset_dict.json")))
        {
            var perSplit = new Dictionary<string, CountResult>();
            long? RowsOf(string s)
            {
                var sub = Path.Combine(dir, s);
                if (!Directory.Exists(sub)) return null;
                if (!perSplit.TryGetValue(s, out var c))
                    perSplit[s] = c = Counter.CountFiles(Directory.GetFiles(sub, "*.arrow").OrderBy(f => f, StringComparer.Ordinal).ToList(), s, ct);
                return c.Rows;
            }
            if (!Splits.TryApply(split, RowsOf, out long rows, out var problem))
                return CountResult.Fail(perSplit.Values.FirstOrDefault(c => c.Rows is null)?.Problem ?? $"{label} (save_to_disk DatasetDict): {problem}");
            return new CountResult(rows, $"{label} [{split}]: {RecordCounter.Num(rows)} {RecordCounter.Records(rows)} (save_to_disk DatasetDict, Arrow)", null,
                perSplit.Values.SelectMany(c => c.Files).ToList());
        }
        // Dataset.save_to_disk: state.json and the Arrow shards; there is no split to choose.
        if (File.Exists(Path.Combine(dir, "state.json")))
        {
            var arrows = Directory.GetFiles(dir, "*.arrow").OrderBy(f => f, StringComparer.Ordinal).ToList();
            if (arrows.Count == 0) return CountResult.Fail($"{label}: a save_to_disk folder without .arrow files");
            var c = Counter.CountFiles(arrows, label.TrimEnd('/') + "/", ct);
            return c.Rows is long n ? c with { Detail = $"{label}: {RecordCounter.Num(n)} {RecordCounter.Records(n)} (save_to_disk Dataset, {arrows.Count} Arrow file(s))" } : c;
        }
        if (dataFiles is { Length: > 0 })
            return HuggingFaceCache.WithSplit(Counter.CountPath(dataFiles, dir, ct), split, dataFiles, "train");
        return HubCache.CountFolderBySplit(dir, split, label.TrimEnd('/') + "/", ct);
    }

    private CountResult ResolveRegistry(DatasetReference r, string? configDirectory, List<string> touched, CancellationToken ct)
    {
        string dirSpec = string.IsNullOrWhiteSpace(r.DatasetDir) ? "data" : r.DatasetDir.Trim();
        string name = r.Name.Trim();
        // llamafactory/data/parser.py get_dataset_list: "ONLINE" means names are hub ids, "REMOTE:<repo>" a registry on the hub.
        if (dirSpec == "ONLINE")
            return HubCache.Lookup(name, null, "train", null, null, ct);
        if (dirSpec.StartsWith("REMOTE:", StringComparison.Ordinal))
            return CountResult.Fail($"dataset_dir '{dirSpec}' is a registry on the hub, which is not fetched to count '{name}': state the size");

        var searched = new List<string>();
        FileInfo? registryFile = null;
        foreach (var dir in RegistryCandidates(dirSpec, configDirectory))
        {
            searched.Add(dir);
            var f = new FileInfo(Path.Combine(dir, "dataset_info.json"));
            if (f.Exists) { registryFile = f; break; }
        }
        if (registryFile is null)
            return CountResult.Fail($"no {Path.Combine(dirSpec, "dataset_info.json")} found for dataset '{name}' (looked in {string.Join(", ", searched.Distinct().Take(4))}{(searched.Count > 4 ? ", ..." : "")}); set dataset_dir or run from the LLaMA-Factory folder");

        touched.Add(registryFile.FullName);
        var registry = _registries.GetOrAdd(registryFile, LlamaFactoryRegistry.Read);
        if (registry.Problem is not null) return CountResult.Fail($"{registry.Path}: {registry.Problem}");
        if (!registry.Entries.TryGetValue(name, out var entry))
        {
            var close = registry.Closest(name);
            return CountResult.Fail($"'{name}' is not registered in {registry.Path} ({registry.Entries.Count} entries){(close is null ? "" : $"; did you mean '{close}'?")}");
        }

        string datasetDir = registryFile.DirectoryName!;
        string split = string.IsNullOrWhiteSpace(entry.Split) ? "train" : entry.Split.Trim();
        CountResult result;
        if (entry.FileName is { Length: > 0 } fileName)
        {
            string full = Path.Combine(datasetDir, fileName);
            if (Directory.Exists(full))
            {
                // loader.py: every file in the folder (not recursive) is a data file of the dataset.
                var files = Counter.FolderFiles(full, recursive: false, out var problem);
                if (problem is not null) return CountResult.Fail(problem);
                if (files.Count == 0) return CountResult.Fail($"{fileName}: folder holds no data file (registered as '{name}' in {registry.Path})");
                result = Counter.CountFiles(files, fileName.TrimEnd('/') + "/", ct);
            }
            else if (File.Exists(full)) result = Counter.CountFiles([full], fileName, ct);
            else return CountResult.Fail($"{fileName}: file not found in {datasetDir} (registered as '{name}' in dataset_info.json)");
            result = HuggingFaceCache.WithSplit(result, split, fileName, "train");
        }
        else if (entry.HfHubUrl is { Length: > 0 } hub)
            result = HubCache.Lookup(hub, entry.Subset, split, null, entry.Folder, ct);
        else if (entry.MsHubUrl is not null || entry.OmHubUrl is not null)
            return CountResult.Fail($"'{name}' is registered only on {(entry.MsHubUrl is not null ? "ModelScope" : "Modelers")} ({entry.MsHubUrl ?? entry.OmHubUrl}), whose cache is not read: state the size");
        else if (entry.ScriptUrl is not null)
            return CountResult.Fail($"'{name}' is built by a loading script ({entry.ScriptUrl}), which is not run to count it: state the size");
        else if (entry.CloudFileName is not null)
            return CountResult.Fail($"'{name}' lives in cloud storage ({entry.CloudFileName}), which is not fetched: state the size");
        else
            return CountResult.Fail($"'{name}' in {registry.Path} names no file_name, hf_hub_url, ms_hub_url or script_url");

        if (result.Rows is null) return result;
        // loader.py _load_single_dataset: num_samples draws exactly that many (repeating examples when it is larger).
        if (entry.NumSamples is long k && k >= 0)
            return result with { Rows = k, Detail = $"{result.Detail}, sampled to num_samples {RecordCounter.Num(k)}" };
        return result;
    }

    /// <summary>dataset_dir as LLaMA-Factory sees it (relative to where llamafactory-cli runs): beside the config and
    /// in each folder above it (configs live in a checkout's examples/ and run from its root), then the working directory.</summary>
    private IEnumerable<string> RegistryCandidates(string dirSpec, string? configDirectory)
    {
        if (Path.IsPathRooted(dirSpec)) { yield return dirSpec; yield break; }
        if (!string.IsNullOrEmpty(configDirectory))
        {
            for (var d = new DirectoryInfo(Path.GetFullPath(configDirectory)); d is not null; d = d.Parent)
                yield return Path.Combine(d.FullName, dirSpec);
        }
        yield return Path.Combine(WorkingDirectory, dirSpec);
    }
}
