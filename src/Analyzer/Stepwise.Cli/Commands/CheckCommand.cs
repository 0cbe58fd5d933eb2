using System.CommandLine;
using Stepwise.Cli.Output;
using Stepwise.CommandLine;
using Stepwise.Core;
using Stepwise.Core.Model;
using Stepwise.Core.Text;
using Stepwise.Readers;
using Stepwise.Workspace;

namespace Stepwise.Cli.Commands;

public sealed record CheckArgs
{
    public List<string> Paths { get; } = new();
    public string Format { get; set; } = "human";
    public bool Fix { get; set; }
    public WorkspaceOptions Options { get; set; } = new();
}

/// <summary>`stepwise check PATH...`: analyse configs and print their findings (human, JSON or SARIF).</summary>
public sealed class CheckCommand : CliCommand
{
    public override int Order => 10;

    public override Command Build()
    {
        var paths = new Argument<string[]>("PATH") { HelpName = "PATH", Description = "Config files, folders (walked; files that are not training configs are skipped) or globs ('configs/**/*.yaml')", Arity = ArgumentArity.ZeroOrMore };
        // PATH takes any token, so a mistyped option would otherwise be looked for as a file.
        paths.Validators.Add(r =>
        {
            foreach (var t in r.Tokens)
                if (t.Value.StartsWith('-') && !File.Exists(t.Value) && !Directory.Exists(t.Value)) r.AddError($"unknown option '{t.Value}'");
        });
        var format = CliOptions.Choice("--format", "Output format (default human): human, json (the stable contract) or sarif (SARIF 2.1.0)", "human", "json", "sarif");
        var fix = new Option<bool>("--fix") { Description = "Apply each finding's preferred fix; files are rewritten atomically, re-checking after each fix" };
        var explain = new Option<string?>("--explain") { Description = "Same as `stepwise explain SWnnnn`", HelpName = "SWnnnn" };
        var world = CliOptions.Integer("--world-size", "Data-parallel processes (default: the accelerate config, else 1)", min: 1);
        var dataset = CliOptions.Integer("--dataset-size", "Training examples, when they cannot be counted from the files", min: 0);
        var threshold = CliOptions.Number("--epoch-threshold", "SW1001 fires above this many epochs (default 2.0)", min: 0, minExclusive: true);
        // The default is not a fixed number: it is what the workspace says, else the key data's newest release (read from
        // the data's release lines, so that building the help does not load the whole key data).
        var newest = Stepwise.Core.Keys.Upstream.UpstreamData.NewestReleaseOf("transformers");
        var transformers = new Option<string?>("--transformers-version")
        {
            Description = "Predict this transformers release's behaviour (default: the version installed or pinned in the workspace, "
                + "or pinned by the axolotl/LLaMA-Factory release that reads the config; else the newest release Stepwise's key data knows"
                + (newest is null ? ")" : $", {newest})"),
            HelpName = "V",
        };
        transformers.Validators.Add(r =>
        {
            var v = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
            if (!System.Text.RegularExpressions.Regex.IsMatch(v, @"^\d+(\.\d+){0,2}$")) r.AddError($"--transformers-version needs a release such as 4.57 or 4.46.3, not '{v}'");
        });
        var accelerate = new Option<string?>("--accelerate-config") { Description = "Take the world size from this accelerate config", HelpName = "PATH" };
        var severity = new Option<string[]>("--severity") { Description = "Override a rule's severity: SWnnnn=error|warning|info|hint|off (repeatable)", HelpName = "SWnnnn=LEVEL" };
        severity.Validators.Add(r =>
        {
            foreach (var t in r.Tokens)
            {
                var eq = t.Value.IndexOf('=');
                if (eq <= 0 || !SeverityNames.TryParse(t.Value[(eq + 1)..], out _))
                    r.AddError($"--severity wants SWnnnn=error|warning|info|hint|off, not '{t.Value}'");
            }
        });
        var noGit = new Option<bool>("--no-git") { Description = "Do not compare with the committed version (SW1003)" };
        // The trainer the run goes to. "stepwise" (the bundled trainer) adds SW5001 for every setting it would not do as
        // written; the configs' own stacks need no flag.
        var forTrainer = new Option<string?>("--for-trainer") { Description = "The run goes to this trainer; 'stepwise' (the bundled trainer) reports each setting it does not do (SW5001)", HelpName = "stepwise" };
        forTrainer.CompletionSources.Add("stepwise");
        forTrainer.Validators.Add(r =>
        {
            var v = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
            if (v != "stepwise") r.AddError($"--for-trainer knows 'stepwise' (the bundled trainer), not '{v}'");
        });

        var command = WithExamples(new Command("check", "Check training configs: steps and epochs, start-up errors, quantization, PEFT, renamed keys")
        { paths, format, fix, explain, world, dataset, threshold, transformers, accelerate, severity, noGit, forTrainer },
            "stepwise check examples/",
            "stepwise check train.yaml --dataset-size 52002 --world-size 8",
            "stepwise check 'configs/**/*.yaml' --format sarif > stepwise.sarif",
            "stepwise check train.yaml --fix --severity SW1004=off",
            "stepwise check train.yaml --for-trainer stepwise",
            "",
            "Exit codes: 0 nothing at warning or above, 1 findings, 2 usage or I/O error.");
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (parse.GetValue(explain) is { } id) return ExplainCommand.Explain(id, output, error);
            var args = new CheckArgs { Format = parse.GetValue(format) ?? "human", Fix = parse.GetValue(fix) };
            args.Paths.AddRange(parse.GetValue(paths) ?? Array.Empty<string>());
            var analysis = new AnalysisOptions();
            if (parse.GetValue(world) is long w) analysis = analysis with { WorldSize = w };
            if (parse.GetValue(dataset) is long n) analysis = analysis with { DatasetSize = n };
            if (parse.GetValue(threshold) is double t) analysis = analysis with { EpochThreshold = t };
            if (parse.GetValue(transformers) is { } v) analysis = analysis with { TransformersVersion = v };
            if (parse.GetValue(forTrainer) is not null) analysis = analysis with { ForBundledTrainer = true };
            var severities = new Dictionary<string, Severity?>(StringComparer.OrdinalIgnoreCase);
            foreach (var kv in parse.GetValue(severity) ?? Array.Empty<string>())
            {
                var eq = kv.IndexOf('=');
                SeverityNames.TryParse(kv[(eq + 1)..], out var sev);
                severities[kv[..eq].ToUpperInvariant()] = sev;
            }
            var ws = new WorkspaceOptions();
            if (parse.GetValue(accelerate) is { } acc) ws = ws with { AccelerateConfig = acc };
            if (parse.GetValue(noGit)) ws = ws with { UseGit = false };
            args.Options = ws with { Analysis = analysis with { Severities = severities } };
            return Run(args, output, error);
        });
        return command;
    }

    public static int Run(CheckArgs parsed, TextWriter stdout, TextWriter stderr)
    {
        if (parsed.Paths.Count == 0) throw new UsageException("check needs at least one PATH (a file, a folder or a glob)");

        var checker = new ConfigChecker(parsed.Options);
        var files = new List<FileAnalysis>();
        bool ioError = false;
        foreach (var (path, explicitly, error) in PathExpansion.Expand(parsed.Paths))
        {
            if (error is not null)
            {
                stderr.WriteLine($"{path}: error: {error}");
                files.Add(new FileAnalysis(path, null, Array.Empty<ConfigAnalysis>(), error, Array.Empty<string>()));
                ioError = true;
                continue;
            }
            FileAnalysis result;
            try
            {
                result = checker.AnalyzeFile(path);
                if (parsed.Fix && result.Error is null) result = ApplyFixes(checker, result, stderr);
            }
            catch (Exception ex)
            {
                // One bad file never stops the others.
                result = new FileAnalysis(path, null, Array.Empty<ConfigAnalysis>(), $"internal error: {ex.GetType().Name}: {ex.Message}", Array.Empty<string>());
            }
            if (result.Error is not null)
            {
                stderr.WriteLine($"{path}: error: {result.Error}");
                ioError = true;
            }
            if (!explicitly && result.Error is null && !result.IsConfig) continue; // folder walk: skip what is not a training config
            files.Add(result);
        }

        switch (parsed.Format)
        {
            case "json": JsonReport.Write(files, stdout); break;
            case "sarif": SarifReport.Write(files, stdout); break;
            default: HumanReport.Write(files, stdout, colors: !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null && ReferenceEquals(stdout, Console.Out)); break;
        }

        if (ioError) return 2;
        bool findings = files.SelectMany(f => f.Configs).SelectMany(c => c.Result.Findings).Any(f => f.Severity is Severity.Error or Severity.Warning);
        return findings ? 1 : 0;
    }

    /// <summary>
    /// Applies preferred fixes one at a time, re-analysing after each (a fix can make another finding go away, and
    /// two findings may offer edits on the same line). Each write is atomic; stops after 20 rounds.
    /// </summary>
    public static FileAnalysis ApplyFixes(ConfigChecker checker, FileAnalysis file, TextWriter log)
    {
        var tried = new HashSet<string>(StringComparer.Ordinal);
        for (int round = 0; round < 20; round++)
        {
            var candidate = file.Configs.SelectMany(c => c.Result.Findings)
                .Select(f => (Finding: f, Fix: f.Fixes.FirstOrDefault(x => x.IsPreferred)))
                .FirstOrDefault(x => x.Fix is not null && !tried.Contains(x.Finding.Id + "|" + x.Fix.Title));
            if (candidate.Fix is null) break;
            tried.Add(candidate.Finding.Id + "|" + candidate.Fix.Title);

            foreach (var group in candidate.Fix.Edits.GroupBy(e => e.Path ?? file.Path))
            {
                var target = group.Key;
                string current = target == file.Path ? file.Text! : TextFiles.Read(target).Text ?? throw new IOException($"cannot read {target} to fix it");
                var updated = TextEdit.Apply(current, group.Select(g => g.Edit));
                AtomicFile.WriteAllText(target, updated);
            }
            log.WriteLine($"{file.Path}: fixed {candidate.Finding.Id}: {candidate.Fix.Title}");
            file = checker.AnalyzeFile(file.Path);
            if (file.Error is not null) break;
        }
        return file;
    }
}

/// <summary>Turns the PATH arguments into files: files as given, folders walked, globs matched.</summary>
public static class PathExpansion
{
    private static readonly HashSet<string> SkippedDirs = new(StringComparer.Ordinal) { ".git", "node_modules", "bin", "obj", ".venv", "venv", "__pycache__", ".build" };

    public static IEnumerable<(string Path, bool Explicit, string? Error)> Expand(IEnumerable<string> args)
    {
        foreach (var arg in args)
        {
            if (File.Exists(arg)) { yield return (arg, true, null); continue; }
            if (Directory.Exists(arg))
            {
                foreach (var f in Walk(arg)) yield return (f, false, null);
                continue;
            }
            if (arg.IndexOfAny(new[] { '*', '?' }) >= 0)
            {
                var matches = Glob(arg).ToList();
                if (matches.Count == 0) yield return (arg, true, "no file matches this pattern");
                foreach (var m in matches) yield return (m, true, null);
                continue;
            }
            yield return (arg, true, "no such file or folder");
        }
    }

    private static IEnumerable<string> Walk(string dir)
    {
        var stack = new Stack<string>();
        stack.Push(dir);
        while (stack.Count > 0)
        {
            var d = stack.Pop();
            IEnumerable<string> files, subdirs;
            try
            {
                files = Directory.EnumerateFiles(d).OrderBy(f => f, StringComparer.Ordinal).ToList();
                subdirs = Directory.EnumerateDirectories(d).OrderByDescending(f => f, StringComparer.Ordinal).ToList();
            }
            catch (Exception) { continue; }
            foreach (var f in files)
                if (IsCandidate(f)) yield return f;
            foreach (var s in subdirs)
                if (!SkippedDirs.Contains(Path.GetFileName(s))) stack.Push(s);
        }
    }

    public static bool IsCandidate(string path) => ConfigReaders.ForPath(path) is not null;

    private static IEnumerable<string> Glob(string pattern)
    {
        // Split at the first segment holding a wildcard; everything before it is a plain folder.
        var norm = pattern.Replace('\\', '/');
        var parts = norm.Split('/');
        int first = Array.FindIndex(parts, p => p.IndexOfAny(new[] { '*', '?' }) >= 0);
        var root = first == 0 ? "." : string.Join('/', parts[..first]);
        if (root.Length == 0) root = "/";
        if (!Directory.Exists(root)) yield break;
        var regex = new System.Text.RegularExpressions.Regex("^" + GlobToRegex(string.Join('/', parts[first..])) + "$");
        var opts = new EnumerationOptions { RecurseSubdirectories = parts[first..].Any(p => p == "**") || parts.Length - first > 1, IgnoreInaccessible = true };
        foreach (var f in Directory.EnumerateFiles(root, "*", opts).OrderBy(f => f, StringComparer.Ordinal))
        {
            var rel = Path.GetRelativePath(root, f).Replace('\\', '/');
            if (regex.IsMatch(rel)) yield return first == 0 ? rel : Path.Combine(root, rel);
        }
    }

    private static string GlobToRegex(string glob)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < glob.Length; i++)
        {
            char c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                i++;
                if (i + 1 < glob.Length && glob[i + 1] == '/') { i++; sb.Append("(?:.*/)?"); }
                else sb.Append(".*");
            }
            else if (c == '*') sb.Append("[^/]*");
            else if (c == '?') sb.Append("[^/]");
            else sb.Append(System.Text.RegularExpressions.Regex.Escape(c.ToString()));
        }
        return sb.ToString();
    }
}
