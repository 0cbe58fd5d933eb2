using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Stepwise.Cli.Output;

/// <summary>Moves what a Utf8JsonWriter wrote so far to the output text, so a report is streamed, not held whole.</summary>
internal static class ChunkedJson
{
    /// <summary>Call between values: the writer's bytes then end at a token boundary, so no UTF-8 sequence is cut.</summary>
    public static void Drain(Utf8JsonWriter w, ArrayBufferWriter<byte> buffer, TextWriter output)
    {
        w.Flush();
        if (buffer.WrittenCount == 0) return;
        output.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
        buffer.ResetWrittenCount();
    }
}
