using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Stepwise.Core.Keys;

namespace Stepwise.Workspace.Recipes;

/// <summary>
/// The <c>@dataclass</c> classes a workspace's scripts hand to <c>HfArgumentParser</c> / <c>TrlParser</c>
/// (<c>TrlParser((ScriptArguments, SFTConfig, ModelConfig))</c>, <c>HfArgumentParser((ModelArguments, DataArguments,
/// TrainingArguments))</c>): the YAML recipes those scripts read may use their fields. The scan starts at the repository
/// holding the config (the nearest folder with .git, else the config's folder), reads at most <see cref="MaxFiles"/>
/// Python files (virtual environments and build folders skipped), and is cached per root. Text only: nothing runs.
/// </summary>
public sealed class ArgumentDataclasses
{
    public const int MaxFiles = 3000;
    private const long MaxFileBytes = 1 << 20;

    private static readonly HashSet<string> SkippedFolders = new(StringComparer.Ordinal)
    {
        ".git", ".venv", "venv", "env", "node_modules", "site-packages", "__pycache__", ".build", "bin", "obj", "build", "dist", ".tox", ".mypy_cache",
    };

    // Per root, with when it was scanned: a long editor session rescans after MaxAge (a script edited meanwhile), a
    // `check` run scans once.
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, (IReadOnlyList<WorkspaceDataclass> Classes, DateTime At)> _perRoot = new(StringComparer.Ordinal);

    /// <summary>The argument dataclasses of the workspace around <paramref name="folder"/>.</summary>
    public IReadOnlyList<WorkspaceDataclass> Near(string? folder)
    {
        if (folder is null) return Array.Empty<WorkspaceDataclass>();
        var root = RootOf(folder);
        var now = DateTime.UtcNow;
        if (_perRoot.TryGetValue(root, out var cached) && now - cached.At < MaxAge) return cached.Classes;
        var classes = Scan(root);
        _perRoot[root] = (classes, now);
        return classes;
    }

    private static string RootOf(string folder)
    {
        var dir = Path.GetFullPath(folder);
        for (var d = dir; d is not null; d = Path.GetDirectoryName(d))
            if (Directory.Exists(Path.Combine(d, ".git")) || File.Exists(Path.Combine(d, ".git"))) return d;
        return dir;
    }

    private static readonly Regex ParserCall = new(@"\b(?:HfArgumentParser|TrlParser)\s*\(\s*(?<args>[^)]*)\)?", RegexOptions.CultureInvariant);
    private static readonly Regex Identifier = new(@"[A-Za-z_][A-Za-z_0-9]*", RegexOptions.CultureInvariant);

    /// <summary>Reads the Python files under <paramref name="root"/> and keeps the dataclasses some parser call names.</summary>
    public static IReadOnlyList<WorkspaceDataclass> Scan(string root)
    {
        var parsed = new HashSet<string>(StringComparer.Ordinal);
        var classes = new List<WorkspaceDataclass>();
        foreach (var file in PythonFiles(root))
        {
            string text;
            try
            {
                if (new FileInfo(file).Length > MaxFileBytes) continue;
                text = File.ReadAllText(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { continue; }
            if (text.IndexOf("ArgumentParser", StringComparison.Ordinal) < 0 && text.IndexOf("TrlParser", StringComparison.Ordinal) < 0
                && text.IndexOf("@dataclass", StringComparison.Ordinal) < 0) continue;
            foreach (Match m in ParserCall.Matches(text))
                foreach (Match id in Identifier.Matches(m.Groups["args"].Value))
                    parsed.Add(id.Value);
            if (text.IndexOf("@dataclass", StringComparison.Ordinal) >= 0) classes.AddRange(Dataclasses(text, file));
        }
        // A parser's dataclass and the workspace dataclasses it extends.
        var byName = classes.GroupBy(c => c.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var keep = new List<WorkspaceDataclass>();
        var stack = new Stack<string>(parsed.Where(byName.ContainsKey));
        while (stack.Count > 0)
        {
            var c = byName[stack.Pop()];
            if (keep.Contains(c)) continue;
            keep.Add(c);
            foreach (var b in c.Bases) if (byName.ContainsKey(b)) stack.Push(b);
        }
        return keep;
    }

    private static IEnumerable<string> PythonFiles(string root)
    {
        var pending = new Stack<string>();
        pending.Push(root);
        int count = 0;
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            string[] files, dirs;
            try
            {
                files = Directory.GetFiles(dir, "*.py");
                dirs = Directory.GetDirectories(dir);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { continue; }
            Array.Sort(files, StringComparer.Ordinal);
            foreach (var f in files)
            {
                if (++count > MaxFiles) yield break;
                yield return f;
            }
            foreach (var d in dirs.OrderByDescending(d => d, StringComparer.Ordinal))
            {
                var name = Path.GetFileName(d);
                if (SkippedFolders.Contains(name) || name.StartsWith(".", StringComparison.Ordinal)) continue;
                pending.Push(d);
            }
        }
    }

    private static readonly Regex ClassLine = new(@"^(?<indent>[ \t]*)class\s+(?<name>[A-Za-z_][A-Za-z_0-9]*)\s*(?:\((?<bases>[^)]*)\))?\s*:", RegexOptions.CultureInvariant);
    private static readonly Regex FieldLine = new(@"^(?<indent>[ \t]+)(?<name>[A-Za-z_][A-Za-z_0-9]*)\s*:\s*(?<type>[^=#]+?)\s*(?:=|#|$)", RegexOptions.CultureInvariant);

    /// <summary>The @dataclass classes of a file: name, line, annotated class-level fields, base names.</summary>
    public static IEnumerable<WorkspaceDataclass> Dataclasses(string text, string file)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (!lines[i].TrimStart().StartsWith("@dataclass", StringComparison.Ordinal) && !lines[i].TrimStart().StartsWith("@dataclasses.dataclass", StringComparison.Ordinal)) continue;
            int j = i + 1;
            while (j < lines.Length && lines[j].TrimStart().StartsWith("@", StringComparison.Ordinal)) j++;
            if (j >= lines.Length) yield break;
            var cm = ClassLine.Match(lines[j]);
            if (!cm.Success) continue;
            int classIndent = cm.Groups["indent"].Value.Length;
            var bases = cm.Groups["bases"].Success
                ? cm.Groups["bases"].Value.Split(',').Select(b => b.Trim().Split('.').Last()).Where(b => b.Length > 0).ToArray()
                : Array.Empty<string>();
            var fields = new List<string>();
            int? bodyIndent = null;
            bool inString = false;
            string? quote = null;
            for (int k = j + 1; k < lines.Length; k++)
            {
                var line = lines[k];
                var trimmed = line.Trim();
                if (inString)
                {
                    if (trimmed.Contains(quote!)) inString = false;
                    continue;
                }
                if (trimmed.Length == 0 || trimmed.StartsWith("#", StringComparison.Ordinal)) continue;
                int indent = line.Length - line.TrimStart().Length;
                if (indent <= classIndent) break;
                bodyIndent ??= indent;
                foreach (var q in new[] { "\"\"\"", "'''" })
                {
                    int at = trimmed.IndexOf(q, StringComparison.Ordinal);
                    if (at >= 0 && trimmed.IndexOf(q, at + 3, StringComparison.Ordinal) < 0) { inString = true; quote = q; break; }
                }
                if (indent != bodyIndent) continue;
                var fm = FieldLine.Match(line);
                if (!fm.Success) continue;
                var type = fm.Groups["type"].Value;
                if (type.StartsWith("ClassVar", StringComparison.Ordinal) || type.StartsWith("typing.ClassVar", StringComparison.Ordinal)) continue;
                fields.Add(fm.Groups["name"].Value);
            }
            yield return new WorkspaceDataclass(cm.Groups["name"].Value, file, j + 1, fields, bases);
        }
    }
}
