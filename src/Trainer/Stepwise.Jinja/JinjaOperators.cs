namespace Stepwise.Jinja;

/// <summary>Python's semantics for the binary operators and comparisons of template expressions (int/float promotion,
/// floor division and modulo signs, sequence repetition and concatenation, ordering, `in`).</summary>
internal static class JinjaOperators
{
    public static void NotUndefined(object? v, Expr at)
    {
        if (v is Undefined u) throw new JinjaException(at.Line, at.Col, $"'{u.Name}' is undefined");
    }

    public static object? Arith(string op, object? a, object? b, Expr at)
    {
        NotUndefined(a, at); NotUndefined(b, at);
        if (Py.IsNumber(a) && Py.IsNumber(b))
        {
            bool isFloat = a is double || b is double;
            switch (op)
            {
                case "+": return isFloat ? (object)(Py.ToDouble(a) + Py.ToDouble(b)) : (object)(Py.ToLong(a) + Py.ToLong(b));
                case "-": return isFloat ? (object)(Py.ToDouble(a) - Py.ToDouble(b)) : (object)(Py.ToLong(a) - Py.ToLong(b));
                case "*": return isFloat ? (object)(Py.ToDouble(a) * Py.ToDouble(b)) : (object)(Py.ToLong(a) * Py.ToLong(b));
                case "/":
                    if (Py.ToDouble(b) == 0) throw new JinjaException(at.Line, at.Col, "division by zero");
                    return Py.ToDouble(a) / Py.ToDouble(b);
                case "//":
                    if (Py.ToDouble(b) == 0) throw new JinjaException(at.Line, at.Col, "integer division or modulo by zero");
                    if (isFloat) return (object)Math.Floor(Py.ToDouble(a) / Py.ToDouble(b));
                    return FloorDiv(Py.ToLong(a), Py.ToLong(b));
                case "%":
                    if (Py.ToDouble(b) == 0) throw new JinjaException(at.Line, at.Col, "integer division or modulo by zero");
                    if (isFloat) { double x = Py.ToDouble(a), y = Py.ToDouble(b); double m = x % y; return (object)(m != 0 && (m < 0) != (y < 0) ? m + y : m); }
                    { long x = Py.ToLong(a), y = Py.ToLong(b); long m = x % y; return (object)(m != 0 && (m < 0) != (y < 0) ? m + y : m); }
                case "**":
                    if (!isFloat && Py.ToLong(b) >= 0) { long r = 1, bs = Py.ToLong(a); for (long i = 0; i < Py.ToLong(b); i++) r *= bs; return r; }
                    return Math.Pow(Py.ToDouble(a), Py.ToDouble(b));
            }
        }
        if (op == "+" && a is string sa && b is string sb) return sa + sb;
        if (op == "+" && a is List<object?> la && b is List<object?> lb) return la.Concat(lb).ToList();
        // Sequence repetition: str/list * int (a bool is an int in Python).
        if (op == "*" && (a is string || a is List<object?>) && b is long or bool) return Repeat(a, Py.ToLong(b));
        if (op == "*" && (b is string || b is List<object?>) && a is long or bool) return Repeat(b, Py.ToLong(a));
        if (op == "%" && a is string) throw new JinjaException(at.Line, at.Col, "printf-style string formatting ('%') is not supported");
        throw new JinjaException(at.Line, at.Col, $"unsupported operand type(s) for {op}: '{Py.TypeName(a)}' and '{Py.TypeName(b)}'");
    }

    private static object Repeat(object seq, long n) => seq is string str
        ? string.Concat(Enumerable.Repeat(str, (int)Math.Max(0, n)))
        : Enumerable.Repeat((List<object?>)seq, (int)Math.Max(0, n)).SelectMany(x => x).ToList();

    private static long FloorDiv(long a, long b) { long q = a / b; if ((a % b != 0) && ((a < 0) != (b < 0))) q--; return q; }

    public static bool Compare(string op, object? a, object? b, Expr at)
    {
        switch (op)
        {
            case "==": return Py.Eq(a, b);
            case "!=": return !Py.Eq(a, b);
            case "in": return Contains(b, a, at);
            case "notin": return !Contains(b, a, at);
        }
        NotUndefined(a, at); NotUndefined(b, at);
        int c = Order(a, b, op, at);
        return op switch { "<" => c < 0, ">" => c > 0, "<=" => c <= 0, _ => c >= 0 };
    }

    /// <summary>Python ordering: numbers, strings (by code unit), lists lexicographically; anything else is a TypeError.</summary>
    private static int Order(object? a, object? b, string op, Expr at)
    {
        if (Py.IsNumber(a) && Py.IsNumber(b)) return Py.ToDouble(a).CompareTo(Py.ToDouble(b));
        if (a is string sa && b is string sb) return Math.Sign(string.CompareOrdinal(sa, sb));
        if (a is List<object?> la && b is List<object?> lb)
        {
            for (int i = 0; i < Math.Min(la.Count, lb.Count); i++)
                if (!Py.Eq(la[i], lb[i])) return Order(la[i], lb[i], op, at);
            return la.Count.CompareTo(lb.Count);
        }
        throw new JinjaException(at.Line, at.Col, $"'{op}' not supported between '{Py.TypeName(a)}' and '{Py.TypeName(b)}'");
    }

    public static bool Contains(object? container, object? item, Expr at) => container switch
    {
        string s when item is string sub => s.Contains(sub, StringComparison.Ordinal),
        string => throw new JinjaException(at.Line, at.Col, $"'in <string>' requires string as left operand, not {Py.TypeName(item)}"),
        List<object?> l => l.Any(x => Py.Eq(x, item)),
        OrderedDictionary<string, object?> d => item is string k && d.ContainsKey(k),
        Undefined => false,
        _ => throw new JinjaException(at.Line, at.Col, $"argument of type '{Py.TypeName(container)}' is not iterable"),
    };
}
