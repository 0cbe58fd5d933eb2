using Stepwise.Trainer.Cli;
using Stepwise.Trainer.Cli.Commands;
using Stepwise.Trainer.SafeTensors;

// stepwise-trainer: the bundled trainer's executable. Each subcommand lives in Commands/ and gets its own
// arguments; this file only dispatches and turns known failures into a message and an exit code.
var commands = new Dictionary<string, (string Usage, Func<string[], int> Run)>(StringComparer.Ordinal)
{
    ["init-default"] = ("init-default OUT_DIR [--seed N]                       write the embedded tiny Llama as a HF folder", ModelCommands.InitDefault),
    ["quantize"] = ("quantize MODEL_DIR OUT_DIR [--quant-type nf4|fp4] [--no-double-quant] [--dtype bfloat16|float16|float32]\n" +
                    "                                                         save a bitsandbytes 4-bit copy of a Llama folder", ModelCommands.Quantize),
    ["generate"] = ("generate MODEL_DIR [--prompt TEXT] [--max-new-tokens N] [--temperature T] [--top-k K] [--seed S]\n" +
                    "         [--adapter DIR] [--load-4bit] [--device cpu|cuda]  greedy (T=0) or sampled text", ModelCommands.Generate),
    ["merge"] = ("merge MODEL_DIR ADAPTER_DIR OUT_DIR [--dtype D]         merge a PEFT LoRA adapter into the base and export it", ModelCommands.Merge),
    ["bench-model"] = ("bench-model [--work DIR] [--layers N] [--skip-1b]      bits/param, load peak RSS (NF4 vs BF16), QLoRA vs LoRA step time", BenchCommands.BenchModel),
    ["train"] = (TrainCommand.Usage + "\n                                                         train a LoRA/QLoRA adapter (no CONFIG: the bundled demo)", TrainCommand.Run),
    ["bench-train"] = (TrainBenchCommand.Usage, TrainBenchCommand.Run),
    ["bench-load-child"] = ("", BenchCommands.LoadChild),
    ["tokenize"] = (TokenizeCommand.Usage, TokenizeCommand.Run),
    ["bench-tokenize"] = (TokenizerBenchCommand.Usage, TokenizerBenchCommand.Run),
};

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    PrintUsage(Console.Out);
    return args.Length == 0 ? 2 : 0;
}
if (!commands.TryGetValue(args[0], out var command))
{
    Console.Error.WriteLine($"stepwise-trainer: unknown command '{args[0]}'");
    PrintUsage(Console.Error);
    return 2;
}
try
{
    return command.Run(args[1..]);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"stepwise-trainer {args[0]}: {e.Message}");
    Console.Error.WriteLine("usage: stepwise-trainer " + command.Usage);
    return 2;
}
catch (CheckpointFormatException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

void PrintUsage(TextWriter w)
{
    w.WriteLine("usage: stepwise-trainer <command> [args]");
    foreach (var (_, (usage, _)) in commands)
        if (usage.Length > 0) w.WriteLine("  " + usage);
}
