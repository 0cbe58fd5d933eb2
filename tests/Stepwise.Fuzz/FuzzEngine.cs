using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Stepwise.Fuzz;

/// <summary>An invariant a harness checks that does not hold: a finding of the fuzzer, like an escaped exception.</summary>
public sealed class InvariantException : Exception
{
    public InvariantException(string message) : base(message) { }
}

/// <summary>One target: bytes in, invariants checked (an exception out of <see cref="Run"/> is a crash).</summary>
public sealed class Harness
{
    public required string Name { get; init; }
    public required Action<byte[]> Run { get; init; }
    public required IReadOnlyList<byte[]> Seeds { get; init; }
    /// <summary>Tokens the mutator splices in (syntax of the format, key names, interesting numbers).</summary>
    public IReadOnlyList<string> Dictionary { get; init; } = Array.Empty<string>();
    public int MaxLength { get; init; } = 16 * 1024;
}

public sealed record HarnessStats(string Name, long Inputs, int Crashes, int Hangs, int Edges, int Corpus, double Seconds);

/// <summary>
/// A small coverage-guided fuzzer in the style of AFL, running in this process: inputs are mutated from a corpus (the
/// seeds, then every input that reached a new edge or a new hit count of one), run through a harness, and the
/// edge map that SharpFuzz's instrumentation fills (<see cref="SharpFuzz.Common.Trace.SharedMem"/>) decides what
/// stays. Without instrumented assemblies the map stays empty and it is a mutation fuzzer over the seeds.
/// An input that throws is a crash; one that takes more than a second of CPU is a hang; both are saved.
/// </summary>
public sealed unsafe class FuzzEngine
{
    public const int MapSize = 1 << 16;
    private static byte* _map;
    private readonly Random _rng;
    private readonly string? _findings;
    private readonly TextWriter _log;
    public TimeSpan HangAfter { get; init; } = TimeSpan.FromSeconds(1);
    public List<(string Harness, string Kind, string File, string Message)> Failures { get; } = new();

    // The watchdog: the input being run and since when.
    private volatile byte[]? _current;
    private volatile string? _currentHarness;
    private long _startedTicks;

    public FuzzEngine(int seed, string? findingsDirectory, TextWriter log)
    {
        _rng = new Random(seed);
        _findings = findingsDirectory;
        _log = log;
        EnsureMap();
    }

    /// <summary>The edge map instrumented code writes to; set before any instrumented method runs.</summary>
    public static void EnsureMap()
    {
        if (_map != null) return;
        _map = (byte*)NativeMemory.AllocZeroed(MapSize);
        SharpFuzz.Common.Trace.SharedMem = _map;
    }

    /// <summary>Stops the process when one input runs past <paramref name="limit"/> (an endless loop cannot be
    /// interrupted in .NET): the input is saved first.</summary>
    public void StartWatchdog(TimeSpan limit)
    {
        var t = new Thread(() =>
        {
            while (true)
            {
                Thread.Sleep(500);
                var input = _current;
                if (input is null) continue;
                var elapsed = Stopwatch.GetElapsedTime(Interlocked.Read(ref _startedTicks));
                if (elapsed > limit)
                {
                    var file = Save(_currentHarness ?? "unknown", "timeout", input);
                    _log.WriteLine($"TIMEOUT: {_currentHarness} ran one input for {elapsed.TotalSeconds:F0} s; saved {file}; stopping");
                    _log.Flush();
                    Environment.Exit(3);
                }
            }
        }) { IsBackground = true, Name = "fuzz watchdog" };
        t.Start();
    }

    /// <summary>Runs one input (no mutation): null when every invariant held, else what broke. <paramref name="elapsed"/>
    /// is the CPU time of this thread where the OS tells it (Linux), so a box shared by busy neighbours does not turn
    /// slow scheduling into hangs; wall-clock time elsewhere.</summary>
    public string? RunOne(Harness h, byte[] input, out TimeSpan elapsed)
    {
        _currentHarness = h.Name;
        Interlocked.Exchange(ref _startedTicks, Stopwatch.GetTimestamp());
        var cpu = ThreadCpu();
        _current = input;
        try
        {
            h.Run(input);
            return null;
        }
        catch (Exception e)
        {
            return e is InvariantException ? "invariant: " + e.Message : $"{e.GetType().FullName}: {e.Message}\n{e.StackTrace}";
        }
        finally
        {
            _current = null;
            elapsed = cpu is TimeSpan start && ThreadCpu() is TimeSpan end ? end - start : Stopwatch.GetElapsedTime(Interlocked.Read(ref _startedTicks));
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage { public long UtimeSec, UtimeUsec, StimeSec, StimeUsec; public fixed long Rest[14]; }

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRUsage(int who, out RUsage usage);

    private static bool _noRUsage = !OperatingSystem.IsLinux();

    private static TimeSpan? ThreadCpu()
    {
        if (_noRUsage) return null;
        try
        {
            if (GetRUsage(1 /* RUSAGE_THREAD */, out var u) != 0) return null;
            return TimeSpan.FromTicks((u.UtimeSec + u.StimeSec) * TimeSpan.TicksPerSecond + (u.UtimeUsec + u.StimeUsec) * 10);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { _noRUsage = true; return null; }
    }

    /// <summary>Fuzzes one harness for <paramref name="inputs"/> inputs or until <paramref name="until"/>.</summary>
    public HarnessStats Fuzz(Harness h, long inputs, DateTime until)
    {
        var virgin = new byte[MapSize];
        Array.Fill(virgin, (byte)0xFF);
        var corpus = new List<byte[]>();
        var sw = Stopwatch.StartNew();
        int crashes = 0, hangs = 0;
        long n = 0;
        var seen = new HashSet<string>();

        void Try(byte[] input, bool keepAnyway)
        {
            new Span<byte>(_map, MapSize).Clear();
            var failure = RunOne(h, input, out var elapsed);
            n++;
            if (failure is not null)
            {
                var key = h.Name + ":" + FirstLine(failure);
                if (seen.Add(key))
                {
                    var file = Save(h.Name, "crash", input);
                    Failures.Add((h.Name, "crash", file, failure));
                    _log.WriteLine($"CRASH {h.Name}: {FirstLine(failure)} (input saved to {file})");
                }
                crashes++;
            }
            else if (elapsed > HangAfter)
            {
                var file = Save(h.Name, "hang", input);
                Failures.Add((h.Name, "hang", file, $"{elapsed.TotalMilliseconds:F0} ms"));
                _log.WriteLine($"HANG {h.Name}: {elapsed.TotalMilliseconds:F0} ms (input saved to {file})");
                hangs++;
            }
            if (NewCoverage(virgin) || keepAnyway)
            {
                if (corpus.Count < 4000) corpus.Add(input);
                else corpus[_rng.Next(corpus.Count)] = input;
            }
        }

        foreach (var s in h.Seeds) { if (n >= inputs || DateTime.UtcNow > until) break; Try(Trim(s, h.MaxLength), keepAnyway: true); }
        if (corpus.Count == 0) corpus.Add(Array.Empty<byte>());
        while (n < inputs && DateTime.UtcNow < until)
        {
            var parent = corpus[_rng.Next(corpus.Count)];
            var child = Mutate(parent, corpus, h);
            Try(child, keepAnyway: false);
        }
        return new HarnessStats(h.Name, n, crashes, hangs, Edges(virgin), corpus.Count, sw.Elapsed.TotalSeconds);
    }

    private static string FirstLine(string s) { int i = s.IndexOf('\n'); return i < 0 ? s : s[..i]; }

    private static byte[] Trim(byte[] b, int max) => b.Length <= max ? b : b[..max];

    public static int Edges(byte[] virgin) => virgin.Count(v => v != 0xFF);

    /// <summary>AFL's hit-count buckets: an edge taken once, twice, 3 times, 4-7, 8-15, 16-31, 32-127, 128+.</summary>
    private static byte Bucket(byte b) => b switch
    {
        0 => 0, 1 => 1, 2 => 2, 3 => 4, <= 7 => 8, <= 15 => 16, <= 31 => 32, <= 127 => 64, _ => 128,
    };

    private static bool NewCoverage(byte[] virgin)
    {
        bool fresh = false;
        var words = new ReadOnlySpan<ulong>(_map, MapSize / 8);
        for (int w = 0; w < words.Length; w++)
        {
            if (words[w] == 0) continue;
            for (int k = w * 8; k < w * 8 + 8; k++)
            {
                byte b = Bucket(_map[k]);
                if ((virgin[k] & b) != 0) { virgin[k] &= (byte)~b; fresh = true; }
            }
        }
        return fresh;
    }

    private string Save(string harness, string kind, byte[] input)
    {
        if (_findings is null) return "(not saved)";
        var dir = Path.Combine(_findings, harness);
        Directory.CreateDirectory(dir);
        var name = $"{kind}-{Convert.ToHexString(SHA1.HashData(input))[..16].ToLowerInvariant()}.bin";
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, input);
        return path;
    }

    // ---- mutation ---------------------------------------------------------------------------------

    private static readonly string[] Numbers =
    {
        "0", "-1", "1", "2", "7", "255", "256", "65535", "2147483647", "2147483648", "-2147483649", "4294967296",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999", "1e309", "-1e309",
        "1e-320", "0.0", "-0.0", "1.5", "1e300", ".inf", "-.inf", ".nan", "NaN", "inf", "Infinity", "1e999", "0x10", "1_000", "3.",
    };

    private byte[] Mutate(byte[] parent, List<byte[]> corpus, Harness h)
    {
        var b = new List<byte>(parent);
        int stack = 1 << _rng.Next(1, 5);
        for (int s = 0; s < stack; s++)
        {
            switch (_rng.Next(12))
            {
                case 0 when b.Count > 0: { int i = _rng.Next(b.Count); b[i] ^= (byte)(1 << _rng.Next(8)); break; }
                case 1 when b.Count > 0: b[_rng.Next(b.Count)] = (byte)_rng.Next(256); break;
                case 2 when b.Count > 0: b[_rng.Next(b.Count)] = "\n\r\t \"'{}[],:#-\\\0\u0080"[_rng.Next(17)] is char c ? (byte)c : (byte)0; break;
                case 3 when b.Count > 1: { int i = _rng.Next(b.Count), len = Math.Min(b.Count - i, 1 + _rng.Next(32)); b.RemoveRange(i, len); break; }
                case 4 when b.Count > 1:
                {
                    int i = _rng.Next(b.Count), len = Math.Min(b.Count - i, 1 + _rng.Next(64));
                    var chunk = b.GetRange(i, len);
                    b.InsertRange(_rng.Next(b.Count + 1), chunk);
                    break;
                }
                case 5 or 6 when h.Dictionary.Count > 0:
                    b.InsertRange(_rng.Next(b.Count + 1), Encoding.UTF8.GetBytes(h.Dictionary[_rng.Next(h.Dictionary.Count)]));
                    break;
                case 7:
                {
                    // Replace a run of digits (or insert) with an interesting number.
                    var num = Encoding.ASCII.GetBytes(Numbers[_rng.Next(Numbers.Length)]);
                    int i = FindDigit(b);
                    if (i < 0) { b.InsertRange(_rng.Next(b.Count + 1), num); break; }
                    int j = i;
                    while (j < b.Count && (char.IsAsciiDigit((char)b[j]) || b[j] is (byte)'.' or (byte)'e' or (byte)'-')) j++;
                    b.RemoveRange(i, j - i);
                    b.InsertRange(i, num);
                    break;
                }
                case 8 when corpus.Count > 1:
                {
                    // Splice: a head of this input with a tail of another.
                    var other = corpus[_rng.Next(corpus.Count)];
                    if (other.Length == 0) break;
                    int cut = _rng.Next(b.Count + 1), from = _rng.Next(other.Length);
                    b.RemoveRange(cut, b.Count - cut);
                    b.AddRange(other.AsSpan(from).ToArray());
                    break;
                }
                case 9 when b.Count > 0:
                {
                    // Duplicate a line (YAML keys, JSON members, Python arguments).
                    int i = _rng.Next(b.Count);
                    int start = b.LastIndexOf((byte)'\n', i) + 1, end = b.IndexOf((byte)'\n', i);
                    if (end < 0) end = b.Count - 1;
                    b.InsertRange(start, b.GetRange(start, end - start + 1));
                    break;
                }
                case 10 when b.Count > 0:
                {
                    // Change indentation of a line.
                    int i = _rng.Next(b.Count);
                    int start = b.LastIndexOf((byte)'\n', i) + 1;
                    if (_rng.Next(2) == 0) b.InsertRange(start, Enumerable.Repeat((byte)' ', 1 + _rng.Next(4)));
                    else if (start < b.Count && b[start] == (byte)' ') b.RemoveAt(start);
                    break;
                }
                default:
                    if (b.Count > 0) b[_rng.Next(b.Count)] = (byte)"0123456789"[_rng.Next(10)];
                    break;
            }
        }
        if (b.Count > h.MaxLength) b.RemoveRange(h.MaxLength, b.Count - h.MaxLength);
        return b.ToArray();
    }

    private int FindDigit(List<byte> b)
    {
        if (b.Count == 0) return -1;
        int start = _rng.Next(b.Count);
        for (int k = 0; k < b.Count; k++)
        {
            int i = (start + k) % b.Count;
            if (char.IsAsciiDigit((char)b[i])) return i;
        }
        return -1;
    }
}
