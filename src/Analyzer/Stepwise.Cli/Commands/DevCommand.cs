using System.CommandLine;
using System.Diagnostics;
using Stepwise.CommandLine;
using Stepwise.Core.Artefacts;

namespace Stepwise.Cli.Commands;

/// <summary>`stepwise dev generate [--check]`: contributor tasks in a checkout of the repository.</summary>
public sealed class DevCommand : CliCommand
{
    public override int Order => 90;

    public override Command Build()
    {
        var check = new Option<bool>("--check") { Description = "Write nothing: list the generated files that differ from what would be written, and exit 1 if any do" };
        var root = new Option<string?>("--root") { Description = "The repository to work on (default: the nearest folder with Tooling.sln above the current directory, else above this executable)", HelpName = "DIR" };
        var skipTrainer = new Option<bool>("--skip-trainer") { Description = $"Leave {DevGenerate.TrainerCommandsFile} alone (listing the trainer's commands builds stepwise-trainer first)" };
        var skipKeys = new Option<bool>("--skip-keys") { Description = $"Leave the key data alone (rendering it runs {DevGenerate.KeygenScript} with python3)" };
        var generate = WithExamples(new Command("generate", "Write every generated file of the repository: the key data and its typed views, docs/rules, schemas, the Roslyn descriptor table and release tracking, the trainer's command list")
        { check, root, skipTrainer, skipKeys }, "./stepwise dev generate", "./stepwise dev generate --check", "./stepwise dev generate --skip-trainer");
        generate.SetAction(parse => DevGenerate.Run(DevGenerate.Root(parse.GetValue(root)), parse.GetValue(check), parse.GetValue(skipTrainer),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, parse.GetValue(skipKeys)));
        return WithExamples(new Command("dev", "Contributor tasks in a checkout of the Stepwise repository") { generate }, "./stepwise dev generate");
    }
}

/// <summary>
/// The one way to regenerate the repository's generated files: the key data (keys.txt and the C# views rendered from
/// tools/keygen/upstream.json by keygen.py, which owns that format), everything <see cref="GeneratedFiles"/> lists (from
/// Core's tables, in process) and TrainerCommands.txt (from the trainer's command classes: stepwise-trainer is built
/// and asked with `commands`, so this process never loads TorchSharp). Only files whose text changes are written, so
/// the `stepwise` script's `find -newer` does not rebuild for nothing.
/// </summary>
public static class DevGenerate
{
    public const string TrainerCommandsFile = "src/Analyzer/Stepwise.Cli/TrainerCommands.txt";
    public const string TrainerProject = "src/Trainer/Stepwise.Trainer.Cli";
    public const string KeygenScript = "tools/keygen/keygen.py";
    public const string CliProject = "src/Analyzer/Stepwise.Cli";

    /// <summary>The repository root: <paramref name="given"/>, else the nearest folder with Tooling.sln above the
    /// current directory, else above this executable (the `stepwise` script publishes it into .build/).</summary>
    public static string Root(string? given)
    {
        if (given is not null)
            return Directory.Exists(given) ? Path.GetFullPath(given) : throw new UsageException($"--root: no folder {given}");
        return Above(Environment.CurrentDirectory) ?? Above(AppContext.BaseDirectory)
            ?? throw new UsageException($"not inside a Stepwise checkout (no Tooling.sln above {Environment.CurrentDirectory}); run it in the repository or pass --root DIR");

        static string? Above(string start)
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "Tooling.sln"))) return d.FullName;
            return null;
        }
    }

    public static int Run(string root, bool check, bool skipTrainer, TextWriter stdout, TextWriter stderr, bool skipKeys = false)
    {
        // The key data first: the other files are written from the key data compiled into this build, so when
        // rendering changes it, the rest is written by a build that has the new data.
        bool keysStale = false;
        if (!skipKeys && File.Exists(Path.Combine(root, KeygenScript)))
        {
            try
            {
                var (code, _, errors) = Exec(root, Python(), [KeygenScript, "check"]);
                keysStale = code != 0;
                if (keysStale && code != 1)
                    throw new GenerateException($"`python3 {KeygenScript} check` failed (exit {code}); nothing was written.\n{errors}");
                if (keysStale && check)
                    foreach (var line in errors.Split('\n').Where(l => l.Contains(" is stale", StringComparison.Ordinal)))
                        stdout.WriteLine($"stale: {line.Substring(0, line.IndexOf(" is stale", StringComparison.Ordinal))}");
                else if (keysStale)
                {
                    (code, _, errors) = Exec(root, Python(), [KeygenScript, "render"]);
                    if (code != 0) throw new GenerateException($"`python3 {KeygenScript} render` failed (exit {code}).\n{errors}");
                    foreach (var line in errors.Split('\n').Where(l => l.StartsWith("wrote ", StringComparison.Ordinal)))
                        stdout.WriteLine(line);
                    return Regenerate(root, skipTrainer, stdout, stderr);
                }
            }
            catch (GenerateException e)
            {
                stderr.WriteLine($"stepwise dev generate: {e.Message}");
                return 2;
            }
        }
        var files = GeneratedFiles.All().Select(f => (f.Path, f.Text)).ToList();
        if (!skipTrainer) files.Add((TrainerCommandsFile, () => TrainerCommands(root, stderr)));
        var stale = new List<string>();
        int written = 0;
        try
        {
            foreach (var (path, text) in files)
            {
                var full = Path.Combine(root, path);
                var want = text();
                var have = File.Exists(full) ? File.ReadAllText(full).Replace("\r\n", "\n") : null;
                if (have == want) continue;
                if (check)
                {
                    stale.Add(have is null ? $"{path} (missing)" : path);
                    continue;
                }
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                AtomicFile.WriteAllText(full, want);
                stdout.WriteLine($"wrote {path}");
                written++;
            }
        }
        catch (GenerateException e)
        {
            stderr.WriteLine($"stepwise dev generate: {e.Message}");
            return 2;
        }
        var listed = files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var (folder, suffix) in GeneratedFiles.OwnedFolders)
        {
            var dir = Path.Combine(root, folder);
            if (!Directory.Exists(dir)) continue;
            foreach (var file in Directory.EnumerateFiles(dir).Where(f => f.EndsWith(suffix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                var rel = folder + "/" + Path.GetFileName(file);
                if (listed.Contains(rel)) continue;
                if (check) stale.Add($"{rel} (no longer generated)");
                else
                {
                    File.Delete(file);
                    stdout.WriteLine($"deleted {rel} (no longer generated)");
                    written++;
                }
            }
        }
        var skipped = skipTrainer ? $" ({TrainerCommandsFile} skipped)" : "";
        if (check)
        {
            foreach (var s in stale) stdout.WriteLine($"stale: {s}");
            if (keysStale) stale.Add("the key data");
            stdout.WriteLine(stale.Count == 0
                ? $"{files.Count} generated files are up to date{skipped}"
                : $"{stale.Count} stale of {files.Count} generated files{skipped}: run {GeneratedFiles.Command}");
            return stale.Count == 0 ? 0 : 1;
        }
        stdout.WriteLine($"{written} written, {files.Count - written} already up to date{skipped}");
        return 0;
    }

    /// <summary>`stepwise-trainer commands` of this checkout: the trainer is built (dotnet build, which does nothing
    /// when it is current) and run with `dotnet run --no-build`, whose standard output is only the program's.</summary>
    private static string TrainerCommands(string root, TextWriter stderr)
    {
        var project = Path.Combine(root, TrainerProject);
        string[] build = ["build", project, "-c", "Release", "--nologo", "-v", "quiet", "-clp:ErrorsOnly"];
        string[] run = ["run", "--no-build", "--no-launch-profile", "--project", project, "-c", "Release", "--", "commands"];
        var by = $"`dotnet {string.Join(' ', build)}` then `dotnet {string.Join(' ', run)} > {TrainerCommandsFile}`";
        if (!File.Exists(Path.Combine(project, "Stepwise.Trainer.Cli.csproj")))
            throw new GenerateException($"{TrainerProject}/Stepwise.Trainer.Cli.csproj not found under {root}; pass --skip-trainer to leave {TrainerCommandsFile} alone");
        stderr.WriteLine($"stepwise dev generate: building stepwise-trainer to list its commands (--skip-trainer leaves {TrainerCommandsFile} alone)");
        var (code, output, errors) = Dotnet(root, build);
        if (code != 0)
            throw new GenerateException($"building the trainer failed (exit {code}); {TrainerCommandsFile} is unchanged. It is written by {by}.\n{output}{errors}");
        (code, output, errors) = Dotnet(root, run);
        if (code != 0 || output.Length == 0)
            throw new GenerateException($"`stepwise-trainer commands` failed (exit {code}); {TrainerCommandsFile} is unchanged. It is written by {by}.\n{errors}");
        return output.Replace("\r\n", "\n");
    }

    /// <summary>After the key data changed: build this command line from the checkout (so it embeds the new data) and
    /// let it write the rest. `dotnet run` builds only what changed.</summary>
    private static int Regenerate(string root, bool skipTrainer, TextWriter stdout, TextWriter stderr)
    {
        stderr.WriteLine($"stepwise dev generate: the key data changed; building {CliProject} with it to write the files made from it");
        string[] run = ["run", "--project", Path.Combine(root, CliProject), "-c", "Release", "--", "dev", "generate", "--skip-keys", "--root", root,
            .. skipTrainer ? new[] { "--skip-trainer" } : []];
        try
        {
            var (code, output, errors) = Dotnet(root, run);
            stdout.Write(output);
            if (code != 0) stderr.Write(errors);
            return code;
        }
        catch (GenerateException e)
        {
            stderr.WriteLine($"stepwise dev generate: {e.Message}");
            return 2;
        }
    }

    /// <summary>Debian's interpreter where it exists (keygen.py needs only the standard library), else python3 on PATH.</summary>
    private static string Python() => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    private static (int Code, string Out, string Err) Dotnet(string root, string[] args) => Exec(root, "dotnet", args);

    private static (int Code, string Out, string Err) Exec(string root, string program, string[] args)
    {
        var psi = new ProcessStartInfo(program) { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output, err.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new GenerateException(program == "dotnet"
                ? $"cannot start dotnet ({e.Message}); the trainer's command list needs the .NET SDK, or pass --skip-trainer"
                : $"cannot start {program} ({e.Message}); the key data is rendered by {KeygenScript} (Python 3, standard library only), or pass --skip-keys");
        }
    }

    private sealed class GenerateException(string message) : Exception(message);
}
