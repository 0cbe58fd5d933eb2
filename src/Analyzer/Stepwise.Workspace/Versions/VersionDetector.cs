using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Stepwise.Core.Keys;
using Stepwise.Core.Keys.Upstream;
using Stepwise.Core.Model;

namespace Stepwise.Workspace.Versions;

/// <summary>
/// Finds the library versions a config will run with, nearest folder first (from the config's folder up to the
/// repository root or the file system root): an installed package in a virtual environment beside it (.venv, venv,
/// then $VIRTUAL_ENV / $CONDA_PREFIX: site-packages/NAME-VERSION.dist-info), a lock file (uv.lock, poetry.lock,
/// Pipfile.lock), a requirement (requirements*.txt, pyproject.toml, environment.yml). For axolotl and LLaMA-Factory
/// configs, the libraries nobody states come from the tool's own pins at its release (installed, required, or the
/// newest tagged release in the key data). What is still unknown is the newest tagged release in the key data (never a
/// branch head the data also holds).
/// </summary>
public sealed class VersionDetector
{
    /// <summary>Distribution names (as pip normalises them) of the libraries the key data covers.</summary>
    private static readonly Dictionary<string, string> Distributions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["transformers"] = "transformers", ["trl"] = "trl", ["peft"] = "peft", ["axolotl"] = "axolotl",
        ["llamafactory"] = "llamafactory", ["llama-factory"] = "llamafactory", ["llama_factory"] = "llamafactory",
        ["accelerate"] = "accelerate", ["deepspeed"] = "deepspeed",
    };

    // Per folder, with the stamp it was read at: the folder's own time (a file added or removed) and each file read.
    // An editor session re-reads a folder whose requirements.txt changed; a `check` run reads each folder once.
    private readonly ConcurrentDictionary<string, (IReadOnlyList<Found> Found, DateTime Folder)> _perFolder = new(StringComparer.Ordinal);
    private readonly Func<string, string?> _environment;

    /// <param name="environment">Reads an environment variable (tests pass their own).</param>
    public VersionDetector(Func<string, string?>? environment = null)
    {
        _environment = environment ?? Environment.GetEnvironmentVariable;
    }

    /// <summary>One statement of a version: library, version (or a requirement specifier), where it was read.</summary>
    private sealed record Found(string Library, string? Version, string? Specifier, string Source, string File, int Rank)
    {
        /// <summary>The file's (or dist-info folder's) time when it was read.</summary>
        public DateTime Stamp { get; } = Directory.Exists(File) ? Directory.GetLastWriteTimeUtc(File) : System.IO.File.GetLastWriteTimeUtc(File);
    }

    /// <summary>The versions for a config in <paramref name="folder"/> of <paramref name="dialect"/>; <paramref name="watched"/> gets the files read.</summary>
    public VersionAssumptions Detect(string? folder, Dialect dialect, ICollection<string>? watched = null)
    {
        var result = new Dictionary<string, AssumedVersion>(StringComparer.Ordinal);
        var data = UpstreamData.Instance;
        if (folder is not null)
        {
            foreach (var dir in Folders(folder))
            {
                foreach (var f in InFolder(dir).OrderBy(f => f.Rank))
                {
                    if (result.ContainsKey(f.Library)) continue;
                    var version = f.Version ?? Resolve(data.Library(f.Library), f.Specifier!);
                    if (version is null) continue;
                    result[f.Library] = f.Version is not null
                        ? new AssumedVersion(f.Library, version, f.Source)
                        : new AssumedVersion(f.Library, version, $"{f.Source}: the newest release in Stepwise's key data that {f.Specifier} allows", f.Specifier);
                    watched?.Add(f.File);
                }
                if (File.Exists(Path.Combine(dir, ".git")) || Directory.Exists(Path.Combine(dir, ".git"))) break;
            }
            foreach (var venv in new[] { _environment("VIRTUAL_ENV"), _environment("CONDA_PREFIX") })
                if (!string.IsNullOrEmpty(venv))
                    foreach (var f in SitePackages(venv!, Path.GetFileName(venv!.TrimEnd('/', '\\'))))
                        if (!result.ContainsKey(f.Library)) result[f.Library] = new AssumedVersion(f.Library, f.Version!, f.Source);
        }

        // axolotl / LLaMA-Factory: what the tool itself pins at the release in use.
        var tool = dialect switch { Dialect.Axolotl => "axolotl", Dialect.LlamaFactory => "llamafactory", _ => null };
        if (tool is not null && data.Library(tool) is { } toolLib)
        {
            if (!result.TryGetValue(tool, out var toolVersion))
                result[tool] = toolVersion = new AssumedVersion(tool, toolLib.NewestRelease.Version, VersionAssumptions.NewestKnown);
            var release = toolVersion.Release ?? toolLib.ReleaseFor(toolVersion.Parsed);
            var toolName = tool == "llamafactory" ? "LLaMA-Factory" : tool;
            foreach (var pin in release.Pins)
            {
                if (!Distributions.TryGetValue(pin.Key, out var lib) || result.ContainsKey(lib)) continue;
                var version = Resolve(data.Library(lib), pin.Value);
                if (version is null) continue;
                result[lib] = new AssumedVersion(lib, version,
                    $"{toolName} {release.Version} requires {pin.Key}{pin.Value} ({release.Ref} at {release.Commit.Substring(0, 10)})",
                    Exact(pin.Value) is null ? pin.Value : null);
            }
        }
        return new VersionAssumptions(result.Values);
    }

    private static IEnumerable<string> Folders(string folder)
    {
        var dir = Path.GetFullPath(folder);
        for (int depth = 0; depth < 16 && dir is not null; depth++)
        {
            yield return dir;
            dir = Path.GetDirectoryName(dir);
        }
    }

    private IReadOnlyList<Found> InFolder(string dir)
    {
        if (_perFolder.TryGetValue(dir, out var cached) && Fresh(dir, cached)) return cached.Found;
        var folderTime = SafeTime(dir, directory: true);
        var found = ReadFolder(dir);
        _perFolder[dir] = (found, folderTime);
        return found;
    }

    private static bool Fresh(string dir, (IReadOnlyList<Found> Found, DateTime Folder) cached)
    {
        if (SafeTime(dir, directory: true) != cached.Folder) return false;
        foreach (var f in cached.Found)
            if (f.Stamp != SafeTime(f.File, directory: Directory.Exists(f.File))) return false;
        return true;
    }

    private static DateTime SafeTime(string path, bool directory)
    {
        try { return directory ? Directory.GetLastWriteTimeUtc(path) : File.GetLastWriteTimeUtc(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return DateTime.MinValue; }
    }

    private static IReadOnlyList<Found> ReadFolder(string d)
    {
        var list = new List<Found>();
        try
        {
            foreach (var venv in new[] { ".venv", "venv" })
            {
                var root = Path.Combine(d, venv);
                if (Directory.Exists(root)) list.AddRange(SitePackages(root, venv));
            }
            foreach (var name in new[] { "uv.lock", "poetry.lock" })
            {
                var p = Path.Combine(d, name);
                if (File.Exists(p)) list.AddRange(TomlLock(p, name));
            }
            var pipfile = Path.Combine(d, "Pipfile.lock");
            if (File.Exists(pipfile)) list.AddRange(PipfileLock(pipfile));
            foreach (var req in Directory.EnumerateFiles(d, "requirements*.txt").OrderBy(p => p, StringComparer.Ordinal))
                list.AddRange(Requirements(req, Path.GetFileName(req), 3));
            var pyproject = Path.Combine(d, "pyproject.toml");
            if (File.Exists(pyproject)) list.AddRange(Requirements(pyproject, "pyproject.toml", 4));
            foreach (var env in new[] { "environment.yml", "environment.yaml" })
            {
                var p = Path.Combine(d, env);
                if (File.Exists(p)) list.AddRange(Requirements(p, env, 5));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        return list;
    }

    /// <summary>site-packages/NAME-VERSION.dist-info of a virtual environment (lib/pythonX.Y on Unix, Lib on Windows).</summary>
    private static IEnumerable<Found> SitePackages(string root, string label)
    {
        var sites = new List<string>();
        try
        {
            var lib = Path.Combine(root, "lib");
            if (Directory.Exists(lib))
                foreach (var py in Directory.EnumerateDirectories(lib, "python*"))
                    sites.Add(Path.Combine(py, "site-packages"));
            sites.Add(Path.Combine(root, "Lib", "site-packages"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        foreach (var site in sites.Where(Directory.Exists))
        {
            IEnumerable<string> infos;
            try { infos = Directory.EnumerateDirectories(site, "*.dist-info").ToList(); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { continue; }
            foreach (var info in infos)
            {
                var name = Path.GetFileName(info);
                name = name.Substring(0, name.Length - ".dist-info".Length);
                int dash = name.IndexOf('-');
                if (dash <= 0) continue;
                if (!Distributions.TryGetValue(name.Substring(0, dash), out var library)) continue;
                var version = name.Substring(dash + 1);
                yield return new Found(library, version, null, $"installed in {label} ({Path.GetFileName(info)})", info, 0);
            }
        }
    }

    private static readonly Regex LockPackage = new(@"^\[\[package\]\]\s*\r?\nname\s*=\s*""([^""]+)""\s*\r?\nversion\s*=\s*""([^""]+)""", RegexOptions.Multiline | RegexOptions.CultureInvariant);

    /// <summary>uv.lock and poetry.lock: [[package]] name = "transformers" version = "4.57.1".</summary>
    private static IEnumerable<Found> TomlLock(string path, string label)
    {
        var text = SafeRead(path);
        if (text is null) yield break;
        foreach (Match m in LockPackage.Matches(text))
            if (Distributions.TryGetValue(m.Groups[1].Value, out var library))
                yield return new Found(library, m.Groups[2].Value, null, $"{label} ({m.Groups[1].Value} {m.Groups[2].Value})", path, 1);
    }

    private static readonly Regex PipfileEntry = new(@"""([A-Za-z0-9_.\-]+)""\s*:\s*\{[^{}]*?""version""\s*:\s*""==([^""]+)""", RegexOptions.CultureInvariant);

    private static IEnumerable<Found> PipfileLock(string path)
    {
        var text = SafeRead(path);
        if (text is null) yield break;
        foreach (Match m in PipfileEntry.Matches(text))
            if (Distributions.TryGetValue(m.Groups[1].Value, out var library))
                yield return new Found(library, m.Groups[2].Value, null, $"Pipfile.lock ({m.Groups[1].Value}=={m.Groups[2].Value})", path, 1);
    }

    // A requirement as requirements.txt, PEP 621 dependencies (a quoted string), conda's environment.yml (`- name=1.2`)
    // or poetry's table (`transformers = "^4.57"`) write it.
    private static readonly Regex Requirement = new(
        @"^[\s\-""']*(?<name>transformers|trl|peft|axolotl|llamafactory|llama-factory|llama_factory|accelerate|deepspeed)(?:\[[^\]]*\])?\s*(?:=\s*""(?<poetry>[^""]+)""|(?<spec>(?:(?:===?|>=|<=|!=|~=|>|<|=)[ \t]*[0-9][0-9A-Za-z.*+!]*[ \t]*,?[ \t]*)+))",
        RegexOptions.Multiline | RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    private static IEnumerable<Found> Requirements(string path, string label, int rank)
    {
        var text = SafeRead(path);
        if (text is null) yield break;
        foreach (Match m in Requirement.Matches(text))
        {
            if (!Distributions.TryGetValue(m.Groups["name"].Value, out var library)) continue;
            int line = 1;
            for (int i = 0; i < m.Index; i++) if (text[i] == '\n') line++;
            var spec = m.Groups["poetry"].Success ? Poetry(m.Groups["poetry"].Value) : Regex.Replace(m.Groups["spec"].Value, @"\s+", "").TrimEnd(',');
            if (spec is null) continue;
            // conda writes `name=1.2` for an exact version; `name=1.2.*` style too
            if (spec.StartsWith("=", StringComparison.Ordinal) && !spec.StartsWith("==", StringComparison.Ordinal)) spec = "=" + spec;
            var exact = Exact(spec);
            yield return new Found(library, exact, exact is null ? spec : null, $"{label}:{line} ({m.Groups["name"].Value}{spec})", path, rank);
        }
    }

    /// <summary>Poetry's ^4.57 / ~4.57 / 4.57.1 as a PEP 440 specifier.</summary>
    private static string? Poetry(string spec)
    {
        spec = spec.Trim();
        if (spec.Length == 0 || spec == "*") return null;
        if (spec[0] == '^' || spec[0] == '~')
        {
            var v = LibraryVersion.Parse(spec.Substring(1).TrimStart('='));
            if (v is null) return null;
            var upper = spec[0] == '^' ? (v.Value.Major > 0 ? $"{v.Value.Major + 1}.0" : $"0.{v.Value.Minor + 1}") : $"{v.Value.Major}.{v.Value.Minor + 1}";
            return $">={v.Value},<{upper}";
        }
        return char.IsDigit(spec[0]) ? "==" + spec : spec;
    }

    private static string? Exact(string spec) =>
        Regex.Match(spec, @"^===?([0-9][0-9A-Za-z.+!]*)$") is { Success: true } m && !m.Groups[1].Value.Contains('*') ? m.Groups[1].Value : null;

    /// <summary>The newest tagged release of the key data a specifier allows (">=4.55,<=5.6.0,!=4.57.0" -> 5.6.0).</summary>
    public static string? Resolve(UpstreamLibrary? library, string specifier)
    {
        if (Exact(specifier) is { } exact) return exact;
        if (library is null) return null;
        // Candidates: the data's tagged releases and the versions the specifier names (">=4.55,<=5.8.0" allows 5.8.0
        // itself, which the data may hold only as 5.8.1). Not a branch head: pip resolves a range to a release, never to
        // a development version nobody asked for.
        var candidates = library.Releases.Where(r => !r.IsBranchHead).Select(r => (r.Parsed, Text: r.Version)).ToList();
        foreach (Match m in Regex.Matches(specifier, @"(?:<=|>=|==|~=)\s*([0-9][0-9.]*)(?![0-9.]*\*)"))
            if (LibraryVersion.Parse(m.Groups[1].Value) is { } v) candidates.Add((v, m.Groups[1].Value));
        var allowed = candidates.Where(c => Allows(specifier, c.Parsed, c.Text)).ToList();
        if (allowed.Count == 0) return null;
        var newest = allowed.Max(c => c.Parsed);
        // no newer than the data knows: a `>=4.45` alone means the newest release in the data
        return allowed.First(c => c.Parsed.Equals(newest)).Text;
    }

    /// <summary>Whether every clause of a PEP 440 specifier allows <paramref name="v"/> (release numbers only; ~= and .* handled).</summary>
    public static bool Allows(string specifier, LibraryVersion v, string text)
    {
        foreach (var raw in specifier.Split(','))
        {
            var clause = raw.Trim();
            if (clause.Length == 0) continue;
            var m = Regex.Match(clause, @"^(===|==|>=|<=|!=|~=|>|<)\s*(.+)$");
            if (!m.Success) return false;
            var op = m.Groups[1].Value;
            var target = m.Groups[2].Value;
            if (target.EndsWith(".*", StringComparison.Ordinal))
            {
                var prefix = target.Substring(0, target.Length - 2);
                bool starts = text == prefix || text.StartsWith(prefix + ".", StringComparison.Ordinal);
                if (op == "==" && !starts) return false;
                if (op == "!=" && starts) return false;
                continue;
            }
            if (LibraryVersion.Parse(target) is not { } t) return false;
            int c = v.CompareTo(t);
            bool ok = op switch
            {
                "==" or "===" => c == 0,
                "!=" => c != 0,
                ">=" => c >= 0,
                "<=" => c <= 0,
                ">" => c > 0,
                "<" => c < 0,
                // ~=X.Y.Z: >= X.Y.Z and == X.Y.*; ~=X.Y: >= X.Y and == X.*
                "~=" => c >= 0 && (target.Count(ch => ch == '.') >= 2 ? v.Major == t.Major && v.Minor == t.Minor : v.Major == t.Major),
                _ => false,
            };
            if (!ok) return false;
        }
        return true;
    }

    private static string? SafeRead(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Length > 16 * 1024 * 1024) return null;
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
    }
}
