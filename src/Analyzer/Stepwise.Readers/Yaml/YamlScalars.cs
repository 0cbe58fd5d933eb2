using System.Globalization;
using System.Text.RegularExpressions;
using Stepwise.Core.Model;

namespace Stepwise.Readers.Yaml;

/// <summary>
/// Plain-scalar typing as PyYAML's safe_load does it (YAML 1.1 resolver), because that is what HF, axolotl and
/// LLaMA-Factory load configs with: yes/no/on/off are booleans, and a float needs a dot and a signed exponent,
/// so <c>2e-4</c> is a STRING to them (LLaMA-Factory's examples write 1.0e-4 for that reason).
/// </summary>
public static partial class YamlScalars
{
    [GeneratedRegex(@"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", RegexOptions.CultureInvariant)]
    private static partial Regex FloatPattern();

    public static ConfigValue Resolve(string plain)
    {
        switch (plain)
        {
            case "" or "~" or "null" or "Null" or "NULL": return ConfigValue.Null;
            case "yes" or "Yes" or "YES" or "true" or "True" or "TRUE" or "on" or "On" or "ON": return ConfigValue.Bool(true);
            case "no" or "No" or "NO" or "false" or "False" or "FALSE" or "off" or "Off" or "OFF": return ConfigValue.Bool(false);
        }
        // Only text starting like a number can be one: skip the regexes for everything else (most scalars).
        char first = plain[0];
        if (!(char.IsAsciiDigit(first) || first is '-' or '+' or '.')) return ConfigValue.String(plain);
        return SimpleNumber(plain) ?? ByPatterns(plain);
    }

    /// <summary>The general typing of a scalar that may be a number (the fast path's oracle in the tests).</summary>
    internal static ConfigValue ByPatterns(string plain)
    {
        if (IntPattern().IsMatch(plain))
        {
            var s = plain.Replace("_", "");
            bool neg = s.StartsWith('-');
            s = s.TrimStart('-', '+');
            try
            {
                long v = s.StartsWith("0b") ? Convert.ToInt64(s[2..], 2)
                    : s.StartsWith("0x") ? Convert.ToInt64(s[2..], 16)
                    : s.Length > 1 && s[0] == '0' ? Convert.ToInt64(s[1..], 8)
                    : long.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture);
                return ConfigValue.Integer(neg ? -v : v);
            }
            catch (OverflowException)
            {
                return double.TryParse(plain.Replace("_", ""), NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var big)
                    ? ConfigValue.Float(big) : ConfigValue.String(plain); // a hex or binary number past long: kept as written
            }
            // Underscores but no digits ("0b_", "0x_"): the pattern lets them through, no number is there.
            catch (Exception e) when (e is FormatException or ArgumentException) { return ConfigValue.String(plain); }
        }
        if (FloatPattern().IsMatch(plain))
        {
            var s = plain.Replace("_", "");
            if (s.EndsWith("inf", StringComparison.OrdinalIgnoreCase)) return ConfigValue.Float(s.StartsWith('-') ? double.NegativeInfinity : double.PositiveInfinity);
            if (s.EndsWith("nan", StringComparison.OrdinalIgnoreCase)) return ConfigValue.Float(double.NaN);
            // "._" matches the pattern but holds no digit (PyYAML itself fails on it): keep the text.
            return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? ConfigValue.Float(d) : ConfigValue.String(plain);
        }
        return ConfigValue.String(plain);
    }

    /// <summary>
    /// The two commonest numbers without the regexes: an unsigned decimal integer (no leading zero, which would make it
    /// octal; at most 18 digits, so it cannot overflow) and digits.digits. Both give what the general path gives.
    /// </summary>
    private static ConfigValue? SimpleNumber(string plain)
    {
        int i = 0, n = plain.Length;
        while (i < n && char.IsAsciiDigit(plain[i])) i++;
        if (i == 0) return null;
        if (i == n)
            return (n == 1 || plain[0] != '0') && n <= 18
                ? ConfigValue.Integer(long.Parse(plain, NumberStyles.None, CultureInfo.InvariantCulture))
                : null;
        if (plain[i] != '.') return null;
        for (int j = i + 1; j < n; j++) if (!char.IsAsciiDigit(plain[j])) return null;
        return ConfigValue.Float(double.Parse(plain, NumberStyles.Float, CultureInfo.InvariantCulture));
    }

    /// <summary>How a value is written in YAML so that PyYAML reads it back as the same type.</summary>
    public static string Format(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatFloat(d),
        float f => FormatFloat(f),
        string s => FormatString(s),
        _ => FormatString(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
    };

    /// <summary>A float PyYAML reads as float: always a dot; exponents signed (1.0e-05).</summary>
    public static string FormatFloat(double d)
    {
        if (double.IsPositiveInfinity(d)) return ".inf";
        if (double.IsNegativeInfinity(d)) return "-.inf";
        if (double.IsNaN(d)) return ".nan";
        double a = Math.Abs(d);
        if (a == 0 || (a >= 1e-4 && a < 1e15))
        {
            var s = d.ToString("0.0###############", CultureInfo.InvariantCulture);
            return s;
        }
        var e = d.ToString("0.0###############e+0", CultureInfo.InvariantCulture);
        return e;
    }

    private static string FormatString(string s)
    {
        bool plainOk = s.Length > 0 && Resolve(s).Kind == ValueKind.String && !s.Contains(": ") && !s.Contains(" #")
            && "-?:,[]{}#&*!|>'\"%@` ".IndexOf(s[0]) < 0 && !s.EndsWith(' ') && !s.EndsWith(':') && s.All(c => c >= ' ' && c != '\u007f');
        if (plainOk) return s;
        var sb = new System.Text.StringBuilder("\"");
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (c < ' ') sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
