using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Stepwise.Core.Model;
using Stepwise.Core.Packing;
using Stepwise.Tokenizers;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.Tokenization;
using Stepwise.Workspace.Datasets;

namespace Stepwise.Workspace.Tokens;

/// <summary>
/// Counts the tokens of a config's training records as its tool renders them, with the base model's tokenizer found on
/// disk (never downloaded). Results are cached by key in memory and on disk (a few bytes per record), so an unchanged
/// dataset, tokenizer and config is counted once.
/// </summary>
public sealed partial class TokenCounter
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
}
