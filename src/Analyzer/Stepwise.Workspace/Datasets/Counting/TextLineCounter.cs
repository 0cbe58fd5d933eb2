using System.Runtime.CompilerServices;
namespace Stepwise.Workspace.Datasets.Counting;

/// <summary>
/// Counts the rows datasets' <c>text</c> builder makes: one per line, blank lines included (it splits with
/// <c>readlines()</c> on a file opened with universal newlines, so '\n', "\r\n" and a lone '\r' each end a line);
/// a last line without a terminator is a row, an empty file has none.
/// </summary>
public sealed class TextLineCounter : ChunkCounter
{
    private long _lines;
    private bool _pendingCr;    // the previous chunk ended with '\r' (a "\r\n" may straddle the boundary)
    private bool _partialLine;  // bytes after the last terminator

    // Hot loop: compile optimised at once; a one-shot `check` would otherwise count at tier 0.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Feed(ReadOnlySpan<byte> chunk)
    {
        if (chunk.IsEmpty) return;
        long lf = chunk.Count((byte)'\n');
        long cr = chunk.IndexOf((byte)'\r') < 0 ? 0 : chunk.Count((byte)'\r');
        long crlf = cr == 0 ? 0 : chunk.Count("\r\n"u8);
        // A "\r\n" split across chunks: the '\r' was already counted as a line end, so its '\n' is not another.
        if (_pendingCr && chunk[0] == (byte)'\n') lf--;
        _lines += lf + cr - crlf;
        byte last = chunk[^1];
        _pendingCr = last == (byte)'\r';
        _partialLine = last != (byte)'\n' && last != (byte)'\r';
        Offset += chunk.Length;
    }

    public override ChunkCount Finish() => ChunkCount.Ok(_lines + (_partialLine ? 1 : 0), "text lines");
}
