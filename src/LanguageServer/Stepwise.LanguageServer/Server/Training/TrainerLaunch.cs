using Stepwise.Core.Model;

namespace Stepwise.LanguageServer.Server.Training;

/// <summary>An executable and its argument list (never a shell command line: arguments travel as they are).</summary>
public sealed record LaunchCommand(string FileName, IReadOnlyList<string> Arguments, bool JsonProgress)
{
    public override string ToString() => string.Join(" ", new[] { FileName }.Concat(Arguments).Select(a => a.Contains(' ') ? $"\"{a}\"" : a));
}

/// <summary>
/// Which program trains a config. The `stepwise` launcher runs our trainer with <c>--progress json</c>: the path from
/// <c>stepwise.trainer.path</c>, else <c>../stepwise-trainer/stepwise-trainer</c> beside the server (the `.build/`
/// layout of the root `stepwise` script), else the repository's `stepwise` script (`stepwise train`), else the
/// installed .NET tool `stepwise-trainer` (PATH, then ~/.dotnet/tools). External
/// launchers run the user's own stack with the config; their world size comes from <c>stepwise.worldSize</c>.
/// </summary>
public static class TrainerLaunch
{
    /// <summary>The command, or an error message saying what setting is missing.</summary>
    public static (LaunchCommand? Command, string? Error) Resolve(TrainerSettings settings, string configPath, Dialect dialect, string serverDirectory)
    {
        long world = settings.WorldSize ?? 1;
        string w = world.ToString(System.Globalization.CultureInfo.InvariantCulture);
        switch (settings.Launcher)
        {
            case "axolotl":
                return (new LaunchCommand("axolotl", new[] { "train", configPath }, false), null);
            case "llamafactory-cli":
                return (new LaunchCommand("llamafactory-cli", new[] { "train", configPath }, false), null);
            case "accelerate":
                if (settings.LauncherScript is { } accScript)
                    return (new LaunchCommand("accelerate", new[] { "launch", "--num_processes", w, accScript, configPath }, false), null);
                if (dialect == Dialect.Axolotl)
                    return (new LaunchCommand("accelerate", new[] { "launch", "--num_processes", w, "-m", "axolotl.cli.train", configPath }, false), null);
                return (null, "stepwise.launcher is accelerate but this is not an axolotl config: set stepwise.launcher.script to the training script that reads it");
            case "torchrun":
                if (settings.LauncherScript is { } script)
                    return (new LaunchCommand("torchrun", new[] { "--nproc_per_node", w, script, configPath }, false), null);
                return (null, "stepwise.launcher is torchrun: set stepwise.launcher.script to the training script that reads the config");
        }

        if (settings.TrainerPath is { } path)
            return (new LaunchCommand(path, new[] { "train", configPath, "--progress", "json" }, true), null);
        var beside = Path.GetFullPath(Path.Combine(serverDirectory, "..", "stepwise-trainer", OperatingSystem.IsWindows() ? "stepwise-trainer.exe" : "stepwise-trainer"));
        if (File.Exists(beside))
            return (new LaunchCommand(beside, new[] { "train", configPath, "--progress", "json" }, true), null);
        // A server built from the repository: .build/stepwise-lsp/ or src/.../bin/...; the root script builds the trainer.
        for (var dir = new DirectoryInfo(serverDirectory); dir is not null; dir = dir.Parent)
        {
            var scriptPath = Path.Combine(dir.FullName, "stepwise");
            if (File.Exists(scriptPath) && File.Exists(Path.Combine(dir.FullName, "Tooling.sln")))
                return (new LaunchCommand(scriptPath, new[] { "train", configPath, "--progress", "json" }, true), null);
        }
        // The .NET tool (dotnet tool install --global Stepwise.Trainer.Cli): on PATH, or in ~/.dotnet/tools, which an
        // editor started from a desktop session often lacks on its PATH.
        if (InstalledTrainer(Environment.GetEnvironmentVariable("PATH"), Environment.GetFolderPath(Environment.SpecialFolder.UserProfile)) is { } installed)
            return (new LaunchCommand(installed, new[] { "train", configPath, "--progress", "json" }, true), null);
        return (null, "no trainer found: install it with `dotnet tool install --global Stepwise.Trainer.Cli` (the .NET 10 SDK or runtime " +
            "is needed to train), or set stepwise.trainer.path to a stepwise-trainer executable");
    }

    /// <summary>stepwise-trainer on <paramref name="path"/> (the PATH variable), else in ~/.dotnet/tools; null when neither has it.</summary>
    public static string? InstalledTrainer(string? path, string? home)
    {
        var name = OperatingSystem.IsWindows() ? "stepwise-trainer.exe" : "stepwise-trainer";
        var dirs = (path ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).ToList();
        if (!string.IsNullOrEmpty(home)) dirs.Add(Path.Combine(home, ".dotnet", "tools"));
        foreach (var d in dirs)
        {
            var candidate = Path.Combine(d, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
