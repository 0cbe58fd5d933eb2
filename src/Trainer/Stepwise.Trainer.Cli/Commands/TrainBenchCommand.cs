using System.CommandLine;
using Stepwise.CommandLine;
using TorchSharp;
using static TorchSharp.torch;
using System.Diagnostics;
using Stepwise.Core.Model;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.Optim;
using Stepwise.Trainer.Progress;
using Stepwise.Trainer.Quantization;
using Stepwise.Trainer.Training;

namespace Stepwise.Trainer.Cli.Commands;

/// <summary>
/// `bench-train`: the run side's figures on the embedded default model and the bundled dataset: samples/s and
/// tokens/s of QLoRA (NF4 + DQ base) against LoRA on the same float base, optimizer state bytes of 8-bit against
/// 32-bit AdamW, and the wall time of the demo run (`./stepwise train` with no config, in-process).
/// </summary>
public sealed class TrainBenchCommand : CliCommand
{
    public override int Order => 90;

    public override Command Build()
    {
        var steps = CliOptions.Integer("--steps", "Optimizer steps timed per mode (default 12)", min: 1, max: 100_000);
        var skipDemo = new Option<bool>("--skip-demo") { Description = "Do not time the demo run" };
        var skipTorch = new Option<bool>("--skip-torch") { Description = "Do not run the same LoRA steps in PyTorch eager" };
        var python = new Option<string?>("--python") { Description = "Python with torch for the PyTorch side (default /usr/bin/python3)", HelpName = "PATH" };
        var work = new Option<string?>("--work") { Description = "Scratch folder (default: $TMPDIR/stepwise-bench-train)", HelpName = "DIR" };
        var command = WithExamples(new Command("bench-train", "Benchmark training: LoRA vs PyTorch eager and QLoRA vs LoRA samples/s, 8-bit vs 32-bit optimizer state, checkpoint files, the demo's wall time") { steps, skipDemo, skipTorch, python, work },
            "stepwise bench-train", "stepwise bench-train --steps 4 --skip-demo", "stepwise bench-train --skip-torch");
        command.SetAction(parse => Run((int)(parse.GetValue(steps) ?? 12), parse.GetValue(skipDemo), parse.GetValue(skipTorch), parse.GetValue(python) ?? "/usr/bin/python3",
            parse.GetValue(work) ?? Path.Combine(Path.GetTempPath(), "stepwise-bench-train")));
        return command;
    }

    public static int Run(int steps, bool skipDemo, bool skipTorch, string python, string work)
    {
        Directory.CreateDirectory(work);
        Console.WriteLine($"stepwise-trainer bench-train  (torch threads: {torch.get_num_threads()}, cores: {Environment.ProcessorCount})");

        string model = Path.Combine(work, "default-model");
        if (!File.Exists(Path.Combine(model, "model.safetensors"))) DefaultModel.Create(model, 0);
        string small = Path.Combine(work, "small-model");
        if (!File.Exists(Path.Combine(small, "model.safetensors"))) DefaultModel.Create(small, 2, BenchCommands.SmallConfig());

        // 1. Next to PyTorch eager, and QLoRA next to LoRA: the same fixed-shape micro-batches, step by step.
        Console.WriteLine($"load average at start: {TorchComparison.LoadAverage()}");
        bool sameStep = true;
        if (!skipTorch)
        {
            foreach (var (label, dir, batch, seq) in new[] { ("default model (3.6M)", model, 8, 256), ("small model (70M)", small, 4, 256) })
            {
                var (ours, pt, version, blas) = TorchComparison.Run(dir, batch, seq, Math.Max(3, steps / 2), 2, python, work);
                Console.WriteLine($"LoRA fp32 step, {label}, batch {batch}x{seq}, r=16 all-linear, AdamW, {torch.get_num_threads()} threads (median of {Math.Max(3, steps / 2)} after 2 warm-up):");
                Console.WriteLine($"  stepwise:        {ours.MedianSeconds * 1000,7:0} ms/step wall {ours.MedianCpuSeconds * 1000,7:0} ms CPU  {ours.SamplesPerSecond,7:0.00} samples/s  first loss {ours.FirstLoss:0.00000}");
                Console.WriteLine($"  PyTorch {version,-8} {pt.MedianSeconds * 1000,7:0} ms/step wall {pt.MedianCpuSeconds * 1000,7:0} ms CPU  {pt.SamplesPerSecond,7:0.00} samples/s  first loss {pt.FirstLoss:0.00000}");
                Console.WriteLine($"  PyTorch's BLAS: {blas}");
                // Debian's python3-torch calls the generic libblas.so.3; where that is netlib's reference BLAS (the
                // default without libopenblas0 / libblis), its matmuls run an order of magnitude slower than an
                // optimized BLAS, and the ratio flatters us.
                if (blas.Contains("/blas/libblas.so", StringComparison.Ordinal))
                    Console.WriteLine("  warning: that is netlib's reference BLAS, not an optimized one: the PyTorch side is handicapped and this ratio is not a fair comparison " +
                                      "(install libopenblas0-pthread, or pass --python a wrapper that puts an optimized libblas.so.3 on LD_LIBRARY_PATH)");
                Console.WriteLine($"  ratio stepwise / PyTorch: {ours.MedianSeconds / pt.MedianSeconds:0.00}x wall, {ours.MedianCpuSeconds / pt.MedianCpuSeconds:0.00}x CPU time (goal <= 1.1x)  [load average {TorchComparison.LoadAverage()}]");
                // LoRA B starts at zero, so the first loss is the base model's on the same tokens on both sides: a
                // difference means the two sides do not run the same computation and the ratio compares nothing.
                if (Math.Abs(ours.FirstLoss - pt.FirstLoss) > 1e-4 * Math.Max(1.0, Math.Abs(pt.FirstLoss)))
                {
                    Console.Error.WriteLine($"bench-train: the first losses differ ({ours.FirstLoss:R} vs PyTorch {pt.FirstLoss:R}): the two sides do not compute the same step");
                    sameStep = false;
                }
            }
        }
        {
            var rng = new Random(99);
            var cfg = LlamaConfig.Load(small);
            int n = Math.Max(3, steps / 2);
            var batches = Enumerable.Range(0, n + 2).Select(_ => Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, 256).Select(_ => rng.Next(3, (int)cfg.VocabSize)).ToArray()).ToArray()).ToArray();
            var lora16 = TorchComparison.Ours(small, batches, 2);
            var qlora = TorchComparison.Ours(small, batches, 2, QuantType.Nf4);
            Console.WriteLine($"QLoRA (NF4 + DQ) vs LoRA step, small model, batch 4x256: {qlora.MedianSeconds * 1000:0} vs {lora16.MedianSeconds * 1000:0} ms/step wall, " +
                              $"{qlora.MedianCpuSeconds * 1000:0} vs {lora16.MedianCpuSeconds * 1000:0} ms CPU; ratio {qlora.MedianSeconds / lora16.MedianSeconds:0.00}x wall, " +
                              $"{qlora.MedianCpuSeconds / lora16.MedianCpuSeconds:0.00}x CPU (goal <= 1.3x)  [load average {TorchComparison.LoadAverage()}]");
        }
        var examples = TrainJobs.Tokenize(BundledData.Dataset(), model, 256);
        var args = new TrainingArguments
        {
            PerDeviceTrainBatchSize = 8, GradientAccumulationSteps = 1, MaxSteps = steps, LearningRate = 2e-3, Optim = "adamw_torch",
            SaveStrategy = "no", LoggingSteps = 1000, Seed = 42,
        };
        var lora = new LoraConfig { R = 16, LoraAlpha = 32, TargetModules = new[] { LoraConfig.AllLinear } };
        Console.WriteLine($"data: {examples.Count} examples, mean {examples.Average(e => e.Length):0} tokens; batch 8; {steps} optimizer steps after 2 warm-up steps; LoRA r=16 all-linear");

        foreach (var (label, quant) in new[] { ("LoRA  (float32 base)", (QuantType?)null), ("QLoRA (NF4 + DQ base)", QuantType.Nf4) })
        {
            // Two warm-up steps first (JIT, allocator), then the measured run.
            Once(model, examples, args with { MaxSteps = 2 }, lora, quant, work);
            var r = Once(model, examples, args, lora, quant, work);
            Console.WriteLine($"{label}: {r.SamplesPerSecond,7:0.00} samples/s  {r.TokensPerSecond,8:0} tokens/s  ({r.Runtime:0.00}s for {r.GlobalStep} steps, final loss {r.StepLosses[^1].Loss:0.000})");
        }

        // Optimizer state: the default model's LoRA parameters, and a 7B-sized LoRA (r=16 on q,k,v,o,gate,up,down x 32 layers).
        using (var m = LlamaLoader.Load(model, new LoadOptions { Quantize = QuantType.Nf4 }))
        {
            LoraModel.Apply(m, lora, 0);
            var ps = m.parameters().Where(p => p.requires_grad).ToList();
            long n = ps.Sum(p => p.numel());
            using var o8 = new AdamW8bit("adamw_bnb_8bit", ps, 0.9, 0.999, 1e-8, 0);
            using var o32 = new TorchAdamW("adamw_torch", ps, 1e-3, 0.9, 0.999, 1e-8, 0);
            Console.WriteLine($"optimizer state, default model LoRA ({n:N0} params): 8-bit {o8.StateBytes:N0} B, 32-bit {o32.StateBytes:N0} B, ratio {(double)o8.StateBytes / o32.StateBytes:0.000}");
        }
        {
            var shapes = new List<long[]>();
            for (int l = 0; l < 32; l++)
                foreach (var (i, o) in new[] { (4096L, 4096L), (4096, 4096), (4096, 4096), (4096, 4096), (4096, 11008), (4096, 11008), (11008, 4096) })
                { shapes.Add(new[] { 16L, i }); shapes.Add(new[] { o, 16L }); }
            var ps = shapes.Select(s => new TorchSharp.Modules.Parameter(torch.zeros(s))).ToList();
            long n = ps.Sum(p => p.numel());
            using var o8 = new AdamW8bit("adamw_bnb_8bit", ps, 0.9, 0.999, 1e-8, 0);
            using var o32 = new TorchAdamW("adamw_torch", ps, 1e-3, 0.9, 0.999, 1e-8, 0);
            Console.WriteLine($"optimizer state, Llama-7B-shaped LoRA r=16 all-linear ({n:N0} params): 8-bit {o8.StateBytes:N0} B, 32-bit {o32.StateBytes:N0} B, ratio {(double)o8.StateBytes / o32.StateBytes:0.000}");
            foreach (var p in ps) p.Dispose();
        }

        if (!skipDemo)
        {
            // The demo: what `./stepwise train` runs (the bundled config through the engine, the same plan and loop).
            string outDir = Path.Combine(work, "demo-output");
            if (Directory.Exists(outDir)) Directory.Delete(outDir, true);
            var sw = Stopwatch.StartNew();
            int rc = TrainCommand.Run(null, "plain", outDir, null, "cpu");
            Console.WriteLine($"demo run (`stepwise train`, in-process): exit {rc}, wall {sw.Elapsed.TotalSeconds:0.0}s");
            if (Checkpoints.List(outDir).LastOrDefault().Path is { } ckpt)
            {
                Console.WriteLine($"checkpoint files of the demo ({Path.GetFileName(ckpt)}: QLoRA r=16 on 8 modules, paged_adamw_8bit):");
                foreach (var f in new DirectoryInfo(ckpt).GetFiles().OrderBy(f => f.Name, StringComparer.Ordinal))
                    Console.WriteLine($"  {f.Name,-28} {f.Length,12:N0} B");
            }
        }
        return sameStep ? 0 : 1;
    }

    private static TrainResult Once(string model, List<Example> examples, TrainingArguments args, LoraConfig lora, QuantType? quant, string work)
    {
        var job = new TrainJob
        {
            Args = args, Schedule = TrainJobs.ScheduleFor(args, examples.Count), ModelPath = model, ModelName = "default",
            Load = new LoadOptions { Quantize = quant }, Lora = lora, Train = examples, OutputDir = Path.Combine(work, "bench-out"),
            PadId = 2, WriteLossCurve = false,
        };
        return TrainingLoop.Run(job, new NullProgress());
    }
}
