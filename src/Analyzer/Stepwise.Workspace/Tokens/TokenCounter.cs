using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Core.Keys;
using Stepwise.Core.Model;
using Stepwise.Core.Packing;
using Stepwise.Tokenizers;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.Tokenization;
using Stepwise.Workspace.Datasets;

namespace Stepwise.Workspace.Tokens;

/// <summary>A token count to run: its cache key, what it reads, and the work itself.</summary>
public sealed class TokenJob
{
    internal TokenJob(string key, string tokenizerFolder, string describe, long records, Func<Action<long>?, int, CancellationToken, TokenLengths> run)
    {
        Key = key; TokenizerFolder = tokenizerFolder; Describe = describe; Records = records; _run = run;
    }

    private readonly Func<Action<long>?, int, CancellationToken, TokenLengths> _run;
    /// <summary>(dataset stamps, tokenizer files, renderer and its settings, sequence length): equal keys give equal lengths.</summary>
    public string Key { get; }
    public string TokenizerFolder { get; }
    /// <summary>"tokenizer.json of /models/llama, axolotl alpaca, sequence_len 2048".</summary>
    public string Describe { get; }
    public long Records { get; }

    /// <summary>Renders and tokenizes every record (<paramref name="progress"/> gets the records done so far) on up to
    /// <paramref name="parallelism"/> threads.</summary>
    public TokenLengths Run(Action<long>? progress, int parallelism, CancellationToken ct) => _run(progress, Math.Max(1, parallelism), ct);
}

/// <summary>A token count that ran and failed; the message says what failed and what to fix.</summary>
public sealed class TokenCountException : Exception
{
    public TokenCountException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Either a job, or why the token lengths cannot be counted (no tokenizer, a format not reproduced).</summary>
public sealed record TokenJobPlan(TokenJob? Job, string? Unavailable);

/// <summary>
/// Counts the tokens of a config's training records as its tool renders them, with the base model's tokenizer found on
/// disk (never downloaded). Results are cached by key in memory and on disk (a few bytes per record), so an unchanged
/// dataset, tokenizer and config is counted once.
/// </summary>
public sealed class TokenCounter
{
    private readonly HuggingFaceCacheRoots _roots;
    private readonly string? _diskCache;
    private readonly ConcurrentDictionary<string, TokenLengths> _memory = new(StringComparer.Ordinal);

    /// <summary>A counter over the hub cache <paramref name="roots"/> (default: the environment's) that keeps its lengths
    /// on disk in ~/.cache/stepwise/token-lengths (STEPWISE_CACHE=DIR moves it, STEPWISE_CACHE=off turns it off).</summary>
    public TokenCounter(HuggingFaceCacheRoots? roots = null)
    {
        _roots = roots ?? HuggingFaceCacheRoots.FromEnvironment();
        _diskCache = DefaultDiskCache();
    }

    /// <summary>A counter that keeps its lengths on disk in <paramref name="diskCache"/>; null = in memory only.</summary>
    public TokenCounter(string? diskCache, HuggingFaceCacheRoots? roots = null)
    {
        _roots = roots ?? HuggingFaceCacheRoots.FromEnvironment();
        _diskCache = diskCache;
    }

    public static TokenCounter Default { get; } = new();

    private static string? DefaultDiskCache()
    {
        var env = Environment.GetEnvironmentVariable("STEPWISE_CACHE");
        if (env == "off") return null;
        var baseDir = env ?? Environment.GetEnvironmentVariable("XDG_CACHE_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(env is null ? Path.Combine(baseDir, "stepwise") : baseDir, "token-lengths");
    }

    // ------------------------------------------------------------------------------------------------ cache

    public bool TryGet(string key, out TokenLengths lengths)
    {
        if (_memory.TryGetValue(key, out lengths!)) return true;
        if (ReadDisk(key) is { } fromDisk) { Remember(key, fromDisk); lengths = fromDisk; return true; }
        return false;
    }

    /// <summary>
    /// The job's lengths from the cache, or counted now (then cached). A count that fails, for whatever reason (a
    /// tokenizer file that does not load, a record the tool would refuse, a format not reproduced, a bug of ours), throws
    /// <see cref="TokenCountException"/> and is remembered by its key: the same inputs are not counted again (an editor
    /// analyses on every keystroke), while a changed dataset, tokenizer file or setting makes a new key and a new try.
    /// A cancelled count is not remembered.
    /// </summary>
    /// <param name="parallelism">Threads to count on; null = every core (the language server leaves one to its analyses).</param>
    public TokenLengths Count(TokenJob job, Action<long>? progress = null, CancellationToken ct = default, int? parallelism = null)
    {
        if (TryGet(job.Key, out var cached)) return cached;
        if (_failures.TryGetValue(job.Key, out var failed)) throw new TokenCountException(failed);
        TokenLengths lengths;
        try { lengths = job.Run(progress, parallelism ?? Environment.ProcessorCount, ct); }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
        catch (Exception e)
        {
            var why = Explain(job, e);
            if (_failures.Count >= 256) _failures.Clear();
            _failures[job.Key] = why;
            throw new TokenCountException(why, e);
        }
        Remember(job.Key, lengths);
        WriteDisk(job.Key, lengths);
        return lengths;
    }

    /// <summary>What failed, with the file and place where the exception says it, and what to do.</summary>
    private static string Explain(TokenJob job, Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: > 0 } a) e = a.InnerExceptions[0];
        return e switch
        {
            // Already say the record (file:line) or what is not reproduced.
            NotReproducedException or DatasetException => e.Message,
            TokenizerFormatException or Trainer.SafeTensors.CheckpointFormatException or JsonException or FormatException or InvalidDataException
                => $"the tokenizer in {job.TokenizerFolder} cannot be loaded: {e.Message}",
            IOException or UnauthorizedAccessException => $"cannot read what the count needs: {e.Message}",
            _ => $"counting failed with {e.GetType().Name}: {e.Message} (an error of Stepwise's; please report it with the config)",
        };
    }

    private readonly ConcurrentDictionary<string, string> _failures = new(StringComparer.Ordinal);

    /// <summary>Why the count of <paramref name="key"/> failed, when it did.</summary>
    public bool TryGetFailure(string key, out string why) => _failures.TryGetValue(key, out why!);

    private void Remember(string key, TokenLengths lengths)
    {
        // A handful of datasets at a time: the arrays are a few bytes per record, but a workspace may hold many configs.
        if (_memory.Count >= 32) foreach (var k in _memory.Keys.Take(8).ToList()) _memory.TryRemove(k, out _);
        _memory[key] = lengths;
    }

    private string? DiskPath(string key) => _diskCache is null ? null
        : Path.Combine(_diskCache, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..32].ToLowerInvariant() + ".bin");

    private TokenLengths? ReadDisk(string key)
    {
        if (DiskPath(key) is not { } path || !File.Exists(path)) return null;
        try
        {
            using var r = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
            if (r.ReadString() != key) return null;
            string source = r.ReadString();
            int n = r.ReadInt32();
            bool labels = r.ReadBoolean();
            if (n < 0 || (long)n * (labels ? 12 : 4) > r.BaseStream.Length) return null;   // not a file this code wrote
            var lengths = new int[n]; var first = labels ? new int[n] : null; var last = labels ? new int[n] : null;
            for (int i = 0; i < n; i++) { lengths[i] = r.ReadInt32(); if (labels) { first![i] = r.ReadInt32(); last![i] = r.ReadInt32(); } }
            return new TokenLengths(lengths, source, first, last);
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or UnauthorizedAccessException or ArgumentException) { return null; }
    }

    private void WriteDisk(string key, TokenLengths t)
    {
        if (DiskPath(key) is not { } path) return;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var tmp = path + "." + Environment.ProcessId + ".tmp";
            using (var w = new BinaryWriter(File.Create(tmp), Encoding.UTF8))
            {
                w.Write(key); w.Write(t.Source); w.Write(t.Count); w.Write(t.HasLabels);
                for (int i = 0; i < t.Count; i++) { w.Write(t.Lengths[i]); if (t.HasLabels) { w.Write(t.FirstLabel![i]); w.Write(t.LastLabel![i]); } }
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    // ------------------------------------------------------------------------------------------------ planning

    /// <summary>Whether the config's numbers depend on token lengths at all (packing, or a length filter that changes N).</summary>
    public static bool Needed(PackingSettings s) =>
        s.Packed
        || (s.Tool == PackingTool.Axolotl && s.ExcessLength != "truncate")
        || (s.Tool == PackingTool.Trl && s.Version >= new ToolVersion(1, 9) && s.LabelsMasked != false && s.SequenceLength is not null);

    /// <summary>The count a config needs, or why it cannot be made.</summary>
    public TokenJobPlan Plan(ConfigDocument doc, TrainingSetup setup, PackingSettings settings, IReadOnlyList<ResolvedDataset> datasets,
        string? configDir, string? workingDir)
    {
        try { return PlanOrThrow(doc, setup, settings, datasets, configDir, workingDir); }
        catch (NotReproducedException e) { return new(null, e.Message); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return new(null, $"cannot read what the count needs: {e.Message}"); }
        // Planning runs on every analysis: whatever else goes wrong leaves the count out, never the analysis.
        catch (Exception e) when (e is not OperationCanceledException) { return new(null, $"cannot plan the token count ({e.GetType().Name}: {e.Message})"); }
    }

    private TokenJobPlan PlanOrThrow(ConfigDocument doc, TrainingSetup setup, PackingSettings settings, IReadOnlyList<ResolvedDataset> datasets,
        string? configDir, string? workingDir)
    {
        if (datasets.Count == 0) return new(null, "no training dataset to count");
        if (datasets.FirstOrDefault(d => d.Rows is null) is { } unresolved) return new(null, $"{unresolved.Reference.Name} is not resolved");
        var (folder, looked) = TokenizerLocator.Find(doc, setup, configDir, workingDir, _roots);
        if (folder is null) return new(null, looked);

        var sources = new List<(ResolvedDataset Dataset, List<string> Files, Func<TextTokenizer, ChatTemplate?, IRecordRenderer> Renderer, long Cap)>();
        var axolotlItems = doc.Dialect == Dialect.Axolotl ? AxolotlItems(doc) : null;
        long? maxSamples = doc.Dialect == Dialect.LlamaFactory ? setup.Long("max_samples") : null;
        int seq = settings.SequenceLength ?? 2048;
        for (int i = 0; i < datasets.Count; i++)
        {
            var d = datasets[i];
            var files = d.Files.Where(f => !string.Equals(Path.GetFileName(f), "dataset_info.json", StringComparison.Ordinal)).ToList();
            if (files.Count == 0) return new(null, $"{d.Reference.Name}: no data files to read");
            if (files.FirstOrDefault(f => !RecordFiles.IsDataFile(f)) is { } other)
                return new(null, $"{d.Reference.Name}: {Path.GetFileName(other)} is not a JSON, JSONL, CSV or Parquet file (Stepwise counts the tokens of those)");
            Func<TextTokenizer, ChatTemplate?, IRecordRenderer> renderer;
            switch (doc.Dialect)
            {
                case Dialect.Axolotl:
                {
                    var item = axolotlItems is not null && i < axolotlItems.Count ? axolotlItems[i] : null;
                    string type = item?.Find("type")?.Value.AsString() ?? "";
                    bool trainOnInputs = setup.Bool("train_on_inputs");
                    string? field = item?.Find("field")?.Value.AsString();
                    renderer = type switch
                    {
                        "alpaca" => (t, _) => new AxolotlAlpacaRenderer(t, seq, trainOnInputs),
                        "completion" => (t, _) => new AxolotlCompletionRenderer(t, seq, field),
                        _ => throw Stop($"axolotl dataset type '{(type.Length == 0 ? "(none)" : type)}' is not one Stepwise renders (alpaca, completion)"),
                    };
                    break;
                }
                case Dialect.LlamaFactory:
                {
                    var templateName = setup.String("template") ?? "default";
                    if (!LlamaFactoryTemplate.Known.TryGetValue(templateName, out var template))
                        return new(null, $"LLaMA-Factory template '{templateName}' is not one Stepwise renders ({string.Join(", ", LlamaFactoryTemplate.Known.Keys)})");
                    if (setup.Document.FindSet("mask_history")?.Value.AsBool() == true) return new(null, "mask_history is not reproduced");
                    var columns = LlamaFactoryColumnsOf(d);
                    if (columns is null) return new(null, $"{d.Reference.Name}: its dataset_info.json entry uses a formatting Stepwise does not render");
                    // hparams/data_args.py: packing lowers cutoff_len by one before the examples are encoded.
                    int cutoff = settings.Packed ? seq - 1 : seq;
                    bool trainOnPrompt = setup.Document.FindSet("train_on_prompt")?.Value.AsBool() == true;
                    renderer = (t, _) => new LlamaFactoryRenderer(t, template, cutoff, trainOnPrompt, columns);
                    break;
                }
                default:
                {
                    string? textField = setup.Document.FindSet("dataset_text_field")?.Value.AsString();
                    bool? completionOnly = setup.Document.FindSet("completion_only_loss")?.Value.AsBool();
                    bool assistantOnly = setup.Document.FindSet("assistant_only_loss")?.Value.AsBool() == true;
                    renderer = (t, template) => new TrlRenderer(t, template, textField, completionOnly, assistantOnly);
                    break;
                }
            }
            long cap = maxSamples is long m && m > 0 ? m : long.MaxValue;
            sources.Add((d, files, renderer, cap));
        }

        var key = new StringBuilder("tokens/v1|");
        key.Append(settings.Describe()).Append('|').Append(seq).Append('|').Append(doc.Dialect);
        foreach (var f in TokenizerLocator.Files(folder)) key.Append('|').Append(Stamp(f));
        foreach (var s in sources)
        {
            key.Append("|ds:").Append(s.Dataset.Reference.Name).Append(':').Append(s.Cap);
            foreach (var f in s.Files) key.Append('|').Append(Stamp(f));
        }
        // What the renderers read from the config.
        foreach (var k in new[] { "train_on_inputs", "train_on_prompt", "template", "dataset_text_field", "completion_only_loss", "assistant_only_loss", "chat_template", "datasets" })
            key.Append('|').Append(k).Append('=').Append(setup.Document.FindSet(k)?.ValueText ?? "");

        long records = sources.Sum(s => Math.Min(s.Cap, s.Dataset.Rows ?? 0));
        string describe = $"{TokenizerLocator.Describe(folder)}, {settings.ToolName} {(doc.Dialect == Dialect.LlamaFactory ? "template " + (setup.String("template") ?? "default") : "rendering")}, {settings.SequenceKey} {seq}";
        return new(new TokenJob(key.ToString(), folder, describe, records, (progress, parallelism, ct) => Run(folder, sources, describe, progress, parallelism, ct)), null);

        static Exception Stop(string why) => new NotReproducedException(why);
    }

    private static TokenLengths Run(string folder, List<(ResolvedDataset Dataset, List<string> Files, Func<TextTokenizer, ChatTemplate?, IRecordRenderer> Renderer, long Cap)> sources,
        string describe, Action<long>? progress, int parallelism, CancellationToken ct)
    {
        var tok = TextTokenizer.Load(folder);
        ChatTemplate? template = null;
        try { template = ChatTemplate.FromModelFolder(folder); } catch (Exception e) when (e is Trainer.SafeTensors.CheckpointFormatException) { }
        var all = new List<(DataRecord Record, IRecordRenderer Renderer)>();
        foreach (var s in sources)
        {
            var renderer = s.Renderer(tok, template);
            long taken = 0;
            foreach (var f in s.Files)
            {
                foreach (var r in RecordFiles.Load(f))
                {
                    if (taken++ >= s.Cap) break;
                    all.Add((r, renderer));
                }
                if (taken >= s.Cap) break;
            }
        }
        var lengths = new int[all.Count];
        var first = new int[all.Count];
        var last = new int[all.Count];
        int n = all.Count, next = 0;
        long done = 0;
        Exception? failure = null;
        const int Chunk = 256;
        void Work()
        {
            try
            {
                while (Volatile.Read(ref failure) is null && !ct.IsCancellationRequested)
                {
                    int from = Interlocked.Add(ref next, Chunk) - Chunk;
                    if (from >= n) return;
                    int to = Math.Min(n, from + Chunk);
                    for (int i = from; i < to; i++)
                    {
                        TokenizedRecord t;
                        try { t = all[i].Renderer.Render(all[i].Record); }
                        catch (ArgumentException e) { throw new DatasetException($"{all[i].Record.Where}: {e.Message}"); }
                        lengths[i] = t.Length; first[i] = t.FirstLabel; last[i] = t.LastLabel;
                    }
                    progress?.Invoke(Interlocked.Add(ref done, to - from));
                }
            }
            // Whatever a record raises ends the count (TokenCounter.Count says what failed); never the process.
            catch (Exception e) { Interlocked.CompareExchange(ref failure, e, null); }
        }
        // Dedicated threads, not the thread pool: a count takes seconds, and the language server answers edits from the
        // pool meanwhile (a pool thread held by a count made the next edit wait for the pool to grow, about a second).
        var helpers = Enumerable.Range(0, Math.Max(0, Math.Min(parallelism, (n + Chunk - 1) / Chunk) - 1))
            .Select(_ => new Thread(Work) { IsBackground = true, Name = "stepwise token count" }).ToList();
        foreach (var t in helpers) t.Start();
        Work();
        foreach (var t in helpers) t.Join();
        ct.ThrowIfCancellationRequested();
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        return new TokenLengths(lengths, describe, first, last);
    }

    private static string Stamp(string path)
    {
        var fi = new FileInfo(path);
        return fi.Exists ? $"{fi.FullName}:{fi.Length}:{fi.LastWriteTimeUtc.Ticks}" : path + ":missing";
    }

    /// <summary>The axolotl datasets items that name a path, in the order SetupBuilder.DatasetReferences lists them.</summary>
    private static List<ConfigValue> AxolotlItems(ConfigDocument doc)
    {
        var list = new List<ConfigValue>();
        if (doc.Find("datasets") is not { } ds) return list;
        foreach (var item in ds.Value.Items)
            if (item.Kind == ValueKind.Mapping && item.Find("path")?.Value.AsString() is not null) list.Add(item);
        return list;
    }

    /// <summary>A LLaMA-Factory dataset's formatting and columns from its dataset_info.json entry (data/parser.py DatasetAttr).</summary>
    private static LlamaFactoryColumns? LlamaFactoryColumnsOf(ResolvedDataset d)
    {
        var registry = d.Files.FirstOrDefault(f => string.Equals(Path.GetFileName(f), "dataset_info.json", StringComparison.Ordinal));
        if (registry is null) return new LlamaFactoryColumns();
        try
        {
            if (JsonNode.Parse(File.ReadAllText(registry)) is not JsonObject root || root[d.Reference.Name] is not JsonObject entry) return new LlamaFactoryColumns();
            if (entry["num_samples"] is not null) return null;   // a random sample (np.random.permutation) of the records
            if (entry["ranking"]?.GetValue<bool>() == true) return null;
            string formatting = entry["formatting"]?.GetValue<string>() ?? "alpaca";
            if (formatting is not ("alpaca" or "sharegpt")) return null;
            var c = entry["columns"] as JsonObject;
            var t = entry["tags"] as JsonObject;
            string? S(JsonObject? o, string k) => o?[k] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            if (S(c, "images") is not null || S(c, "videos") is not null || S(c, "audios") is not null || S(c, "tools") is not null) return null;
            var result = new LlamaFactoryColumns { Formatting = formatting };
            return formatting == "alpaca"
                ? result with { Prompt = S(c, "prompt") ?? "instruction", Query = S(c, "query") ?? "input", Response = S(c, "response") ?? "output", History = S(c, "history"), System = S(c, "system") }
                : result with
                {
                    Messages = S(c, "messages") ?? "conversations", System = S(c, "system"),
                    RoleTag = S(t, "role_tag") ?? "from", ContentTag = S(t, "content_tag") ?? "value",
                    UserTag = S(t, "user_tag") ?? "human", AssistantTag = S(t, "assistant_tag") ?? "gpt", SystemTag = S(t, "system_tag") ?? "system",
                };
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException or UnauthorizedAccessException) { return null; }
    }
}

/// <summary>
/// Where a config's tokenizer lives on disk: the model (axolotl tokenizer_config first, then base_model /
/// model_name_or_path) as a local folder (next to the config, then the working directory) or in the Hugging Face hub
/// cache (models--ORG--NAME/snapshots/REV, refs/main first). A folder qualifies with tokenizer.json or tokenizer.model.
/// </summary>
public static class TokenizerLocator
{
    private static readonly string[] TokenizerFiles = { "tokenizer.json", "tokenizer_config.json", "tokenizer.model", "chat_template.jinja", "special_tokens_map.json" };

    public static IEnumerable<string> Files(string folder) => TokenizerFiles.Select(f => Path.Combine(folder, f)).Where(File.Exists);

    public static string Describe(string folder) => $"{(File.Exists(Path.Combine(folder, "tokenizer.json")) ? "tokenizer.json" : "tokenizer.model")} in {folder}";

    private static bool HasTokenizer(string folder) =>
        Directory.Exists(folder) && (File.Exists(Path.Combine(folder, "tokenizer.json")) || File.Exists(Path.Combine(folder, "tokenizer.model")));

    public static (string? Folder, string Looked) Find(ConfigDocument doc, TrainingSetup setup, string? configDir, string? workingDir, HuggingFaceCacheRoots roots)
    {
        var names = new List<string>();
        if (doc.Dialect == Dialect.Axolotl && doc.FindSet("tokenizer_config")?.Value.AsString() is { Length: > 0 } tc) names.Add(tc.Trim());
        if (doc.FindSet(KeyTable.Spelling("model_name_or_path", doc.Dialect))?.Value.AsString() is { Length: > 0 } m) names.Add(m.Trim());
        if (names.Count == 0) return (null, $"no base model named ({KeyTable.Spelling("model_name_or_path", doc.Dialect)}), so no tokenizer to count tokens with");
        var looked = new List<string>();
        foreach (var name in names)
        {
            var expanded = name.StartsWith('~') ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + name[1..] : name;
            var candidates = Path.IsPathRooted(expanded) ? new[] { expanded }
                : new[] { configDir, workingDir, Directory.GetCurrentDirectory() }.Where(d => d is not null).Select(d => Path.GetFullPath(Path.Combine(d!, expanded))).Distinct();
            foreach (var c in candidates)
            {
                if (HasTokenizer(c)) return (c, "");
            }
            if (HuggingFaceCache.LooksLikeRepoId(name))
            {
                var repo = Path.Combine(roots.HubCache, "models--" + name.Replace("/", "--"));
                var snapshots = Path.Combine(repo, "snapshots");
                if (Directory.Exists(snapshots))
                {
                    var refMain = Path.Combine(repo, "refs", "main");
                    if (File.Exists(refMain) && File.ReadAllText(refMain).Trim() is { Length: > 0 } rev && HasTokenizer(Path.Combine(snapshots, rev)))
                        return (Path.Combine(snapshots, rev), "");
                    var newest = Directory.EnumerateDirectories(snapshots).Where(HasTokenizer).OrderByDescending(Directory.GetLastWriteTimeUtc).FirstOrDefault();
                    if (newest is not null) return (newest, "");
                }
                looked.Add($"{name} is not in the Hugging Face cache ({repo})");
            }
            else looked.Add($"{name} is not a folder with tokenizer.json or tokenizer.model");
        }
        return (null, "no tokenizer found: " + string.Join("; ", looked));
    }
}
