using Parquet;

namespace Stepwise.Workspace.Datasets.Counting;

/// <summary>Row count of a Parquet file from its footer metadata (FileMetaData.num_rows); no data page is read.</summary>
public static class ParquetFooter
{
    private static ReadOnlySpan<byte> Magic => "PAR1"u8;

    public static ChunkCount Count(Stream stream, CancellationToken cancellationToken = default)
    {
        // Check the magic ourselves first so a truncated or non-Parquet file gets a plain answer.
        if (stream.Length < 12) return ChunkCount.Fail("too short to be a Parquet file", 0, "Parquet");
        Span<byte> head = stackalloc byte[4], tail = stackalloc byte[4];
        stream.Position = 0;
        stream.ReadExactly(head);
        stream.Position = stream.Length - 4;
        stream.ReadExactly(tail);
        if (!head.SequenceEqual(Magic)) return ChunkCount.Fail("not a Parquet file (no PAR1 magic at the start)", 0, "Parquet");
        if (!tail.SequenceEqual(Magic))
            return ChunkCount.Fail(tail.SequenceEqual("PARE"u8) ? "encrypted Parquet footer" : "no PAR1 magic at the end: truncated or still being written", stream.Length - 4, "Parquet");
        stream.Position = 0;
        try
        {
            var reader = ParquetReader.CreateAsync(stream, leaveStreamOpen: true, cancellationToken: cancellationToken).GetAwaiter().GetResult();
            try
            {
                long rows = reader.Metadata?.NumRows ?? reader.RowGroups.Sum(g => g.RowCount);
                return ChunkCount.Ok(rows, $"Parquet footer, {reader.RowGroupCount} row group(s)");
            }
            finally { reader.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
        }
        catch (OperationCanceledException) { throw; }
        catch (Exception e)
        {
            return ChunkCount.Fail($"unreadable Parquet footer: {e.Message}", null, "Parquet");
        }
    }
}
