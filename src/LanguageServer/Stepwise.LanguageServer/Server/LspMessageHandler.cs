using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

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
    private const int ScanDepth = 1 << 20;
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
            var replies = Reject(content, reason, framing: content.Length != length);
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

    /// <summary>The error replies for a body that is not a message this server reads (one per request id it holds,
    /// else one with id null), after one log line.</summary>
    private List<JsonRpcMessage> Reject(ReadOnlySequence<byte> content, string reason, bool framing)
    {
        var (isJson, ids, batch) = Inspect(content);
        string what = framing ? "message with a wrong Content-Length" : !isJson ? "invalid JSON" : batch ? "JSON-RPC batch (LSP has none)" : "not a JSON-RPC message";
        _log($"{what} ({content.Length:N0} bytes{(ids.Count > 0 ? ", id " + string.Join(", ", ids) : "")}): dropped: {reason}");
        var code = isJson ? JsonRpcErrorCode.InvalidRequest : JsonRpcErrorCode.ParseError;
        string message = framing ? (isJson ? "Invalid Request: " : "Parse error: ") + reason
            : !isJson ? "Parse error: the message is not valid JSON"
            : batch ? "Invalid Request: LSP does not support JSON-RPC batches; send each message on its own"
            : $"Invalid Request: not a JSON-RPC 2.0 message this server can read ({reason})";
        var replies = new List<JsonRpcMessage>();
        // JSON-RPC 2.0 answers an invalid request with id null when its id cannot be read (the spec's examples
        // {"foo": "boo"} and {"jsonrpc": "2.0", "method": 1, "params": "bar"}); a well-formed notification that only
        // came with a wrong Content-Length is not answered, as no notification is.
        if (ids.Count == 0 && !(framing && isJson && HasNoId(content)))
            replies.Add(Error(RequestId.Null, code, message));
        foreach (var id in ids) replies.Add(Error(id, code, message));
        return replies;
    }

    private static JsonRpcError Error(RequestId id, JsonRpcErrorCode code, string message) =>
        new() { RequestId = id, Error = new JsonRpcError.ErrorDetail { Code = code, Message = message } };

    /// <summary>Whether the content is one valid JSON value, the ids of the request(s) in it (top-level "id", or each
    /// element's of a batch; read up to the first syntax error), and whether it is an array.</summary>
    private static (bool IsJson, List<RequestId> Ids, bool Batch) Inspect(ReadOnlySequence<byte> content)
    {
        var ids = new List<RequestId>();
        bool batch = false;
        try
        {
            var reader = new Utf8JsonReader(content, new JsonReaderOptions { MaxDepth = ScanDepth });
            if (!reader.Read()) return (false, ids, false);
            batch = reader.TokenType == JsonTokenType.StartArray;
            int objectDepth = batch ? 1 : 0;
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                while (reader.Read())
                {
                    if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == objectDepth + 1 && reader.ValueTextEquals("id"u8))
                    {
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.String) ids.Add(new RequestId(reader.GetString()));
                        else if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n)) ids.Add(new RequestId(n));
                        else reader.Skip();
                    }
                    else if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth > objectDepth)
                        reader.Skip();
                }
            }
            while (reader.Read()) { }
            return (true, ids, batch);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { return (false, ids, batch); } // InvalidOperationException: an id string that is not UTF-8
    }

    /// <summary>A JSON object with no "id" member at all is a notification: JSON-RPC answers nothing.</summary>
    private static bool HasNoId(ReadOnlySequence<byte> content)
    {
        try
        {
            var reader = new Utf8JsonReader(content, new JsonReaderOptions { MaxDepth = ScanDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
                {
                    if (reader.ValueTextEquals("id"u8)) return false;
                    reader.Read();
                    reader.Skip();
                }
            }
            return true;
        }
        catch (JsonException) { return false; }
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

    private static bool IsWhiteSpace(ReadOnlySequence<byte> buffer) => FirstNonWhiteSpace(buffer, 0) < 0;

    private static long FirstNonWhiteSpace(ReadOnlySequence<byte> buffer, long from)
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

    private static long IndexOf(ReadOnlySequence<byte> buffer, byte[] delimiter, long from)
    {
        var reader = new SequenceReader<byte>(buffer.Slice(from));
        return reader.TryReadTo(out ReadOnlySequence<byte> before, delimiter, advancePastDelimiter: false) ? from + before.Length : -1;
    }

    private static byte Lower(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;

    private static bool MatchAt(ReadOnlySequence<byte> buffer, long at, ReadOnlySpan<byte> needle)
    {
        if (at + needle.Length > buffer.Length) return false;
        Span<byte> window = stackalloc byte[needle.Length];
        buffer.Slice(at, needle.Length).CopyTo(window);
        for (int k = 0; k < needle.Length; k++) if (Lower(window[k]) != Lower(needle[k])) return false;
        return true;
    }

    /// <summary>First ASCII-case-insensitive occurrence of <paramref name="needle"/> at or after <paramref name="from"/>.</summary>
    private static long IndexOfIgnoreCase(ReadOnlySequence<byte> buffer, byte[] needle, long from)
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
    private static long LastIndexOfIgnoreCase(ReadOnlySequence<byte> buffer, byte[] needle, long before)
    {
        long last = -1, at = 0;
        while ((at = IndexOfIgnoreCase(buffer, needle, at)) >= 0 && at < before) { last = at; at++; }
        return last;
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

/// <summary>JsonRpc with LSP's error codes: params that do not fit the handler's type are Invalid Params (-32602),
/// not a generic -32000 with a stack trace.</summary>
public sealed class LspJsonRpc : JsonRpc
{
    private readonly Func<bool> _initialized;

    public LspJsonRpc(IJsonRpcMessageHandler handler, Func<bool> initialized) : base(handler) { _initialized = initialized; }

    protected override JsonRpcError.ErrorDetail CreateErrorDetails(JsonRpcRequest request, Exception exception)
    {
        if (!_initialized() && request.Method != "initialize")
            return new JsonRpcError.ErrorDetail { Code = (JsonRpcErrorCode)(-32002), Message = "the server has not been initialized" };
        var inner = exception is System.Reflection.TargetInvocationException { InnerException: { } ie } ? ie : exception;
        if (inner is JsonException or RemoteSerializationException || inner.InnerException is JsonException)
            return new JsonRpcError.ErrorDetail
            {
                Code = JsonRpcErrorCode.InvalidParams,
                Message = $"Invalid params for {request.Method}: {inner.GetBaseException().Message}",
            };
        return base.CreateErrorDetails(request, exception);
    }
}
