using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using Stepwise.Workspace.Datasets.Counting;

namespace Stepwise.Workspace.Datasets;

/// <summary>The record count of one data file, or why there is none.</summary>
public sealed record FileCount(string Path, long? Rows, DataFormat? Format, string Shape, string? Problem = null)
{
    /// <summary>The failure may go away without the file changing (permissions, locks): not cached.</summary>
    public bool Transient { get; init; }

    public string Name => System.IO.Path.GetFileName(Path);
    public bool Known => Rows is not null;
}

/// <summary>The record count of a file, folder or glob: the sum over its data files, or why it is unknown.</summary>
public sealed record CountResult(long? Rows, string Detail, string? Problem, IReadOnlyList<FileCount> Files)
{
    public static CountResult Fail(string problem) => new(null, problem, problem, Array.Empty<FileCount>());
}

public sealed record RecordCounterOptions
{
    /// <summary>Files that must be scanned (JSON, JSON Lines, CSV, text) above this size are not counted: a Problem says so.
    /// Parquet and Arrow are read from their metadata whatever their size.</summary>
    public long MaxScanBytes { get; init; } = 16L << 30;
    public int BufferBytes { get; init; } = 1 << 20;
    /// <summary>A folder or glob with more data files than this is not counted.</summary>
    public int MaxFiles { get; init; } = 20_000;
}

/// <summary>
/// Counts dataset records without building them: JSON Lines, JSON arrays, CSV/TSV, Parquet (footer), text,
/// Arrow (message headers), gzip-compressed variants of the scanned formats, folders and globs.
/// Results are cached by (full path, length, last write time). Nothing here throws for a bad file: every
/// failure becomes a <see cref="FileCount.Problem"/>; only cancellation throws.
/// </summary>
public sealed class RecordCounter
{
    /// <summary>The process-wide counter (and cache) the CLI and the language server share.</summary>
    public static RecordCounter Shared { get; } = new();

    private const int SniffBytes = 8192;

    public RecordCounter(RecordCounterOptions? options = null, FileStampCache<FileCount>? cache = null)
    {
        Options = options ?? new RecordCounterOptions();
        Cache = cache ?? new FileStampCache<FileCount>();
    }

    public RecordCounterOptions Options { get; }
    public FileStampCache<FileCount> Cache { get; }

    /// <summary>A file, a folder (every data file under it, hidden ones skipped) or a glob.</summary>
    public CountResult CountPath(string path, string? baseDirectory = null, CancellationToken cancellationToken = default)
    {
        string baseDir = baseDirectory ?? Environment.CurrentDirectory;
        string full = Path.IsPathRooted(path) ? path : Path.Combine(baseDir, path);
        if (Glob.HasWildcards(path))
        {
            var files = SafeExpand(baseDir, path, out var problem);
            if (problem is not null) return CountResult.Fail(problem);
            var data = files.Where(f => DataFormats.FromPath(f) is not null).ToList();
            if (data.Count == 0)
                return CountResult.Fail(files.Count == 0 ? $"no file matches '{path}' (under {baseDir})" : $"'{path}' matches {files.Count} file(s) but none is a data file (.jsonl .json .csv .tsv .parquet .txt .arrow)");
            return CountFiles(data, path, cancellationToken);
        }
        if (File.Exists(full)) return CountFiles([full], path, cancellationToken);
        if (Directory.Exists(full))
        {
            var files = FolderFiles(full, recursive: true, out var problem);
            if (problem is not null) return CountResult.Fail(problem);
            if (files.Count == 0) return CountResult.Fail($"folder '{path}' holds no data file (.jsonl .json .csv .tsv .parquet .txt .arrow)");
            return CountFiles(files, path.TrimEnd('/', '\\') + "/", cancellationToken);
        }
        return CountResult.Fail($"'{path}' not found (looked in {Path.GetDirectoryName(Path.GetFullPath(full))})");
    }

    /// <summary>Data files in a folder, sorted; hidden files and folders (leading '.' or '_' for folders) skipped.</summary>
    public IReadOnlyList<string> FolderFiles(string folder, bool recursive, out string? problem)
    {
        problem = null;
        var result = new List<string>();
        try
        {
            var options = new EnumerationOptions { RecurseSubdirectories = recursive, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.None };
            foreach (var f in Directory.EnumerateFiles(folder, "*", options))
            {
                var rel = Path.GetRelativePath(folder, f).Replace('\\', '/').Split('/');
                if (rel.Any(p => p.StartsWith('.')) || rel[..^1].Any(p => p.StartsWith('_'))) continue;
                if (DataFormats.FromPath(f) is null) continue;
                result.Add(f);
                if (result.Count > Options.MaxFiles) { problem = $"folder '{folder}' holds more than {Options.MaxFiles:N0} data files"; return result; }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot list folder '{folder}': {e.Message}";
        }
        result.Sort(StringComparer.Ordinal);
        return result;
    }

    private IReadOnlyList<string> SafeExpand(string baseDir, string pattern, out string? problem)
    {
        problem = null;
        try { return Glob.Expand(baseDir, pattern, Options.MaxFiles + 1); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            problem = $"cannot expand '{pattern}': {e.Message}";
            return Array.Empty<string>();
        }
    }

    /// <summary>Sum over files; unknown as soon as one file is.</summary>
    public CountResult CountFiles(IReadOnlyList<string> files, string label, CancellationToken cancellationToken = default)
    {
        if (files.Count > Options.MaxFiles) return CountResult.Fail($"'{label}' names more than {Options.MaxFiles:N0} data files; state the size instead");
        var counts = files.Select(f => CountFile(f, cancellationToken)).ToList();
        var bad = counts.FirstOrDefault(c => !c.Known);
        if (bad is not null)
        {
            string where = counts.Count > 1 ? $" ({counts.Count(c => !c.Known)} of {counts.Count} files unreadable)" : "";
            return new CountResult(null, bad.Problem!, bad.Problem + where, counts);
        }
        long total = counts.Sum(c => c.Rows!.Value);
        string detail;
        if (counts.Count == 1)
            detail = $"{counts[0].Name}: {Num(total)} {Records(total)} ({counts[0].Shape})";
        else
        {
            var parts = counts.Take(3).Select(c => $"{c.Name} {Num(c.Rows!.Value)}");
            detail = $"{label}: {Num(total)} {Records(total)} in {counts.Count} files ({string.Join(", ", parts)}{(counts.Count > 3 ? ", ..." : "")})";
        }
        return new CountResult(total, detail, null, counts);
    }

    /// <summary>One file, through the cache.</summary>
    public FileCount CountFile(string path, CancellationToken cancellationToken = default)
    {
        FileInfo info;
        try
        {
            info = new FileInfo(path);
            if (!info.Exists) return new FileCount(path, null, DataFormats.FromPath(path), "", $"{Path.GetFileName(path)}: file not found ({path})");
            _ = info.Length; // stat now: a vanished file fails here, inside the try
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return new FileCount(path, null, DataFormats.FromPath(path), "", $"{Path.GetFileName(path)}: cannot read: {e.Message}");
        }
        return Cache.GetOrAdd(info, fi => CountUncached(fi, Options, cancellationToken), keep: c => !c.Transient);
    }

    /// <summary>One file, bypassing the cache.</summary>
    public static FileCount CountUncached(FileInfo file, RecordCounterOptions options, CancellationToken cancellationToken = default)
    {
        string path = file.FullName;
        string name = file.Name;
        var format = DataFormats.FromPath(path, out var compression);
        if (format is null) return new FileCount(path, null, null, "", $"{name}: not a data file datasets can read by its extension (.jsonl .json .csv .tsv .parquet .txt .arrow)");
        if (compression is not null && compression != "gz")
            return new FileCount(path, null, format, "", $"{name}: {compression}-compressed; only gzip is counted");
        try
        {
            if (RegularFiles.NotRegular(path) is { } what)
                return new FileCount(path, null, format, "", $"{name} is {what}, not a regular file; only regular files are counted");
            using var fs = RegularFiles.OpenRead(path, bufferSize: 1, FileOptions.SequentialScan);
            ChunkCount c;
            if (format is DataFormat.Parquet or DataFormat.Arrow)
            {
                if (compression is not null) return new FileCount(path, null, format, "", $"{name}: compressed {DataFormats.Describe(format.Value)} is not counted");
                c = format == DataFormat.Parquet ? ParquetFooter.Count(fs, cancellationToken) : ArrowStreamCounter.Count(fs, cancellationToken);
            }
            else
            {
                if (fs.Length > options.MaxScanBytes)
                    return new FileCount(path, null, format, "", $"{name}: {Size(fs.Length)}, over the counting limit of {Size(options.MaxScanBytes)}; state the size instead");
                // Never past the limit, even for a file that grows while it is counted.
                using var bounded = new BoundedReadStream(fs, options.MaxScanBytes);
                using Stream input = compression == "gz" ? new GZipStream(bounded, CompressionMode.Decompress) : bounded;
                c = CountScanned(input, format.Value, options.BufferBytes, cancellationToken);
                if (compression == "gz" && c.Rows is not null) c = c with { Shape = c.Shape + ", gzip" };
            }
            if (c.Rows is null)
            {
                string where = c.ProblemOffset is long off && compression is null ? ":" + LineColumn(path, off) : "";
                return new FileCount(path, null, format, c.Shape, $"{name}{where}: {c.Problem}");
            }
            return new FileCount(path, c.Rows, format, c.Shape);
        }
        catch (OperationCanceledException) { throw; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or NotSupportedException)
        {
            return new FileCount(path, null, format, "", $"{name}: cannot read: {e.Message}") { Transient = e is not InvalidDataException };
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or OverflowException or FormatException)
        {
            // A malformed binary format (Parquet, Arrow) whose reader tripped over its own offsets.
            return new FileCount(path, null, format, "", $"{name}: malformed {DataFormats.Describe(format.Value)} file ({e.GetType().Name}: {e.Message})");
        }
    }

    /// <summary>Counts a stream of a scanned format (JSON Lines, JSON, CSV, TSV, text) from its current position.</summary>
    public static ChunkCount CountScanned(Stream input, DataFormat format, int bufferBytes = 1 << 20, CancellationToken cancellationToken = default)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(bufferBytes, SniffBytes));
        try
        {
            int filled = ReadAtLeast(input, buffer, SniffBytes);
            var head = buffer.AsSpan(0, filled);
            int start = head.StartsWith(Utf8Bom) ? 3 : 0;
            if (head.StartsWith(Utf16LeBom) || head.StartsWith(Utf16BeBom))
                return ChunkCount.Fail("UTF-16 text; datasets reads data files as UTF-8", 0, DataFormats.Describe(format));
            int nul = head.IndexOf((byte)0);
            if (nul >= 0)
                return ChunkCount.Fail($"binary content (a NUL byte), not {DataFormats.Describe(format)}", nul, DataFormats.Describe(format));

            ChunkCounter counter = format switch
            {
                DataFormat.JsonLines => FirstContent(head[start..]) is (byte)'[' ? new JsonDocumentCounter() : new JsonLinesCounter(),
                DataFormat.Json => new JsonDocumentCounter(),
                DataFormat.Csv => new CsvCounter((byte)','),
                DataFormat.Tsv => new CsvCounter((byte)'\t'),
                DataFormat.Text => new TextLineCounter(),
                _ => throw new ArgumentOutOfRangeException(nameof(format), format, "not a scanned format"),
            };
            if (format == DataFormat.JsonLines && counter is JsonLinesCounter && FirstContent(head[start..]) is byte first && first != (byte)'{')
                return ChunkCount.Fail($"not JSON Lines: the first record starts with '{(char)first}', not '{{'", start + head[start..].IndexOf(first), "JSON Lines");

            counter.Feed(buffer.AsSpan(start, filled - start));
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int n = input.Read(buffer, 0, buffer.Length);
                if (n <= 0) break;
                counter.Feed(buffer.AsSpan(0, n));
            }
            var result = counter.Finish();
            // Offsets are relative to the first byte after the BOM.
            return result.ProblemOffset is long o ? result with { ProblemOffset = o + start } : result;
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    // Not "\xEF..."u8: in a UTF-8 literal \xEF is the character U+00EF, encoded as two bytes.
    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];
    private static ReadOnlySpan<byte> Utf16LeBom => [0xFF, 0xFE];
    private static ReadOnlySpan<byte> Utf16BeBom => [0xFE, 0xFF];

    private static byte? FirstContent(ReadOnlySpan<byte> s)
    {
        int i = s.IndexOfAnyExcept(" \t\r\n"u8);
        return i < 0 ? null : s[i];
    }

    private static int ReadAtLeast(Stream s, byte[] buffer, int want)
    {
        int filled = 0;
        while (filled < want)
        {
            int n = s.Read(buffer, filled, buffer.Length - filled);
            if (n <= 0) break;
            filled += n;
        }
        return filled;
    }

    /// <summary>"line:column" (1-based; column in bytes) of a byte offset, found by re-reading up to it.</summary>
    public static string LineColumn(string path, long offset)
    {
        try
        {
            using var fs = RegularFiles.OpenRead(path, 1 << 16);
            var buf = new byte[1 << 16];
            long line = 1, lineStart = 0, pos = 0;
            while (pos < offset)
            {
                int n = fs.Read(buf, 0, (int)Math.Min(buf.Length, offset - pos));
                if (n <= 0) break;
                var span = buf.AsSpan(0, n);
                int last = span.LastIndexOf((byte)'\n');
                if (last >= 0)
                {
                    line += span.Count((byte)'\n');
                    lineStart = pos + last + 1;
                }
                pos += n;
            }
            return $"{line}:{offset - lineStart + 1}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"byte {offset}";
        }
    }

    internal static string Num(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
    internal static string Records(long n) => n == 1 ? "record" : "records";

    internal static string Size(long bytes) => bytes >= 1L << 30
        ? (bytes / (double)(1L << 30)).ToString("0.#", CultureInfo.InvariantCulture) + " GiB"
        : (bytes / (double)(1L << 20)).ToString("0.#", CultureInfo.InvariantCulture) + " MiB";
}
