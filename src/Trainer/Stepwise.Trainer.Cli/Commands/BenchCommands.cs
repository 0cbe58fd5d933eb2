using System.CommandLine;
using System.Diagnostics;
using Stepwise.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.Quantization;
using Stepwise.Trainer.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Stepwise.Trainer.Cli.Commands;

/// <summary>
/// `bench-model`: the model side's figures. Peak RSS is measured in child processes (one per way of loading) from
/// VmHWM in /proc/self/status, so one measurement cannot inherit the other's high-water mark.
/// </summary>
public sealed class BenchModelCommand : CliCommand
{
    public override int Order => 80;

    public override Command Build()
    {
        var work = new Option<string?>("--work") { Description = "Scratch folder for the generated models (default: $TMPDIR/stepwise-bench)", HelpName = "DIR" };
        var layers = CliOptions.Integer("--layers", "Layers of the 1B-shaped model (default 22)", min: 1, max: 256);
        var skip1b = new Option<bool>("--skip-1b") { Description = "Skip the 1B-shaped model (only the tiny one)" };
        var steps = CliOptions.Integer("--steps", "Training steps timed per mode (default 3)", min: 1, max: 100_000);
        var command = WithExamples(new Command("bench-model", "Benchmark the model side: bits per parameter, load peak RSS (NF4 vs BF16), QLoRA vs LoRA step time") { work, layers, skip1b, steps },
            "stepwise bench-model --skip-1b", "stepwise bench-model --layers 4 --steps 2");
        command.SetAction(parse => BenchCommands.BenchModel(parse.GetValue(work) ?? Path.Combine(Path.GetTempPath(), "stepwise-bench"),
            (int)(parse.GetValue(layers) ?? 22), parse.GetValue(skip1b), (int)(parse.GetValue(steps) ?? 3)));
        return command;
    }
}

/// <summary>The child process of bench-model: loads a model once and prints its peak RSS (not for users).</summary>
public sealed class BenchLoadChildCommand : CliCommand
{
    public override int Order => 1000;

    public override Command Build()
    {
        var dir = new Argument<string>("MODEL_DIR");
        var mode = new Argument<string>("MODE") { Description = "nf4 or bf16" };
        mode.AcceptOnlyFromAmong("nf4", "bf16");
        var command = new Command("bench-load-child", "bench-model's measuring child process") { dir, mode };
        command.Hidden = true;
        command.SetAction(parse => BenchCommands.LoadChild(parse.GetValue(dir)!, parse.GetValue(mode)!));
        return command;
    }
}

public static class BenchCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>(bits per quantized parameter, same with the per-tensor code books counted).</summary>
    public static (double Bits, double BitsWithCodeBooks) BitsPerParameter(LlamaForCausalLM model)
    {
        long bytes = 0, books = 0, n = 0;
        foreach (var (_, _, _, layer) in model.LinearLayers())
        {
            var l = layer as Linear4bit ?? (layer as LoraLinear)?.base_layer as Linear4bit;
            if (l is null) continue;
            bytes += l.Weight.StorageBytes;
            books += l.Weight.Code.numel() * 4 + (l.Weight.NestedCode?.numel() ?? 0) * 4;
            n += l.Weight.NumElements;
        }
        return n == 0 ? (0, 0) : (bytes * 8.0 / n, (bytes + books) * 8.0 / n);
    }

    public static long ModelBytes(LlamaForCausalLM model)
    {
        long dense = model.parameters().Sum(p => p.numel() * p.ElementSize);
        long quant = model.LinearLayers().Select(l => l.Layer).OfType<Linear4bit>().Sum(l => l.Weight.StorageBytes);
        return dense + quant;
    }

    public static LlamaConfig OneBConfig(int layers) => DefaultModel.Config() with
    {
        VocabSize = 32000, HiddenSize = 2048, IntermediateSize = 5632, NumHiddenLayers = layers,
        NumAttentionHeads = 32, NumKeyValueHeads = 4, HeadDim = 64, MaxPositionEmbeddings = 2048, TorchDtype = "bfloat16",
        Raw = new JsonObject { ["initializer_range"] = 0.02 },
    };

    public static int BenchModel(string work, int layers, bool skip1b, int steps)
    {
        Directory.CreateDirectory(work);
        Console.WriteLine($"stepwise-trainer bench-model  (torch threads: {torch.get_num_threads()}, cores: {Environment.ProcessorCount})");

        // 1. Bits per parameter on the embedded default model.
        string tiny = Path.Combine(work, "tiny");
        if (!File.Exists(Path.Combine(tiny, "model.safetensors"))) DefaultModel.Create(tiny, 0);
        using (var m = LlamaLoader.Load(tiny, new LoadOptions { Quantize = QuantType.Nf4 }))
        {
            var (b, bb) = BitsPerParameter(m);
            Console.WriteLine($"bits per quantized base parameter (NF4 + DQ, default model): {b:F4} (goal 4.127; {bb:F4} counting the 16+256-entry code books per tensor)");
        }
        using (var m = LlamaLoader.Load(tiny, new LoadOptions { Quantize = QuantType.Nf4, DoubleQuant = false }))
            Console.WriteLine($"bits per quantized base parameter (NF4 without DQ):          {BitsPerParameter(m).Bits:F4} (paper: 4.5)");

        // 2. Peak RSS: stream-load a ~1B BF16 checkpoint into NF4, and unquantized (BF16), in separate processes.
        if (!skip1b)
        {
            string big = Path.Combine(work, $"llama-1b-{layers}l");
            var cfg = OneBConfig(layers);
            if (!File.Exists(Path.Combine(big, "model.safetensors.index.json")))
            {
                var sw = Stopwatch.StartNew();
                WriteRandomCheckpoint(big, cfg, shards: 2, seed: 1);
                Console.WriteLine($"generated {big}: {cfg.ParameterCount() / 1e9:F2}B parameters, BF16, 2 shards, {sw.Elapsed.TotalSeconds:F0} s");
            }
            var nf4 = RunChild(big, "nf4");
            var dense = RunChild(big, "bf16");
            long largest;
            using (var ck = Checkpoint.Open(big)) largest = ck.Files.SelectMany(f => f.Tensors).Max(t => t.ByteLength);
            Console.WriteLine($"load {cfg.ParameterCount() / 1e9:F2}B into NF4+DQ: peak RSS {Mb(nf4.Peak)}, runtime baseline {Mb(nf4.Baseline)}, model {Mb(nf4.Model)}, {nf4.Seconds:F1} s wall / {nf4.Cpu:F1} s CPU");
            Console.WriteLine($"load {cfg.ParameterCount() / 1e9:F2}B unquantized:  peak RSS {Mb(dense.Peak)}, runtime baseline {Mb(dense.Baseline)}, model {Mb(dense.Model)}, {dense.Seconds:F1} s wall / {dense.Cpu:F1} s CPU");
            double budget = 1.5 * nf4.Model + largest;
            Console.WriteLine($"NF4 load peak above baseline: {Mb(nf4.Peak - nf4.Baseline)} vs goal 1.5 x model + one tensor = {Mb((long)budget)} " +
                              $"({((nf4.Peak - nf4.Baseline) <= budget ? "met" : "NOT met")}); unquantized/NF4 peak ratio {(double)dense.Peak / nf4.Peak:F2}x");
        }

        // 3. One QLoRA step vs the same LoRA step on the unquantized base: same weights, same batch, same run.
        string small = Path.Combine(work, "small");
        var smallCfg = DefaultModel.Config() with
        {
            VocabSize = 4096, HiddenSize = 1024, IntermediateSize = 2816, NumHiddenLayers = 4, NumAttentionHeads = 16,
            NumKeyValueHeads = 4, HeadDim = 64, MaxPositionEmbeddings = 1024,
        };
        if (!File.Exists(Path.Combine(small, "model.safetensors"))) DefaultModel.Create(small, 2, smallCfg);
        int batch = 4, seq = 256;
        var (tDense, cDense) = StepTime(small, null, batch, seq, steps);
        var (tQ, cQ) = StepTime(small, QuantType.Nf4, batch, seq, steps);
        Console.WriteLine($"forward+backward, {smallCfg.ParameterCount() / 1e6:F0}M-param Llama, batch {batch}x{seq}, LoRA r=16 all-linear, fp32 compute (median of {steps}):");
        Console.WriteLine($"  LoRA on unquantized base: {tDense * 1000:F0} ms/step wall, {cDense * 1000:F0} ms CPU");
        Console.WriteLine($"  QLoRA (NF4+DQ base):      {tQ * 1000:F0} ms/step wall, {cQ * 1000:F0} ms CPU");
        Console.WriteLine($"  ratio {tQ / tDense:F2}x wall, {cQ / cDense:F2}x CPU time (goal <= 1.3x; CPU time is the fair figure on a shared machine)");
        return 0;
    }

    private static string Mb(long bytes) => $"{bytes / 1048576.0:F0} MiB";

    private static (double Wall, double Cpu) StepTime(string dir, QuantType? q, int batch, int seq, int steps)
    {
        using var model = LlamaLoader.Load(dir, new LoadOptions { Quantize = q });
        LoraModel.Apply(model, new LoraConfig { R = 16, LoraAlpha = 32, TargetModules = new[] { LoraConfig.AllLinear } }, seed: 0);
        model.train();
        var gen = new torch.Generator(7);
        using var ids = torch.randint(0, model.Config.VocabSize, new long[] { batch, seq }, ScalarType.Int64, generator: gen);
        var times = new List<double>();
        var cpus = new List<double>();
        var proc = Process.GetCurrentProcess();
        for (int i = 0; i < steps + 1; i++)
        {
            using var scope = torch.NewDisposeScope();
            proc.Refresh();
            var cpu0 = proc.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            var logits = model.forward(ids, null);
            var loss = torch.nn.functional.cross_entropy(logits.narrow(1, 0, seq - 1).reshape(-1, model.Config.VocabSize), ids.narrow(1, 1, seq - 1).reshape(-1));
            loss.backward();
            foreach (var p in model.parameters()) p.grad?.zero_();
            proc.Refresh();
            if (i > 0) // the first step warms up allocator and kernels
            {
                times.Add(sw.Elapsed.TotalSeconds);
                cpus.Add((proc.TotalProcessorTime - cpu0).TotalSeconds);
            }
        }
        times.Sort();
        cpus.Sort();
        return (times[times.Count / 2], cpus[cpus.Count / 2]);
    }

    private sealed record ChildResult(long Peak, long Baseline, long Model, double Seconds, double Cpu);

    private static ChildResult RunChild(string dir, string mode)
    {
        var exe = Environment.ProcessPath!;
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var entry = System.Reflection.Assembly.GetEntryAssembly()!.Location;
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet") psi.ArgumentList.Add(entry);
        foreach (var s in new[] { "bench-load-child", dir, mode }) psi.ArgumentList.Add(s);
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"bench child ({mode}) failed: {stderr}");
        var o = JsonNode.Parse(stdout.Trim().Split('\n')[^1])!.AsObject();
        return new ChildResult(o["peak"]!.GetValue<long>(), o["baseline"]!.GetValue<long>(), o["model"]!.GetValue<long>(), o["seconds"]!.GetValue<double>(), o["cpu"]!.GetValue<double>());
    }

    /// <summary>Child process: load once, print {"peak": VmHWM, "baseline": RSS before loading, ...} as JSON.</summary>
    public static int LoadChild(string dir, string mode)
    {
        using (torch.ones(1)) { } // load libtorch before measuring the baseline
        long baseline = ProcStatus("VmRSS");
        var proc = Process.GetCurrentProcess();
        var cpu0 = proc.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        using var model = LlamaLoader.Load(dir, new LoadOptions
        {
            ComputeDtype = ScalarType.BFloat16, Quantize = mode == "nf4" ? QuantType.Nf4 : null,
        });
        double secs = sw.Elapsed.TotalSeconds;
        proc.Refresh();
        double cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds;
        long peak = ProcStatus("VmHWM");
        Console.WriteLine(new JsonObject { ["peak"] = peak, ["baseline"] = baseline, ["model"] = ModelBytes(model), ["seconds"] = secs, ["cpu"] = cpu }.ToJsonString());
        return 0;
    }

    private static long ProcStatus(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key + ":", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], Inv) * 1024;
        throw new InvalidOperationException($"{key} not in /proc/self/status (Linux only)");
    }

    /// <summary>A random Llama checkpoint (normal(0, 0.02), norms 1) written tensor by tensor, sharded with an index.</summary>
    public static void WriteRandomCheckpoint(string dir, LlamaConfig cfg, int shards, long seed)
    {
        Directory.CreateDirectory(dir);
        var weights = cfg.ExpectedWeights().ToList();
        long total = weights.Sum(w => w.Shape.Aggregate(1L, (x, y) => x * y));
        var gen = new torch.Generator((ulong)seed);
        var dtype = DTypes.FromTorchDtypeName(cfg.TorchDtype);
        string dt = DTypes.FromTorch(dtype);
        var map = new JsonObject();
        long done = 0;
        int shard = 0;
        var groups = new List<List<(string Name, long[] Shape, bool IsLinear)>> { new() };
        foreach (var w in weights)
        {
            if (done > total * (shard + 1) / shards && shard < shards - 1) { shard++; groups.Add(new()); }
            groups[^1].Add(w);
            done += w.Shape.Aggregate(1L, (x, y) => x * y);
        }
        for (int s = 0; s < groups.Count; s++)
        {
            string file = $"model-{s + 1:D5}-of-{groups.Count:D5}.safetensors";
            var entries = groups[s].Select(w => new TensorToWrite(w.Name, dt, w.Shape, () =>
                w.Name.EndsWith("norm.weight", StringComparison.Ordinal)
                    ? torch.ones(w.Shape, dtype)
                    : (torch.randn(w.Shape, ScalarType.Float32, generator: gen) * 0.02).to(dtype))).ToList();
            SafeTensorsWriter.Write(Path.Combine(dir, file), entries, new Dictionary<string, string> { ["format"] = "pt" });
            foreach (var w in groups[s]) map[w.Name] = file;
        }
        var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = total * DTypes.SizeOf(dt) }, ["weight_map"] = map };
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        cfg.Save(dir);
    }
}
