using System.Buffers;
using System.Text.Json;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// What the server answers to bytes <see cref="LspMessageHandler"/> read as one message but that are not a message it
/// reads: a Parse error (-32700) when they are not JSON, an Invalid Request (-32600) when they are JSON but not a
/// JSON-RPC 2.0 message (a batch included: LSP has none), each carrying the request's id when it could be read.
/// </summary>
internal static class MalformedMessages
{
    /// <summary>The error replies for a body that is not a message this server reads (one per request id it holds,
    /// else one with id null), after one log line.</summary>
    /// <param name="framing">The body is not the length its header declared (it was cut where the next message starts).</param>
    public static List<JsonRpcMessage> Replies(ReadOnlySequence<byte> content, string reason, bool framing, Action<string> log)
    {
        var (isJson, ids, batch) = Inspect(content);
        string what = framing ? "message with a wrong Content-Length" : !isJson ? "invalid JSON" : batch ? "JSON-RPC batch (LSP has none)" : "not a JSON-RPC message";
        log($"{what} ({content.Length:N0} bytes{(ids.Count > 0 ? ", id " + string.Join(", ", ids) : "")}): dropped: {reason}");
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
            var reader = new Utf8JsonReader(content, new JsonReaderOptions { MaxDepth = LspMessageHandler.ScanDepth });
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
            var reader = new Utf8JsonReader(content, new JsonReaderOptions { MaxDepth = LspMessageHandler.ScanDepth });
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
}
