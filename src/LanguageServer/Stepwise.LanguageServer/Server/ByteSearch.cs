using System.Buffers;

namespace Stepwise.LanguageServer.Server;

/// <summary>Searches over the framing's bytes (a <see cref="ReadOnlySequence{T}"/> that may span several segments)
/// without copying them; the case-insensitive ones fold ASCII letters only, as header names are ASCII.</summary>
internal static class ByteSearch
{
    public static bool IsWhiteSpace(ReadOnlySequence<byte> buffer) => FirstNonWhiteSpace(buffer, 0) < 0;

    public static long FirstNonWhiteSpace(ReadOnlySequence<byte> buffer, long from)
    {
        long i = from;
        foreach (var segment in buffer.Slice(from))
        {
            foreach (var b in segment.Span)
            {
                if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) return i;
                i++;
            }
        }
        return -1;
    }

    public static long IndexOf(ReadOnlySequence<byte> buffer, byte[] delimiter, long from)
    {
        var reader = new SequenceReader<byte>(buffer.Slice(from));
        return reader.TryReadTo(out ReadOnlySequence<byte> before, delimiter, advancePastDelimiter: false) ? from + before.Length : -1;
    }

    private static byte Lower(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;

    public static bool MatchAt(ReadOnlySequence<byte> buffer, long at, ReadOnlySpan<byte> needle)
    {
        if (at + needle.Length > buffer.Length) return false;
        Span<byte> window = stackalloc byte[needle.Length];
        buffer.Slice(at, needle.Length).CopyTo(window);
        for (int k = 0; k < needle.Length; k++) if (Lower(window[k]) != Lower(needle[k])) return false;
        return true;
    }

    /// <summary>First ASCII-case-insensitive occurrence of <paramref name="needle"/> at or after <paramref name="from"/>.</summary>
    public static long IndexOfIgnoreCase(ReadOnlySequence<byte> buffer, byte[] needle, long from)
    {
        byte upper = needle[0], lower = Lower(needle[0]);
        long i = from;
        foreach (var segment in buffer.Slice(from))
        {
            var span = segment.Span;
            int k = 0;
            while (k < span.Length)
            {
                int hit = span[k..].IndexOfAny(upper, lower);
                if (hit < 0) break;
                k += hit;
                if (MatchAt(buffer, i + k, needle)) return i + k;
                k++;
            }
            i += span.Length;
        }
        return -1;
    }

    /// <summary>Last ASCII-case-insensitive occurrence of <paramref name="needle"/> that starts before <paramref name="before"/>.</summary>
    public static long LastIndexOfIgnoreCase(ReadOnlySequence<byte> buffer, byte[] needle, long before)
    {
        long last = -1, at = 0;
        while ((at = IndexOfIgnoreCase(buffer, needle, at)) >= 0 && at < before) { last = at; at++; }
        return last;
    }
}
