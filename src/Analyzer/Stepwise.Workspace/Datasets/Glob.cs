using System.Text;
using System.Text.RegularExpressions;

namespace Stepwise.Workspace.Datasets;

/// <summary>
/// fsspec-style globs as datasets' data_files accepts them: <c>*</c> and <c>?</c> within one path segment,
/// <c>[abc]</c> classes, <c>**</c> for any number of segments. Hidden files and folders (a leading '.') are
/// skipped unless the pattern names them, as datasets does.
/// </summary>
public static class Glob
{
    public static bool HasWildcards(string pattern) => pattern.IndexOfAny(['*', '?', '[']) >= 0;

    /// <summary>Files matching <paramref name="pattern"/> (relative to <paramref name="baseDirectory"/> unless rooted), sorted.</summary>
    public static IReadOnlyList<string> Expand(string baseDirectory, string pattern, int limit = 100_000)
    {
        var (root, segments) = Split(baseDirectory, pattern);
        var results = new List<string>();
        if (!Directory.Exists(root)) return results;
        if (segments.Count == 1 && !HasWildcards(segments[0]))
        {
            var f = Path.Combine(root, segments[0]);
            if (File.Exists(f)) results.Add(Path.GetFullPath(f));
            return results;
        }
        var regex = new Regex("^" + ToRegex(segments) + "$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
        bool recursive = segments.Count > 1 || segments.Any(s => s.Contains("**"));
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = recursive,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.None,
            ReturnSpecialDirectories = false,
        };
        bool wantsHidden = segments.Any(s => s.StartsWith('.'));
        foreach (var file in Directory.EnumerateFiles(root, "*", options))
        {
            var rel = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (!wantsHidden && rel.Split('/').Any(p => p.StartsWith('.'))) continue;
            if (!regex.IsMatch(rel)) continue;
            results.Add(Path.GetFullPath(file));
            if (results.Count >= limit) break;
        }
        results.Sort(StringComparer.Ordinal);
        return results;
    }

    /// <summary>Whether the file <paramref name="path"/> is one <see cref="Expand"/> would list (it need not exist).</summary>
    public static bool Matches(string baseDirectory, string pattern, string path)
    {
        var (root, segments) = Split(baseDirectory, pattern);
        var rel = Path.GetRelativePath(Path.GetFullPath(root), Path.GetFullPath(path)).Replace('\\', '/');
        if (rel.StartsWith("../", StringComparison.Ordinal) || rel == ".." || Path.IsPathRooted(rel)) return false;
        if (!segments.Any(s => s.StartsWith('.')) && rel.Split('/').Any(p => p.StartsWith('.'))) return false;
        return new Regex("^" + ToRegex(segments) + "$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking).IsMatch(rel);
    }

    /// <summary>The folder to walk (the pattern's literal prefix) and the segments left to match under it.</summary>
    private static (string Root, List<string> Segments) Split(string baseDirectory, string pattern)
    {
        pattern = pattern.Replace('\\', '/');
        string root;
        string rest;
        if (Path.IsPathRooted(pattern))
        {
            root = Path.GetPathRoot(pattern)!;
            rest = pattern[root.Length..];
        }
        else
        {
            root = baseDirectory;
            rest = pattern;
        }
        // Walk down the literal prefix so only the wildcard part is matched against the tree.
        var segments = rest.Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();
        while (segments.Count > 1 && !HasWildcards(segments[0]))
        {
            root = Path.Combine(root, segments[0]);
            segments.RemoveAt(0);
        }
        return (root, segments);
    }

    private static string ToRegex(List<string> segments)
    {
        var sb = new StringBuilder();
        for (int s = 0; s < segments.Count; s++)
        {
            string seg = segments[s];
            bool last = s == segments.Count - 1;
            if (seg == "**")
            {
                // Zero or more whole segments.
                sb.Append(last ? ".*" : "(?:[^/]+/)*");
                continue;
            }
            for (int i = 0; i < seg.Length; i++)
            {
                char c = seg[i];
                switch (c)
                {
                    case '*':
                        if (i + 1 < seg.Length && seg[i + 1] == '*') { sb.Append(".*"); i++; }
                        else sb.Append("[^/]*");
                        break;
                    case '?': sb.Append("[^/]"); break;
                    case '[':
                        int close = seg.IndexOf(']', i + 1);
                        if (close < 0) { sb.Append(@"\["); break; }
                        var body = seg[(i + 1)..close];
                        if (body.StartsWith('!')) body = "^" + body[1..];
                        sb.Append('[').Append(body.Replace(@"\", @"\\")).Append(']');
                        i = close;
                        break;
                    default: sb.Append(Regex.Escape(c.ToString())); break;
                }
            }
            if (!last) sb.Append('/');
        }
        return sb.ToString();
    }
}
