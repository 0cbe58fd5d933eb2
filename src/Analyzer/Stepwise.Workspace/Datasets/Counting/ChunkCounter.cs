namespace Stepwise.Workspace.Datasets.Counting;

/// <summary>
/// A record counter fed a file's bytes in order, one chunk at a time, so no file is ever held whole in memory
/// and no record is ever built. Chunk boundaries may fall anywhere (inside a string, a CRLF, a UTF-8 sequence).
/// </summary>
public abstract class ChunkCounter
{
    /// <summary>Bytes fed so far: the offset of the next chunk's first byte in the file.</summary>
    public long Offset { get; protected set; }

    public abstract void Feed(ReadOnlySpan<byte> chunk);

    /// <summary>Called once after the last chunk.</summary>
    public abstract ChunkCount Finish();
}

/// <summary>What a <see cref="ChunkCounter"/> found: a row count, or why there is none (with the byte offset).</summary>
public readonly record struct ChunkCount(long? Rows, string Shape, string? Problem = null, long? ProblemOffset = null)
{
    public static ChunkCount Ok(long rows, string shape) => new(rows, shape);
    public static ChunkCount Fail(string problem, long? offset = null, string shape = "") => new(null, shape, problem, offset);
}
