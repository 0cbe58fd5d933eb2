using System.Buffers.Binary;

namespace Stepwise.Workspace.Datasets.Counting;

/// <summary>
/// Row count of an Arrow IPC file (the <c>.arrow</c> files of the datasets cache and of <c>save_to_disk</c>,
/// written in the streaming format; the random-access file format, magic "ARROW1", works too): the sum of the
/// <c>length</c> of every RecordBatch message. Only message headers are read; batch bodies are skipped by seeking.
/// </summary>
/// <remarks>
/// Format: https://arrow.apache.org/docs/format/Columnar.html#encapsulated-message-format — each message is an
/// optional 0xFFFFFFFF continuation marker, an int32 metadata size (0 = end of stream), a flatbuffer
/// <c>Message { version: short; header_type: ubyte; header: table; bodyLength: long }</c> and the body.
/// RecordBatch (header_type 3) has <c>length: long</c> as its first field. Flatbuffer tables are read by hand:
/// a uoffset to the root table, a soffset from the table to its vtable, vtable entries as uint16 field offsets.
/// </remarks>
public static class ArrowStreamCounter
{
    private const byte RecordBatch = 3;
    private const int MaxMetadata = 64 << 20;

    public static ChunkCount Count(Stream stream, CancellationToken cancellationToken = default)
    {
        stream.Position = 0;
        Span<byte> word = stackalloc byte[8];
        if (stream.Length >= 8)
        {
            stream.ReadExactly(word);
            if (!word[..6].SequenceEqual("ARROW1"u8)) stream.Position = 0;
        }
        long rows = 0, batches = 0;
        byte[] meta = [];
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long at = stream.Position;
            if (stream.Length - at < 4) break; // a stream may end without the end-of-stream marker
            stream.ReadExactly(word[..4]);
            int size = BinaryPrimitives.ReadInt32LittleEndian(word);
            if (size == -1)
            {
                if (stream.Length - stream.Position < 4) return ChunkCount.Fail("truncated Arrow message", at, "Arrow");
                stream.ReadExactly(word[..4]);
                size = BinaryPrimitives.ReadInt32LittleEndian(word);
            }
            if (size == 0) break;
            if (size < 0 || size > MaxMetadata || size > stream.Length - stream.Position)
                return ChunkCount.Fail("not an Arrow IPC stream (bad message size)", at, "Arrow");
            if (meta.Length < size) meta = new byte[Math.Max(size, 1024)];
            stream.ReadExactly(meta, 0, size);
            if (!TryReadMessage(meta.AsSpan(0, size), out byte headerType, out long bodyLength, out long batchRows))
                return ChunkCount.Fail("not an Arrow IPC stream (unreadable message header)", at, "Arrow");
            if (headerType == RecordBatch) { rows += batchRows; batches++; }
            if (bodyLength < 0 || bodyLength > stream.Length - stream.Position)
                return ChunkCount.Fail("truncated Arrow file (a message body runs past the end)", at, "Arrow");
            stream.Seek(bodyLength, SeekOrigin.Current);
            // The file format ends with a footer after the end-of-stream marker; we stop at the marker.
        }
        return ChunkCount.Ok(rows, $"Arrow IPC, {batches} record batch(es)");
    }

    private static bool TryReadMessage(ReadOnlySpan<byte> m, out byte headerType, out long bodyLength, out long rows)
    {
        headerType = 0; bodyLength = 0; rows = 0;
        if (!TryTable(m, ReadU32(m, 0), out int table)) return false;
        if (Field(m, table, 1) is int ht && ht + 1 <= m.Length) headerType = m[ht];
        if (Field(m, table, 3) is int bl && bl + 8 <= m.Length) bodyLength = BinaryPrimitives.ReadInt64LittleEndian(m[bl..]);
        if (headerType == RecordBatch)
        {
            if (Field(m, table, 2) is not int hp || hp + 4 > m.Length) return false;
            if (!TryTable(m, hp + (long)ReadU32(m, hp), out int batch)) return false;
            if (Field(m, batch, 0) is int lp && lp + 8 <= m.Length) rows = BinaryPrimitives.ReadInt64LittleEndian(m[lp..]);
        }
        return true;
    }

    private static long ReadU32(ReadOnlySpan<byte> m, int at) => at + 4 <= m.Length ? BinaryPrimitives.ReadUInt32LittleEndian(m[at..]) : -1;

    private static bool TryTable(ReadOnlySpan<byte> m, long at, out int table)
    {
        table = (int)at;
        if (at < 0 || at + 4 > m.Length) return false;
        long vtable = at - BinaryPrimitives.ReadInt32LittleEndian(m[(int)at..]);
        return vtable >= 0 && vtable + 4 <= m.Length;
    }

    /// <summary>Absolute position of field <paramref name="index"/> of the table at <paramref name="table"/>, or null when absent.</summary>
    private static int? Field(ReadOnlySpan<byte> m, int table, int index)
    {
        int vtable = table - BinaryPrimitives.ReadInt32LittleEndian(m[table..]);
        int vtSize = BinaryPrimitives.ReadUInt16LittleEndian(m[vtable..]);
        int entry = 4 + 2 * index;
        if (entry + 2 > vtSize || vtable + entry + 2 > m.Length) return null;
        int off = BinaryPrimitives.ReadUInt16LittleEndian(m[(vtable + entry)..]);
        return off == 0 ? null : table + off;
    }
}
