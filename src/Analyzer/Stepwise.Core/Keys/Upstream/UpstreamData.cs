using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace Stepwise.Core.Keys.Upstream;

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
        // One pass over the text without splitting it into lines first: this runs on the first analysis of every
        // process (the language server's first diagnostics wait for it), so it allocates only what it keeps.
        for (int start = 0; start < text.Length;)
        {
            int end = text.IndexOf('\n', start);
            if (end < 0) end = text.Length;
            int stop = end > start && text[end - 1] == '\r' ? end - 1 : end;
            int from = start;
            start = end + 1;
            lineNo++;
            if (stop == from || text[from] == '#') continue;
            var p = text.Substring(from, stop - from).Split('\t');
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
                        cls!._bases.Add((ReleaseSet.Parse(p[1]), Rest(p, 2)));
                        break;
                    case "E":
                        cls!._values.Add((ReleaseSet.Parse(p[1]), p.Skip(2).Select(v => MiniJson.Parse(v)?.ToString() ?? "").ToArray()));
                        break;
                    case "F" when p[1].StartsWith("**", StringComparison.Ordinal):
                        cls!.AcceptsExtraKeywords = true;
                        break;
                    case "F":
                    {
                        var def = Literal(p[4]);
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
                        data._dialectRoots[p[1]] = Rest(p, 2);
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

    private static string[] Rest(string[] parts, int from)
    {
        var rest = new string[parts.Length - from];
        Array.Copy(parts, from, rest, 0, rest.Length);
        return rest;
    }

    /// <summary>A default as keys.txt writes it: the common literals (null, booleans, small integers: about 3 in 4
    /// fields) without the JSON reader, the rest through it.</summary>
    private static object? Literal(string json)
    {
        switch (json)
        {
            case "null": return null;
            case "true": return True;
            case "false": return False;
        }
        if (json.Length is > 0 and < 10)
        {
            long v = 0;
            int i = json[0] == '-' ? 1 : 0;
            if (i == json.Length) return MiniJson.Parse(json);
            for (; i < json.Length; i++)
            {
                if (json[i] < '0' || json[i] > '9') return MiniJson.Parse(json);
                v = v * 10 + (json[i] - '0');
            }
            return json[0] == '-' ? -v : v;
        }
        return MiniJson.Parse(json);
    }

    private static readonly object True = true, False = false;

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
