using System.Diagnostics;
using System.Text;
using Stepwise.Workspace;

namespace Stepwise.Cli.Commands;

/// <summary>
/// `stepwise bench`: the figures issue #2 asks for, measured in one run: dataset counting throughput next to `wc -l`
/// on the same 1 GB JSONL, a warm re-check of an unchanged dataset, and `check` time on a 20-line and a 10 MB config.
/// </summary>
public static class BenchCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        bool quick = args.Contains("--quick");
        long datasetBytes = quick ? 64L << 20 : 1L << 30;
        var dir = Path.Combine(Path.GetTempPath(), "stepwise-bench");
        Directory.CreateDirectory(dir);

        stdout.WriteLine($"== dataset counting ({datasetBytes >> 20} MB JSONL) ==");
        Stepwise.Workspace.Datasets.Bench.DatasetBenchmark.Run(stdout, datasetBytes);

        stdout.WriteLine();
        stdout.WriteLine("== check ==");
        var small = Path.Combine(dir, "small.yaml");
        File.WriteAllText(small, SmallConfig);
        var data = Path.Combine(dir, "small-data.jsonl");
        File.WriteAllText(data, string.Concat(Enumerable.Repeat("{\"instruction\":\"x\",\"output\":\"y\"}\n", 52002)));
        var large = Path.Combine(dir, "large.yaml");
        if (!File.Exists(large) || new FileInfo(large).Length < 10_000_000) File.WriteAllText(large, LargeConfig(10_000_000));

        var analyzer = new ConfigAnalyzer(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false });
        Measure(stdout, "20-line config, first check (cold JIT)", 1, () => analyzer.AnalyzeFile(small));
        Measure(stdout, "20-line config, warm (median of 200)", 200, () => analyzer.AnalyzeFile(small));
        Measure(stdout, "10 MB config (median of 5)", 5, () => analyzer.AnalyzeFile(large));
        var fa = analyzer.AnalyzeFile(small);
        stdout.WriteLine($"  (the 20-line config reports {fa.Configs.Sum(c => c.Result.Findings.Count)} findings; 10 MB config: {new FileInfo(large).Length / 1_000_000.0:F1} MB)");
        return 0;
    }

    private static void Measure(TextWriter w, string label, int runs, Action action)
    {
        var times = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        w.WriteLine($"  {label,-45} {times[times.Count / 2],9:F3} ms");
    }

    private const string SmallConfig = """
        # stepwise bench: a 20-line HF-style config
        model_name_or_path: openlm-research/open_llama_7b_v2
        train_file: small-data.jsonl
        output_dir: output
        per_device_train_batch_size: 128
        gradient_accumulation_steps: 1
        learning_rate: 2.0e-4
        max_steps: 1000
        num_train_epochs: 3
        optim: paged_adamw_8bit
        fp16: true
        eval_strategy: epoch
        save_strategy: epoch
        save_total_limit: 2
        load_best_model_at_end: true
        warmup_ratio: 0.03
        lr_scheduler_type: constant
        logging_steps: 10
        seed: 42
        """;

    private static string LargeConfig(int bytes)
    {
        var sb = new StringBuilder(SmallConfig.Replace("train_file: small-data.jsonl\n", ""));
        sb.Append("\nextra:\n");
        int i = 0;
        while (sb.Length < bytes)
            sb.Append("  key_").Append(i++).Append(": {name: \"value ").Append(i).Append("\", list: [1, 2, 3], flag: true}\n");
        return sb.ToString();
    }
}
