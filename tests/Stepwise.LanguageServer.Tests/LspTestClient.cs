using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stepwise.LanguageServer.Tests;

/// <summary>
/// A minimal LSP client that speaks the raw framing itself, so tests see the exact messages the server writes.
/// Server-to-client requests are answered by <see cref="OnServerRequest"/> (null result by default) and recorded.
/// </summary>
public sealed class LspTestClient : IAsyncDisposable
{
    private readonly Stream _toServer;
    private readonly Stream _fromServer;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonObject>> _pendingByString = new();
    private readonly List<JsonObject> _all = new();
    private readonly List<JsonObject> _notifications = new();
    private readonly List<JsonObject> _serverRequests = new();
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly Task _reader;
    private long _nextId = 1;

    public LspTestClient(Stream toServer, Stream fromServer)
    {
        _toServer = toServer; _fromServer = fromServer;
        _reader = Task.Run(ReadLoop);
    }

    public Func<JsonObject, JsonNode?> OnServerRequest { get; set; } = _ => null;
    /// <summary>Every byte the server wrote parsed as a framed JSON message (stdout carries protocol only).</summary>
    public bool StreamWasClean { get; private set; } = true;
    public IReadOnlyList<JsonObject> ServerRequests { get { lock (_serverRequests) return _serverRequests.ToList(); } }

    private async Task ReadLoop()
    {
        var buffer = new MemoryStream();
        var chunk = new byte[65536];
        try
        {
            while (true)
            {
                int n = await _fromServer.ReadAsync(chunk);
                if (n == 0) break;
                buffer.Write(chunk, 0, n);
                while (TryTake(buffer, out var json)) Dispatch(json);
            }
        }
        catch (Exception) { }
        foreach (var p in _pending.Values) p.TrySetException(new EndOfStreamException("server closed the stream"));
        foreach (var p in _pendingByString.Values) p.TrySetException(new EndOfStreamException("server closed the stream"));
    }

    private bool TryTake(MemoryStream buffer, out JsonObject json)
    {
        json = null!;
        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        int end = bytes.IndexOf("\r\n\r\n"u8);
        if (end < 0) return false;
        var header = Encoding.ASCII.GetString(bytes[..end]);
        if (!header.StartsWith("Content-Length: ", StringComparison.Ordinal)) StreamWasClean = false;
        int length = int.Parse(header.Split("\r\n")[0]["Content-Length: ".Length..]);
        if (bytes.Length < end + 4 + length) return false;
        var body = bytes.Slice(end + 4, length).ToArray();
        var rest = bytes[(end + 4 + length)..].ToArray();
        buffer.SetLength(0);
        buffer.Write(rest);
        json = JsonNode.Parse(body)!.AsObject();
        return true;
    }

    private void Dispatch(JsonObject m)
    {
        lock (_all) _all.Add(m);
        bool hasMethod = m.ContainsKey("method");
        bool hasId = m.ContainsKey("id");
        if (hasMethod && hasId)
        {
            lock (_serverRequests) _serverRequests.Add(m);
            var result = OnServerRequest(m);
            _ = Send(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = m["id"]!.DeepClone(), ["result"] = result?.DeepClone() });
        }
        else if (hasMethod)
        {
            lock (_notifications) { _notifications.Add(m); Monitor.PulseAll(_notifications); }
        }
        else if (m["id"] is JsonValue idValue && idValue.TryGetValue<long>(out var id) && _pending.TryRemove(id, out var tcs)) tcs.TrySetResult(m);
        else if (m["id"] is JsonValue textId && textId.TryGetValue<string>(out var sid) && _pendingByString.TryRemove(sid, out var stcs)) stcs.TrySetResult(m);
        else lock (_notifications) { _notifications.Add(m); Monitor.PulseAll(_notifications); } // errors with id null
    }

    public async Task Send(JsonNode message)
    {
        var body = Encoding.UTF8.GetBytes(message.ToJsonString());
        await SendRaw(Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n").Concat(body).ToArray());
    }

    public async Task SendRaw(byte[] bytes)
    {
        await _write.WaitAsync();
        try { await _toServer.WriteAsync(bytes); await _toServer.FlushAsync(); }
        finally { _write.Release(); }
    }

    public long NextId() => Interlocked.Increment(ref _nextId);

    /// <summary>The response to a request the test sends itself (raw bytes): register before sending.</summary>
    public Task<JsonObject> ExpectResponse(long id)
    {
        var tcs = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = tcs;
        return tcs.Task;
    }

    public Task<JsonObject> ExpectResponse(string id)
    {
        var tcs = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingByString[id] = tcs;
        return tcs.Task;
    }

    /// <summary>Every message the server sent so far, in order.</summary>
    public List<JsonObject> AllMessages() { lock (_all) return _all.ToList(); }

    /// <summary>Sends a request and returns the whole response message (result or error).</summary>
    public async Task<JsonObject> Request(string method, object? @params, long? id = null)
    {
        long requestId = id ?? NextId();
        var tcs = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[requestId] = tcs;
        var msg = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = requestId, ["method"] = method };
        if (@params is not null) msg["params"] = ToNode(@params);
        await Send(msg);
        return await tcs.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public Task<JsonObject> StartRequest(string method, object? @params, long id) => Request(method, @params, id);

    public async Task<JsonNode?> Result(string method, object? @params)
    {
        var response = await Request(method, @params);
        if (response["error"] is { } error) throw new InvalidOperationException($"{method} failed: {error.ToJsonString()}");
        return response["result"];
    }

    public Task Notify(string method, object? @params)
    {
        var msg = new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method };
        if (@params is not null) msg["params"] = ToNode(@params);
        return Send(msg);
    }

    public static JsonNode? ToNode(object? o) => o as JsonNode ?? JsonSerializer.SerializeToNode(o);

    /// <summary>Waits for a notification matching the predicate (notifications already received count).</summary>
    public JsonObject WaitFor(Func<JsonObject, bool> predicate, int timeoutMs = 20000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        lock (_notifications)
        {
            while (true)
            {
                var hit = _notifications.FirstOrDefault(predicate);
                if (hit is not null) return hit;
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) throw new TimeoutException("no matching notification; got:\n" + string.Join("\n", _notifications.Select(n => n.ToJsonString()[..Math.Min(300, n.ToJsonString().Length)])));
                Monitor.Wait(_notifications, left);
            }
        }
    }

    public JsonObject WaitForDiagnostics(string uri, int version, int timeoutMs = 20000) =>
        WaitFor(n => (string?)n["method"] == "textDocument/publishDiagnostics" && (string?)n["params"]!["uri"] == uri && (int?)n["params"]!["version"] == version, timeoutMs)["params"]!.AsObject();

    public List<JsonObject> Notifications(string method) { lock (_notifications) return _notifications.Where(n => (string?)n["method"] == method).ToList(); }

    public async ValueTask DisposeAsync()
    {
        try { _toServer.Dispose(); } catch (Exception) { }
        await Task.WhenAny(_reader, Task.Delay(2000));
    }
}
