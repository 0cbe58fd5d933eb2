using System.Runtime.InteropServices;
using System.Text;

namespace Stepwise.Workspace;

/// <summary>
/// Every file the analyzer reads (a config, the DeepSpeed or accelerate file it names, dataset files and registries,
/// git's HEAD) is opened here: regular files only, and never more than a size limit. A FIFO would block open(2)
/// until a writer comes (so `check` hung on `deepspeed: my.fifo`), and a character device has no end (/dev/zero
/// grew the process to an OutOfMemoryException): both are refused with a reason before anything opens them.
/// </summary>
public static class RegularFiles
{
    /// <summary>Null for a regular file (symbolic links followed), else what it is instead ("a FIFO (named pipe)").</summary>
    public static string? NotRegular(string path)
    {
        if (Directory.Exists(path)) return "a folder";
        if (OperatingSystem.IsLinux() && TypeOf(path) is { } type)
        {
            return type switch
            {
                S_IFREG => null,
                S_IFDIR => "a folder",
                S_IFIFO => "a FIFO (named pipe)",
                S_IFCHR => "a character device",
                S_IFBLK => "a block device",
                S_IFSOCK => "a socket",
                _ => "not a regular file",
            };
        }
        return File.Exists(path) ? null : "no such file";
    }

    /// <summary>Opens a regular file for reading; anything else is an IOException saying what it is.</summary>
    public static FileStream OpenRead(string path, int bufferSize = 4096, FileOptions options = FileOptions.None)
    {
        if (NotRegular(path) is { } what) throw new IOException($"{Path.GetFileName(path)} is {what}, not a regular file");
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize, options);
    }

    /// <summary>The bytes of a regular file of at most <paramref name="limit"/> bytes (checked before and while
    /// reading: a file that grows is not followed past the limit).</summary>
    public static byte[] ReadAllBytes(string path, long limit)
    {
        using var fs = OpenRead(path, bufferSize: 1);
        long length = fs.Length;
        if (length > limit) throw new FileTooLargeException(path, length, limit);
        var bytes = new byte[length];
        int filled = 0;
        while (filled < bytes.Length)
        {
            int n = fs.Read(bytes, filled, bytes.Length - filled);
            if (n <= 0) break;
            filled += n;
        }
        if (filled < bytes.Length) return bytes.AsSpan(0, filled).ToArray(); // shrank meanwhile
        // Grown since its size was read: take what fits under the limit, refuse more.
        var extra = new byte[Math.Min(64 * 1024, limit - length + 1)];
        if (extra.Length > 0 && fs.Read(extra, 0, extra.Length) is int more && more > 0)
        {
            if (length + more > limit) throw new FileTooLargeException(path, length + more, limit);
            var grown = new MemoryStream();
            grown.Write(bytes);
            grown.Write(extra, 0, more);
            int k;
            while ((k = fs.Read(extra, 0, extra.Length)) > 0)
            {
                if (grown.Length + k > limit) throw new FileTooLargeException(path, grown.Length + k, limit);
                grown.Write(extra, 0, k);
            }
            return grown.ToArray();
        }
        return bytes;
    }

    /// <summary>The UTF-8 text of a small regular file (git refs, HEAD), or null when it cannot be read.</summary>
    public static string? ReadSmallText(string path, long limit = 64 * 1024)
    {
        try { return Encoding.UTF8.GetString(ReadAllBytes(path, limit)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    // statx(2) has one layout on every Linux architecture (unlike struct stat): stx_mode is the u16 at offset 28.
    private const int AT_FDCWD = -100;
    private const uint STATX_TYPE = 0x1;
    private const int S_IFMT = 0xF000, S_IFREG = 0x8000, S_IFDIR = 0x4000, S_IFIFO = 0x1000, S_IFCHR = 0x2000, S_IFBLK = 0x6000, S_IFSOCK = 0xC000;
    private static bool _noStatx;

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, byte[] pathname, int flags, uint mask, byte[] statxbuf);

    private static int? TypeOf(string path)
    {
        if (_noStatx) return null;
        try
        {
            var name = Encoding.UTF8.GetBytes(path + "\0");
            var buf = new byte[256];
            if (Statx(AT_FDCWD, name, 0, STATX_TYPE, buf) != 0) return null; // no such file, permission: File.Exists answers
            return BitConverter.ToUInt16(buf, 28) & S_IFMT;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            _noStatx = true; // glibc before 2.28, or another C library: fall back to what .NET tells
            return null;
        }
    }
}

/// <summary>A file above the size limit of what is read whole.</summary>
public sealed class FileTooLargeException : IOException
{
    public FileTooLargeException(string path, long length, long limit)
        : base($"{Path.GetFileName(path)} is {Mb(length)}; files above {Mb(limit)} are not read") { Length = length; Limit = limit; }

    public long Length { get; }
    public long Limit { get; }

    private static string Mb(long bytes) => bytes >= 1024 * 1024 ? $"{bytes / (1024 * 1024)} MB" : $"{bytes:N0} bytes";
}

/// <summary>Reads through to an inner stream and fails once more than a limit of bytes came out of it.</summary>
public sealed class BoundedReadStream : Stream
{
    private readonly Stream _inner;
    private readonly long _limit;
    private long _read;

    public BoundedReadStream(Stream inner, long limit) { _inner = inner; _limit = limit; }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = _inner.Read(buffer);
        _read += n;
        if (_read > _limit) throw new FileTooLargeException((_inner as FileStream)?.Name ?? "the stream", _read, _limit);
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        // The caller owns the inner stream.
        base.Dispose(disposing);
    }
}
