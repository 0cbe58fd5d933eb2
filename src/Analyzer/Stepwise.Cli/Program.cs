using System.CommandLine;
using Stepwise.Cli.Commands;
using Stepwise.CommandLine;

namespace Stepwise.Cli;

/// <summary>
/// `stepwise`: the command line of the analysis tool. Each command is a class in Commands/ (a <see cref="CliCommand"/>);
/// the trainer's commands are listed here and forwarded to stepwise-trainer (<see cref="TrainerForwarding"/>).
/// </summary>
public static class Program
{
    public const string Tool = "stepwise";
    public const string Description = "stepwise - catches mis-sized fine-tuning runs before they start, and trains them";

    public static int Main(string[] args)
    {
        Console.OutputEncoding = System.Text.Encoding.UTF8;
        return Run(args, Console.Out, Console.Error);
    }

    public static RootCommand Root() => CliApp.Root(Tool, Description, typeof(Program).Assembly, TrainerForwarding.Commands());

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length > 0 && TrainerForwarding.Handles(args[0])) return TrainerForwarding.Run(args, stderr);
        return CliApp.Run(Root(), Tool, args, stdout, stderr, (ex, command) =>
        {
            if (ex is not UsageException) return null;
            stderr.WriteLine($"{command}: {ex.Message}");
            stderr.WriteLine($"Run '{command} --help' for usage.");
            return 2;
        });
    }
}

/// <summary>A command line that cannot be run as written: exit code 2 with the message.</summary>
public sealed class UsageException(string message) : Exception(message);
