using System.Globalization;
using System.Text;

namespace Stepwise.Jinja;

/// <summary>The Python str/dict methods templates call (message.content.strip(), tool.items()...).</summary>
internal static class JinjaMethods
{
    public static Callable? Bound(object? obj, string name) => obj switch
    {
        string s => StringMethod(s, name),
        OrderedDictionary<string, object?> d => name switch
        {
            "items" => new Callable("items", (_, _) => d.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList()),
            "keys" => new Callable("keys", (_, _) => d.Keys.Cast<object?>().ToList()),
            "values" => new Callable("values", (_, _) => d.Values.ToList()),
            "get" => new Callable("get", (a, _) => a.Count > 0 && a[0] is string k && d.TryGetValue(k, out var v) ? v : a.Count > 1 ? a[1] : null),
            _ => null,
        },
        List<object?> when name is "append" or "extend" or "pop" or "insert" or "remove" or "clear" or "sort" or "reverse" =>
            new Callable(name, (_, _) => throw new InvalidOperationException($"list.{name}() modifies a list, which the sandbox transformers renders in does not allow")),
        _ => null,
    };

    private static Callable? StringMethod(string s, string name)
    {
        string? Chars(List<object?> a) => a.Count > 0 && a[0] is string c ? c : null;
        return name switch
        {
            "strip" => new Callable(name, (a, _) => Chars(a) is { } c ? s.Trim(c.ToCharArray()) : JinjaLexer.Strip(s)),
            "lstrip" => new Callable(name, (a, _) => Chars(a) is { } c ? s.TrimStart(c.ToCharArray()) : JinjaLexer.Strip(s, end: false)),
            "rstrip" => new Callable(name, (a, _) => Chars(a) is { } c ? s.TrimEnd(c.ToCharArray()) : JinjaLexer.Strip(s, start: false)),
            "upper" => new Callable(name, (_, _) => s.ToUpperInvariant()),
            "lower" => new Callable(name, (_, _) => s.ToLowerInvariant()),
            "title" => new Callable(name, (_, _) => Title(s)),
            "capitalize" => new Callable(name, (_, _) => Capitalize(s)),
            "startswith" => new Callable(name, (a, _) => a[0] is List<object?> l ? l.Any(p => s.StartsWith(Py.Str(p), StringComparison.Ordinal)) : s.StartsWith(Py.Str(a[0]), StringComparison.Ordinal)),
            "endswith" => new Callable(name, (a, _) => a[0] is List<object?> l ? l.Any(p => s.EndsWith(Py.Str(p), StringComparison.Ordinal)) : s.EndsWith(Py.Str(a[0]), StringComparison.Ordinal)),
            "replace" => new Callable(name, (a, _) => Replace(s, Py.Str(a[0]), Py.Str(a[1]), a.Count > 2 ? Py.ToLong(a[2]) : -1)),
            "find" => new Callable(name, (a, _) => (long)s.IndexOf(Py.Str(a[0]), StringComparison.Ordinal)),
            "count" => new Callable(name, (a, _) => { string sub = Py.Str(a[0]); if (sub.Length == 0) return (long)s.Length + 1; long n = 0; for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++; return n; }),
            "split" => new Callable(name, (a, kw) =>
            {
                var sep = a.Count > 0 ? a[0] : kw.TryGetValue("sep", out var sv) ? sv : null;
                long max = a.Count > 1 ? Py.ToLong(a[1]) : kw.TryGetValue("maxsplit", out var mv) ? Py.ToLong(mv) : -1;
                if (sep is null) return SplitWhitespace(s, max);
                string sp = Py.Str(sep);
                if (sp.Length == 0) throw new InvalidOperationException("empty separator");
                return (max >= 0 ? s.Split(sp, (int)max + 1) : s.Split(sp)).Cast<object?>().ToList();
            }),
            "join" => new Callable(name, (a, _) => string.Join(s, ((a.Count > 0 ? a[0] : null) as List<object?> ?? new List<object?>()).Select(Py.Str))),
            "format" => new Callable(name, (_, _) => throw new InvalidOperationException("str.format is not supported")),
            _ => null,
        };
    }

    /// <summary>str.split() with no separator: runs of whitespace split, ends ignored; maxsplit keeps the rest whole.</summary>
    public static List<object?> SplitWhitespace(string s, long max)
    {
        var parts = new List<object?>();
        int i = 0;
        while (true)
        {
            while (i < s.Length && JinjaLexer.IsSpace(s[i])) i++;
            if (i >= s.Length) break;
            if (max >= 0 && parts.Count == max) { parts.Add(s[i..]); break; }
            int j = i;
            while (j < s.Length && !JinjaLexer.IsSpace(s[j])) j++;
            parts.Add(s[i..j]);
            i = j;
        }
        return parts;
    }

    public static string Replace(string s, string old, string neu, long count)
    {
        if (count < 0) return old.Length == 0 ? Insert(s, neu, long.MaxValue) : s.Replace(old, neu, StringComparison.Ordinal);
        if (old.Length == 0) return Insert(s, neu, count);
        var sb = new StringBuilder();
        int pos = 0;
        for (long n = 0; n < count; n++)
        {
            int i = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (i < 0) break;
            sb.Append(s, pos, i - pos).Append(neu);
            pos = i + old.Length;
        }
        return sb.Append(s, pos, s.Length - pos).ToString();
    }

    private static string Insert(string s, string neu, long count)
    {
        var sb = new StringBuilder();
        long n = 0;
        for (int i = 0; i <= s.Length; i++)
        {
            if (n < count) { sb.Append(neu); n++; }
            if (i < s.Length) sb.Append(s[i]);
        }
        return sb.ToString();
    }

    public static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool prevCased = false;
        foreach (char c in s)
        {
            sb.Append(prevCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            prevCased = char.IsLetter(c);
        }
        return sb.ToString();
    }
}
