using Stepwise.Cli.Commands;

namespace Stepwise.Cli;

public static class Program
{
    public const string Usage = """
        stepwise - catches mis-sized fine-tuning runs before they start

        Usage:
          stepwise check PATH... [options]   check configs (files, folders, globs)
          stepwise explain SWnnnn            what a rule checks, why, and how to fix it
          stepwise rules                     list every rule
          stepwise docs OUT_DIR              write the rule pages (docs/rules)
          stepwise schema --dialect D [--out FILE] | --all DIR   JSON schema of hf, axolotl, llama-factory, deepspeed, accelerate
          stepwise bench [--quick]           benchmark the analyzer (dataset counting, check time)
          stepwise lsp                       start the language server on stdio
          stepwise train [CONFIG]            train with the bundled QLoRA trainer

        check options:
          --format human|json|sarif   output format (default human)
          --fix                       apply each finding's preferred fix (files are rewritten atomically)
          --explain SWnnnn            same as `stepwise explain`
          --world-size N              data-parallel processes (default: accelerate config, else 1)
          --dataset-size N            training examples, when they cannot be counted
          --epoch-threshold X         SW1001 fires above X epochs (default 2.0)
          --transformers-version V    predict this release's behaviour (default 4.57)
          --accelerate-config PATH    take the world size from this accelerate config
          --severity SWnnnn=LEVEL     error|warning|info|hint|off (repeatable)
          --no-git                    do not compare with the committed version (SW1003)
          --for-trainer stepwise      the run goes to the bundled trainer: report settings it does not do (SW5001)

        Exit codes: 0 nothing at warning or above, 1 findings, 2 usage or I/O error.
        """;

    public static int Main(string[] args)
    {
        Console.OutputEncoding = System.Text.Encoding.UTF8;
        try
        {
            return Run(args, Console.Out, Console.Error);
        }
        catch (UsageException ex)
        {
            Console.Error.WriteLine($"stepwise: {ex.Message}");
            Console.Error.WriteLine("Run `stepwise --help` for usage.");
            return 2;
        }
    }

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            stdout.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        var rest = args[1..];
        return args[0] switch
        {
            "check" => CheckCommand.Run(rest, stdout, stderr),
            "explain" => RulesCommand.Explain(rest, stdout, stderr),
            "rules" => RulesCommand.List(stdout),
            "docs" => RulesCommand.WriteDocs(rest, stdout, stderr),
            "bench" => BenchCommand.Run(rest, stdout, stderr),
            "schema" => SchemaCommand.Run(rest, stdout, stderr),
            "--version" => Version(stdout),
            _ => throw new UsageException($"unknown command '{args[0]}'"),
        };
    }

    private static int Version(TextWriter stdout)
    {
        stdout.WriteLine(typeof(Program).Assembly.GetName().Version?.ToString(3) ?? "0.1.0");
        return 0;
    }
}

/// <summary>A command line that cannot be run as written: exit code 2 with the message.</summary>
public sealed class UsageException(string message) : Exception(message);
