using System.Text.Json;

namespace Stepwise.Workspace.Datasets;

/// <summary>Where the Hugging Face caches live. Injectable so tests (and editors) need not touch the environment.</summary>
public sealed record HuggingFaceCacheRoots(string DatasetsCache, string HubCache)
{
    /// <summary>
    /// datasets: $HF_DATASETS_CACHE, else $HF_HOME/datasets; hub: $HF_HUB_CACHE (or the older $HUGGINGFACE_HUB_CACHE),
    /// else $HF_HOME/hub; $HF_HOME defaults to $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface
    /// (datasets/config.py, huggingface_hub/constants.py).
    /// </summary>
    public static HuggingFaceCacheRoots FromEnvironment(Func<string, string?>? environment = null)
    {
        var env = environment ?? Environment.GetEnvironmentVariable;
        string? Get(string k) => env(k) is { Length: > 0 } v ? Expand(v) : null;
        string home = Get("HF_HOME")
            ?? Path.Combine(Get("XDG_CACHE_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "huggingface");
        return new HuggingFaceCacheRoots(
            Get("HF_DATASETS_CACHE") ?? Path.Combine(home, "datasets"),
            Get("HF_HUB_CACHE") ?? Get("HUGGINGFACE_HUB_CACHE") ?? Path.Combine(home, "hub"));
    }

    private static string Expand(string p) =>
        p.StartsWith('~') ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + p[1..] : p;
}

/// <summary>
/// Finds a hub dataset's size in the local caches, never over the network. First the datasets cache that
/// <c>load_dataset</c> fills (<c>&lt;namespace&gt;___&lt;name&gt;/&lt;config&gt;/&lt;version&gt;/&lt;hash&gt;/dataset_info.json</c>,
/// <c>splits.&lt;split&gt;.num_examples</c>, else the split's .arrow files), then the hub cache's downloaded files
/// (<c>datasets--&lt;namespace&gt;--&lt;name&gt;/snapshots/&lt;rev&gt;/...</c>), counted like a local folder.
/// </summary>
public sealed class HuggingFaceCache
{
    private readonly RecordCounter _counter;
    private readonly FileStampCache<DatasetInfo?> _infos;

    public HuggingFaceCache(HuggingFaceCacheRoots roots, RecordCounter counter, FileStampCache<DatasetInfo?>? infoCache = null)
    {
        Roots = roots;
        _counter = counter;
        _infos = infoCache ?? new FileStampCache<DatasetInfo?>(1024);
    }

    public HuggingFaceCacheRoots Roots { get; }

    /// <summary>The parts of a dataset_info.json we use: split sizes.</summary>
    public sealed record DatasetInfo(IReadOnlyDictionary<string, long> Splits);

    public static bool LooksLikeRepoId(string name)
    {
        if (name.Length == 0 || name.Length > 200 || name.StartsWith('.') || name.StartsWith('/') || name.Contains('\\')) return false;
        var parts = name.Split('/');
        if (parts.Length > 2) return false;
        return parts.All(p => p.Length > 0 && p.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
               && !parts.Any(p => p is "." or "..");
    }

    /// <summary>Rows of <paramref name="split"/> (an expression) of hub dataset <paramref name="repoId"/>, or why unknown.</summary>
    public CountResult Lookup(string repoId, string? config, string split, string? dataFiles = null, string? dataDir = null,
        CancellationToken cancellationToken = default)
    {
        var fromDatasets = LookupDatasetsCache(repoId, config, split, dataFiles, dataDir, cancellationToken);
        if (fromDatasets.Rows is not null) return fromDatasets;
        var fromHub = LookupHubCache(repoId, config, split, dataFiles, dataDir, cancellationToken);
        if (fromHub.Rows is not null) return fromHub;
        // Both missed: say what each said (a cached-but-broken entry is more telling than "not cached").
        string why = fromDatasets.Problem == NotCached && fromHub.Problem == NotCached
            ? $"'{repoId}' is not in the local Hugging Face caches ({Roots.DatasetsCache}, {Roots.HubCache}); load it once (datasets.load_dataset) or state the size"
            : string.Join("; ", new[] { fromDatasets.Problem, fromHub.Problem }.Where(p => p is not null && p != NotCached));
        return CountResult.Fail(why);
    }

    private const string NotCached = "not cached";

    private CountResult LookupDatasetsCache(string repoId, string? config, string split, string? dataFiles, string? dataDir, CancellationToken ct)
    {
        var (configDir, problem) = FindConfig(repoId, config, customized: dataFiles is { Length: > 0 } || dataDir is { Length: > 0 });
        if (configDir is null) return CountResult.Fail(problem!);

        var versions = SafeDirectories(configDir)
            .Select(d => (Dir: d, Version: Version.TryParse(Path.GetFileName(d), out var v) ? v : null))
            .Where(x => x.Version is not null).OrderByDescending(x => x.Version).ToList();
        if (versions.Count == 0) return CountResult.Fail($"'{repoId}': no version folder in {configDir}");
        var builds = SafeDirectories(versions[0].Dir)
            .Select(d => new FileInfo(Path.Combine(d, "dataset_info.json")))
            .Where(f => f.Exists).OrderByDescending(f => f.LastWriteTimeUtc).ToList();
        if (builds.Count == 0) return CountResult.Fail($"'{repoId}': no dataset_info.json under {versions[0].Dir} (an interrupted download?)");
        var infoFile = builds[0];
        var info = _infos.GetOrAdd(infoFile, ReadInfo);
        string buildDir = infoFile.DirectoryName!;
        string where = $"{Path.GetFileName(configDir)}/{Path.GetFileName(versions[0].Dir)}";

        var arrowCounts = new Dictionary<string, long?>();
        long? RowsOf(string name)
        {
            if (info?.Splits.TryGetValue(name, out var n) == true) return n;
            // No size in dataset_info.json: the split's Arrow files hold the truth.
            if (!arrowCounts.TryGetValue(name, out var c))
            {
                var files = SafeFiles(buildDir).Where(f => IsArrowOfSplit(Path.GetFileName(f), name)).ToList();
                c = files.Count == 0 ? null : _counter.CountFiles(files, name, ct).Rows;
                arrowCounts[name] = c;
            }
            return c;
        }

        if (!Splits.TryApply(split, RowsOf, out long rows, out var splitProblem))
        {
            var known = info?.Splits.Keys.ToList() ?? new List<string>();
            return CountResult.Fail($"'{repoId}' ({where} in the datasets cache): {splitProblem}{(known.Count > 0 ? $" (splits: {string.Join(", ", known)})" : "")}");
        }
        string note = builds.Count > 1 ? $", newest of {builds.Count} cached builds" : "";
        string source = info?.Splits.Count > 0 ? "dataset_info.json" : "Arrow files";
        return new CountResult(rows, $"{repoId} [{split}]: {RecordCounter.Num(rows)} {RecordCounter.Records(rows)} (Hugging Face datasets cache, {where}, {source}{note})", null, Array.Empty<FileCount>());
    }

    private (string? ConfigDir, string? Problem) FindConfig(string repoId, string? config, bool customized)
    {
        string? dir = FindChild(Roots.DatasetsCache, repoId.Replace("/", "___"));
        if (dir is null && !repoId.Contains('/'))
        {
            // A canonical name without its namespace ("imdb" for "stanfordnlp/imdb").
            var any = SafeDirectories(Roots.DatasetsCache).Where(d => Path.GetFileName(d).EndsWith("___" + repoId, StringComparison.OrdinalIgnoreCase)).ToList();
            if (any.Count == 1) dir = any[0];
        }
        if (dir is null)
        {
            // datasets before 2.14 kept hub data under the packaged builder: parquet/<namespace>--<name>-<hash>/0.0.0/<hash>.
            if (config is not null && config != "default") return (null, NotCached);
            string prefix = repoId.Replace("/", "--") + "-";
            var old = new[] { "parquet", "json", "csv", "text", "arrow" }
                .SelectMany(b => SafeDirectories(Path.Combine(Roots.DatasetsCache, b)))
                .Where(d => Path.GetFileName(d).StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList();
            if (old.Count == 1) return (old[0], null);
            if (old.Count > 1) return (null, $"{old.Count} cached builds of '{repoId}' in the old datasets cache layout ({string.Join(", ", old.Select(Path.GetFileName))}); state the size");
            return (null, NotCached);
        }

        var configs = SafeDirectories(dir).Where(d => !Path.GetFileName(d).StartsWith('.')).ToList();
        string wanted = config ?? "default";
        // Building with data_files/data_dir adds a hash of them to the config id ("default-1a2b3c..."), so the plain
        // folder is another build. A hashed one is usable only when there is exactly one, as we cannot recompute the hash.
        string? configDir = customized ? null : configs.FirstOrDefault(d => string.Equals(Path.GetFileName(d), wanted, StringComparison.OrdinalIgnoreCase));
        if (configDir is not null) return (configDir, null);
        var variants = configs.Where(d => Path.GetFileName(d).StartsWith(wanted + "-", StringComparison.OrdinalIgnoreCase)).ToList();
        if (variants.Count == 1) return (variants[0], null);
        if (variants.Count > 1)
            return (null, $"{variants.Count} cached builds of '{repoId}' config '{wanted}' (with different data_files or data_dir) in {dir}; state the size");
        if (config is null && !customized && configs.Count == 1) return (configs[0], null);
        return (null, configs.Count == 0
            ? $"'{repoId}' has an empty folder in the datasets cache ({dir})"
            : $"'{repoId}' is cached without config '{wanted}' (cached: {string.Join(", ", configs.Select(Path.GetFileName))}); name the config (axolotl 'name:', LLaMA-Factory 'subset')");
    }

    private static bool IsArrowOfSplit(string fileName, string split) =>
        fileName.EndsWith($"-{split}.arrow", StringComparison.Ordinal)
        || System.Text.RegularExpressions.Regex.IsMatch(fileName, $@"-{System.Text.RegularExpressions.Regex.Escape(split)}-\d{{5}}-of-\d{{5}}\.arrow$");

    private static DatasetInfo? ReadInfo(FileInfo file)
    {
        try
        {
            using var stream = new MemoryStream(RegularFiles.ReadAllBytes(file.FullName, 64L * 1024 * 1024), writable: false);
            using var doc = JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            var splits = new Dictionary<string, long>(StringComparer.Ordinal);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("splits", out var s) && s.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in s.EnumerateObject())
                    if (p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("num_examples", out var n) && n.TryGetInt64(out var v))
                        splits[p.Name] = v;
            }
            return new DatasetInfo(splits);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    private CountResult LookupHubCache(string repoId, string? config, string split, string? dataFiles, string? dataDir, CancellationToken ct)
    {
        string? repoDir = FindChild(Roots.HubCache, "datasets--" + repoId.Replace("/", "--"));
        if (repoDir is null) return CountResult.Fail(NotCached);
        string? snapshot = null;
        try
        {
            var main = Path.Combine(repoDir, "refs", "main");
            if (File.Exists(main))
            {
                var sha = RegularFiles.ReadSmallText(main)?.Trim() ?? "";
                var candidate = Path.Combine(repoDir, "snapshots", sha);
                if (sha.Length > 0 && Directory.Exists(candidate)) snapshot = candidate;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        snapshot ??= SafeDirectories(Path.Combine(repoDir, "snapshots")).OrderByDescending(Directory.GetLastWriteTimeUtc).FirstOrDefault();
        if (snapshot is null) return CountResult.Fail($"'{repoId}': no snapshot in the hub cache ({repoDir})");

        string baseDir = dataDir is { Length: > 0 } ? Path.Combine(snapshot, dataDir) : snapshot;
        string label = $"{repoId} (Hugging Face hub cache, revision {Path.GetFileName(snapshot)[..Math.Min(8, Path.GetFileName(snapshot).Length)]})";
        if (dataFiles is { Length: > 0 })
        {
            var c = _counter.CountPath(dataFiles, baseDir, ct);
            if (c.Rows is null && c.Files.Count == 0) return CountResult.Fail($"'{repoId}': data_files '{dataFiles}' in the hub cache snapshot {snapshot}: {c.Problem}");
            return WithSplit(c with { Detail = $"{label}: {c.Detail}" }, split, label, "train");
        }
        if (config is not null && config != "default")
            return CountResult.Fail($"'{repoId}' is in the hub cache but config '{config}' is defined by the dataset card, which is not read; state the size");
        return CountFolderBySplit(baseDir, split, label, ct);
    }

    /// <summary>
    /// A folder of data files as <c>load_dataset(folder)</c> reads it: files assigned to splits by their names
    /// (<see cref="Splits.Assign"/>), then the split expression applied.
    /// </summary>
    public CountResult CountFolderBySplit(string baseDir, string split, string label, CancellationToken ct = default)
    {
        var all = _counter.FolderFiles(baseDir, recursive: true, out var problem);
        if (problem is not null) return CountResult.Fail(problem);
        if (all.Count == 0) return CountResult.Fail($"{label}: no data files (.jsonl .json .csv .tsv .parquet .txt .arrow) in {baseDir}");
        var bySplit = Splits.Assign(all.Select(f => Path.GetRelativePath(baseDir, f)));
        var counts = new Dictionary<string, CountResult>();
        long? RowsOf(string name)
        {
            if (!bySplit.TryGetValue(name, out var rel)) return null;
            if (!counts.TryGetValue(name, out var c)) counts[name] = c = _counter.CountFiles(rel.Select(r => Path.Combine(baseDir, r)).ToList(), name, ct);
            return c.Rows;
        }
        if (!Splits.TryApply(split, RowsOf, out long rows, out var why))
        {
            var failed = counts.Values.FirstOrDefault(c => c.Rows is null);
            return CountResult.Fail(failed?.Problem ?? $"{label}: {why} (splits by file name: {string.Join(", ", bySplit.Keys)})");
        }
        var files = counts.Values.SelectMany(c => c.Files).ToList();
        string which = files.Count == 1 ? files[0].Name : $"{files.Count} files";
        return new CountResult(rows, $"{label} [{split}]: {RecordCounter.Num(rows)} {RecordCounter.Records(rows)} ({which})", null, files);
    }

    /// <summary>Applies a split expression to files that all belong to one split (plain data files are "train").</summary>
    internal static CountResult WithSplit(CountResult files, string split, string label, string filesSplit)
    {
        if (files.Rows is not long n) return files;
        if (!Splits.TryApply(split, s => s == filesSplit ? n : null, out long rows, out var problem))
            return CountResult.Fail($"{label}: {problem} (data files given directly are all split '{filesSplit}')");
        if (Splits.Names(split) is [var only] && only == split.Trim()) return files;
        return files with { Rows = rows, Detail = $"{files.Detail}, split {split}: {RecordCounter.Num(rows)}" };
    }

    private static string? FindChild(string parent, string name)
    {
        var exact = Path.Combine(parent, name);
        if (Directory.Exists(exact)) return exact;
        // Some datasets releases lower-case the folder name; match case-insensitively.
        return SafeDirectories(parent).FirstOrDefault(d => string.Equals(Path.GetFileName(d), name, StringComparison.OrdinalIgnoreCase));
    }

    private static IEnumerable<string> SafeDirectories(string dir)
    {
        try { return Directory.Exists(dir) ? Directory.GetDirectories(dir) : Array.Empty<string>(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Array.Empty<string>(); }
    }

    private static IEnumerable<string> SafeFiles(string dir)
    {
        try { return Directory.Exists(dir) ? Directory.GetFiles(dir) : Array.Empty<string>(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Array.Empty<string>(); }
    }
}
