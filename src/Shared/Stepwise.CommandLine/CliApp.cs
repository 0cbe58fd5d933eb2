using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Stepwise.CommandLine;

/// <summary>
/// One subcommand: its name, description (with examples), options, arguments and action, built with
/// System.CommandLine. A command line is every non-abstract subclass in its assembly (<see cref="CliApp.Root"/>):
/// adding a command is adding one class.
/// </summary>
public abstract class CliCommand
{
    public abstract Command Build();

    /// <summary>Where the command stands in the top-level help (lower first; ties by name).</summary>
    public virtual int Order => 100;

    /// <summary>Lines shown after the options in <paramref name="command"/>'s --help, under "Examples:" (the
    /// top-level help lists only the one-line description).</summary>
    protected static Command WithExamples(Command command, params string[] lines)
    {
        Examples.Add(command, lines);
        return command;
    }

    internal static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Command, string[]> Examples = new();
}

/// <summary>The stock help, then the command's examples.</summary>
internal sealed class HelpWithExamples(HelpAction inner) : SynchronousCommandLineAction
{
    public override int Invoke(ParseResult parseResult)
    {
        inner.Invoke(parseResult);
        if (CliCommand.Examples.TryGetValue(parseResult.CommandResult.Command, out var lines) && lines.Length > 0)
        {
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine("Examples:");
            foreach (var line in lines) output.WriteLine(line.Length == 0 ? "" : "  " + line);
            output.WriteLine();
        }
        return 0;
    }
}

/// <summary>Building and running a command line made of <see cref="CliCommand"/> classes.</summary>
public static class CliApp
{
    /// <summary>The root command: every <see cref="CliCommand"/> in <paramref name="assembly"/>, plus `completion`.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The command lines are not trimmed; the command classes are found in their own assembly.")]
    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "As above.")]
    public static RootCommand Root(string tool, string description, Assembly assembly, IEnumerable<Command>? extra = null)
    {
        var root = new RootCommand(description) { HelpName = tool };
        var commands = assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsClass: true } && typeof(CliCommand).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (CliCommand)Activator.CreateInstance(t)!)
            .Select(c => (c.Order, Command: c.Build()))
            .Concat((extra ?? Array.Empty<Command>()).Select((c, i) => (Order: 500 + i, Command: c)))
            .OrderBy(c => c.Order).ThenBy(c => c.Command.Name, StringComparer.Ordinal);
        foreach (var (_, command) in commands) root.Subcommands.Add(command);
        root.Subcommands.Add(Completion.Command(tool));
        foreach (var option in root.Options)
            if (option is HelpOption { Action: HelpAction stock } help) help.Action = new HelpWithExamples(stock);
        // `tool` alone: the help, and exit code 2 (nothing was done).
        root.SetAction(parse =>
        {
            new HelpAction().Invoke(parse);
            return 2;
        });
        return root;
    }

    /// <summary>
    /// Parses and runs. Parse errors print one line per error, each naming the option or argument at fault, and the
    /// help hint, and give exit code 2. <paramref name="onException"/> turns a command's known failures into an exit
    /// code (null: rethrow).
    /// </summary>
    public static int Run(RootCommand root, string tool, string[] args, TextWriter stdout, TextWriter stderr, Func<Exception, string, int?>? onException = null)
    {
        var parse = root.Parse(args);
        var config = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
        if (parse.Action is ParseErrorAction)
        {
            var command = CommandPath(parse, tool);
            foreach (var error in parse.Errors) stderr.WriteLine($"{command}: {error.Message}");
            stderr.WriteLine($"Run '{command} --help' for usage.");
            return 2;
        }
        try
        {
            return parse.Invoke(config);
        }
        catch (Exception ex) when (onException?.Invoke(ex, CommandPath(parse, tool)) is int code)
        {
            return code;
        }
    }

    /// <summary>"stepwise check": the tool and the subcommands that were parsed.</summary>
    public static string CommandPath(ParseResult parse, string tool)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            names.Add(r.Command is RootCommand ? "" : r.Command.Name);
        names.Reverse();
        var tail = string.Join(" ", names.Where(n => n.Length > 0));
        return tail.Length == 0 ? tool : tool + " " + tail;
    }
}
