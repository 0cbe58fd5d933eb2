using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Stepwise.Cli.Commands;

/// <summary>
/// The trainer's commands (train, quantize, generate, ...) as this command line shows and runs them: they live in
/// stepwise-trainer, the only executable that loads TorchSharp, and are forwarded to it with their arguments as
/// given (its own --help answers `stepwise train --help`). Their names and summaries come from TrainerCommands.txt,
/// which `stepwise-trainer commands` writes; a trainer test fails when the file is stale.
/// </summary>
public static class TrainerForwarding
{
    public const string InstallHint = "dotnet tool install --global Stepwise.Trainer.Cli";

    /// <summary>(name, summary) of each trainer command, from the embedded TrainerCommands.txt.</summary>
    public static IReadOnlyList<(string Name, string Summary)> List { get; } = Load();

    private static List<(string, string)> Load()
    {
        using var s = typeof(TrainerForwarding).Assembly.GetManifestResourceStream("Stepwise.Cli.TrainerCommands.txt")
            ?? throw new InvalidOperationException("TrainerCommands.txt missing from the build");
        using var r = new StreamReader(s);
        var list = new List<(string, string)>();
        while (r.ReadLine() is { } line)
        {
            var tab = line.IndexOf('\t');
            if (line.Length == 0 || line[0] == '#' || tab <= 0) continue;
            list.Add((line[..tab], line[(tab + 1)..]));
        }
        return list;
    }

    public static bool Handles(string command) => List.Any(c => c.Name == command);

    /// <summary>Entries for the top-level help; running goes through <see cref="Run"/> before parsing.</summary>
    public static IEnumerable<Command> Commands() => List.Select(c => new Command(c.Name, c.Summary + " (stepwise-trainer)"));

    /// <summary>Where stepwise-trainer is: $STEPWISE_TRAINER, beside this executable, on PATH, in ~/.dotnet/tools.</summary>
    public static string? Find()
    {
        var name = OperatingSystem.IsWindows() ? "stepwise-trainer.exe" : "stepwise-trainer";
        if (Environment.GetEnvironmentVariable("STEPWISE_TRAINER") is { Length: > 0 } env) return env;
        var dirs = new List<string> { AppContext.BaseDirectory, Path.Combine(AppContext.BaseDirectory, "..", "stepwise-trainer") };
        dirs.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        dirs.Add(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools"));
        foreach (var d in dirs)
        {
            var p = Path.Combine(d, name);
            if (File.Exists(p)) return Path.GetFullPath(p);
        }
        return null;
    }

    /// <summary>Runs stepwise-trainer with <paramref name="args"/> on this terminal and returns its exit code; Ctrl-C
    /// reaches the trainer (same process group), which saves a checkpoint and exits 130, so this process waits for it.</summary>
    public static int Run(string[] args, TextWriter stderr)
    {
        var trainer = Find();
        if (trainer is null)
        {
            stderr.WriteLine($"stepwise {args[0]}: the trainer is not installed. It is a separate .NET tool (it carries libtorch, about 500 MB " +
                $"installed): `{InstallHint}`, then run this again (or set STEPWISE_TRAINER to a stepwise-trainer executable).");
            return 2;
        }
        var psi = new ProcessStartInfo(trainer) { UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => ctx.Cancel = true);
        Process? child = null;
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            try { if (child is { HasExited: false }) Kill(child.Id); } catch (InvalidOperationException) { }
        });
        try
        {
            child = Process.Start(psi)!;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            stderr.WriteLine($"stepwise {args[0]}: cannot start {trainer}: {ex.Message}");
            return 2;
        }
        child.WaitForExit();
        return child.ExitCode;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int sig);

    private static void Kill(int pid) { if (!OperatingSystem.IsWindows()) _ = SysKill(pid, 15); }
}
