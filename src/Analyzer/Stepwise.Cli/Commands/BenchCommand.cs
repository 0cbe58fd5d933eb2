using System.CommandLine;
using System.Diagnostics;
using Stepwise.CommandLine;
using System.Text;
using Stepwise.Workspace;

namespace Stepwise.Cli.Commands;

/// <summary>
/// `stepwise bench`: the figures issue #2 asks for, measured in one run: dataset counting throughput next to `wc -l`
/// on the same 1 GB JSONL, a warm re-check of an unchanged dataset, and `check` time on a 20-line and a 10 MB config;
/// then what the language server does per keystroke on a 2 MB config that inlines its data mix (re-analysis of the
/// edited text), and the price of building every entry of the 10 MB config (what a full outline asks for), which the
/// reader otherwise builds only when read.
/// </summary>
public sealed class BenchCommand : CliCommand
{
    public override int Order => 80;

    public override Command Build()
    {
        var quick = new Option<bool>("--quick") { Description = "A 64 MB dataset instead of 1 GB" };
        var command = WithExamples(new Command("bench", "Benchmark the analyzer: dataset counting next to `wc -l`, warm re-checks, check time of a 20-line and a 10 MB config") { quick },
            "stepwise bench", "stepwise bench --quick");
        command.SetAction(parse => Run(parse.GetValue(quick), parse.InvocationConfiguration.Output));
        return command;
    }

    public static int Run(bool quick, TextWriter stdout)
    {
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

        // The language server's case: the 2 MB config of bench/lsp, re-analysed after each edit of the batch size.
        var mix = DataMixConfig(2 << 20);
        var mixPath = Path.Combine(dir, "data-mix.yaml");
        var texts = new[] { mix, mix.Replace("per_device_train_batch_size: 128", "per_device_train_batch_size: 64") };
        int edit = 0;
        Measure(stdout, "2 MB data mix, re-analysis (median of 20)", 20, () => analyzer.AnalyzeText(mixPath, texts[edit++ % 2]));
        var largeText = File.ReadAllText(large);
        int entries = 0;
        Measure(stdout, "10 MB config, every entry built (median of 3)", 3,
            () => entries = Stepwise.Readers.ConfigReaders.Read(largeText, large).Sum(d => CountEntries(d.Entries)));
        stdout.WriteLine($"  ({entries:N0} entries in the 10 MB config)");
        return 0;
    }

    /// <summary>Reads every entry with its spans and value text, as a full document outline does.</summary>
    private static int CountEntries(IReadOnlyList<Stepwise.Core.Model.ConfigEntry> entries)
    {
        int n = 0;
        foreach (var e in entries)
        {
            n++;
            _ = e.KeySpan.Range; _ = e.ValueSpan.Range;
            var v = e.Value;
            if (v.Kind == Stepwise.Core.Model.ValueKind.Mapping) n += CountEntries(v.Entries);
            else if (v.Kind == Stepwise.Core.Model.ValueKind.Sequence)
            {
                foreach (var item in v.Items) if (item.Kind == Stepwise.Core.Model.ValueKind.Mapping) n += CountEntries(item.Entries);
            }
            else _ = e.ValueText;
        }
        return n;
    }

    /// <summary>bench/lsp's 2 MB config: the 20-line config, then a long list of per-dataset records.</summary>
    private static string DataMixConfig(int bytes)
    {
        var sb = new StringBuilder(SmallConfig.Replace("train_file: small-data.jsonl\n", "# stepwise: dataset_size=52002\n"));
        sb.Append("\ndataset_mix:\n");
        for (int i = 0; sb.Length < bytes; i++)
            sb.Append("  - name: shard_").Append(i).Append("\n    path: data/shard_").Append(i).Append(".jsonl\n    weight: ")
              .Append(((i % 7) / 10.0 + 0.1).ToString(System.Globalization.CultureInfo.InvariantCulture)).Append("\n    split: train\n");
        return sb.ToString();
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
