using System.Globalization;
using System.Text;

namespace Stepwise.Jinja;

/// <summary>Jinja's built-in filters and tests that chat templates use, with HF's tojson.</summary>
internal static class JinjaFilters
{
    /// <summary>Filters and tests the interpreter implements: any other name fails when the template is parsed.</summary>
    public static readonly HashSet<string> Filters = new(StringComparer.Ordinal)
    {
        "trim", "length", "count", "upper", "lower", "capitalize", "title", "string", "safe", "tojson", "default", "d", "first", "last",
        "join", "replace", "items", "list", "reverse", "int", "float", "abs", "selectattr", "rejectattr", "select", "reject", "map",
        "unique", "indent", "wordcount",
    };

    public static readonly HashSet<string> Tests = new(StringComparer.Ordinal)
    {
        "defined", "undefined", "none", "string", "mapping", "iterable", "sequence", "number", "integer", "float", "boolean", "true",
        "false", "callable", "odd", "even", "divisibleby", "lower", "upper", "sameas", "equalto", "eq", "==", "ne", "!=", "in",
        "lt", "<", "gt", ">", "le", "<=", "ge", ">=",
    };

    public static object? Apply(string name, object? v, List<object?> a, Dictionary<string, object?> kw, Expr at, JinjaTemplate tpl)
    {
        object? Arg(int i, string key, object? dflt) => i < a.Count ? a[i] : kw.TryGetValue(key, out var x) ? x : dflt;
        switch (name)
        {
            case "trim":
            {
                var chars = Arg(0, "chars", null);
                return chars is string cs ? Str(v, at).Trim(cs.ToCharArray()) : JinjaLexer.Strip(Str(v, at));
            }
            case "length" or "count":
                return v switch
                {
                    string s => (long)s.Count(c => !char.IsLowSurrogate(c)), // code points, as Python's len
                    List<object?> l => (long)l.Count,
                    OrderedDictionary<string, object?> d => (long)d.Count,
                    Undefined => 0L,
                    _ => throw new JinjaException(at.Line, at.Col, $"object of type '{Py.TypeName(v)}' has no len()"),
                };
            case "upper": return Str(v, at).ToUpperInvariant();
            case "lower": return Str(v, at).ToLowerInvariant();
            case "capitalize": return JinjaMethods.Capitalize(Str(v, at));
            case "title": return TitleFilter(Str(v, at));
            case "string": return Py.Str(v);
            case "safe": return v;
            case "tojson":
            {
                var indent = Arg(0, "indent", null);
                bool sort = Py.Truthy(kw.TryGetValue("sort_keys", out var sk) ? sk : false);
                try { return Py.Json(v, indent is null ? null : (int)Py.ToLong(indent), sort); }
                catch (InvalidOperationException e) { throw new JinjaException(at.Line, at.Col, e.Message); }
            }
            case "default" or "d":
            {
                var dflt = Arg(0, "default_value", "");
                bool boolean = Py.Truthy(Arg(1, "boolean", false));
                if (v is Undefined || (boolean && !Py.Truthy(v))) return dflt;
                return v;
            }
            case "first":
            {
                var items = Items(v, at);
                return items.Count > 0 ? items[0] : new Undefined("first");
            }
            case "last":
            {
                var items = Items(v, at);
                return items.Count > 0 ? items[^1] : new Undefined("last");
            }
            case "join":
            {
                string sep = Py.Str(Arg(0, "d", ""));
                var attr = Arg(1, "attribute", null);
                var items = Items(v, at);
                return string.Join(sep, items.Select(x => Py.Str(attr is string an ? JinjaAccess.GetItem(x, an, at) : x)));
            }
            case "replace":
            {
                string s = Str(v, at), old = Py.Str(Arg(0, "old", "")), neu = Py.Str(Arg(1, "new", ""));
                var count = Arg(2, "count", null);
                return JinjaMethods.Replace(s, old, neu, count is null ? -1 : Py.ToLong(count));
            }
            case "items":
                if (v is Undefined) return new List<object?>();
                if (v is not OrderedDictionary<string, object?> d1) throw new JinjaException(at.Line, at.Col, $"items filter: expected a mapping, got {Py.TypeName(v)}");
                return d1.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList();
            case "list": return Items(v, at).ToList();
            case "reverse":
                if (v is string rs) return string.Concat(((List<object?>)Items(rs, at)).AsEnumerable().Reverse().Select(x => (string)x!));
                return Items(v, at).AsEnumerable().Reverse().ToList();
            case "int" or "float" when v is Undefined:
                throw new JinjaException(at.Line, at.Col, $"'{((Undefined)v).Name}' is undefined");
            case "int":
                return v switch
                {
                    long l => (object)l, bool b => (object)(b ? 1L : 0L), double dd => (object)(long)dd,
                    string s when long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var li) => (object)li,
                    string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var di) => (object)(long)di,
                    _ => Arg(0, "default", 0L),
                };
            case "float":
                return v switch
                {
                    long l => (object)(double)l, double dd => (object)dd, bool b => (object)(b ? 1.0 : 0.0),
                    string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var di) => (object)di,
                    _ => Arg(0, "default", 0.0),
                };
            case "abs": return v switch { long l => (object)Math.Abs(l), double dd => (object)Math.Abs(dd), bool b => (object)(b ? 1L : 0L), _ => throw new JinjaException(at.Line, at.Col, $"bad operand type for abs(): '{Py.TypeName(v)}'") };
            case "selectattr" or "rejectattr":
            {
                bool select = name == "selectattr";
                if (a.Count < 1 || a[0] is not string attr) throw new JinjaException(at.Line, at.Col, $"{name} needs an attribute name");
                var result = new List<object?>();
                foreach (var x in Items(v, at))
                {
                    var val = JinjaAccess.GetAttr(x, attr, at);
                    bool ok = a.Count > 1 ? Test(Py.Str(a[1]), val, a.Skip(2).ToList(), at) : Py.Truthy(val);
                    if (ok == select) result.Add(x);
                }
                return result;
            }
            case "select" or "reject":
            {
                bool select = name == "select";
                var result = new List<object?>();
                foreach (var x in Items(v, at))
                {
                    bool ok = a.Count > 0 ? Test(Py.Str(a[0]), x, a.Skip(1).ToList(), at) : Py.Truthy(x);
                    if (ok == select) result.Add(x);
                }
                return result;
            }
            case "map":
            {
                if (kw.TryGetValue("attribute", out var attr))
                {
                    var dflt = kw.TryGetValue("default", out var dv) ? dv : null;
                    return Items(v, at).Select(x =>
                    {
                        var r = JinjaAccess.GetAttr(x, Py.Str(attr), at);
                        return r is Undefined && kw.ContainsKey("default") ? dflt : r;
                    }).ToList();
                }
                if (a.Count > 0 && a[0] is string filter)
                    return Items(v, at).Select(x => Apply(filter, x, a.Skip(1).ToList(), new Dictionary<string, object?>(), at, tpl)).ToList();
                throw new JinjaException(at.Line, at.Col, "map needs a filter name or attribute=");
            }
            case "unique":
            {
                var result = new List<object?>();
                foreach (var x in Items(v, at)) if (!result.Any(y => Py.Eq(x, y))) result.Add(x);
                return result;
            }
            case "indent":
            {
                string s = Str(v, at);
                var width = Arg(0, "width", 4L);
                string pad = width is string ws ? ws : new string(' ', (int)Py.ToLong(width));
                bool first = Py.Truthy(Arg(1, "first", false)), blank = Py.Truthy(Arg(2, "blank", false));
                var lines = s.Split('\n');
                var sb = new StringBuilder();
                for (int i = 0; i < lines.Length; i++)
                {
                    if (i > 0) sb.Append('\n');
                    if ((i > 0 || first) && (blank || lines[i].Length > 0)) sb.Append(pad);
                    sb.Append(lines[i]);
                }
                return sb.ToString();
            }
            case "wordcount": return (long)JinjaMethods.SplitWhitespace(Str(v, at), -1).Count;
            default:
                throw new JinjaException(at.Line, at.Col, $"unknown or unsupported filter '{name}'");
        }
    }

    /// <summary>jinja2's do_title: each chunk after -, whitespace, (, {, [ or &lt; gets an upper first letter, the rest lower.</summary>
    private static string TitleFilter(string s)
    {
        var sb = new StringBuilder();
        bool boundary = true;
        foreach (char c in s)
        {
            bool sep = c is '-' or '(' or '{' or '[' or '<' || JinjaLexer.IsSpace(c);
            if (sep) { sb.Append(c); boundary = true; continue; }
            sb.Append(boundary ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            boundary = false;
        }
        return sb.ToString();
    }

    private static string Str(object? v, Expr at) => v is Undefined ? "" : Py.Str(v);

    private static List<object?> Items(object? v, Expr at) => v switch
    {
        List<object?> l => l,
        OrderedDictionary<string, object?> d => d.Keys.Cast<object?>().ToList(),
        string s => s.Select(c => (object?)c.ToString()).ToList(),
        Undefined => new List<object?>(),
        _ => throw new JinjaException(at.Line, at.Col, $"'{Py.TypeName(v)}' object is not iterable"),
    };

    /// <summary>value % 2 with Python's sign rule (floats keep their fraction: 2.25 is neither odd nor even).</summary>
    private static double PyMod2(object? v)
    {
        double x = v is double d ? d : Py.ToLong(v);
        double m = x % 2;
        return m < 0 ? m + 2 : m;
    }

    public static bool Test(string name, object? v, List<object?> a, Expr at)
    {
        switch (name)
        {
            case "defined": return v is not Undefined;
            case "undefined": return v is Undefined;
            case "none": return v is null;
            case "string": return v is string;
            case "mapping": return v is OrderedDictionary<string, object?>;
            case "iterable": return v is string or List<object?> or OrderedDictionary<string, object?> or Undefined;
            case "sequence": return v is string or List<object?> or OrderedDictionary<string, object?> or Undefined;
            case "number": return v is long or double or bool; // Python's bool is a Number
            case "integer": return v is long;
            case "float": return v is double;
            case "boolean": return v is bool;
            case "true": return v is true;
            case "false": return v is false;
            case "callable": return v is Callable;
            case "odd": return PyMod2(v) == 1;
            case "even": return PyMod2(v) == 0;
            case "divisibleby": return Py.ToLong(v) % Py.ToLong(a[0]) == 0;
            case "lower": return v is string sl && sl == sl.ToLowerInvariant();
            case "upper": return v is string su && su == su.ToUpperInvariant();
            case "sameas": return (v is null && a[0] is null) || (v is bool b && a[0] is bool c && b == c) || ReferenceEquals(v, a[0]);
            case "equalto" or "eq" or "==": return Py.Eq(v, a[0]);
            case "ne" or "!=": return !Py.Eq(v, a[0]);
            case "in": return a[0] switch { List<object?> l => l.Any(x => Py.Eq(x, v)), string s => v is string sv && s.Contains(sv, StringComparison.Ordinal), OrderedDictionary<string, object?> d => v is string k && d.ContainsKey(k), _ => false };
            case "lt" or "<" or "gt" or ">" or "le" or "<=" or "ge" or ">=":
            {
                int c2 = Py.IsNumber(v) && Py.IsNumber(a[0]) ? Py.ToDouble(v).CompareTo(Py.ToDouble(a[0]))
                    : v is string x && a[0] is string y ? string.CompareOrdinal(x, y)
                    : throw new JinjaException(at.Line, at.Col, $"cannot compare '{Py.TypeName(v)}' and '{Py.TypeName(a[0])}'");
                return name switch { "lt" or "<" => c2 < 0, "gt" or ">" => c2 > 0, "le" or "<=" => c2 <= 0, _ => c2 >= 0 };
            }
            default: throw new JinjaException(at.Line, at.Col, $"unknown or unsupported test '{name}'");
        }
    }
}
