using System.Text;
using System.Text.Json.Nodes;
using Stepwise.LanguageServer.Server;
using Stepwise.Trainer.Tests.Tokenizers;
using Stepwise.Workspace.Tokens;

namespace Stepwise.LanguageServer.Tests;

/// <summary>
/// Token counting for a packed run in the language server: the count runs in the background (diagnostics never wait for
/// it), with work-done progress, then the document is analysed again and shows the exact steps. The expected rows come
/// from an independent tokenization: Llama 3's real tokenizer.json run by @huggingface/tokenizers (the trainer tests'
/// oracle), and TRL's wrapped packing, which cuts the concatenated tokens every max_length (trl/data_utils.py
/// _pack_wrapped, over map batches of 1,000 rows), so the rows are ceil(total tokens / max_length) for 600 records.
/// </summary>
public class TokenCountTests
{
    private const int Records = 600;
    private static readonly JsonObject WorkDone = new() { ["window"] = new JsonObject { ["workDoneProgress"] = true } };
    private static readonly string[] Words = "the a quick brown fox jumps over lazy dog model data train answer question why how many colors sky water".Split(' ');

    private static List<string> Texts()
    {
        var rng = new Random(7);
        return Enumerable.Range(0, Records).Select(_ => string.Join(' ', Enumerable.Range(0, 10 + rng.Next(60)).Select(_ => Words[rng.Next(Words.Length)]))).ToList();
    }

    /// <summary>The records' token counts as TRL makes them for the text format: the EOS text appended when missing
    /// (sft_trainer.py add_eos), tokenized with the special tokens (BOS for Llama 3).</summary>
    private static long TotalTokens(List<string> texts, string tokenizerFolder)
    {
        var eos = (string)JsonNode.Parse(File.ReadAllText(Path.Combine(tokenizerFolder, "tokenizer_config.json")))!["eos_token"]!;
        var oracle = TokenizerOracle.Run(new[] { new TokenizerOracle.Case("llama3", texts.Select(t => t + eos).ToList()) })[0];
        return oracle.IdsSpecial.Sum(ids => (long)ids.Length);
    }

    private static string MakeFolder(TempDir dir, List<string> texts, bool brokenTokenizer = false)
    {
        var tok = Path.Combine(dir.Path, "llama3-tokenizer");
        Directory.CreateDirectory(tok);
        File.Copy(Path.Combine(TokenizerOracle.ModelDir("llama3"), "tokenizer_config.json"), Path.Combine(tok, "tokenizer_config.json"));
        if (brokenTokenizer) File.WriteAllText(Path.Combine(tok, "tokenizer.json"), "{\"version\": \"1.0\", \"model\": {\"type\": \"BPE\", \"vocab\": ");
        else File.Copy(Path.Combine(TokenizerOracle.ModelDir("llama3"), "tokenizer.json"), Path.Combine(tok, "tokenizer.json"));
        var jsonl = new StringBuilder();
        foreach (var t in texts) jsonl.Append(new JsonObject { ["text"] = t }.ToJsonString()).Append('\n');
        dir.Write("data.jsonl", jsonl.ToString());
        return tok;
    }

    private static string Config(string tokenizer, int maxLength, string comment = "") => $"""
        {comment}model_name_or_path: {tokenizer}
        dataset_name: data.jsonl
        per_device_train_batch_size: 1
        gradient_accumulation_steps: 1
        num_train_epochs: 1
        packing: true
        packing_strategy: wrapped
        max_length: {maxLength}
        output_dir: out

        """;

    private static ServerOptions Options(TempDir dir, TaskCompletionSource? gate = null) => new()
    {
        Log = TextWriter.Null,
        TokenCounter = new TokenCounter(diskCache: Path.Combine(dir.Path, "token-cache")),
        TokenCountGate = gate is null ? null : ct => gate.Task.WaitAsync(ct),
    };

    private static List<string> Messages(JsonObject diagnosticsParams) =>
        diagnosticsParams["diagnostics"]!.AsArray().Select(d => $"{(string?)d!["code"]}: {(string?)d["message"]}").ToList();

    private static JsonObject WaitForPublish(Harness h, string uri, Func<List<string>, bool> match, int timeoutMs = 60000) =>
        h.Client.WaitFor(n => (string?)n["method"] == "textDocument/publishDiagnostics" && (string?)n["params"]!["uri"] == uri
                              && match(Messages(n["params"]!.AsObject())), timeoutMs)["params"]!.AsObject();

    private static async Task<string> Lens(Harness h, string uri)
    {
        var lenses = (await h.Client.Result("textDocument/codeLens", new JsonObject { ["textDocument"] = Harness.Doc(uri) }))!.AsArray();
        return (string)lenses[0]!["command"]!["title"]!;
    }

    private static List<JsonNode> Progress(Harness h, string kind) => h.Client.Notifications("$/progress")
        .Select(n => n["params"]!["value"]!).Where(v => (string?)v["kind"] == kind).ToList();

    [Fact]
    public async Task Diagnostics_go_out_while_the_count_runs_then_the_exact_steps_with_progress()
    {
        using var dir = new TempDir();
        var texts = Texts();
        var tok = MakeFolder(dir, texts);
        long rows = (TotalTokens(texts, tok) + 511) / 512;
        var gate = new TaskCompletionSource();
        await using var h = await Harness.Start(WorkDone.DeepClone().AsObject(), Options(dir, gate));
        var uri = dir.Uri("sft.yaml");
        await h.Open(uri, Config(tok, 512));

        // The count is held at its start: the analysis has not waited for it.
        var first = Messages(h.Client.WaitForDiagnostics(uri, 1));
        Assert.Contains(first, m => m.StartsWith("SW1009: packed: counting tokens", StringComparison.Ordinal));
        Assert.Equal($"{Records} examples · packed: counting tokens", await Lens(h, uri));
        // Other documents and edits of this one are answered meanwhile; the edit asks for the same count, not a second.
        var other = dir.Uri("other.yaml");
        await h.Open(other, Configs.Sw1001);
        Assert.Contains(Messages(h.Client.WaitForDiagnostics(other, 1)), m => m.StartsWith("SW1001", StringComparison.Ordinal));
        await h.Change(uri, 2, Harness.Full(Config(tok, 512, "# edited\n")));
        Assert.Contains(Messages(h.Client.WaitForDiagnostics(uri, 2)), m => m.StartsWith("SW1009: packed: counting tokens", StringComparison.Ordinal));
        Assert.True(h.Server.TokenCounts.Count == 1, "one count for the document and its edit");
        Assert.Empty(Progress(h, "begin"));

        gate.SetResult();
        WaitForPublish(h, uri, ms => !ms.Any(m => m.StartsWith("SW1009", StringComparison.Ordinal)));
        Assert.Equal($"{Records} examples → {rows} packed · {rows} steps · 1.0 epochs", await Lens(h, uri));
        var begin = Assert.Single(Progress(h, "begin"));
        Assert.Equal("Counting tokens", (string?)begin["title"]);
        Assert.StartsWith($"{Records} records (tokenizer.json in {tok}", (string?)begin["message"]);
        Assert.StartsWith($"{Records} records counted in ", (string?)Assert.Single(Progress(h, "end"))["message"]);
    }

    [Fact]
    public async Task A_count_no_open_config_needs_any_more_is_cancelled_and_only_the_last_one_runs()
    {
        using var dir = new TempDir();
        var texts = Texts();
        var tok = MakeFolder(dir, texts);
        long rows = (TotalTokens(texts, tok) + 1023) / 1024;
        var gate = new TaskCompletionSource();
        await using var h = await Harness.Start(WorkDone.DeepClone().AsObject(), Options(dir, gate));
        var uri = dir.Uri("sft.yaml");
        await h.Open(uri, Config(tok, 512));
        h.Client.WaitForDiagnostics(uri, 1);
        // max_length typed again: the 512-token count is no longer wanted by any document.
        await h.Change(uri, 2, Harness.Full(Config(tok, 1024)));
        h.Client.WaitForDiagnostics(uri, 2);

        gate.SetResult();
        WaitForPublish(h, uri, ms => !ms.Any(m => m.StartsWith("SW1009", StringComparison.Ordinal)));
        Assert.Equal($"{Records} examples → {rows} packed · {rows} steps · 1.0 epochs", await Lens(h, uri));
        Assert.Single(Progress(h, "begin"));   // the 512-token count never started
    }

    [Fact]
    public async Task A_failed_count_is_shown_and_logged_once_and_runs_again_only_when_the_tokenizer_changes()
    {
        using var dir = new TempDir();
        var texts = Texts();
        var tok = MakeFolder(dir, texts, brokenTokenizer: true);
        await using var h = await Harness.Start(WorkDone.DeepClone().AsObject(), Options(dir));
        var uri = dir.Uri("sft.yaml");
        await h.Open(uri, Config(tok, 512));

        var failed = WaitForPublish(h, uri, ms => ms.Any(m => m.Contains("token count failed", StringComparison.Ordinal)));
        var message = Assert.Single(Messages(failed), m => m.StartsWith("SW1009", StringComparison.Ordinal));
        Assert.StartsWith("SW1009: packed: token count failed: steps per epoch, total steps and epochs are unknown", message);
        Assert.Contains($"the tokenizer in {tok} cannot be loaded", message);
        Assert.Equal($"{Records} examples · packed: token count failed", await Lens(h, uri));

        // Edits analyse again without counting again.
        for (int v = 2; v <= 4; v++)
        {
            await h.Change(uri, v, Harness.Full(Config(tok, 512, $"# edit {v}\n")));
            Assert.Contains(Messages(h.Client.WaitForDiagnostics(uri, v)), m => m.Contains("token count failed", StringComparison.Ordinal));
        }
        Assert.True(h.Server.TokenCounts.Count == 0, "no count queued or running");
        Assert.Single(Progress(h, "begin"));
        Assert.Single(h.Client.Notifications("window/logMessage"), n => ((string?)n["params"]!["message"])!.Contains("token count failed", StringComparison.Ordinal));

        // The tokenizer fixed on disk: the watched file changes, the new key is counted.
        File.Copy(Path.Combine(TokenizerOracle.ModelDir("llama3"), "tokenizer.json"), Path.Combine(tok, "tokenizer.json"), overwrite: true);
        await h.Client.Notify("workspace/didChangeWatchedFiles", new JsonObject
        {
            ["changes"] = new JsonArray(new JsonObject { ["uri"] = Stepwise.LanguageServer.Server.DocumentUris.FromPath(Path.Combine(tok, "tokenizer.json")), ["type"] = 2 }),
        });
        WaitForPublish(h, uri, ms => !ms.Any(m => m.StartsWith("SW1009", StringComparison.Ordinal)));
        long rows = (TotalTokens(texts, tok) + 511) / 512;
        Assert.Equal($"{Records} examples → {rows} packed · {rows} steps · 1.0 epochs", await Lens(h, uri));
        Assert.Equal(2, Progress(h, "begin").Count);
    }
}
