using TorchSharp;
using static TorchSharp.torch;
using Stepwise.Trainer.Training;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.Optim;
using Stepwise.Trainer.Quantization;

namespace Stepwise.Trainer.Cli.Commands;

/// <summary>
/// The trainer next to PyTorch: the same LoRA fp32 training steps (model, micro-batches of token ids, LoRA r=16
/// all-linear, AdamW, gradient clipping at 1.0, thread count) run by this trainer and by Debian's python3-torch in eager
/// mode (Bench/torch_lora_steps.py), in the same process run, one after the other. Each side's median step time after
/// the warm-up steps; the first losses must agree (the same model, inputs and zero-initialised B), or the comparison
/// would be of different work.
/// </summary>
public static class TorchComparison
{
    /// <summary>Median wall and CPU seconds of a step (CPU time: all threads of the process; the fair figure on a busy machine).</summary>
    public sealed record Side(double MedianSeconds, double MedianCpuSeconds, double SamplesPerSecond, double FirstLoss);

    public static (Side Ours, Side Torch, string TorchVersion, string TorchBlas) Run(string modelDir, int batch, int seq, int steps, int warmup, string python, string work,
        QuantType? quant = null)
    {
        var config = LlamaConfig.Load(modelDir);
        var rng = new Random(1234);
        var batches = Enumerable.Range(0, steps + warmup)
            .Select(_ => Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, seq).Select(_ => rng.Next(3, (int)config.VocabSize)).ToArray()).ToArray()).ToArray();
        var ours = Ours(modelDir, batches, warmup, quant);
        var torchSide = Torch(modelDir, batches, warmup, python, work);
        return (ours, torchSide.Side, torchSide.Version, torchSide.Blas);
    }

    /// <summary>Our side: the training loop's step (Trainer.TokenLossSum over a collated batch, backward, clipping, AdamW).</summary>
    public static Side Ours(string modelDir, int[][][] batches, int warmup, QuantType? quant = null)
    {
        using var model = LlamaLoader.Load(modelDir, new LoadOptions { Quantize = quant });
        LoraModel.Apply(model, new LoraConfig { R = 16, LoraAlpha = 32, TargetModules = PeftSettings.LlamaLinear }, seed: 0);
        model.train();
        var groups = ParamGroups.For(model, 0.0);
        var trainable = groups.SelectMany(g => g.Parameters.Select(p => p.Parameter)).ToList();
        using var optimizer = Optimizers.Create("adamw_torch", groups, 1e-4, 0.9, 0.999, 1e-8);
        var times = new List<double>();
        var cpus = new List<double>();
        var proc = Process.GetCurrentProcess();
        double first = double.NaN;
        foreach (var ids in batches)
        {
            var examples = ids.Select(x => new Example(x, x)).ToList();
            proc.Refresh();
            var cpu0 = proc.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            using (var scope = torch.NewDisposeScope())
            {
                using var b = ExampleLoader.Collate(examples, 0, torch.CPU);
                var loss = TrainingLoop.TokenLossSum(model, b) / (double)b.TrainableTokens;
                loss.backward();
                torch.nn.utils.clip_grad_norm_(trainable, 1.0);
                optimizer.Step(1e-4);
                optimizer.ZeroGrad();
                if (double.IsNaN(first)) first = loss.item<float>();
            }
            times.Add(sw.Elapsed.TotalSeconds);
            proc.Refresh();
            cpus.Add((proc.TotalProcessorTime - cpu0).TotalSeconds);
        }
        return Summarise(times.Skip(warmup).ToList(), cpus.Skip(warmup).ToList(), batches[0].Length, first);
    }

    private static (Side Side, string Version, string Blas) Torch(string modelDir, int[][][] batches, int warmup, string python, string work)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "Bench", "torch_lora_steps.py");
        if (!File.Exists(script)) throw new FileNotFoundException($"{script} not found (it ships beside stepwise-trainer)");
        if (!File.Exists(python)) throw new FileNotFoundException($"{python} not found: the PyTorch side needs Debian's python3 with python3-torch (scripts/setup.sh --test)");
        Directory.CreateDirectory(work);
        string spec = Path.Combine(work, "torch-spec.json"), output = Path.Combine(work, "torch-out.json");
        var json = new JsonObject
        {
            ["threads"] = torch.get_num_threads(), ["r"] = 16, ["alpha"] = 32, ["lr"] = 1e-4,
            ["targets"] = new JsonArray(PeftSettings.LlamaLinear.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
            ["batches"] = new JsonArray(batches.Select(b => (JsonNode)new JsonArray(b.Select(r => (JsonNode)new JsonArray(r.Select(i => (JsonNode)i).ToArray())).ToArray())).ToArray()),
        };
        File.WriteAllText(spec, json.ToJsonString());
        var psi = new ProcessStartInfo(python) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        // An OpenBLAS or OpenMP BLAS behind torch takes its own thread count from the environment: the same as ours.
        string threads = torch.get_num_threads().ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["OPENBLAS_NUM_THREADS"] = threads;
        psi.Environment["OMP_NUM_THREADS"] = threads;
        foreach (var a in new[] { script, modelDir, spec, output }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"the PyTorch side failed ({p.ExitCode}): {err}");
        var o = JsonNode.Parse(File.ReadAllText(output))!.AsObject();
        var seconds = o["seconds"]!.AsArray().Select(x => x!.GetValue<double>()).Skip(warmup).ToList();
        var cpu = o["cpu"]!.AsArray().Select(x => x!.GetValue<double>()).Skip(warmup).ToList();
        double firstLoss = o["losses"]!.AsArray()[0]!.GetValue<double>();
        var blas = o["blas"] is JsonArray libs ? string.Join(", ", libs.Select(l => l!.GetValue<string>())) : "unknown";
        return (Summarise(seconds, cpu, batches[0].Length, firstLoss), o["torch"]!.GetValue<string>(), blas);
    }

    private static Side Summarise(List<double> times, List<double> cpus, int batch, double firstLoss)
    {
        double wall = Median(times);
        return new Side(wall, Median(cpus), batch / wall, firstLoss);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(t => t).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    public static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }

    public static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
}
