using System.Collections.Concurrent;

namespace Stepwise.Workspace.Datasets;

/// <summary>
/// Facts derived from a file (its record count, a parsed registry) keyed by (full path, length, last write time),
/// so re-checking an unchanged file costs one stat. Thread-safe; bounded: past <see cref="Capacity"/> entries the
/// least recently used quarter is dropped. A changed file simply misses (its entry is replaced).
/// </summary>
public sealed class FileStampCache<T>
{
    private sealed record Entry(long Length, long WriteTicks, T Value)
    {
        public long LastUse;
    }

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _clock;
    private int _evicting;

    public FileStampCache(int capacity = 4096) => Capacity = Math.Max(16, capacity);

    public int Capacity { get; }
    public int Count => _entries.Count;
    public long Hits => Interlocked.Read(ref _hits);
    public long Misses => Interlocked.Read(ref _misses);
    private long _hits, _misses;

    /// <summary>The cached value for this file as it is now, or a freshly computed one (then cached).</summary>
    public T GetOrAdd(FileInfo file, Func<FileInfo, T> compute, Func<T, bool>? keep = null)
    {
        string key = file.FullName;
        long length = file.Length, ticks = file.LastWriteTimeUtc.Ticks;
        if (_entries.TryGetValue(key, out var e) && e.Length == length && e.WriteTicks == ticks)
        {
            e.LastUse = Interlocked.Increment(ref _clock);
            Interlocked.Increment(ref _hits);
            return e.Value;
        }
        Interlocked.Increment(ref _misses);
        var value = compute(file);
        // A transient failure (a permission or sharing error) is not kept: fixing it does not change the stamp.
        if (keep is not null && !keep(value)) return value;
        // Stamped as seen before computing: a file that changed meanwhile misses next time rather than lying.
        _entries[key] = new Entry(length, ticks, value) { LastUse = Interlocked.Increment(ref _clock) };
        if (_entries.Count > Capacity) Evict();
        return value;
    }

    public bool TryGet(FileInfo file, out T? value)
    {
        if (_entries.TryGetValue(file.FullName, out var e) && e.Length == file.Length && e.WriteTicks == file.LastWriteTimeUtc.Ticks)
        {
            value = e.Value;
            return true;
        }
        value = default;
        return false;
    }

    public void Clear() => _entries.Clear();

    private void Evict()
    {
        if (Interlocked.Exchange(ref _evicting, 1) == 1) return;
        try
        {
            var victims = _entries.OrderBy(kv => kv.Value.LastUse).Take(Math.Max(1, _entries.Count - Capacity * 3 / 4)).Select(kv => kv.Key).ToList();
            foreach (var k in victims) _entries.TryRemove(k, out _);
        }
        finally { Volatile.Write(ref _evicting, 0); }
    }
}
