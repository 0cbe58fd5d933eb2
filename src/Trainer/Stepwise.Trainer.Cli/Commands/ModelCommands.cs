using System.CommandLine;
using Stepwise.CommandLine;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.Quantization;
using Stepwise.Trainer.SafeTensors;
using Stepwise.Trainer.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Stepwise.Trainer.Cli.Commands;

/// <summary>`init-default OUT_DIR`: the embedded tiny Llama written as a Hugging Face folder.</summary>
public sealed class InitDefaultCommand : CliCommand
{
    public override int Order => 50;

    public override Command Build()
    {
        var outDir = new Argument<string>("OUT_DIR") { Description = "The folder to write (config.json, model.safetensors, tokenizer files)" };
        var seed = TrainerOptions.Seed();
        var command = WithExamples(new Command("init-default", "Write the embedded tiny Llama (3M parameters, made from a seed) as a Hugging Face folder") { outDir, seed },
            "stepwise init-default models/tiny", "stepwise init-default models/tiny --seed 7");
        command.SetAction(parse => ModelCommands.InitDefault(parse.GetValue(outDir)!, (int)(parse.GetValue(seed) ?? 0)));
        return command;
    }
}

/// <summary>`quantize MODEL_DIR OUT_DIR`: a bitsandbytes 4-bit copy of a Llama folder.</summary>
public sealed class QuantizeCommand : CliCommand
{
    public override int Order => 20;

    public override Command Build()
    {
        var src = new Argument<string>("MODEL_DIR") { Description = "A Hugging Face Llama folder (config.json + safetensors)" };
        var dst = new Argument<string>("OUT_DIR") { Description = "Where to write the quantized copy" };
        var type = CliOptions.Choice("--quant-type", "The 4-bit code (default nf4)", "nf4", "fp4");
        var noDq = new Option<bool>("--no-double-quant") { Description = "Keep the absmax scales in float32 (no double quantization)" };
        var dtype = TrainerOptions.Dtype("The dtype of the layers that stay unquantized (default: the model's torch_dtype)");
        var command = WithExamples(new Command("quantize", "Save an NF4/FP4 copy of a Llama folder in the bitsandbytes layout (double quantization by default)") { src, dst, type, noDq, dtype },
            "stepwise quantize models/tiny models/tiny-nf4", "stepwise quantize models/llama models/llama-fp4 --quant-type fp4 --no-double-quant");
        command.SetAction(parse => ModelCommands.Quantize(parse.GetValue(src)!, parse.GetValue(dst)!, parse.GetValue(type) ?? "nf4", !parse.GetValue(noDq), parse.GetValue(dtype)));
        return command;
    }
}

/// <summary>`generate MODEL_DIR`: a quick look at what a model (and adapter) writes.</summary>
public sealed class GenerateCommand : CliCommand
{
    public override int Order => 30;

    public override Command Build()
    {
        var dir = new Argument<string>("MODEL_DIR") { Description = "A Hugging Face Llama folder" };
        var prompt = new Option<string?>("--prompt") { Description = "The text to continue (default \"Once upon a time\")", HelpName = "TEXT" };
        var maxNew = CliOptions.Integer("--max-new-tokens", "Tokens to generate (default 32)", min: 1, max: 1_000_000);
        var temperature = CliOptions.Number("--temperature", "0 is greedy (default); above 0 samples", min: 0, max: 100, helpName: "T");
        var topK = CliOptions.Integer("--top-k", "Sample from the K most likely tokens (0: all; default 0)", min: 0, max: int.MaxValue, helpName: "K");
        var seed = TrainerOptions.Seed();
        var adapter = new Option<string?>("--adapter") { Description = "A PEFT LoRA adapter folder to apply", HelpName = "DIR" };
        var load4 = new Option<bool>("--load-4bit") { Description = "Quantize the base to NF4 while loading" };
        var device = TrainerOptions.Device();
        var command = WithExamples(new Command("generate", "Generate text from a model, greedy or sampled, with or without an adapter") { dir, prompt, maxNew, temperature, topK, seed, adapter, load4, device },
            "stepwise generate models/tiny --prompt \"Once upon a time\"",
            "stepwise generate models/tiny --adapter outputs/stepwise-demo --temperature 0.8 --top-k 40 --seed 1");
        command.SetAction(parse => ModelCommands.Generate(parse.GetValue(dir)!, parse.GetValue(prompt) ?? "Once upon a time", new GenerateOptions
        {
            MaxNewTokens = (int)(parse.GetValue(maxNew) ?? 32), Temperature = parse.GetValue(temperature) ?? 0,
            TopK = (int)(parse.GetValue(topK) ?? 0), Seed = (int)(parse.GetValue(seed) ?? 0),
        }, parse.GetValue(adapter), parse.GetValue(load4), parse.GetValue(device) ?? "cpu"));
        return command;
    }
}

/// <summary>`merge MODEL_DIR ADAPTER_DIR OUT_DIR`: base + LoRA adapter as one model.</summary>
public sealed class MergeCommand : CliCommand
{
    public override int Order => 40;

    public override Command Build()
    {
        var baseDir = new Argument<string>("MODEL_DIR") { Description = "The base model folder (a 4-bit one is dequantized)" };
        var adapter = new Argument<string>("ADAPTER_DIR") { Description = "The PEFT LoRA adapter folder" };
        var outDir = new Argument<string>("OUT_DIR") { Description = "Where to write the merged model" };
        var dtype = TrainerOptions.Dtype("The dtype to save (default: the base's compute or torch_dtype)");
        var command = WithExamples(new Command("merge", "Merge a PEFT LoRA adapter into its base model and save the result") { baseDir, adapter, outDir, dtype },
            "stepwise merge models/tiny outputs/stepwise-demo models/tiny-merged", "stepwise merge models/llama adapters/a models/merged --dtype bfloat16");
        command.SetAction(parse => ModelCommands.Merge(parse.GetValue(baseDir)!, parse.GetValue(adapter)!, parse.GetValue(outDir)!, parse.GetValue(dtype)));
        return command;
    }
}

/// <summary>The model commands' work, with their arguments already parsed.</summary>
public static class ModelCommands
{
    public static int InitDefault(string outDir, int seed)
    {
        DefaultModel.Create(outDir, seed);
        var cfg = DefaultModel.Config();
        Console.WriteLine($"wrote {outDir}: tiny Llama, {cfg.ParameterCount():N0} parameters, seed {seed}");
        return 0;
    }

    public static int Quantize(string src, string dst, string quantType, bool dq, string? dtypeName)
    {
        var type = FourBitCodes.Parse(quantType);
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

    public static int Generate(string dir, string prompt, GenerateOptions opts, string? adapter, bool load4, string deviceName)
    {
        var device = ParseDevice(deviceName);
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

    public static int Merge(string baseDir, string adapter, string outDir, string? dtypeName)
    {
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
