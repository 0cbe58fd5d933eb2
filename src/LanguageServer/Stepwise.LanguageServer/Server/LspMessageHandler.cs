using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;
using static Stepwise.LanguageServer.Server.ByteSearch;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// LSP's header framing (<c>Content-Length: N\r\n\r\n</c> + N bytes of JSON), tolerant where StreamJsonRpc's
/// HeaderDelimitedMessageHandler closes the connection, and always able to find the next message again:
/// <list type="bullet">
/// <item>A header block is read from its last <c>Content-Length:</c>: garbage glued in front of a header (the rest of a
/// body whose length was wrong) is dropped. A length that is negative, not a number, beyond int64 or above
/// <see cref="MaxMessageBytes"/> is unusable: the block is dropped and the bytes after it are scanned for the next
/// <c>Content-Length:</c>.</item>
/// <item>A usable length is read as declared, except that a body that cannot become valid JSON (a complete JSON value
/// followed by more than whitespace, or bytes that are not JSON followed by a <c>Content-Length:</c>) ends where the
/// next header starts: a length larger than the body that follows costs that one message, not the rest.</item>
/// <item>A message that is not JSON gets a Parse error (-32700), one that is JSON but not a JSON-RPC message this
/// server reads an Invalid Request (-32600); both carry the request's id when it could be read (null otherwise).</item>
/// </list>
/// Every dropped message or stretch of bytes is logged with one line. The connection stays open either way.
/// </summary>
public sealed class LspMessageHandler : MessageHandlerBase
{
    public const long MaxMessageBytes = 256L * 1024 * 1024;
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] ContentLength = "Content-Length:"u8.ToArray();
    /// <summary>Nesting the id reader and the body scanner follow (the formatter stops at 64 levels).</summary>
    internal const int ScanDepth = 1 << 20;
    private readonly PipeReader _input;
    private readonly Stream _output;
    private readonly Action<string> _log;
    private readonly ArrayBufferWriter<byte> _body = new();
    private int _traced, _tracedWrites;
    /// <summary>Set after a message was dropped: the bytes up to the next usable header are part of it (one log line).</summary>
    private bool _skipping;

    public LspMessageHandler(Stream output, Stream input, IJsonRpcMessageFormatter formatter, Action<string> log) : base(formatter)
    {
        _output = output;
        _input = PipeReader.Create(input, new StreamPipeReaderOptions(bufferSize: 64 * 1024));
        _log = log;
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;

    protected override async ValueTask<JsonRpcMessage?> ReadCoreAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            long? declared = await ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
            if (declared is not long length) return null;

            var body = await ReadBodyAsync(length, cancellationToken).ConfigureAwait(false);
            if (body.Eof) return null;
            var content = body.Buffer.Slice(0, body.Length);
            string reason = body.CutReason ?? "";
            if (body.CutReason is null)
            {
                try
                {
                    if (StartupTrace.Enabled && _traced < 8) StartupTrace.Mark($"message body read ({length} bytes)");
                    var message = Formatter.Deserialize(content);
                    if (StartupTrace.Enabled && _traced++ < 8) StartupTrace.Mark($"message parsed: {(message as JsonRpcRequest)?.Method}");
                    _input.AdvanceTo(content.End);
                    _skipping = false;
                    return message;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Not a message as declared. A JSON value that ends early (the length was too large) or bytes that are
                    // not JSON with a header inside are cut where the next message starts.
                    (long cut, string? why) = CutPoint(body.Buffer, length);
                    content = body.Buffer.Slice(0, cut);
                    reason = why ?? ex.GetBaseException().Message;
                }
            }
            var replies = MalformedMessages.Replies(content, reason, framing: content.Length != length, _log);
            _input.AdvanceTo(content.End);
            // What follows up to the next header belongs to this dropped message: the header reader says nothing more of it.
            _skipping = true;
            foreach (var reply in replies) await WriteAsync(reply, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The length of the next usable header block (consumed), or null at the end of the input.</summary>
    private async ValueTask<long?> ReadHeaderAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            // Usually the whole header sits in one segment: a span search, no SequenceReader<byte> (whose
            // generic code the JIT would compile on the first message).
            long end = buffer.IsSingleSegment ? buffer.FirstSpan.IndexOf(HeaderEnd) : IndexOf(buffer, HeaderEnd, 0);
            if (end < 0)
            {
                if (result.IsCompleted)
                {
                    if (buffer.Length > 0 && !IsWhiteSpace(buffer)) _log($"input ended inside an LSP header: {buffer.Length} bytes dropped");
                    _input.AdvanceTo(buffer.End);
                    return null;
                }
                if (buffer.Length > 64 * 1024)
                {
                    // No header end in 64 KiB: garbage, unless a header starts in it. Keep the bytes that could begin one.
                    long start = LastIndexOfIgnoreCase(buffer, ContentLength, buffer.Length);
                    long drop = start > 0 ? start : buffer.Length - (ContentLength.Length - 1);
                    if (!_skipping) _log($"no LSP header end in {buffer.Length:N0} bytes: {drop:N0} bytes dropped");
                    _skipping = true;
                    _input.AdvanceTo(buffer.GetPosition(drop), buffer.End);
                    continue;
                }
                _input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            var block = buffer.Slice(0, end);
            // The last Content-Length of the block is the header of the message that follows: whatever is before it on
            // its line is the tail of something that went wrong (a body shorter than its length said).
            long at = LastIndexOfIgnoreCase(block, ContentLength, block.Length);
            if (at > 0 && !_skipping && !AreHeaderLines(block.Slice(0, at)))
                _log($"{at:N0} bytes that are not LSP framing before a header ({Preview(block)}): dropped");
            var (length, valueText) = at < 0 ? (null, null) : ParseLength(block.Slice(at + ContentLength.Length));
            string preview = at < 0 && !_skipping ? Preview(block) : ""; // the buffer is not ours once advanced past
            _input.AdvanceTo(buffer.GetPosition(end + HeaderEnd.Length));
            if (length is long n) { _skipping = false; return n; }
            if (at >= 0)
                _log($"LSP header with an unusable Content-Length '{valueText}' (a length from 0 to {MaxMessageBytes:N0} bytes is needed): the message is dropped up to the next header");
            else if (!_skipping)
                _log($"LSP header block without Content-Length ({preview}): {end + HeaderEnd.Length:N0} bytes dropped");
            _skipping = true;
        }
    }

    /// <summary>The buffer, the body's length in it, and why it is shorter than declared (null when it is not).</summary>
    private readonly record struct Body(ReadOnlySequence<byte> Buffer, long Length, bool Eof, string? CutReason = null);

    /// <summary>
    /// Waits for <paramref name="length"/> bytes, or fewer when the bytes so far can never become a JSON value of that
    /// length: a complete value followed by more than whitespace, or invalid JSON with a <c>Content-Length:</c> after the
    /// point where it went wrong. The buffer is not consumed.
    /// </summary>
    private async ValueTask<Body> ReadBodyAsync(long length, CancellationToken cancellationToken)
    {
        var state = new JsonReaderState(new JsonReaderOptions { MaxDepth = ScanDepth });
        long scanned = 0, valueEnd = -1, invalidAt = -1, searched = 0;
        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= length) return new Body(buffer, length, false);
            if (result.IsCompleted)
            {
                _log($"input ended inside a message body ({buffer.Length:N0} of {length:N0} bytes): dropped");
                _input.AdvanceTo(buffer.End);
                return new Body(buffer, 0, true);
            }

            if (valueEnd < 0 && invalidAt < 0)
            {
                try
                {
                    var reader = new Utf8JsonReader(buffer.Slice(scanned), isFinalBlock: false, state);
                    while (reader.Read())
                    {
                        if (reader.CurrentDepth == 0 && reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray or JsonTokenType.PropertyName))
                        {
                            valueEnd = scanned + reader.BytesConsumed;
                            break;
                        }
                    }
                    scanned += reader.BytesConsumed;
                    state = reader.CurrentState;
                }
                catch (JsonException) { invalidAt = scanned; searched = scanned; }
            }
            if (valueEnd >= 0)
            {
                long next = FirstNonWhiteSpace(buffer, valueEnd);
                if (next >= 0) return new Body(buffer, valueEnd, false, $"Content-Length {length:N0} is larger than the message ({valueEnd:N0} bytes)");
            }
            else if (invalidAt >= 0)
            {
                long header = IndexOfIgnoreCase(buffer, ContentLength, searched);
                if (header >= 0) return new Body(buffer, header, false, $"not JSON, and a Content-Length header follows at byte {header:N0} of the {length:N0} declared");
                searched = Math.Max(searched, buffer.Length - (ContentLength.Length - 1));
            }
            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// Where a body of the declared length that did not deserialize really ends, and why: after its first JSON value
    /// when more than whitespace follows it, or at a <c>Content-Length:</c> inside bytes that are not JSON (one that
    /// starts inside the body and runs past it counts too). A body that is not JSON and ends with the start of a header
    /// name ("Content-Le") leaves those bytes to the header reader. Otherwise the declared length (reason null).
    /// </summary>
    private static (long Cut, string? Reason) CutPoint(ReadOnlySequence<byte> buffer, long length)
    {
        var content = buffer.Slice(0, length);
        try
        {
            var reader = new Utf8JsonReader(content, new JsonReaderOptions { MaxDepth = ScanDepth });
            if (reader.Read())
            {
                reader.Skip();
                long end = reader.BytesConsumed;
                if (FirstNonWhiteSpace(content, end) >= 0) return (end, $"Content-Length {length:N0} is larger than the message ({end:N0} bytes)");
            }
            return (length, null);
        }
        catch (JsonException)
        {
            long header = IndexOfIgnoreCase(buffer.Slice(0, Math.Min(buffer.Length, length + ContentLength.Length - 1)), ContentLength, 0);
            if (header >= 0 && header < length) return (header, $"not JSON, and a Content-Length header follows at byte {header:N0} of the {length:N0} declared");
            for (int k = Math.Min(ContentLength.Length - 1, (int)length); k > 0; k--)
                if (MatchAt(content, length - k, ContentLength.AsSpan(0, k))) return (length - k, null);
            return (length, null);
        }
    }

    /// <summary>The value of a Content-Length header (the bytes after its colon up to the end of the line): a whole
    /// number from 0 to <see cref="MaxMessageBytes"/>, else null with the text for the log.</summary>
    private static (long? Length, string Text) ParseLength(ReadOnlySequence<byte> rest)
    {
        long eol = IndexOf(rest, "\r\n"u8.ToArray(), 0);
        var value = rest.Slice(0, eol < 0 ? rest.Length : eol);
        string text = Encoding.ASCII.GetString(value.Slice(0, Math.Min(value.Length, 40)).ToArray()).Trim();
        if (value.Length > 40) return (null, text + "...");
        return long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n <= MaxMessageBytes
            ? (n, text) : (null, text);
    }

    private static string Preview(ReadOnlySequence<byte> block)
    {
        var bytes = block.Slice(0, Math.Min(block.Length, 40)).ToArray();
        var sb = new StringBuilder();
        foreach (var b in bytes) sb.Append(b is >= 0x20 and < 0x7f ? (char)b : '.');
        return "'" + sb + (block.Length > 40 ? "...'" : "'");
    }

    /// <summary>Whether the bytes are whole header lines ("Name: value\r\n" each), as in front of a Content-Length.</summary>
    private static bool AreHeaderLines(ReadOnlySequence<byte> bytes)
    {
        var text = Encoding.ASCII.GetString(bytes.Slice(0, Math.Min(bytes.Length, 4096)).ToArray());
        if (bytes.Length > 4096 || !text.EndsWith("\r\n", StringComparison.Ordinal)) return false;
        foreach (var line in text[..^2].Split("\r\n"))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0) return false;
            foreach (char c in line.AsSpan(0, colon)) if (c is <= ' ' or >= (char)0x7f) return false;
        }
        return true;
    }

    protected override async ValueTask WriteCoreAsync(JsonRpcMessage content, CancellationToken cancellationToken)
    {
        _body.Clear();
        Formatter.Serialize(_body, content);
        var header = Encoding.ASCII.GetBytes($"Content-Length: {_body.WrittenCount}\r\n\r\n");
        await _output.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        await _output.WriteAsync(_body.WrittenMemory, cancellationToken).ConfigureAwait(false);
        if (StartupTrace.Enabled && _tracedWrites++ < 4) StartupTrace.Mark($"message written ({_body.WrittenCount} bytes)");
    }

    protected override ValueTask FlushAsync(CancellationToken cancellationToken) => new(_output.FlushAsync(cancellationToken));
}
