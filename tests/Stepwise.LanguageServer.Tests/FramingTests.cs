using System.Text;
using System.Text.Json.Nodes;

namespace Stepwise.LanguageServer.Tests;

/// <summary>
/// Issue 14, failure 2: one unusable Content-Length made the server deaf for good (the skipped body was glued to the
/// next header, which was skipped too, and so on). A raw client sends garbage between well-formed messages; every
/// well-formed request after it must be answered, and error replies carry the request's id when it could be read.
/// </summary>
public class FramingTests
{
    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    private static byte[] Framed(string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        return Ascii($"Content-Length: {body.Length}\r\n\r\n").Concat(body).ToArray();
    }

    private static string Shutdown(long id) => $"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"shutdown\"}}";

    /// <summary>Sends the garbage and three shutdown requests in one write, and waits for the three answers.</summary>
    private static async Task AssertThreeShutdownsAnsweredAfter(Harness h, byte[] garbage)
    {
        long first = h.Client.NextId() + 1000;
        var ids = new[] { first, first + 1, first + 2 };
        var waits = ids.Select(id => h.Client.ExpectResponse(id)).ToList();
        await h.Client.SendRaw(garbage.Concat(ids.SelectMany(id => Framed(Shutdown(id)))).ToArray());
        foreach (var wait in waits)
        {
            var response = await wait.WaitAsync(TimeSpan.FromSeconds(20));
            // The first shutdown answers null, the next ones -32600 (shutdown was already received): answered either way.
            Assert.True(response.ContainsKey("result") || response["error"] is not null, response.ToJsonString());
        }
    }

    [Fact]
    public async Task The_issue_reproducer_a_negative_length_then_three_shutdowns_all_answered()
    {
        await using var h = await Harness.Start();
        await AssertThreeShutdownsAnsweredAfter(h, Ascii("Content-Length: -5\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"x\"}"));
    }

    [Theory]
    [InlineData("Content-Length: twelve\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"x\"}")]
    [InlineData("Content-Length: 99999999999999999999999\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"x\"}")]
    [InlineData("Content-Length: 9000000000\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"x\"}")]
    [InlineData("Content-Type: application/vscode-jsonrpc\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"x\"}")]
    [InlineData("Content-Length: 1000\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"x\"}")]
    [InlineData("Content-Length: 1000\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"x\"")]
    [InlineData("Content-Length: 1000\r\n\r\nnot json at all")]
    [InlineData("Content-Length: 10\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"x\"}")]
    [InlineData("Content-Length: 30\r\n\r\n")]
    [InlineData("Content-Length: 5\r\n")]
    [InlineData("Content-Length: 7")]
    [InlineData("garbage without any header")]
    [InlineData("\r\n\r\n\r\n")]
    [InlineData("Content-Length: 3\r\n\r\n[1,")]
    public async Task After_garbage_every_following_request_is_answered(string garbage)
    {
        await using var h = await Harness.Start();
        await AssertThreeShutdownsAnsweredAfter(h, Ascii(garbage));
    }

    [Fact]
    public async Task A_length_larger_than_what_follows_is_answered_with_the_requests_id_and_the_next_requests_still_are()
    {
        await using var h = await Harness.Start();
        var wrong = h.Client.ExpectResponse(777);
        await h.Client.SendRaw(Ascii("Content-Length: 5000\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":777,\"method\":\"shutdown\"}"));
        // The body is a whole JSON value followed by a header: the length was wrong, and the request gets an error.
        await AssertThreeShutdownsAnsweredAfter(h, Array.Empty<byte>());
        var error = await wrong.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(-32600, (int)error["error"]!["code"]!);
        Assert.Contains("Content-Length 5,000 is larger than the message", (string)error["error"]!["message"]!);
    }

    [Fact]
    public async Task A_length_larger_than_a_body_that_arrives_alone_is_found_out_when_the_next_header_arrives()
    {
        await using var h = await Harness.Start();
        await h.Client.SendRaw(Ascii("Content-Length: 5000\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"x\"}"));
        await Task.Delay(200); // the server now waits for the rest of the declared body
        await AssertThreeShutdownsAnsweredAfter(h, Array.Empty<byte>());
    }

    [Fact]
    public async Task Garbage_between_valid_messages_many_times_over_costs_only_the_garbage()
    {
        await using var h = await Harness.Start();
        var garbage = new[]
        {
            "Content-Length: -1\r\n\r\n", "xx", "Content-Length: 4\r\n\r\n{\"a\"", "Content-Length: abc\r\n\r\n{}",
            "\u0000\u0001\u0002", "Content-Length: 2\r\n\r\n", "Content-Length: 100\r\n\r\n[1, 2", "}}}}",
        };
        foreach (var g in garbage)
        {
            var ok = h.Client.Request("textDocument/codeLens", new JsonObject { ["textDocument"] = Harness.Doc("file:///nothing.yaml") });
            await h.Client.SendRaw(Ascii(g));
            Assert.Equal("[]", (await ok)["result"]!.ToJsonString());
        }
        var last = await h.Client.Request("textDocument/codeLens", new JsonObject { ["textDocument"] = Harness.Doc("file:///nothing.yaml") });
        Assert.Equal("[]", last["result"]!.ToJsonString());
    }

    [Theory]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":41}", 41)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":7}", 42)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":43,\"method\":\"textDocument/hover\",\"params\":\"a string\"}", 43)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":\"forty-four\",\"method\":7}", "forty-four")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":45,\"method\":\"textDocument/hover\",\"params\":{\"broken\": }", 45)]
    public async Task Error_replies_carry_the_requests_id_when_it_could_be_read(string body, object id)
    {
        await using var h = await Harness.Start();
        var wait = id is string s ? h.Client.ExpectResponse(s) : h.Client.ExpectResponse(Convert.ToInt64(id));
        await h.Client.SendRaw(Framed(body));
        var response = await wait.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.NotNull(response["error"]);
        Assert.Contains((int)response["error"]!["code"]!, new[] { -32600, -32602, -32700 });
    }

    [Fact]
    public async Task A_request_nested_100000_deep_gets_an_error_with_its_id()
    {
        await using var h = await Harness.Start();
        var wait = h.Client.ExpectResponse(46);
        var deep = new string('[', 100_000) + new string(']', 100_000);
        await h.Client.SendRaw(Framed("{\"jsonrpc\":\"2.0\",\"id\":46,\"method\":\"textDocument/hover\",\"params\":" + deep + "}"));
        var response = await wait.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(-32600, (int)response["error"]!["code"]!);
        await AssertThreeShutdownsAnsweredAfter(h, Array.Empty<byte>());
    }

    [Fact]
    public async Task A_batch_gets_one_error_per_request_id_in_it()
    {
        await using var h = await Harness.Start();
        var a = h.Client.ExpectResponse(47);
        var b = h.Client.ExpectResponse(48);
        await h.Client.SendRaw(Framed("[{\"jsonrpc\":\"2.0\",\"id\":47,\"method\":\"shutdown\"},{\"jsonrpc\":\"2.0\",\"method\":\"initialized\"},{\"jsonrpc\":\"2.0\",\"id\":48,\"method\":\"shutdown\"}]"));
        foreach (var r in new[] { await a.WaitAsync(TimeSpan.FromSeconds(20)), await b.WaitAsync(TimeSpan.FromSeconds(20)) })
        {
            Assert.Equal(-32600, (int)r["error"]!["code"]!);
            Assert.Contains("batch", (string)r["error"]!["message"]!);
        }
    }

    [Fact]
    public async Task An_invalid_request_without_id_is_answered_with_id_null_as_the_json_rpc_spec_shows()
    {
        await using var h = await Harness.Start();
        // JSON-RPC 2.0 section 7: {"jsonrpc": "2.0", "method": 1, "params": "bar"} gets -32600 with id null.
        await h.Client.SendRaw(Framed("{\"jsonrpc\": \"2.0\", \"method\": 1, \"params\": \"bar\"}"));
        var error = h.Client.WaitFor(m => m["error"] is not null && m.ContainsKey("id") && m["id"] is null);
        Assert.Equal(-32600, (int)error["error"]!["code"]!);
    }

    [Fact]
    public async Task Each_dropped_message_is_logged_with_one_line_and_a_mis_framed_notification_is_not_answered()
    {
        var log = new StringWriter();
        await using var h = await Harness.Start(options: new Server.ServerOptions { Log = TextWriter.Synchronized(log) });
        await h.Client.SendRaw(Ascii("Content-Length: -5\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"x\"}"));
        await h.Client.SendRaw(Ascii("Content-Length: 900\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"y\"}"));
        await h.Client.SendRaw(Ascii("Content-Length: 4\r\n\r\nnope"));
        var ok = await h.Client.Request("textDocument/codeLens", new JsonObject { ["textDocument"] = Harness.Doc("file:///nothing.yaml") });
        Assert.Equal("[]", ok["result"]!.ToJsonString());
        // Only the body that is not JSON is answered (a parse error with id null); the two notifications are not.
        // The error reply and the codeLens answer are written by different tasks, so their order is not fixed: wait for
        // the error, then a second round trip, before counting.
        h.Client.WaitFor(m => m["error"] is not null && m.ContainsKey("id") && m["id"] is null);
        await h.Client.Request("textDocument/codeLens", new JsonObject { ["textDocument"] = Harness.Doc("file:///nothing.yaml") });
        var errors = h.Client.AllMessages().Where(m => m["error"] is not null).ToList();
        Assert.Equal(-32700, (int)Assert.Single(errors)["error"]!["code"]!);
        // One line each, written once: to stderr before the client is attached, as window/logMessage after (ServerLog).
        List<string> Dropped() => log.ToString().Split('\n')
            .Concat(h.Client.Notifications("window/logMessage").Select(n => (string?)n["params"]!["message"] ?? ""))
            .Where(l => l.Contains("dropped", StringComparison.Ordinal)).ToList();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Dropped().Count < 3 && DateTime.UtcNow < deadline) await Task.Delay(50);
        var lines = Dropped();
        Assert.True(lines.Count == 3, string.Join("\n", lines));
    }
}
