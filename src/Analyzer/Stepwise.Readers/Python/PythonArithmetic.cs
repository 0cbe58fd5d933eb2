using Stepwise.Core.Model;

namespace Stepwise.Readers.Python;

/// <summary>
/// Python's arithmetic on known values, with its semantics: / always gives a float, // and % floor toward minus
/// infinity (the sign of % follows the divisor), int ** non-negative int stays an int, bools count as 0 and 1,
/// str + str and str * int. Anything else, or an unknown operand, gives Unknown; overflow past 64 bits and division
/// by zero too (Python would raise or go to big ints).
/// </summary>
public static class PythonArithmetic
{
    public static ConfigValue Unary(string op, ConfigValue v)
    {
        if (!v.IsKnown) return v;
        if (op == "not") return ConfigValue.Bool(!Truthy(v));
        var n = AsNumber(v);
        if (n is null) return ConfigValue.Unknown($"{op} applied to {Describe(v)}");
        var (isInt, i, d) = n.Value;
        try
        {
            return op switch
            {
                "-" => isInt ? ConfigValue.Integer(checked(-i)) : ConfigValue.Float(-d),
                "+" => isInt ? ConfigValue.Integer(i) : ConfigValue.Float(d),
                "~" when isInt => ConfigValue.Integer(~i),
                _ => ConfigValue.Unknown($"{op} applied to {Describe(v)}"),
            };
        }
        catch (OverflowException) { return ConfigValue.Unknown("an integer too large"); }
    }

    public static ConfigValue Binary(string op, ConfigValue l, ConfigValue r)
    {
        if (!l.IsKnown) return l;
        if (!r.IsKnown) return r;
        if (l.Kind == ValueKind.String && r.Kind == ValueKind.String)
        {
            return op switch
            {
                "+" => ConfigValue.String((string)l.Raw! + (string)r.Raw!),
                "==" => ConfigValue.Bool((string)l.Raw! == (string)r.Raw!),
                "!=" => ConfigValue.Bool((string)l.Raw! != (string)r.Raw!),
                _ => ConfigValue.Unknown($"'{op}' on strings"),
            };
        }
        if (op == "*" && (l.Kind == ValueKind.String || r.Kind == ValueKind.String))
        {
            var (s, times) = l.Kind == ValueKind.String ? ((string)l.Raw!, AsNumber(r)) : ((string)r.Raw!, AsNumber(l));
            if (times is { IsInt: true } t && (long)s.Length * Math.Max(0, t.Int) <= 100_000)
                return ConfigValue.String(string.Concat(Enumerable.Repeat(s, (int)Math.Max(0, t.Int))));
            return ConfigValue.Unknown("a repeated string");
        }
        var a = AsNumber(l);
        var b = AsNumber(r);
        if (a is null || b is null) return ConfigValue.Unknown($"'{op}' on {Describe(l)} and {Describe(r)}");
        var (ai, ia, da) = a.Value;
        var (bi, ib, db) = b.Value;
        bool ints = ai && bi;
        try
        {
            switch (op)
            {
                case "+": return ints ? ConfigValue.Integer(checked(ia + ib)) : ConfigValue.Float(da + db);
                case "-": return ints ? ConfigValue.Integer(checked(ia - ib)) : ConfigValue.Float(da - db);
                case "*": return ints ? ConfigValue.Integer(checked(ia * ib)) : ConfigValue.Float(da * db);
                case "/":
                    if (db == 0) return ConfigValue.Unknown("a division by zero");
                    return ConfigValue.Float(da / db);
                case "//":
                    if (db == 0) return ConfigValue.Unknown("a division by zero");
                    if (ints)
                    {
                        long q = ia / ib;
                        if ((ia % ib != 0) && ((ia < 0) != (ib < 0))) q--;
                        return ConfigValue.Integer(q);
                    }
                    return ConfigValue.Float(Math.Floor(da / db));
                case "%":
                    if (db == 0) return ConfigValue.Unknown("a division by zero");
                    if (ints)
                    {
                        long m = ia % ib;
                        if (m != 0 && ((m < 0) != (ib < 0))) m += ib;
                        return ConfigValue.Integer(m);
                    }
                    {
                        double m = da % db;
                        if (m != 0 && ((m < 0) != (db < 0))) m += db;
                        return ConfigValue.Float(m);
                    }
                case "**":
                    if (ints && ib >= 0) return ConfigValue.Integer(IntPow(ia, ib));
                    if (da == 0 && db < 0) return ConfigValue.Unknown("a division by zero");
                    if (da < 0 && Math.Abs(db - Math.Round(db)) > 0) return ConfigValue.Unknown("a complex number");
                    return ConfigValue.Float(Math.Pow(da, db));
                case "==": return ConfigValue.Bool(ints ? ia == ib : da == db);
                case "!=": return ConfigValue.Bool(ints ? ia != ib : da != db);
                case "<": return ConfigValue.Bool(ints ? ia < ib : da < db);
                case "<=": return ConfigValue.Bool(ints ? ia <= ib : da <= db);
                case ">": return ConfigValue.Bool(ints ? ia > ib : da > db);
                case ">=": return ConfigValue.Bool(ints ? ia >= ib : da >= db);
                case "<<" when ints && ib >= 0 && ib < 63: return ConfigValue.Integer(checked(ia * (1L << (int)ib)));
                case ">>" when ints && ib >= 0: return ConfigValue.Integer(ib >= 63 ? (ia < 0 ? -1 : 0) : ia >> (int)ib);
                case "&" when ints: return ConfigValue.Integer(ia & ib);
                case "|" when ints: return ConfigValue.Integer(ia | ib);
                case "^" when ints: return ConfigValue.Integer(ia ^ ib);
                default: return ConfigValue.Unknown($"'{op}' on {Describe(l)} and {Describe(r)}");
            }
        }
        catch (OverflowException) { return ConfigValue.Unknown("an integer too large"); }
    }

    private static long IntPow(long b, long e)
    {
        long result = 1;
        long x = b;
        while (e > 0)
        {
            if ((e & 1) != 0) result = checked(result * x);
            e >>= 1;
            if (e > 0) x = checked(x * x);
        }
        return result;
    }

    /// <summary>Python truthiness of a known value.</summary>
    public static bool Truthy(ConfigValue v) => v.Kind switch
    {
        ValueKind.Null => false,
        ValueKind.Bool => (bool)v.Raw!,
        ValueKind.Integer => (long)v.Raw! != 0,
        ValueKind.Float => (double)v.Raw! != 0,
        ValueKind.String => ((string)v.Raw!).Length > 0,
        ValueKind.Sequence => v.Items.Count > 0,
        ValueKind.Mapping => v.Entries.Count > 0,
        _ => false,
    };

    private static (bool IsInt, long Int, double Double)? AsNumber(ConfigValue v) => v.Kind switch
    {
        ValueKind.Integer => (true, (long)v.Raw!, (long)v.Raw!),
        ValueKind.Float => (false, 0, (double)v.Raw!),
        ValueKind.Bool => (true, (bool)v.Raw! ? 1 : 0, (bool)v.Raw! ? 1 : 0),
        _ => null,
    };

    private static string Describe(ConfigValue v) => v.Kind switch
    {
        ValueKind.Null => "None",
        ValueKind.Sequence => "a sequence",
        ValueKind.Mapping => "a dict",
        ValueKind.String => "a string",
        _ => v.ToString(),
    };
}
