using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Stepwise.Core;
using Stepwise.Tokenizers;
using Stepwise.Trainer.Data;

namespace Stepwise.Workspace.Tokens;

/// <summary>
/// Token counting benchmark (a command, not a test; `stepwise bench --tokens --tokenizer DIR`): for a dataset, the cold
/// count a packed config needs (records/s, tokens/s, on every core and on one), the warm re-check from the in-memory
/// and from the on-disk cache, the trainer's own tokenization of the same records (ExampleBuilder, one thread) next to
/// it, and the packed and unpacked step counts of an axolotl and a LLaMA-Factory config over it.
/// </summary>
public static class TokenCountBenchmark
{
    public sealed record Dataset(string Name, string Path);

    public static int Run(TextWriter output, string tokenizerFolder, IReadOnlyList<Dataset> datasets)
    {
        if (!File.Exists(System.IO.Path.Combine(tokenizerFolder, "tokenizer.json")) && !File.Exists(System.IO.Path.Combine(tokenizerFolder, "tokenizer.model")))
        {
            output.WriteLine($"{tokenizerFolder}: no tokenizer.json or tokenizer.model");
            return 2;
        }
        output.WriteLine($"tokenizer: {TokenizerLocator.Describe(tokenizerFolder)}; {Environment.ProcessorCount} cores");
        int status = 0;
        foreach (var d in datasets)
        {
            var work = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "stepwise-token-bench", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(work);
            try { status = Math.Max(status, One(output, tokenizerFolder, d, work)); }
            finally { try { Directory.Delete(work, true); } catch (IOException) { } }
        }
        return status;
    }

    private static int One(TextWriter o, string tokenizer, Dataset d, string work)
    {
        var inv = CultureInfo.InvariantCulture;
        string dataName = "data" + System.IO.Path.GetExtension(d.Path);
        string data = System.IO.Path.Combine(work, dataName);
        File.Copy(d.Path, data);
        File.WriteAllText(System.IO.Path.Combine(work, "dataset_info.json"), new JsonObject { ["bench"] = new JsonObject { ["file_name"] = dataName } }.ToJsonString());
        var configs = new (string Name, string File, Func<bool, string> Text)[]
        {
            ("axolotl (alpaca, sample_packing)", "axolotl.yml", packed => $"""
                base_model: {tokenizer}
                datasets:
                  - path: {dataName}
                    type: alpaca
                sequence_len: 2048
                sample_packing: {(packed ? "true" : "false")}
                micro_batch_size: 2
                gradient_accumulation_steps: 4
                num_epochs: 3
                attn_implementation: flash_attention_2
                output_dir: ./out

                """),
            ("LLaMA-Factory (template llama3, packing)", "lf.yaml", packed => $"""
                model_name_or_path: {tokenizer}
                stage: sft
                finetuning_type: lora
                dataset: bench
                dataset_dir: .
                template: llama3
                cutoff_len: 2048
                packing: {(packed ? "true" : "false")}
                per_device_train_batch_size: 2
                gradient_accumulation_steps: 4
                num_train_epochs: 3
                output_dir: out

                """),
        };
        var records = RecordFiles.Load(data);
        o.WriteLine();
        o.WriteLine($"== {d.Name}: {records.Count.ToString("N0", inv)} records, {new FileInfo(data).Length / 1e6:0.0} MB ==");

        // The trainer's own tokenization of the same records (its alpaca rendering, truncation at 2,048, one thread).
        var tok = TextTokenizer.Load(tokenizer);
        var sw = Stopwatch.StartNew();
        var (examples, _) = ExampleBuilder.BuildAll(records, RecordShape.Alpaca, tok, 2048, trainOnInputs: false, packing: false);
        double trainerSeconds = sw.Elapsed.TotalSeconds;
        long trainerTokens = examples.Sum(e => (long)e.Length);
        o.WriteLine($"  trainer tokenization (ExampleBuilder, 1 thread): {trainerSeconds:0.00} s, {Rate(records.Count, trainerSeconds)} records/s, {Rate(trainerTokens, trainerSeconds)} tokens/s");

        int status = 0;
        foreach (var (name, file, text) in configs)
        {
            string path = System.IO.Path.Combine(work, file);
            File.WriteAllText(path, text(true));
            string cache = System.IO.Path.Combine(work, "cache-" + file);
            var jobs = new List<TokenJob>();
            var counter = new TokenCounter(diskCache: cache);
            var background = new ConfigChecker(new WorkspaceOptions
            {
                UseGit = false, UseDefaultAccelerateConfig = false, WorkingDirectory = work,
                TokenCounting = TokenCountMode.Background, StartTokenCount = jobs.Add, TokenCounter = counter,
            });
            background.AnalyzeFile(path);
            if (jobs.Count != 1)
            {
                o.WriteLine($"  {name}: no token count planned ({background.AnalyzeFile(path).Configs.Single().Result.Findings.FirstOrDefault(f => f.Id == "SW1009")?.Message})");
                status = 1;
                continue;
            }
            var job = jobs[0];
            // One thread first, on a counter without a cache, so the all-core count below is the cold one.
            sw.Restart();
            var one = new TokenCounter(diskCache: null).Count(job, parallelism: 1);
            double oneSeconds = sw.Elapsed.TotalSeconds;
            sw.Restart();
            var lengths = counter.Count(job);
            double coldSeconds = sw.Elapsed.TotalSeconds;
            long tokens = lengths.Lengths.Where(l => l > 0).Sum(l => (long)l);
            if (!one.Lengths.AsSpan().SequenceEqual(lengths.Lengths)) { o.WriteLine("  WRONG: the one-thread count differs"); status = 2; }

            var inline = new ConfigChecker(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false, WorkingDirectory = work, TokenCounter = counter });
            inline.AnalyzeFile(path);
            sw.Restart();
            var warm = inline.AnalyzeFile(path).Configs.Single().Result;
            double warmMemory = sw.Elapsed.TotalSeconds;
            sw.Restart();
            var fromDisk = new ConfigChecker(new WorkspaceOptions
            {
                UseGit = false, UseDefaultAccelerateConfig = false, WorkingDirectory = work, TokenCounter = new TokenCounter(diskCache: cache),
            }).AnalyzeFile(path).Configs.Single().Result;
            double warmDisk = sw.Elapsed.TotalSeconds;
            File.WriteAllText(path, text(false));
            var unpacked = inline.AnalyzeFile(path).Configs.Single().Result;

            o.WriteLine($"  {name}: {Rate(tokens, 1)} tokens");
            o.WriteLine($"    cold count, {Environment.ProcessorCount} threads: {coldSeconds:0.00} s, {Rate(lengths.Count, coldSeconds)} records/s, {Rate(tokens, coldSeconds)} tokens/s"
                + $" (1 thread: {oneSeconds:0.00} s, {Rate(tokens, oneSeconds)} tokens/s)");
            o.WriteLine($"    warm re-check (whole analysis): {warmMemory * 1000:0.0} ms from memory, {warmDisk * 1000:0.0} ms from the disk cache (a new process)");
            o.WriteLine($"    steps: packed {Steps(warm)} ({ScheduleSummaryText(warm)}), unpacked {Steps(unpacked)}");
            if (Steps(warm) != Steps(fromDisk)) { o.WriteLine("  WRONG: the disk cache gives other steps"); status = 2; }
        }
        return status;
    }

    private static string Steps(AnalysisResult r) => r.Schedule?.TotalSteps is long t ? t.ToString("N0", CultureInfo.InvariantCulture)
        : r.Schedule?.Spread?.TotalSteps is { } range ? range.ToString() : "unknown";

    private static string ScheduleSummaryText(AnalysisResult r) => Stepwise.Core.Arithmetic.ScheduleSummary.Line(r);

    private static string Rate(double n, double seconds) => (n / Math.Max(seconds, 1e-9)).ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A JSON array of <paramref name="count"/> records cycling through the records of <paramref name="source"/>
    /// (an alpaca-sized set from a real sample: realistic lengths, 52,002 records as in the Stanford Alpaca release).</summary>
    public static void WriteRepeated(string source, string target, int count)
    {
        var items = JsonNode.Parse(File.ReadAllText(source))!.AsArray();
        var result = new JsonArray();
        for (int i = 0; i < count; i++) result.Add(items[i % items.Count]!.DeepClone());
        File.WriteAllText(target, result.ToJsonString());
    }
}
