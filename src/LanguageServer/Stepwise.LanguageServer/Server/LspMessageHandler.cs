using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// LSP's header framing (<c>Content-Length: N\r\n\r\n</c> + N bytes of JSON), tolerant where StreamJsonRpc's
/// HeaderDelimitedMessageHandler closes the connection: a message that is not JSON gets a Parse error (-32700) and
/// one that is JSON but not JSON-RPC an Invalid Request (-32600), both with id null as JSON-RPC 2.0 says; a header
/// block without a usable Content-Length, or with one above <see cref="MaxMessageBytes"/>, is skipped up to the next
/// header block. The connection stays open either way.
/// </summary>
public sealed class LspMessageHandler : MessageHandlerBase
{
    public const long MaxMessageBytes = 256L * 1024 * 1024;
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();
    private readonly PipeReader _input;
    private readonly Stream _output;
    private readonly Action<string> _log;
    private readonly ArrayBufferWriter<byte> _body = new();
    private int _traced, _tracedWrites;

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
            // Header block.
            long? length;
            bool headerOk;
            while (true)
            {
                var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                // Usually the whole header sits in one segment: a span search, no SequenceReader<byte> (whose
                // generic code the JIT would compile on the first message).
                long end = buffer.IsSingleSegment ? buffer.FirstSpan.IndexOf(HeaderEnd) : IndexOf(buffer, HeaderEnd);
                if (end >= 0)
                {
                    (length, headerOk) = ParseHeader(buffer.Slice(0, end));
                    _input.AdvanceTo(buffer.GetPosition(end + HeaderEnd.Length));
                    break;
                }
                if (result.IsCompleted) { _input.AdvanceTo(buffer.End); return null; }
                if (buffer.Length > 64 * 1024)
                {
                    // No header end in 64 KiB: garbage. Drop it and look again.
                    _log("no LSP header end in 64 KiB of input: skipped");
                    _input.AdvanceTo(buffer.GetPosition(buffer.Length - 3), buffer.End);
                    continue;
                }
                _input.AdvanceTo(buffer.Start, buffer.End);
            }
            if (!headerOk || length is null) { _log("LSP header without a valid Content-Length: skipped"); continue; }
            if (length > MaxMessageBytes) { _log($"message of {length:N0} bytes is above the {MaxMessageBytes:N0}-byte limit: skipped (its body will be read as headers and dropped)"); continue; }

            // Body.
            ReadResult body;
            while (true)
            {
                body = await _input.ReadAtLeastAsync((int)length.Value, cancellationToken).ConfigureAwait(false);
                if (body.Buffer.Length >= length.Value) break;
                if (body.IsCompleted) { _input.AdvanceTo(body.Buffer.End); return null; }
            }
            var content = body.Buffer.Slice(0, length.Value);
            try
            {
                if (StartupTrace.Enabled && _traced < 8) StartupTrace.Mark($"message body read ({length} bytes)");
                var message = Formatter.Deserialize(content);
                if (StartupTrace.Enabled && _traced++ < 8) StartupTrace.Mark($"message parsed: {(message as JsonRpcRequest)?.Method}");
                _input.AdvanceTo(content.End);
                return message;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                bool isJson = IsJson(content);
                _input.AdvanceTo(content.End);
                _log($"{(isJson ? "not a JSON-RPC message" : "invalid JSON")}: {ex.GetBaseException().Message}");
                var error = new JsonRpcError
                {
                    RequestId = RequestId.Null,
                    Error = new JsonRpcError.ErrorDetail
                    {
                        Code = isJson ? JsonRpcErrorCode.InvalidRequest : JsonRpcErrorCode.ParseError,
                        Message = isJson ? "Invalid Request: not a JSON-RPC 2.0 message" : "Parse error: the message is not valid JSON",
                    },
                };
                await WriteAsync(error, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static bool IsJson(ReadOnlySequence<byte> content)
    {
        try
        {
            var reader = new Utf8JsonReader(content);
            while (reader.Read()) { }
            return true;
        }
        catch (JsonException) { return false; }
    }

    private static long IndexOf(ReadOnlySequence<byte> buffer, byte[] delimiter)
    {
        var reader = new SequenceReader<byte>(buffer);
        return reader.TryReadTo(out ReadOnlySequence<byte> before, delimiter, advancePastDelimiter: false) ? before.Length : -1;
    }

    private static (long? Length, bool Ok) ParseHeader(ReadOnlySequence<byte> header)
    {
        var text = header.IsSingleSegment ? Encoding.ASCII.GetString(header.FirstSpan) : Encoding.ASCII.GetString(header.ToArray());
        long? length = null;
        foreach (var line in text.Split("\r\n"))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0) continue;
            if (!line.AsSpan(0, colon).Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) continue;
            if (!long.TryParse(line.AsSpan(colon + 1).Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)) return (null, false);
            length = n;
        }
        return (length, length is not null);
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
