using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace Stepwise.Core.Keys.Upstream;

/// <summary>One library the key data covers (transformers, trl, peft, axolotl, llamafactory, accelerate, deepspeed).</summary>
public sealed class UpstreamLibrary
{
    internal UpstreamLibrary(string name, string repo, string source) { Name = name; Repo = repo; Source = source; }

    public string Name { get; }
    /// <summary>The name messages use: the project's own spelling where it differs from the package's (LLaMA-Factory, DeepSpeed).</summary>
    public string DisplayName => Name switch { "llamafactory" => "LLaMA-Factory", "deepspeed" => "DeepSpeed", _ => Name };
    /// <summary>The upstream repository ("huggingface/transformers").</summary>
    public string Repo { get; }
    /// <summary>The git mirror the sources were read from (a fork carrying upstream's tags where upstream is too big).</summary>
    public string Source { get; }
    /// <summary>Releases, oldest first.</summary>
    public IReadOnlyList<UpstreamRelease> Releases => _releases;
    internal readonly List<UpstreamRelease> _releases = new();
    /// <summary>The last entry of the data, which may be a branch head (<see cref="UpstreamRelease.IsBranchHead"/>).</summary>
    public UpstreamRelease Newest => _releases[_releases.Count - 1];
    /// <summary>
    /// The newest tagged release: what `pip install NAME` gives today and so what Stepwise assumes when nothing says.
    /// A branch head (peft 0.20.1.dev0, LLaMA-Factory 0.9.6.dev0) is never assumed: pip does not pick a development
    /// version unless asked (PEP 440 pre-releases), and no one can have installed it from a tag.
    /// </summary>
    public UpstreamRelease NewestRelease
    {
        get
        {
            for (int i = _releases.Count - 1; i >= 0; i--)
                if (!_releases[i].IsBranchHead) return _releases[i];
            return Newest;
        }
    }
    internal readonly Dictionary<string, UpstreamClass> _classes = new(StringComparer.Ordinal);
    public IEnumerable<UpstreamClass> Classes => _classes.Values;
    public UpstreamClass? Class(string name) => _classes.TryGetValue(name, out var c) ? c : null;

    /// <summary>
    /// The release that stands for <paramref name="version"/>: among the releases of the same major.minor the newest
    /// whose patch is not above it (else the oldest of that minor, whose fields it shares); without one, the newest
    /// release below it; a version older than every release maps to the oldest.
    /// </summary>
    public UpstreamRelease ReleaseFor(LibraryVersion version)
    {
        UpstreamRelease? sameMinor = null, firstOfMinor = null, below = null;
        foreach (var r in _releases)
        {
            if (r.Parsed.Major == version.Major && r.Parsed.Minor == version.Minor)
            {
                firstOfMinor ??= r;
                // a tagged release wins over the branch head of the same number ("0.18.0" over "0.18.0+main")
                if (r.Parsed.Patch <= version.Patch && !(sameMinor is not null && sameMinor.Parsed.Equals(r.Parsed) && r.IsBranchHead)) sameMinor = r;
            }
            else if (r.Parsed.CompareTo(version) < 0) below = r;
        }
        return sameMinor ?? firstOfMinor ?? below ?? _releases[0];
    }

    public override string ToString() => Name;
}

/// <summary>One pinned release: its version, the tag (or branch) read and the exact commit.</summary>
public sealed class UpstreamRelease
{
    internal UpstreamRelease(UpstreamLibrary library, int index, string version, string @ref, string commit, IReadOnlyDictionary<string, string> pins)
    {
        Library = library; Index = index; Version = version; Ref = @ref; Commit = commit; Pins = pins;
        Parsed = LibraryVersion.Parse(version) ?? new LibraryVersion(0, 0, 0);
    }

    public UpstreamLibrary Library { get; }
    public int Index { get; }
    public string Version { get; }
    public LibraryVersion Parsed { get; }
    /// <summary>The git tag read ("v4.57.6"), or "main" for the branch head the shared corpus was taken from.</summary>
    public string Ref { get; }
    public string Commit { get; }
    /// <summary>
    /// A branch head read for the shared corpus (Ref "main": peft 0.20.1.dev0, axolotl 0.18.0+main), not a release
    /// anyone installs from an index: it answers "is this key declared upstream at all", never "which release runs".
    /// </summary>
    public bool IsBranchHead => Ref == "main";
    /// <summary>Requirement specifiers this release declares for other libraries ("transformers" -> "==5.14.1").</summary>
    public IReadOnlyDictionary<string, string> Pins { get; }

    public override string ToString() => $"{Library.Name} {Version}";
}

/// <summary>A set of release indices of one library (at most 64 releases per library).</summary>
public readonly struct ReleaseSet : IEquatable<ReleaseSet>
{
    public ReleaseSet(ulong bits) { Bits = bits; }
    public ulong Bits { get; }
    public bool Contains(int index) => index is >= 0 and < 64 && (Bits & (1UL << index)) != 0;
    public bool IsEmpty => Bits == 0;
    public ReleaseSet Union(ReleaseSet other) => new(Bits | other.Bits);
    public IEnumerable<int> Indices() { for (int i = 0; i < 64; i++) if (Contains(i)) yield return i; }
    public int First => IsEmpty ? -1 : Indices().First();
    public int Last => IsEmpty ? -1 : Indices().Last();

    /// <summary>Parses "0-5,7,9-12".</summary>
    public static ReleaseSet Parse(string text)
    {
        ulong bits = 0;
        foreach (var part in text.Split(','))
        {
            if (part.Length == 0) continue;
            int dash = part.IndexOf('-');
            int a = int.Parse(dash < 0 ? part : part.Substring(0, dash), CultureInfo.InvariantCulture);
            int b = dash < 0 ? a : int.Parse(part.Substring(dash + 1), CultureInfo.InvariantCulture);
            if (a < 0 || b > 63 || a > b) throw new FormatException($"release range '{part}' out of 0-63");
            for (int i = a; i <= b; i++) bits |= 1UL << i;
        }
        return new ReleaseSet(bits);
    }

    public bool Equals(ReleaseSet other) => Bits == other.Bits;
    public override bool Equals(object? obj) => obj is ReleaseSet r && Equals(r);
    public override int GetHashCode() => Bits.GetHashCode();
}

/// <summary>A config class as upstream declares it: a dataclass, a pydantic model, an __init__ signature (BitsAndBytesConfig), or an enum.</summary>
public sealed class UpstreamClass
{
    internal UpstreamClass(UpstreamLibrary library, string name, string style, ReleaseSet releases, string module)
    {
        Library = library; Name = name; Style = style; Releases = releases; Module = module;
    }

    public UpstreamLibrary Library { get; }
    public string Name { get; }
    /// <summary>"dataclass", "pydantic", "init" (keyword arguments of __init__), "enum", "constants" (DeepSpeed), "union" (axolotl plugins).</summary>
    public string Style { get; }
    public ReleaseSet Releases { get; }
    public string Module { get; }
    /// <summary>"lib:Name" of this class.</summary>
    public string QualifiedName => Library.Name + ":" + Name;
    public IReadOnlyList<(ReleaseSet Releases, IReadOnlyList<string> Bases)> Bases => _bases;
    internal readonly List<(ReleaseSet, IReadOnlyList<string>)> _bases = new();
    public IReadOnlyList<(ReleaseSet Releases, IReadOnlyList<string> Values)> EnumValues => _values;
    internal readonly List<(ReleaseSet, IReadOnlyList<string>)> _values = new();
    /// <summary>Every declaration of the class's own fields (one per field and variant of type/default).</summary>
    public IReadOnlyList<UpstreamField> Fields => _fields;
    /// <summary>The __init__ takes **kwargs (BitsAndBytesConfig): a keyword it does not declare is accepted and ignored.</summary>
    public bool AcceptsExtraKeywords { get; internal set; }
    internal readonly List<UpstreamField> _fields = new();

    public bool ExistsIn(UpstreamRelease r) => r.Library == Library && Releases.Contains(r.Index);

    /// <summary>The direct bases in a release, as "lib:Name" (a base of the same library is qualified here).</summary>
    public IEnumerable<string> BasesIn(int release)
    {
        foreach (var (set, bases) in _bases)
            if (set.Contains(release))
                foreach (var b in bases) yield return b.IndexOf(':') >= 0 ? b : Library.Name + ":" + b;
    }

    public override string ToString() => QualifiedName;
}

/// <summary>One field of a class in the releases where it has this type and default.</summary>
public sealed class UpstreamField
{
    internal UpstreamField(UpstreamClass owner, string name, KeyType type, ReleaseSet releases, object? @default, string? defaultExpression,
        IReadOnlyList<string> choices, string? attribute, string annotation, IReadOnlyList<object?> alternatives)
    {
        Owner = owner; Name = name; Type = type; Releases = releases; Default = @default; DefaultExpression = defaultExpression;
        Choices = choices; Attribute = attribute; Annotation = annotation; AlternativeDefaults = alternatives;
    }

    public UpstreamClass Owner { get; }
    /// <summary>The key as a config file spells it (a pydantic alias when the field has one).</summary>
    public string Name { get; }
    public KeyType Type { get; }
    public ReleaseSet Releases { get; }
    /// <summary>The default as a value (null, bool, long, double, string, list, dictionary); null also when it is an expression.</summary>
    public object? Default { get; }
    /// <summary>The default's source text when it is not a literal ("&lt;required&gt;" for a field without a default).</summary>
    public string? DefaultExpression { get; }
    public bool Required => DefaultExpression == "<required>";
    public IReadOnlyList<string> Choices { get; }
    /// <summary>The Python attribute behind a pydantic alias (axolotl accepts both: populate_by_name).</summary>
    public string? Attribute { get; }
    /// <summary>The annotation, normalised (Optional[X] -> X | None).</summary>
    public string Annotation { get; }
    /// <summary>Defaults that hold under a condition instead (TrainingArguments' optim: adamw_torch_fused with torch 2.8+).</summary>
    public IReadOnlyList<object?> AlternativeDefaults { get; }

    public override string ToString() => $"{Owner.QualifiedName}.{Name}";
}

/// <summary>
/// The key data generated from the upstream sources (tools/keygen/keygen.py, embedded as keys.txt): every config
/// class's fields with types, defaults, values and the releases that declare them. Loaded once per process.
/// </summary>
public sealed class UpstreamData
{
    private static readonly Lazy<UpstreamData> _instance = new(LoadEmbedded, System.Threading.LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The embedded data (parsed on first use, ~300 KB).</summary>
    public static UpstreamData Instance => _instance.Value;

    private readonly Dictionary<string, UpstreamLibrary> _libraries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<string>> _dialectRoots = new(StringComparer.Ordinal);

    public IReadOnlyCollection<UpstreamLibrary> Libraries => _libraries.Values;
    public UpstreamLibrary? Library(string name) => _libraries.TryGetValue(name, out var l) ? l : null;
    /// <summary>Class patterns ("trl:*Config") that read a dialect's files: hf, hf-python, axolotl, llama-factory, accelerate, deepspeed.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> DialectRoots => _dialectRoots;

    /// <summary>"lib:Name" to the class, or null.</summary>
    public UpstreamClass? Class(string qualified)
    {
        int colon = qualified.IndexOf(':');
        if (colon < 0) return null;
        return Library(qualified.Substring(0, colon))?.Class(qualified.Substring(colon + 1));
    }

    /// <summary>Every class of any library with this name (Python calls name a class without its library).</summary>
    public IEnumerable<UpstreamClass> ClassesNamed(string name)
    {
        foreach (var l in _libraries.Values)
            if (l.Class(name) is { } c && c.Style != "enum") yield return c;
    }

    /// <summary>
    /// The newest tagged release of <paramref name="library"/> in the embedded data (what <see cref="UpstreamLibrary.NewestRelease"/>
    /// gives) read from the library's release lines only, without parsing the rest: for help texts, which every command
    /// line builds, so that `stepwise --help` does not pay for loading ~300 KB of key data. Null when the library is absent.
    /// </summary>
    public static string? NewestReleaseOf(string library)
    {
        if (_instance.IsValueCreated) return Instance.Library(library)?.NewestRelease.Version;
        using var stream = typeof(UpstreamData).Assembly.GetManifestResourceStream("Stepwise.Core.Keys.Upstream.keys.txt");
        if (stream is null) return null;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return NewestReleaseIn(reader, library);
    }

    /// <summary><see cref="NewestReleaseOf"/> over key data in the format keygen.py renders.</summary>
    public static string? NewestReleaseIn(TextReader reader, string library)
    {
        bool inLibrary = false;
        string? newest = null, head = null;
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var p = line.Split('\t');
            if (p[0] == "L")
            {
                if (inLibrary) break;
                inLibrary = p.Length > 1 && p[1] == library;
            }
            else if (p[0] == "R" && inLibrary && p.Length > 2)
            {
                // the same rule as NewestRelease: a branch head ("main") only when no tagged release exists
                if (p[2] == "main") head = p[1]; else newest = p[1];
            }
            else if (inLibrary) break; // the release lines come first; nothing after them changes the answer
        }
        return newest ?? head;
    }

    private static UpstreamData LoadEmbedded()
    {
        var asm = typeof(UpstreamData).Assembly;
        using var stream = asm.GetManifestResourceStream("Stepwise.Core.Keys.Upstream.keys.txt")
            ?? throw new InvalidOperationException("the key data resource Stepwise.Core.Keys.Upstream.keys.txt is missing from Stepwise.Core");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return Parse(reader.ReadToEnd());
    }

    /// <summary>Reads the line format keygen.py renders (see its render()).</summary>
    public static UpstreamData Parse(string text)
    {
        var data = new UpstreamData();
        UpstreamLibrary? lib = null;
        UpstreamClass? cls = null;
        int lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#') continue;
            var p = line.Split('\t');
            try
            {
                switch (p[0])
                {
                    case "L":
                        lib = new UpstreamLibrary(p[1], p[2], p[3]);
                        data._libraries[lib.Name] = lib;
                        cls = null;
                        break;
                    case "R":
                    {
                        var pins = new Dictionary<string, string>(StringComparer.Ordinal);
                        for (int i = 4; i < p.Length; i++)
                        {
                            int k = 0;
                            while (k < p[i].Length && (char.IsLetterOrDigit(p[i][k]) || p[i][k] is '-' or '_')) k++;
                            pins[p[i].Substring(0, k)] = p[i].Substring(k);
                        }
                        lib!._releases.Add(new UpstreamRelease(lib, lib._releases.Count, p[1], p[2], p[3], pins));
                        break;
                    }
                    case "C":
                        cls = new UpstreamClass(lib!, p[1], p[2], ReleaseSet.Parse(p[3]), p[4]);
                        lib!._classes[cls.Name] = cls;
                        break;
                    case "B":
                        cls!._bases.Add((ReleaseSet.Parse(p[1]), p.Skip(2).ToArray()));
                        break;
                    case "E":
                        cls!._values.Add((ReleaseSet.Parse(p[1]), p.Skip(2).Select(v => MiniJson.Parse(v)?.ToString() ?? "").ToArray()));
                        break;
                    case "F" when p[1].StartsWith("**", StringComparison.Ordinal):
                        cls!.AcceptsExtraKeywords = true;
                        break;
                    case "F":
                    {
                        var def = MiniJson.Parse(p[4]);
                        string? expr = null;
                        if (def is IReadOnlyDictionary<string, object?> d && d.Count == 1 && d.TryGetValue("expr", out var e)) { expr = e as string; def = null; }
                        var choices = p[5] == "-" ? Array.Empty<string>()
                            : ((IReadOnlyList<object?>)MiniJson.Parse(p[5])!).Select(c => c is bool b ? (b ? "true" : "false") : Convert.ToString(c, CultureInfo.InvariantCulture) ?? "null").ToArray();
                        string? attr = null, annotation = "";
                        IReadOnlyList<object?> alt = Array.Empty<object?>();
                        for (int i = 6; i < p.Length; i++)
                        {
                            if (p[i].StartsWith("attr=", StringComparison.Ordinal)) attr = p[i].Substring(5);
                            else if (p[i].StartsWith("alt=", StringComparison.Ordinal)) alt = (IReadOnlyList<object?>)MiniJson.Parse(p[i].Substring(4))!;
                            else if (p[i].StartsWith("type=", StringComparison.Ordinal)) annotation = p[i].Substring(5);
                        }
                        cls!._fields.Add(new UpstreamField(cls, p[1], KindOf(p[2]), ReleaseSet.Parse(p[3]), def, expr, choices, attr, annotation, alt));
                        break;
                    }
                    case "D":
                        data._dialectRoots[p[1]] = p.Skip(2).ToArray();
                        break;
                    default:
                        throw new FormatException($"unknown record '{p[0]}'");
                }
            }
            catch (Exception ex) when (ex is FormatException or InvalidCastException or IndexOutOfRangeException or NullReferenceException)
            {
                throw new FormatException($"keys.txt:{lineNo}: {ex.Message}", ex);
            }
        }
        return data;
    }

    private static KeyType KindOf(string kind) => kind switch
    {
        "integer" => KeyType.Integer,
        "float" => KeyType.Float,
        "bool" => KeyType.Bool,
        "string" => KeyType.String,
        "enum" => KeyType.Enum,
        "list" => KeyType.List,
        "mapping" => KeyType.Mapping,
        _ => KeyType.Any,
    };
}

/// <summary>Just enough JSON for the values in keys.txt (defaults, choices): scalars, lists and objects.</summary>
internal static class MiniJson
{
    public static object? Parse(string text)
    {
        int i = 0;
        var v = Value(text, ref i);
        Skip(text, ref i);
        if (i != text.Length) throw new FormatException($"unexpected '{text[i]}' in {text}");
        return v;
    }

    private static void Skip(string s, ref int i) { while (i < s.Length && char.IsWhiteSpace(s[i])) i++; }

    private static object? Value(string s, ref int i)
    {
        Skip(s, ref i);
        if (i >= s.Length) throw new FormatException("unexpected end of JSON");
        char c = s[i];
        if (c == '"') return Str(s, ref i);
        if (c == '[')
        {
            i++;
            var list = new List<object?>();
            Skip(s, ref i);
            if (s[i] == ']') { i++; return list; }
            while (true)
            {
                list.Add(Value(s, ref i));
                Skip(s, ref i);
                if (s[i] == ',') { i++; continue; }
                if (s[i] == ']') { i++; return list; }
                throw new FormatException($"expected , or ] in {s}");
            }
        }
        if (c == '{')
        {
            i++;
            var map = new Dictionary<string, object?>(StringComparer.Ordinal);
            Skip(s, ref i);
            if (s[i] == '}') { i++; return map; }
            while (true)
            {
                Skip(s, ref i);
                var key = Str(s, ref i);
                Skip(s, ref i);
                if (s[i] != ':') throw new FormatException($"expected : in {s}");
                i++;
                map[key] = Value(s, ref i);
                Skip(s, ref i);
                if (s[i] == ',') { i++; continue; }
                if (s[i] == '}') { i++; return map; }
                throw new FormatException($"expected , or }} in {s}");
            }
        }
        if (Match(s, ref i, "null")) return null;
        if (Match(s, ref i, "true")) return true;
        if (Match(s, ref i, "false")) return false;
        if (Match(s, ref i, "NaN")) return double.NaN;
        if (Match(s, ref i, "Infinity")) return double.PositiveInfinity;
        if (Match(s, ref i, "-Infinity")) return double.NegativeInfinity;
        int start = i;
        while (i < s.Length && (char.IsDigit(s[i]) || s[i] is '-' or '+' or '.' or 'e' or 'E')) i++;
        var num = s.Substring(start, i - start);
        if (num.Length == 0) throw new FormatException($"unexpected '{c}' in {s}");
        if (num.IndexOfAny(new[] { '.', 'e', 'E' }) < 0 && long.TryParse(num, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) return l;
        return double.Parse(num, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static bool Match(string s, ref int i, string word)
    {
        if (string.CompareOrdinal(s, i, word, 0, word.Length) != 0) return false;
        i += word.Length;
        return true;
    }

    private static string Str(string s, ref int i)
    {
        if (s[i] != '"') throw new FormatException($"expected a string in {s}");
        i++;
        var sb = new StringBuilder();
        while (s[i] != '"')
        {
            if (s[i] == '\\')
            {
                i++;
                char e = s[i];
                switch (e)
                {
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'u': sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 4), 16)); i += 4; break;
                    default: sb.Append(e); break;
                }
                i++;
            }
            else sb.Append(s[i++]);
        }
        i++;
        return sb.ToString();
    }
}
