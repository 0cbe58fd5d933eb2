using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Stepwise.Jinja;

/// <summary>Jinja's default Undefined: falsy, renders empty, iterates as empty; arithmetic and attributes on it fail.</summary>
public sealed class Undefined
{
    public string Name { get; }
    public Undefined(string name) { Name = name; }
}

/// <summary>namespace(...): the one object a template may assign attributes to (set ns.x = ...).</summary>
public sealed class Namespace
{
    public Dictionary<string, object?> Attrs { get; } = new(StringComparer.Ordinal);
}

/// <summary>A callable value: a global (range, namespace, raise_exception), a bound method or a macro.</summary>
public sealed class Callable
{
    public string Name { get; }
    public Func<List<object?>, Dictionary<string, object?>, object?> Fn { get; }
    public Callable(string name, Func<List<object?>, Dictionary<string, object?>, object?> fn) { Name = name; Fn = fn; }
}

/// <summary>The `loop` variable of a for loop.</summary>
public sealed class LoopInfo
{
    public required List<object?> Items { get; init; }
    public int Index0 { get; set; }
}

/// <summary>Python-compatible value semantics: truth, equality, str(), repr(), json.dumps.</summary>
public static class Py
{
    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        OrderedDictionary<string, object?> d => d.Count > 0,
        _ => true,
    };

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType", Undefined => "Undefined", bool => "bool", long => "int", double => "float", string => "str",
        List<object?> => "list", OrderedDictionary<string, object?> => "dict", Namespace => "Namespace", Callable => "function", LoopInfo => "LoopContext",
        _ => v.GetType().Name,
    };

    public static bool IsNumber(object? v) => v is long or double or bool;
    public static double ToDouble(object? v) => v switch { long l => l, double d => d, bool b => b ? 1 : 0, _ => throw new InvalidCastException() };

    public static bool Eq(object? a, object? b)
    {
        if (a is Undefined || b is Undefined) return a is Undefined && b is Undefined;
        if (a is null || b is null) return a is null && b is null;
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a) == ToDouble(b);
            return ToLong(a) == ToLong(b);
        }
        if (a is string sa && b is string sb) return string.Equals(sa, sb, StringComparison.Ordinal);
        if (a is List<object?> la && b is List<object?> lb) return la.Count == lb.Count && la.Zip(lb).All(p => Eq(p.First, p.Second));
        if (a is OrderedDictionary<string, object?> da && b is OrderedDictionary<string, object?> db)
            return da.Count == db.Count && da.All(kv => db.TryGetValue(kv.Key, out var v) && Eq(kv.Value, v));
        return ReferenceEquals(a, b);
    }

    public static long ToLong(object? v) => v switch { long l => l, bool b => b ? 1 : 0, double d => (long)d, _ => throw new InvalidCastException() };

    /// <summary>str(v) as Jinja renders it (Undefined renders empty).</summary>
    public static string Str(object? v) => v switch
    {
        null => "None",
        Undefined => "",
        string s => s,
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FloatRepr(d),
        _ => Repr(v),
    };

    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        string r = d.ToString("R", CultureInfo.InvariantCulture);
        if (r.Contains('E'))
        {
            // Python: 1e-05, 1e+16
            var parts = r.Split('E');
            int exp = int.Parse(parts[1], CultureInfo.InvariantCulture);
            return $"{parts[0]}e{(exp < 0 ? "-" : "+")}{Math.Abs(exp):00}";
        }
        return r.Contains('.') ? r : r + ".0";
    }

    public static string Repr(object? v) => v switch
    {
        string s => StrRepr(s),
        List<object?> l => "[" + string.Join(", ", l.Select(Repr)) + "]",
        OrderedDictionary<string, object?> d => "{" + string.Join(", ", d.Select(kv => StrRepr(kv.Key) + ": " + Repr(kv.Value))) + "}",
        Namespace => "<Namespace>",
        Callable c => $"<function {c.Name}>",
        _ => Str(v),
    };

    private static string StrRepr(string s)
    {
        char q = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder().Append(q);
        foreach (char c in s)
        {
            if (c == q || c == '\\') sb.Append('\\').Append(c);
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\t') sb.Append("\\t");
            else if (c < 0x20 || c == 0x7f) sb.Append($"\\x{(int)c:x2}");
            else sb.Append(c);
        }
        return sb.Append(q).ToString();
    }

    /// <summary>json.dumps(v, ensure_ascii=False, indent, separators, sort_keys) as HF's tojson calls it.</summary>
    public static string Json(object? v, int? indent, bool sortKeys)
    {
        var sb = new StringBuilder();
        WriteJson(sb, v, indent, sortKeys, 0);
        return sb.ToString();
    }

    private static void WriteJson(StringBuilder sb, object? v, int? indent, bool sortKeys, int level)
    {
        string itemSep = indent is null ? ", " : ",";
        switch (v)
        {
            case null: sb.Append("null"); break;
            case Undefined: throw new InvalidOperationException("Object of type Undefined is not JSON serializable");
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? (d > 0 ? "Infinity" : "-Infinity") : FloatRepr(d)); break;
            case string s: JsonString(sb, s); break;
            case List<object?> list:
                if (list.Count == 0) { sb.Append("[]"); break; }
                sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(itemSep);
                    NewLine(sb, indent, level + 1);
                    WriteJson(sb, list[i], indent, sortKeys, level + 1);
                }
                NewLine(sb, indent, level);
                sb.Append(']');
                break;
            case OrderedDictionary<string, object?> dict:
                if (dict.Count == 0) { sb.Append("{}"); break; }
                sb.Append('{');
                var entries = sortKeys ? dict.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList() : dict.ToList();
                for (int i = 0; i < entries.Count; i++)
                {
                    if (i > 0) sb.Append(itemSep);
                    NewLine(sb, indent, level + 1);
                    JsonString(sb, entries[i].Key);
                    sb.Append(": ");
                    WriteJson(sb, entries[i].Value, indent, sortKeys, level + 1);
                }
                NewLine(sb, indent, level);
                sb.Append('}');
                break;
            default: throw new InvalidOperationException($"Object of type {TypeName(v)} is not JSON serializable");
        }
    }

    private static void NewLine(StringBuilder sb, int? indent, int level)
    {
        if (indent is int n) sb.Append('\n').Append(' ', n * level);
    }

    // json.dumps(ensure_ascii=False) escapes, as transformers' tojson writes them.
    private static void JsonString(StringBuilder sb, string s) => Stepwise.Core.Text.JsonText.AppendEscaped(sb.Append('"'), s).Append('"');

    /// <summary>A JSON value as a template value (objects keep their key order, as Python dicts do).</summary>
    public static object? FromJson(JsonNode? n)
    {
        switch (n)
        {
            case null: return null;
            case JsonObject o:
            {
                var d = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
                foreach (var kv in o) d[kv.Key] = FromJson(kv.Value);
                return d;
            }
            case JsonArray a: return a.Select(FromJson).ToList();
            case JsonValue v:
                if (v.TryGetValue<string>(out var s)) return s;
                if (v.TryGetValue<bool>(out var b)) return b;
                if (v.TryGetValue<long>(out var l)) return l;
                if (v.TryGetValue<double>(out var d2))
                {
                    // An integral JSON number written without a fraction is a Python int.
                    string raw = v.ToJsonString();
                    if (!raw.Contains('.') && !raw.Contains('e') && !raw.Contains('E') && Math.Abs(d2) < 9e18) return (long)d2;
                    return d2;
                }
                return v.ToJsonString();
            default: return null;
        }
    }
}
