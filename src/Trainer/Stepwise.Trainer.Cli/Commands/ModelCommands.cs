using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.Quantization;
using Stepwise.Trainer.SafeTensors;
using Stepwise.Trainer.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Stepwise.Trainer.Cli.Commands;

public static class ModelCommands
{
    public static int InitDefault(string[] argv)
    {
        var a = new Args(argv, new HashSet<string>());
        string outDir = a.Required(0, "OUT_DIR");
        int seed = a.GetInt("seed", 0);
        a.CheckAllUsed(1);
        DefaultModel.Create(outDir, seed);
        var cfg = DefaultModel.Config();
        Console.WriteLine($"wrote {outDir}: tiny Llama, {cfg.ParameterCount():N0} parameters, seed {seed}");
        return 0;
    }

    public static int Quantize(string[] argv)
    {
        var a = new Args(argv, new HashSet<string> { "no-double-quant" });
        string src = a.Required(0, "MODEL_DIR"), dst = a.Required(1, "OUT_DIR");
        var type = FourBitCodes.Parse(a.Get("quant-type", "nf4"));
        bool dq = !a.Flag("no-double-quant");
        string? dtypeName = a.Get("dtype");
        a.CheckAllUsed(2);
        if (Path.GetFullPath(src) == Path.GetFullPath(dst)) throw new UsageException("OUT_DIR must differ from MODEL_DIR");
        var config = LlamaConfig.Load(src);
        if (config.Raw["quantization_config"] is not null) throw new UsageException($"{src} is already quantized");
        var dtype = DTypes.FromTorchDtypeName(dtypeName ?? config.TorchDtype);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        using var model = LlamaLoader.Load(src, new LoadOptions { ComputeDtype = dtype, Quantize = type, DoubleQuant = dq });
        BnbLayout.SaveQuantized(model, src, dst);
        var (bits, _) = BenchCommands.BitsPerParameter(model);
        Console.WriteLine($"wrote {dst}: {FourBitCodes.Name(type)}{(dq ? " + double quantization" : "")}, " +
                          $"{bits:F4} bits per quantized parameter, {sw.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    public static int Generate(string[] argv)
    {
        var a = new Args(argv, new HashSet<string> { "load-4bit" });
        string dir = a.Required(0, "MODEL_DIR");
        string prompt = a.Get("prompt", "Once upon a time");
        var opts = new GenerateOptions
        {
            MaxNewTokens = a.GetInt("max-new-tokens", 32), Temperature = a.GetDouble("temperature", 0),
            TopK = a.GetInt("top-k", 0), Seed = a.GetInt("seed", 0),
        };
        string? adapter = a.Get("adapter");
        bool load4 = a.Flag("load-4bit");
        var device = ParseDevice(a.Get("device", "cpu"));
        a.CheckAllUsed(1);
        var tok = TextTokenizer.Load(dir);
        var config = LlamaConfig.Load(dir);
        using var model = LlamaLoader.Load(dir, new LoadOptions
        {
            Device = device, ComputeDtype = device.type == DeviceType.CPU ? ScalarType.Float32 : DTypes.FromTorchDtypeName(config.TorchDtype),
            Quantize = load4 ? QuantType.Nf4 : null,
        });
        if (adapter is not null) PeftAdapter.Load(model, adapter);
        Console.Write(prompt);
        Console.WriteLine(TextGenerator.GenerateText(model, tok, prompt, opts));
        return 0;
    }

    public static int Merge(string[] argv)
    {
        var a = new Args(argv, new HashSet<string>());
        string baseDir = a.Required(0, "MODEL_DIR"), adapter = a.Required(1, "ADAPTER_DIR"), outDir = a.Required(2, "OUT_DIR");
        string? dtypeName = a.Get("dtype");
        a.CheckAllUsed(3);
        var config = LlamaConfig.Load(baseDir);
        var q = BnbLayout.ReadQuantizationConfig(config, Path.Combine(baseDir, "config.json"));
        var dtype = DTypes.FromTorchDtypeName(dtypeName ?? (q is not null ? q.ComputeDtype : config.TorchDtype));
        using var model = LlamaLoader.Load(baseDir, new LoadOptions { ComputeDtype = dtype });
        PeftAdapter.Load(model, adapter);
        LoraModel.MergeAndUnload(model);
        ModelFiles.SaveFloat(model, outDir, dtype);
        ModelFiles.CopyTokenizerFiles(baseDir, outDir);
        Console.WriteLine($"wrote {outDir}: base + adapter merged, {DTypes.ToTorchDtypeName(dtype)}" +
                          (q is not null ? " (the 4-bit base was dequantized; it cannot be re-quantized exactly)" : ""));
        return 0;
    }

    public static Device ParseDevice(string s)
    {
        if (s == "cpu") return torch.CPU;
        if (s.StartsWith("cuda", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available()) throw new UsageException("CUDA is not available in this TorchSharp build (TorchSharp-cpu); use --device cpu");
            return torch.device(s);
        }
        throw new UsageException($"unknown device '{s}' (cpu or cuda[:N])");
    }
}
