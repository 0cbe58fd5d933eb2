using System.Globalization;
using Stepwise.Cli.Output;
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

public static class CheckCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var parsed = Parse(args, out var explain);
        if (explain is not null) return RulesCommand.Explain(new[] { explain }, stdout, stderr);
        if (parsed.Paths.Count == 0) throw new UsageException("check needs at least one PATH (a file, a folder or a glob)");

        var analyzer = new ConfigAnalyzer(parsed.Options);
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
                result = analyzer.AnalyzeFile(path);
                if (parsed.Fix && result.Error is null) result = ApplyFixes(analyzer, result, stderr);
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

    public static CheckArgs Parse(string[] args, out string? explain)
    {
        explain = null;
        var result = new CheckArgs();
        var analysis = new AnalysisOptions();
        var severities = new Dictionary<string, Severity?>(StringComparer.OrdinalIgnoreCase);
        var ws = new WorkspaceOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string Value()
            {
                if (a.Contains('=') && a.StartsWith("--", StringComparison.Ordinal)) return a[(a.IndexOf('=') + 1)..];
                if (i + 1 >= args.Length) throw new UsageException($"{a} needs a value");
                return args[++i];
            }
            string name = a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=') ? a[..a.IndexOf('=')] : a;
            switch (name)
            {
                case "--format":
                    result.Format = Value();
                    if (result.Format is not ("human" or "json" or "sarif")) throw new UsageException($"--format must be human, json or sarif, not '{result.Format}'");
                    break;
                case "--fix": result.Fix = true; break;
                case "--explain": explain = Value(); break;
                case "--world-size": analysis = analysis with { WorldSize = PositiveLong(a, Value()) }; break;
                case "--dataset-size": analysis = analysis with { DatasetSize = PositiveLong(a, Value(), allowZero: true) }; break;
                case "--epoch-threshold":
                    var v = Value();
                    if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) || t <= 0) throw new UsageException($"--epoch-threshold needs a positive number, not '{v}'");
                    analysis = analysis with { EpochThreshold = t };
                    break;
                case "--transformers-version": analysis = analysis with { TransformersVersion = Value() }; break;
                case "--accelerate-config": ws = ws with { AccelerateConfig = Value() }; break;
                case "--no-git": ws = ws with { UseGit = false }; break;
                case "--for-trainer":
                    // The trainer the run goes to. "stepwise" (the bundled trainer) adds SW5001 for every setting it would
                    // not do as written; the configs' own stacks need no flag.
                    string trainer = Value();
                    if (trainer != "stepwise") throw new UsageException($"--for-trainer knows 'stepwise' (the bundled trainer), not '{trainer}'");
                    analysis = analysis with { ForBundledTrainer = true };
                    break;
                case "--severity":
                    var kv = Value();
                    var eq = kv.IndexOf('=');
                    if (eq <= 0 || !SeverityNames.TryParse(kv[(eq + 1)..], out var sev)) throw new UsageException($"--severity wants SWnnnn=error|warning|info|hint|off, not '{kv}'");
                    severities[kv[..eq].ToUpperInvariant()] = sev;
                    break;
                default:
                    if (a.StartsWith("--", StringComparison.Ordinal)) throw new UsageException($"unknown option '{a}'");
                    result.Paths.Add(a);
                    break;
            }
        }
        result.Options = ws with { Analysis = analysis with { Severities = severities } };
        return result;
    }

    private static long PositiveLong(string option, string value, bool allowZero = false)
    {
        if (!long.TryParse(value.Replace(",", "").Replace("_", ""), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < (allowZero ? 0 : 1))
            throw new UsageException($"{option} needs a {(allowZero ? "non-negative" : "positive")} integer, not '{value}'");
        return n;
    }

    /// <summary>
    /// Applies preferred fixes one at a time, re-analysing after each (a fix can make another finding go away, and
    /// two findings may offer edits on the same line). Each write is atomic; stops after 20 rounds.
    /// </summary>
    public static FileAnalysis ApplyFixes(ConfigAnalyzer analyzer, FileAnalysis file, TextWriter log)
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
            file = analyzer.AnalyzeFile(file.Path);
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
