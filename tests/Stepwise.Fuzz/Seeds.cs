using System.Text;

namespace Stepwise.Fuzz;

/// <summary>Seed inputs (the real files of ../shared/corpus, plus a few written here) and each format's tokens.</summary>
public static class Seeds
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>The ../shared/corpus folder above the repository, if there is one.</summary>
    public static string? FindSharedCorpus()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var c = Path.Combine(d.FullName, "..", "shared", "corpus");
            if (File.Exists(Path.Combine(d.FullName, "Tooling.sln")) && Directory.Exists(c)) return Path.GetFullPath(c);
        }
        return null;
    }

    public static List<byte[]> Files(string? corpus, params string[] extensions)
    {
        var list = new List<byte[]>();
        if (corpus is null) return list;
        foreach (var f in Directory.EnumerateFiles(corpus, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            if (extensions.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase)) && new FileInfo(f).Length <= 256 * 1024)
                list.Add(File.ReadAllBytes(f));
        return list;
    }

    public static List<byte[]> DataFiles(string? corpus)
    {
        var list = Files(corpus, ".jsonl", ".csv", ".tsv", ".txt", ".parquet", ".arrow")
            .Concat(Files(corpus, ".json").Where(b => b.Length > 0 && b[0] == (byte)'[')).Take(60).ToList();
        list.AddRange(new[] { "{\"a\": 1}\n{\"a\": 2}\n", "[{\"a\": 1}, {\"a\": 2}]", "a,b\n1,2\n\"x,y\",3\n", "a\tb\n1\t2\n", "line one\nline two\n" }.Select(B));
        return list;
    }

    public static readonly List<byte[]> JsonConfigs = new[]
    {
        "{\"per_device_train_batch_size\": 128, \"max_steps\": 1000, // c\n \"num_train_epochs\": 3, /* x */ \"dataset_size\": 52002,}",
        "{\"train_batch_size\": \"auto\", \"gradient_accumulation_steps\": 4, \"zero_optimization\": {\"stage\": 2}}",
    }.Select(B).ToList();

    public static readonly List<byte[]> AccelerateConfigs = new[]
    {
        "compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nnum_processes: 8\nmixed_precision: bf16\n",
        "num_processes: 2\nnum_machines: 1\n",
    }.Select(B).ToList();

    public static readonly List<byte[]> Directives = new[]
    {
        "# stepwise: dataset_size=52002 world_size=2\nper_device_train_batch_size: 8\n",
        "# stepwise: dataset_size=1,000 n_gpu=2 unknown=3\nmax_steps: 10\n",
        "x: 1 # stepwise: world_size=0\n",
    }.Select(B).ToList();

    public static List<byte[]> EngineSeeds(string? corpus)
    {
        var list = new List<byte[]>();
        byte tag(int k) => (byte)k;
        foreach (var (k, files) in new[] { (0, Files(corpus, ".yaml")), (1, Files(corpus, ".json")), (2, Files(corpus, ".py")), (3, Files(corpus, ".ipynb")) })
            foreach (var f in files.Take(80)) list.Add(new[] { tag(k) }.Concat(f).ToArray());
        foreach (var s in new[]
        {
            "# stepwise: dataset_size=52002\nper_device_train_batch_size: 128\nmax_steps: 1000\nnum_train_epochs: 3\nsave_steps: 0.25\nwarmup_ratio: 0.03\n",
            "# stepwise: dataset_size=1000\nmicro_batch_size: 8\nnum_epochs: 2\nevals_per_epoch: 4\nsaves_per_epoch: 2\nmax_steps: 100\nbase_model: x\n",
            "# stepwise: dataset_size=100\nper_device_train_batch_size: 8\nnum_train_epochs: .inf\n",
        })
        {
            list.Add(new byte[] { 0 }.Concat(B(s)).ToArray());
            list.Add(new byte[] { 128 }.Concat(B(s)).ToArray());
        }
        return list;
    }

    public static readonly List<byte[]> LspStreams = new[]
    {
        "Content-Length: 52\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"initialize\",\"params\":{}}",
        "Content-Length: -5\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"x\"}",
        "Content-Length: 1000\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"x\"}",
        "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: 2\r\n\r\n{}",
        "[{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"shutdown\"}]",
        "",
    }.Select(B).ToList();

    public static readonly IReadOnlyList<string> YamlTokens = new[]
    {
        ": ", "- ", "\n", "\n  ", "  ", "[", "]", "{", "}", ", ", "#", " # c", "&a ", "*a", "!!str ", "|", ">", "---\n", "...\n", "'", "\"",
        "\\u00e9", "? ", "%YAML 1.2\n", "\t", "~", "null", "true", "yes", "0x1F", "0o17", "1_000", ".inf", ".nan", "1e309", "<<: *a",
        "per_device_train_batch_size", "gradient_accumulation_steps", "max_steps", "num_train_epochs", "num_epochs", "micro_batch_size",
        "deepspeed", "datasets", "dataset", "val_set_size", "val_size", "warmup_ratio", "warmup_steps", "save_steps", "eval_steps",
        "evals_per_epoch", "saves_per_epoch", "logging_steps", "learning_rate", "lora_r", "load_in_4bit", "bf16", "optim", "eval_strategy",
        "save_total_limit", "load_best_model_at_end", "metric_for_best_model", "# stepwise: dataset_size=", "world_size=", "sample_packing",
    };

    public static readonly IReadOnlyList<string> JsonTokens = new[]
    {
        "{", "}", "[", "]", ",", ":", "\"", "\\\"", "\\u0000", "\\ud800", "//", "/*", "*/", "#", "true", "false", "null", "1e309", "-0", "1.5e-3",
        "\"per_device_train_batch_size\": ", "\"max_steps\": ", "\"num_train_epochs\": ", "\"train_batch_size\": \"auto\"", "\"zero_optimization\": {",
        "\"train_micro_batch_size_per_gpu\": ", "\"gradient_accumulation_steps\": ", "\"file_name\": ", "\"splits\": ",
    };

    public static readonly IReadOnlyList<string> PythonTokens = new[]
    {
        "TrainingArguments(", "SFTConfig(", "LoraConfig(", "BitsAndBytesConfig(", "GRPOConfig(", ")", "(", "=", ", ", "**", "*", "**kwargs",
        "\n", "    ", "\t", "#", "\"", "'", "\"\"\"", "f\"", "r'", "b'", "\\\n", "lambda x: ", "if ", "else ", "def f():\n", "for i in range(3):\n",
        "x = ", "args = ", "1e999", "float('inf')", "None", "True", "[", "]", "{", "}", ":", "dict(", "max_steps", "num_train_epochs",
        "per_device_train_batch_size", "gradient_accumulation_steps", "output_dir", "# stepwise: dataset_size=", "import ", "from transformers import ",
    };

    public static readonly IReadOnlyList<string> NotebookTokens = new[]
    {
        "{\"cells\": [", "{\"cell_type\": \"code\", \"source\": [", "\"]}", "\\n", "\\\"", "\\u00e9", "%%bash\\n", "!pip install x\\n", "%time ",
        "TrainingArguments(", "max_steps=", "num_train_epochs=", ")", "\"metadata\": {\"kernelspec\": {\"language\": \"python\"}}", "\"worksheets\": [",
    };

    public static readonly IReadOnlyList<string> DirectiveTokens = new[]
    {
        "# stepwise: ", "dataset_size=", "world_size=", "n_gpu=", "=", " ", ",", "_", "-1", "9999999999999999999999", "\n", "// stepwise: ",
    };

    public static readonly IReadOnlyList<string> DataTokens = new[]
    {
        "{", "}", "[", "]", "\n", "\r\n", ",", "\"", "\\\"", "\t", "\u0000", "\uFEFF", "{\"a\": 1}\n", "PAR1", "\"x,y\"", "\n\n",
    };

    public static readonly IReadOnlyList<string> LspTokens = new[]
    {
        "Content-Length: ", "content-length:", "\r\n", "\r\n\r\n", "Content-Type: x\r\n", "{\"jsonrpc\":\"2.0\"", ",\"id\":", ",\"method\":\"",
        "\"params\":", "}", "{", "[", "]", "-1", "99999999999999999999", "0", "\"", "\\u0000",
    };
}
