using System.CommandLine;
using Stepwise.CommandLine;
using Stepwise.Trainer.SafeTensors;

namespace Stepwise.Trainer.Cli;

/// <summary>
/// stepwise-trainer: the bundled trainer's executable, the only one that loads TorchSharp. Each command is a class
/// in Commands/ (a <see cref="CliCommand"/>); this file only builds the command line, checks the native requirement
/// before TorchSharp loads, and turns known failures into a message and an exit code.
/// </summary>
public static class Program
{
    public const string Tool = "stepwise-trainer";

    public static RootCommand Root() => CliApp.Root(Tool, "stepwise-trainer - the Stepwise QLoRA trainer (TorchSharp)", typeof(Program).Assembly);

    /// <summary>The visible commands (not completion, not hidden ones), as `stepwise --help` lists them.</summary>
    public static IEnumerable<(string Name, string Summary)> Listed() =>
        Root().Subcommands.Where(c => !c.Hidden && c.Name != "completion").Select(c => (c.Name, c.Description ?? ""));

    public static int Main(string[] args)
    {
        Console.OutputEncoding = System.Text.Encoding.UTF8;
        var root = Root();
        var parse = root.Parse(args);
        var command = parse.CommandResult.Command;
        bool needsTorch = parse.Errors.Count == 0 && command is not RootCommand && !command.Hidden && command.Name is not ("completion" or "commands")
            && !args.Any(a => a is "-h" or "--help" or "-?") && !args.Any(a => a.StartsWith("[suggest", StringComparison.Ordinal));
        if (needsTorch && NativeRequirements.Problem() is { } problem)
        {
            Console.Error.WriteLine($"{Tool} {command.Name}: {problem}");
            return 2;
        }
        return CliApp.Run(root, Tool, args, Console.Out, Console.Error, (ex, path) =>
        {
            switch (ex)
            {
                case UsageException:
                    Console.Error.WriteLine($"{path}: {ex.Message}");
                    Console.Error.WriteLine($"Run '{path} --help' for usage.");
                    return 2;
                case CheckpointFormatException:
                case IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException:
                    Console.Error.WriteLine($"error: {ex.Message}");
                    return 1;
                default:
                    return null;
            }
        });
    }
}

/// <summary>
/// What TorchSharp's native library needs from the system, checked before it loads so the user gets a fix instead
/// of a DllNotFoundException: libtorch 2.7 (TorchSharp 0.107) is built with GCC 13 and needs GLIBCXX_3.4.32 from
/// libstdc++; Debian 12 ships 3.4.30.
/// </summary>
public static class NativeRequirements
{
    public const string Glibcxx = "GLIBCXX_3.4.32";

    public static string? Problem()
    {
        if (!OperatingSystem.IsLinux()) return null;
        var candidates = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6" };
        var found = candidates.Where(File.Exists).ToList();
        if (found.Count == 0) return null; // an unusual layout: let the loader speak
        foreach (var lib in found)
            if (Contains(lib, Glibcxx)) return null;
        return $"TorchSharp needs libstdc++ with {Glibcxx} (GCC 13 or newer); {found[0]} lacks it. " +
            "On Debian 12 install libstdc++6 from Debian 13 (trixie) with a low apt pin, as scripts/setup.sh in the Stepwise repository does; " +
            "Ubuntu 24.04+, Debian 13+ and Fedora 39+ have it already.";
    }

    private static bool Contains(string path, string marker)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            return bytes.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(marker)) >= 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return true; }
    }
}
