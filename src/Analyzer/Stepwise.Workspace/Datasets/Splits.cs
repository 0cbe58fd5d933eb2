using System.Text.RegularExpressions;

namespace Stepwise.Workspace.Datasets;

/// <summary>
/// Hugging Face datasets split arithmetic: split expressions (<c>train</c>, <c>train[:1000]</c>,
/// <c>train[10%:]</c>, <c>train+validation</c>; datasets/arrow_reader.py, ReadInstruction) and which split a data
/// file falls in by its name (datasets/data_files.py, SPLIT_KEYWORDS and the default patterns).
/// </summary>
public static partial class Splits
{
    [GeneratedRegex(@"^\s*(?<split>[\w.-]+)\s*(\[\s*((?<from>-?\d+)\s*(?<fpct>%)?)?\s*:\s*((?<to>-?\d+)\s*(?<tpct>%)?)?\s*\])?\s*(\((?<rounding>[^)]*)\))?\s*$")]
    private static partial Regex SubSpec();

    /// <summary>The split names an expression reads ("train[:10%]+test" -> train, test).</summary>
    public static IReadOnlyList<string> Names(string expression) =>
        expression.Split('+').Select(p => SubSpec().Match(p)).Where(m => m.Success).Select(m => m.Groups["split"].Value).ToList();

    /// <summary>
    /// Rows an expression selects, given each split's size (null when a split is not there).
    /// Percent bounds round to the closest example (Python's round: half to even), as datasets' default "closest".
    /// </summary>
    public static bool TryApply(string expression, Func<string, long?> rowsOf, out long rows, out string? problem)
    {
        rows = 0;
        problem = null;
        foreach (var part in expression.Split('+'))
        {
            var m = SubSpec().Match(part);
            if (!m.Success) { problem = $"split '{part.Trim()}' is not a datasets split expression (name, name[from:to], name[from%:to%])"; return false; }
            string name = m.Groups["split"].Value;
            if (rowsOf(name) is not long n) { problem = $"no split '{name}'"; return false; }
            bool fromPct = m.Groups["fpct"].Success, toPct = m.Groups["tpct"].Success;
            bool hasFrom = m.Groups["from"].Success, hasTo = m.Groups["to"].Success;
            if (hasFrom && hasTo && fromPct != toPct) { problem = $"split '{part.Trim()}' mixes % and absolute bounds"; return false; }
            bool pct = fromPct || toPct;
            string rounding = m.Groups["rounding"].Success ? m.Groups["rounding"].Value.Trim() : "closest";
            if (pct && rounding == "pct1_dropremainder" && n < 100) { problem = $"split '{part.Trim()}': pct1_dropremainder needs at least 100 examples"; return false; }
            long Abs(long b) => rounding == "pct1_dropremainder" ? b * (n / 100) : (long)Math.Round(b * (double)n / 100.0, MidpointRounding.ToEven);
            long from = hasFrom ? long.Parse(m.Groups["from"].Value) : 0;
            long to = hasTo ? long.Parse(m.Groups["to"].Value) : n;
            if (pct)
            {
                from = hasFrom ? Abs(from) : 0;
                to = hasTo ? Abs(to) : n;
            }
            if (from < 0) from = Math.Max(n + from, 0);
            if (to < 0) to = Math.Max(n + to, 0);
            from = Math.Min(from, n);
            to = Math.Min(to, n);
            rows += Math.Max(0, to - from);
        }
        return true;
    }

    private static readonly Dictionary<string, string[]> Keywords = new()
    {
        ["train"] = ["train", "training"],
        ["validation"] = ["validation", "valid", "dev", "val"],
        ["test"] = ["test", "testing", "eval", "evaluation"],
    };

    // datasets' NON_WORDS_CHARS: what may separate a split keyword from the rest of a name.
    private static bool IsSep(char c) => c is '-' or '.' or '_' or ' ' or (>= '0' and <= '9');

    [GeneratedRegex(@"(^|/)data/(?<split>\w+)-\d{5}-of-\d{5}[^/]*\.[^/]+$")]
    private static partial Regex ShardedSplit();

    /// <summary>
    /// Assigns data files (paths relative to the dataset folder, '/' separated) to splits the way
    /// <c>load_dataset(folder)</c> does with no data_files: <c>data/{split}-00000-of-00003.*</c> names first, then a
    /// split keyword in a folder name, then in a file name; with no keyword anywhere every file is "train".
    /// </summary>
    public static Dictionary<string, List<string>> Assign(IEnumerable<string> relativePaths)
    {
        var paths = relativePaths.Select(p => p.Replace('\\', '/')).ToList();
        var sharded = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var p in paths)
            if (ShardedSplit().Match(p) is { Success: true } m) Add(sharded, m.Groups["split"].Value, p);
        if (sharded.Count > 0) return sharded;

        foreach (bool inDirectory in new[] { true, false })
        {
            var bySplit = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var p in paths)
            {
                var parts = p.Split('/');
                var names = inDirectory ? parts[..^1] : parts[^1..];
                foreach (var (split, words) in Keywords)
                    if (names.Any(n => words.Any(w => NameHasKeyword(n, w, inDirectory)))) { Add(bySplit, split, p); break; }
            }
            if (bySplit.Count > 0) return bySplit;
        }
        return new Dictionary<string, List<string>> { ["train"] = paths };
    }

    // Folder patterns: "{kw}" exactly or "*[sep]{kw}[sep]*"; file patterns: "{kw}[sep]*" or "*[sep]{kw}[sep]*".
    private static bool NameHasKeyword(string name, string keyword, bool directory)
    {
        if (directory && name == keyword) return true;
        for (int at = name.IndexOf(keyword, StringComparison.Ordinal); at >= 0; at = name.IndexOf(keyword, at + 1, StringComparison.Ordinal))
        {
            int end = at + keyword.Length;
            bool sepAfter = end < name.Length && IsSep(name[end]);
            if (!sepAfter) continue;
            if (at == 0 && !directory) return true;
            if (at > 0 && IsSep(name[at - 1])) return true;
        }
        return false;
    }

    private static void Add(Dictionary<string, List<string>> d, string k, string v)
    {
        if (!d.TryGetValue(k, out var list)) d[k] = list = new List<string>();
        list.Add(v);
    }
}
