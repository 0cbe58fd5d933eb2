namespace Stepwise.Jinja;

/// <summary>Reading from values as jinja2 does: attributes (obj.name), items (obj[key]), slices, the loop variable,
/// and strings as sequences of code points.</summary>
internal static class JinjaAccess
{
    /// <summary>obj.name: jinja's getattr tries the attribute (dict/str methods) first, then the item.</summary>
    public static object? GetAttr(object? obj, string name, Expr at)
    {
        switch (obj)
        {
            case Undefined u: throw new JinjaException(at.Line, at.Col, $"'{u.Name}' is undefined (has no attribute '{name}')");
            case Namespace ns: return ns.Attrs.TryGetValue(name, out var v) ? v : new Undefined(name);
            case LoopInfo loop: return LoopAttr(loop, name, at);
        }
        if (JinjaMethods.Bound(obj, name) is { } m) return m;
        if (obj is OrderedDictionary<string, object?> d) return d.TryGetValue(name, out var dv) ? dv : new Undefined(name);
        return new Undefined(name);
    }

    private static object? LoopAttr(LoopInfo l, string name, Expr at) => name switch
    {
        "index0" => (long)l.Index0,
        "index" => (long)l.Index0 + 1,
        "revindex" => (long)(l.Items.Count - l.Index0),
        "revindex0" => (long)(l.Items.Count - l.Index0 - 1),
        "first" => l.Index0 == 0,
        "last" => l.Index0 == l.Items.Count - 1,
        "length" => (long)l.Items.Count,
        "previtem" => l.Index0 > 0 ? l.Items[l.Index0 - 1] : new Undefined("previtem"),
        "nextitem" => l.Index0 + 1 < l.Items.Count ? l.Items[l.Index0 + 1] : new Undefined("nextitem"),
        "depth" => 1L,
        "depth0" => 0L,
        "cycle" => new Callable("cycle", (a, _) => a.Count == 0 ? throw new InvalidOperationException("no items for cycling given") : a[l.Index0 % a.Count]),
        _ => throw new JinjaException(at.Line, at.Col, $"loop has no attribute '{name}'"),
    };

    /// <summary>obj[key]: jinja's getitem tries the item first, then the attribute; a missing one is Undefined.</summary>
    public static object? GetItem(object? obj, object? key, Expr at)
    {
        switch (obj)
        {
            case Undefined u: throw new JinjaException(at.Line, at.Col, $"'{u.Name}' is undefined (cannot be indexed)");
            case List<object?> l when key is long or bool:
            {
                long i = Py.ToLong(key);
                if (i < 0) i += l.Count;
                return i >= 0 && i < l.Count ? l[(int)i] : new Undefined($"index {key}");
            }
            case string s when key is long or bool:
            {
                var chars = StringChars(s);
                long i = Py.ToLong(key);
                if (i < 0) i += chars.Count;
                return i >= 0 && i < chars.Count ? chars[(int)i] : new Undefined($"index {key}");
            }
            case OrderedDictionary<string, object?> d when key is string k:
                if (d.TryGetValue(k, out var v)) return v;
                return (object?)JinjaMethods.Bound(obj, k) ?? new Undefined(k);
        }
        if (key is string name) return GetAttr(obj, name, at);
        return new Undefined(Py.Str(key));
    }

    public static object? Slice(object? obj, object? start, object? stop, object? step, Expr at)
    {
        List<object?> items = obj switch
        {
            List<object?> l => l,
            string s => StringChars(s),
            Undefined u => throw new JinjaException(at.Line, at.Col, $"'{u.Name}' is undefined (cannot be sliced)"),
            _ => throw new JinjaException(at.Line, at.Col, $"'{Py.TypeName(obj)}' object is not subscriptable"),
        };
        long n = items.Count;
        long st = step is null ? 1 : Py.ToLong(step);
        if (st == 0) throw new JinjaException(at.Line, at.Col, "slice step cannot be zero");
        long Norm(object? v, long dflt)
        {
            if (v is null) return dflt;
            long i = Py.ToLong(v);
            if (i < 0) i += n;
            return st > 0 ? Math.Clamp(i, 0, n) : Math.Clamp(i, -1, n - 1);
        }
        long a = Norm(start, st > 0 ? 0 : n - 1), b = Norm(stop, st > 0 ? n : -1);
        var result = new List<object?>();
        for (long i = a; st > 0 ? i < b : i > b; i += st) result.Add(items[(int)i]);
        return obj is string ? string.Concat(result.Select(x => (string)x!)) : result;
    }

    public static List<object?> StringChars(string s)
    {
        var list = new List<object?>();
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length) { list.Add(s.Substring(i, 2)); i++; }
            else list.Add(s[i].ToString());
        }
        return list;
    }
}
