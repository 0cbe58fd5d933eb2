using Stepwise.Core;
using Stepwise.Core.Model;
using Stepwise.Readers;

namespace Stepwise.Workspace;

/// <summary>Settings of the shell around the engine.</summary>
public sealed record WorkspaceOptions
{
    public AnalysisOptions Analysis { get; init; } = new();
    /// <summary>Compare with the committed version (SW1003).</summary>
    public bool UseGit { get; init; } = true;
    /// <summary>An accelerate config to take the world size from; null = the default location if it exists.</summary>
    public string? AccelerateConfig { get; init; }
    /// <summary>Look at ~/.cache/huggingface/accelerate/default_config.yaml when no accelerate config is given.</summary>
    public bool UseDefaultAccelerateConfig { get; init; } = true;
    /// <summary>Where to look for cached base models (config.json, weight names); null = the environment's HF cache.</summary>
    public Datasets.HuggingFaceCacheRoots? ModelCache { get; init; }
    /// <summary>The folder the training job runs from: relative paths a config names (`deepspeed: deepspeed_configs/zero2.json`
    /// in axolotl's examples, datasets) are tried next to the config, then here. Null = the current directory.</summary>
    public string? WorkingDirectory { get; init; }
    /// <summary>How token lengths are counted for configs whose steps depend on them (packing, length filters).</summary>
    public TokenCountMode TokenCounting { get; init; } = TokenCountMode.Inline;
    /// <summary>Background mode: called with a count that is not cached yet; the shell runs it (TokenCounter.Count) and
    /// analyses again when it is done. Until then the result says the tokens are being counted.</summary>
    public Action<Tokens.TokenJob>? StartTokenCount { get; init; }
    /// <summary>The token counter (and its cache); null = one per checker over <see cref="ModelCache"/>.</summary>
    public Tokens.TokenCounter? TokenCounter { get; init; }
}

/// <summary>When the token lengths a packed run needs are counted.</summary>
public enum TokenCountMode
{
    /// <summary>Before the result (the CLI): a cache miss is counted on the spot.</summary>
    Inline,
    /// <summary>Never blocking (the language server): a cache miss is handed to WorkspaceOptions.StartTokenCount.</summary>
    Background,
    /// <summary>Not counted: packed runs stay unknown.</summary>
    Off,
}

/// <summary>One configuration of a file and what the engine said about it.</summary>
public sealed record ConfigAnalysis(ConfigDocument Document, AnalysisResult Result);

/// <summary>A file: its configurations, or why it could not be read. <see cref="Watched"/> lists the files the result depends on.</summary>
public sealed record FileAnalysis(string Path, string? Text, IReadOnlyList<ConfigAnalysis> Configs, string? Error, IReadOnlyList<string> Watched)
{
    public bool IsConfig => Configs.Any(c => c.Document.Dialect != Dialect.Unknown || c.Document.Problems.Count > 0);
    public Dialect Dialect => Configs.Count > 0 ? Configs[0].Document.Dialect : Dialect.Unknown;
}

/// <summary>
/// Reads a config, follows what it references (DeepSpeed JSON, accelerate config, datasets, the committed version),
/// and runs the engine. The one entry point the CLI, the language server and the trainer use.
/// </summary>
public sealed class ConfigChecker
{
    public delegate ResolvedDataset DatasetResolution(DatasetReference reference, string? configDirectory);

    private readonly DatasetResolution _resolve;
    private readonly GitHistory _git = new();
    private readonly Versions.VersionDetector _versions = new();
    private readonly Recipes.ArgumentDataclasses _dataclasses = new();

    public ConfigChecker(WorkspaceOptions? options = null, DatasetResolution? resolveDataset = null)
    {
        Options = options ?? new WorkspaceOptions();
        _resolve = resolveDataset ?? DefaultResolver(Options.WorkingDirectory);
        _models = Options.ModelCache is { } roots ? new ModelFiles(roots) : ModelFiles.Default;
        _tokens = Options.TokenCounter ?? (Options.ModelCache is { } r ? new Tokens.TokenCounter(r) : Tokens.TokenCounter.Default);
    }

    private readonly Tokens.TokenCounter _tokens;

    /// <summary>The token counter this analyzer uses (its cache is what a background count fills).</summary>
    public Tokens.TokenCounter TokenCounts => _tokens;

    private readonly ModelFiles _models;

    public WorkspaceOptions Options { get; }

    private static DatasetResolution DefaultResolver(string? workingDirectory)
    {
        var resolver = workingDirectory is null ? Datasets.DatasetResolver.Default
            : new Datasets.DatasetResolver(new Datasets.DatasetResolverOptions { WorkingDirectory = workingDirectory });
        return (r, dir) => resolver.Resolve(r, dir);
    }

    public FileAnalysis AnalyzeFile(string path)
    {
        var (text, error) = TextFiles.Read(path);
        if (text is null) return new FileAnalysis(path, null, Array.Empty<ConfigAnalysis>(), error, Array.Empty<string>());
        return AnalyzeText(path, text);
    }

    /// <summary>Analyses an in-memory text (an editor buffer) as if it were the file at <paramref name="path"/>.</summary>
    public FileAnalysis AnalyzeText(string path, string text, WorkspaceOptions? options = null)
    {
        options ??= Options;
        var docs = ConfigReaders.Read(text, path);
        var watched = new List<string>();
        var results = new List<ConfigAnalysis>();
        string? dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));

        ConfigDocument? previous = null;
        bool previousLoaded = false;

        for (int index = 0; index < docs.Count; index++)
        {
            var doc = docs[index];
            if (doc.Dialect is Dialect.Unknown or Dialect.DeepSpeed or Dialect.Accelerate)
            {
                // Not a training config (or a referenced kind of file checked on its own): only read problems.
                results.Add(new ConfigAnalysis(doc, Engine.Analyze(new AnalysisInputs(doc), options.Analysis)));
                continue;
            }

            var problems = new List<ReadProblem>();
            var deepSpeed = LoadReference(doc, "deepspeed", dir, options.WorkingDirectory, problems, watched);
            var accelerate = LoadAccelerate(doc, dir, options, problems, watched);

            var resolved = SetupBuilder.DatasetReferences(doc).Select(r => SafeResolve(r, dir)).ToList();
            watched.AddRange(DatasetFiles(resolved));

            if (options.UseGit && !previousLoaded)
            {
                previousLoaded = true;
                var committed = _git.CommittedText(path);
                if (committed is not null && committed != text)
                {
                    var prevDocs = ConfigReaders.Read(committed, path);
                    previous = prevDocs.Count == docs.Count ? prevDocs[index] : prevDocs.FirstOrDefault();
                }
            }

            ModelArchitecture? model = null;
            try { model = _models.Find(doc, dir, watched); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { model = null; }

            var (lengths, lengthsNote, lengthsStatus) = TokenLengthsFor(doc, resolved, deepSpeed, accelerate, dir, options, watched);

            var inputs = new AnalysisInputs(doc)
            {
                TokenLengths = lengths,
                TokenLengthsNote = lengthsNote,
                TokenLengthsStatus = lengthsStatus,
                Model = model,
                Datasets = resolved,
                DeepSpeed = deepSpeed,
                Accelerate = accelerate,
                Previous = previous is not null && docs.Count == 1 ? previous : null,
                ReferenceProblems = problems,
                // A YAML/JSON recipe of a script that parses it with HfArgumentParser/TrlParser takes that script's own dataclasses' keys.
                WorkspaceClasses = doc.Dialect == Dialect.Hf && doc.Syntax is ConfigSyntax.Yaml or ConfigSyntax.Json
                    ? _dataclasses.Near(dir) : Array.Empty<Stepwise.Core.Keys.WorkspaceDataclass>(),
            };
            var analysis = options.Analysis.Versions is null
                ? options.Analysis with { Versions = _versions.Detect(dir, doc.Dialect, watched) }
                : options.Analysis;
            results.Add(new ConfigAnalysis(doc, Engine.Analyze(inputs, analysis)));
        }
        return new FileAnalysis(path, text, OncePerFile(results), null, watched.Distinct().ToList());
    }

    /// <summary>
    /// The token lengths a config's numbers depend on (packing, a length filter), from the cache, counted now (inline
    /// mode) or handed to the shell to count in the background; else why not.
    /// </summary>
    private (Stepwise.Core.Packing.TokenLengths? Lengths, string? Note, Stepwise.Core.Packing.TokenLengthsStatus Status) TokenLengthsFor(ConfigDocument doc,
        List<ResolvedDataset> resolved, ConfigDocument? deepSpeed, ConfigDocument? accelerate, string? dir, WorkspaceOptions options, List<string> watched)
    {
        const Stepwise.Core.Packing.TokenLengthsStatus Unavailable = Stepwise.Core.Packing.TokenLengthsStatus.Unavailable,
            Counting = Stepwise.Core.Packing.TokenLengthsStatus.Counting, Failed = Stepwise.Core.Packing.TokenLengthsStatus.Failed;
        if (options.TokenCounting == TokenCountMode.Off || !doc.HasTrainingArguments) return (null, null, Unavailable);
        var setup = SetupBuilder.Build(doc, deepSpeed, accelerate);
        if (Stepwise.Core.Packing.PackingSettings.Read(setup) is not { } settings || !Tokens.TokenCounter.Needed(settings)) return (null, null, Unavailable);
        if (settings.Packed && settings.NotModelled is not null) return (null, null, Unavailable);
        var plan = _tokens.Plan(doc, setup, settings, resolved, dir, options.WorkingDirectory);
        if (plan.Job is not { } job) return (null, plan.Unavailable, Unavailable);
        // A fixed tokenizer file makes a new key: the editor analyses again when one changes.
        watched.AddRange(Tokens.TokenizerLocator.Files(job.TokenizerFolder));
        if (_tokens.TryGet(job.Key, out var cached)) return (cached, null, Unavailable);
        if (_tokens.TryGetFailure(job.Key, out var failed)) return (null, failed, Failed);
        if (options.TokenCounting == TokenCountMode.Background && options.StartTokenCount is { } start)
        {
            start(job);
            return (null, $"counting the tokens of {job.Records:N0} records in the background ({job.Describe})", Counting);
        }
        try { return (_tokens.Count(job), null, Unavailable); }
        catch (Tokens.TokenCountException e) { return (null, e.Message, Failed); }
    }

    /// <summary>
    /// One finding per place and cause in a file. The documents of one file can share entries (a Python file's
    /// BitsAndBytesConfig or LoraConfig call that several training calls use, a DeepSpeed file two configs name), and
    /// a finding on a shared entry is kept only in the first document that reports it.
    /// </summary>
    private static List<ConfigAnalysis> OncePerFile(List<ConfigAnalysis> results)
    {
        if (results.Count < 2) return results;
        var seen = new HashSet<(string Id, string? File, int Start, int Length, string Message)>();
        for (int i = 0; i < results.Count; i++)
        {
            var r = results[i].Result;
            var kept = r.Findings.Where(f => seen.Add((f.Id, f.Span.File, f.Span.Start, f.Span.Length, f.Message))).ToList();
            if (kept.Count != r.Findings.Count)
                results[i] = results[i] with { Result = new AnalysisResult(r.Setup, r.DatasetSize, r.Schedule, r.PreviousSchedule, kept) };
        }
        return results;
    }

    private ResolvedDataset SafeResolve(DatasetReference r, string? dir)
    {
        try { return _resolve(r, dir); }
        catch (Exception ex) { return ResolvedDataset.Unknown(r, $"could not count it: {ex.Message}"); }
    }

    /// <summary>
    /// The files a dataset size depends on: those it was read from (resolved paths, a LLaMA-Factory registry), and
    /// the written path or glob (name or data_files) when it looks like one, so that creating a missing file or a new
    /// file matching the glob updates the diagnostics too. Globs stay globs (editors watch them as patterns).
    /// </summary>
    private static IEnumerable<string> DatasetFiles(IEnumerable<ResolvedDataset> resolved) =>
        resolved.SelectMany(r => r.Files.Concat(
            r.Reference.Kind == DatasetSourceKind.LlamaFactoryRegistry
                ? Array.Empty<string>()
                : new[] { r.Reference.Name, r.Reference.DataFiles ?? "" }.Where(n => n.Length > 0 && (n.Contains('/') || n.Contains('.')))));

    private static ConfigDocument? LoadReference(ConfigDocument doc, string key, string? dir, string? workingDirectory, List<ReadProblem> problems, List<string> watched)
    {
        var entry = doc.FindSet(key);
        if (entry?.Value.AsString() is not { Length: > 0 } rel) return null;
        var full = Locate(rel, dir, workingDirectory);
        if (full is null)
        {
            problems.Add(ReadProblem.ReferenceMissing($"{key} config '{rel}' not found (looked next to the config and in the current folder)", entry.ValueSpan, Severity.Warning));
            return null;
        }
        watched.Add(full);
        var (text, error) = TextFiles.Read(full);
        if (text is null)
        {
            problems.Add(ReadProblem.ReferenceMissing($"{key} config '{rel}' cannot be read: {error}", entry.ValueSpan, Severity.Warning));
            return null;
        }
        var docs = ConfigReaders.Read(text, full);
        var referenced = docs.FirstOrDefault();
        if (referenced is not null && referenced.Problems.Any(p => p.Severity == Severity.Error))
            problems.Add(ReadProblem.ReferenceMissing($"{key} config '{rel}' has errors: {referenced.Problems[0].Message} at {System.IO.Path.GetFileName(full)}:{referenced.Problems[0].Span.Range.Start}", entry.ValueSpan, Severity.Warning));
        return referenced;
    }

    private static ConfigDocument? LoadAccelerate(ConfigDocument doc, string? dir, WorkspaceOptions options, List<ReadProblem> problems, List<string> watched)
    {
        string? path = options.AccelerateConfig;
        if (path is null && options.UseDefaultAccelerateConfig)
        {
            var home = Environment.GetEnvironmentVariable("HF_HOME") ?? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface");
            var candidate = System.IO.Path.Combine(home, "accelerate", "default_config.yaml");
            if (File.Exists(candidate)) path = candidate;
        }
        if (path is null) return null;
        var full = Locate(path, dir, options.WorkingDirectory);
        if (full is null)
        {
            problems.Add(ReadProblem.ReferenceMissing($"accelerate config '{path}' not found", doc.HeadSpan, Severity.Warning));
            return null;
        }
        watched.Add(full);
        var (text, error) = TextFiles.Read(full);
        if (text is null)
        {
            problems.Add(ReadProblem.ReferenceMissing($"accelerate config '{path}' cannot be read: {error}", doc.HeadSpan, Severity.Warning));
            return null;
        }
        return ConfigReaders.Read(text, full).FirstOrDefault();
    }

    /// <summary>A referenced path: absolute, else next to the config, else from the working folder (null = the current one).</summary>
    public static string? Locate(string path, string? configDir, string? workingDirectory = null)
    {
        if (System.IO.Path.IsPathRooted(path)) return File.Exists(path) ? path : null;
        if (configDir is not null)
        {
            var p = System.IO.Path.GetFullPath(System.IO.Path.Combine(configDir, path));
            if (File.Exists(p)) return p;
        }
        var c = workingDirectory is null ? System.IO.Path.GetFullPath(path) : System.IO.Path.GetFullPath(path, System.IO.Path.GetFullPath(workingDirectory));
        return File.Exists(c) ? c : null;
    }
}
