using System.Buffers.Binary;

namespace Stepwise.Workspace.Datasets.Counting;

/// <summary>
/// Row count of a Parquet file from its footer (FileMetaData.num_rows, Thrift field 3); no data page is read.
/// </summary>
/// <remarks>
/// The footer is read with a small Thrift compact-protocol walker rather than Parquet.Net: a corrupted footer
/// made Parquet.Net's reader hang in our fuzz test, and a check must never hang. Every step here consumes at
/// least one byte of a bounded buffer and nesting is capped, so it always ends.
/// Format: https://github.com/apache/parquet-format (File format; FileMetaData in parquet.thrift) and
/// https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md.
/// </remarks>
public static class ParquetFooter
{
    private const int MaxFooter = 256 << 20;
    private static ReadOnlySpan<byte> Magic => "PAR1"u8;

    public static ChunkCount Count(Stream stream, CancellationToken cancellationToken = default)
    {
        if (stream.Length < 12) return ChunkCount.Fail("too short to be a Parquet file", 0, "Parquet");
        Span<byte> head = stackalloc byte[4], tail = stackalloc byte[8];
        stream.Position = 0;
        stream.ReadExactly(head);
        stream.Position = stream.Length - 8;
        stream.ReadExactly(tail);
        if (!head.SequenceEqual(Magic)) return ChunkCount.Fail("not a Parquet file (no PAR1 magic at the start)", 0, "Parquet");
        if (!tail[4..].SequenceEqual(Magic))
            return ChunkCount.Fail(tail[4..].SequenceEqual("PARE"u8) ? "encrypted Parquet footer" : "no PAR1 magic at the end: truncated or still being written", stream.Length - 4, "Parquet");
        int length = BinaryPrimitives.ReadInt32LittleEndian(tail);
        if (length <= 0 || length > MaxFooter || length > stream.Length - 12)
            return ChunkCount.Fail($"bad footer length {length}", stream.Length - 8, "Parquet");
        cancellationToken.ThrowIfCancellationRequested();
        var footer = new byte[length];
        stream.Position = stream.Length - 8 - length;
        stream.ReadExactly(footer);

        var reader = new CompactReader(footer);
        long? rows = null;
        int? rowGroups = null;
        short lastId = 0;
        while (reader.Ok)
        {
            byte header = reader.Byte();
            if (!reader.Ok || header == 0) break;
            int type = header & 0x0F;
            int delta = header >> 4;
            short id = delta == 0 ? (short)reader.ZigZag() : (short)(lastId + delta);
            lastId = id;
            if (id == 3 && type == 6) rows = reader.ZigZag();
            else if (id == 4 && type == 9) rowGroups = reader.SkipList(depth: 0);
            else reader.Skip(type, depth: 0);
        }
        if (!reader.Ok) return ChunkCount.Fail("unreadable Parquet footer (corrupt FileMetaData)", stream.Length - 8 - length, "Parquet");
        if (rows is not long n || n < 0) return ChunkCount.Fail("the Parquet footer has no num_rows", stream.Length - 8 - length, "Parquet");
        return ChunkCount.Ok(n, rowGroups is int g ? $"Parquet footer, {g} row group(s)" : "Parquet footer");
    }

    /// <summary>Thrift compact protocol, only as far as skipping values; any overrun sets <see cref="Ok"/> false.</summary>
    private ref struct CompactReader
    {
        private const int MaxDepth = 64;
        private readonly ReadOnlySpan<byte> _b;
        private int _at;

        public CompactReader(ReadOnlySpan<byte> bytes) { _b = bytes; _at = 0; Ok = true; }

        public bool Ok { get; private set; }

        public byte Byte()
        {
            if (_at >= _b.Length) { Ok = false; return 0; }
            return _b[_at++];
        }

        public ulong Varint()
        {
            ulong v = 0;
            for (int shift = 0; shift < 64 && Ok; shift += 7)
            {
                byte x = Byte();
                v |= (ulong)(x & 0x7F) << shift;
                if ((x & 0x80) == 0) return v;
            }
            Ok = false;
            return 0;
        }

        public long ZigZag()
        {
            ulong v = Varint();
            return (long)(v >> 1) ^ -(long)(v & 1);
        }

        private void Advance(long n)
        {
            if (n < 0 || n > _b.Length - _at) { Ok = false; return; }
            _at += (int)n;
        }

        public void Skip(int type, int depth)
        {
            if (depth > MaxDepth) { Ok = false; return; }
            switch (type)
            {
                case 1: case 2: break;                          // booleans live in the type nibble
                case 3: Advance(1); break;
                case 4: case 5: case 6: Varint(); break;
                case 7: Advance(8); break;
                case 8: Advance((long)Varint()); break;
                case 9: case 10: SkipList(depth); break;
                case 11:
                {
                    ulong size = Varint();
                    if (size == 0 || !Ok) break;
                    byte kv = Byte();
                    for (ulong i = 0; i < size && Ok; i++) { Skip(kv >> 4, depth + 1); Skip(kv & 0x0F, depth + 1); }
                    break;
                }
                case 12:
                    short last = 0;
                    while (Ok)
                    {
                        byte h = Byte();
                        if (!Ok || h == 0) break;
                        int delta = h >> 4;
                        last = delta == 0 ? (short)ZigZag() : (short)(last + delta);
                        Skip(h & 0x0F, depth + 1);
                    }
                    break;
                default: Ok = false; break;
            }
        }

        /// <summary>Skips a list or set; returns its element count.</summary>
        public int SkipList(int depth)
        {
            byte h = Byte();
            long size = h >> 4;
            if (size == 15) size = (long)Varint();
            int elem = h & 0x0F;
            if (size < 0 || size > _b.Length) { Ok = false; return 0; } // every element takes at least one byte
            for (long i = 0; i < size && Ok; i++)
            {
                if (elem is 1 or 2) Advance(1); // list booleans take a byte each
                else Skip(elem, depth + 1);
            }
            return (int)size;
        }
    }
}
