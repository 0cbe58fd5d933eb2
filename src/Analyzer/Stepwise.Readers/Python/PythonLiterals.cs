using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text;
using Stepwise.Core.Model;

namespace Stepwise.Readers.Python;

/// <summary>Python literals both ways: number and string tokens to values, values to Python source (repr-like).</summary>
public static class PythonLiterals
{
    /// <summary>The value of a number token: int (as long), float, or Unknown for imaginary and huge integers.</summary>
    public static ConfigValue Number(string text)
    {
        var t = text.Replace("_", "");
        if (t.Length == 0) return ConfigValue.Unknown("an empty number");
        if (t[^1] is 'j' or 'J') return ConfigValue.Unknown($"an imaginary number ({text})");
        if (t.Length > 2 && t[0] == '0' && char.ToLowerInvariant(t[1]) is 'x' or 'o' or 'b')
        {
            int radix = char.ToLowerInvariant(t[1]) switch { 'x' => 16, 'o' => 8, _ => 2 };
            BigInteger v = BigInteger.Zero;
            foreach (char c in t.AsSpan(2))
            {
                int d = c >= '0' && c <= '9' ? c - '0' : char.ToLowerInvariant(c) >= 'a' && char.ToLowerInvariant(c) <= 'f' ? char.ToLowerInvariant(c) - 'a' + 10 : 99;
                if (d >= radix) return ConfigValue.Unknown($"an invalid number ({text})");
                v = v * radix + d;
            }
            return v <= long.MaxValue ? ConfigValue.Integer((long)v) : ConfigValue.Unknown($"an integer too large ({text})");
        }
        if (t.IndexOfAny(new[] { '.', 'e', 'E' }) >= 0)
        {
            return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                ? ConfigValue.Float(d)
                : ConfigValue.Unknown($"an invalid number ({text})");
        }
        if (t.Length > 1 && t[0] == '0' && t.Trim('0').Length > 0) return ConfigValue.Unknown($"an invalid number ({text}): leading zeros");
        return long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var l)
            ? ConfigValue.Integer(l)
            : ConfigValue.Unknown($"an integer too large ({text})");
    }

    /// <summary>The value of one or more adjacent string tokens, or Unknown (f-string fields, bytes, unterminated).</summary>
    public static ConfigValue String(string source, IReadOnlyList<Token> parts)
    {
        var sb = new StringBuilder();
        foreach (var p in parts)
        {
            if ((p.Flags & StringFlags.Unterminated) != 0) return ConfigValue.Unknown("an unterminated string");
            if ((p.Flags & StringFlags.Bytes) != 0) return ConfigValue.Unknown("a bytes literal");
            if ((p.Flags & StringFlags.HasFields) != 0)
                return ConfigValue.Unknown((p.Flags & StringFlags.Template) != 0 ? "a template string" : "an f-string with replacement fields");
            var content = source.AsSpan(p.ContentStart, p.ContentEnd - p.ContentStart);
            bool raw = (p.Flags & StringFlags.Raw) != 0;
            bool fmt = (p.Flags & (StringFlags.Format | StringFlags.Template)) != 0;
            if (!Decode(content, raw, fmt, sb, out var problem)) return ConfigValue.Unknown(problem!);
        }
        return ConfigValue.String(sb.ToString());
    }

    private static bool Decode(ReadOnlySpan<char> s, bool raw, bool fmt, StringBuilder sb, out string? problem)
    {
        problem = null;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (fmt && (c == '{' || c == '}') && i + 1 < s.Length && s[i + 1] == c) { sb.Append(c); i++; continue; }
            if (c != '\\' || raw) { sb.Append(c); continue; }
            if (i + 1 >= s.Length) { sb.Append(c); break; }
            char e = s[++i];
            switch (e)
            {
                case '\n': break; // backslash-newline: the line continues
                case '\r': if (i + 1 < s.Length && s[i + 1] == '\n') i++; break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'v': sb.Append('\v'); break;
                case 'x': if (!Hex(s, ref i, 2, sb)) { problem = "a string with an invalid \\x escape"; return false; } break;
                case 'u': if (!Hex(s, ref i, 4, sb)) { problem = "a string with an invalid \\u escape"; return false; } break;
                case 'U': if (!Hex(s, ref i, 8, sb)) { problem = "a string with an invalid \\U escape"; return false; } break;
                case 'N': problem = "a string with a \\N{...} escape"; return false;
                case >= '0' and <= '7':
                {
                    int v = e - '0';
                    int k = 1;
                    while (k < 3 && i + 1 < s.Length && s[i + 1] >= '0' && s[i + 1] <= '7') { v = v * 8 + (s[++i] - '0'); k++; }
                    sb.Append((char)v);
                    break;
                }
                default: sb.Append('\\').Append(e); break; // unknown escapes stay as written
            }
        }
        return true;
    }

    private static bool Hex(ReadOnlySpan<char> s, ref int i, int digits, StringBuilder sb)
    {
        if (i + digits > s.Length - 1) return false; // the digits are s[i+1 .. i+digits]
        if (!int.TryParse(s.Slice(i + 1, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int v)) return false;
        if (v > 0x10FFFF) return false;
        sb.Append(char.ConvertFromUtf32(v >= 0xD800 && v <= 0xDFFF ? 0xFFFD : v));
        i += digits;
        return true;
    }

    /// <summary>
    /// Python source for a value: None, True/False, ints, floats as Python's repr writes them (2.46, 1e-05, 3.0),
    /// strings in double quotes with repr's escapes, lists and dicts of those. ConfigValues are written by kind.
    /// </summary>
    public static string Format(object? value) => value switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        string s => Quote(s),
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        short sh => sh.ToString(CultureInfo.InvariantCulture),
        byte by => by.ToString(CultureInfo.InvariantCulture),
        uint ui => ui.ToString(CultureInfo.InvariantCulture),
        ulong ul => ul.ToString(CultureInfo.InvariantCulture),
        BigInteger bi => bi.ToString(CultureInfo.InvariantCulture),
        double d => FormatFloat(d),
        float f => FormatFloat(f),
        decimal m => FormatFloat((double)m),
        ConfigValue cv => FormatConfigValue(cv),
        Enum e => Quote(e.ToString()),
        IDictionary dict => FormatDict(dict),
        IEnumerable seq => "[" + string.Join(", ", seq.Cast<object?>().Select(Format)) + "]",
        _ => Quote(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
    };

    private static string FormatConfigValue(ConfigValue v) => v.Kind switch
    {
        ValueKind.Null => "None",
        ValueKind.Sequence => "[" + string.Join(", ", v.Items.Select(FormatConfigValue)) + "]",
        ValueKind.Mapping => "{" + string.Join(", ", v.Entries.Select(e => Quote(e.Key) + ": " + FormatConfigValue(e.Value))) + "}",
        ValueKind.Unknown => "None",
        _ => Format(v.Raw),
    };

    private static string FormatDict(IDictionary dict)
    {
        var parts = new List<string>();
        foreach (DictionaryEntry e in dict) parts.Add(Format(e.Key) + ": " + Format(e.Value));
        return "{" + string.Join(", ", parts) + "}";
    }

    /// <summary>A string literal in double quotes, escaped as Python's repr escapes (\\, \", \n, \t, \xNN for controls).</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20 || c == 0x7F) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>
    /// A float as Python's repr writes it: the shortest digits that round-trip, positional when the exponent is in
    /// [-4, 16), else d.ddde±XX; always with a '.' or an exponent so it stays a float (3.0, 2.46, 1e-05, 1e+16).
    /// </summary>
    public static string FormatFloat(double d)
    {
        if (double.IsNaN(d)) return "float(\"nan\")";
        if (double.IsPositiveInfinity(d)) return "float(\"inf\")";
        if (double.IsNegativeInfinity(d)) return "float(\"-inf\")";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        // .NET's "R" gives the shortest round-trip digits; re-lay them out the way Python's float_repr_style 'short' does.
        var shortest = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        // Digits and exponent from the shortest form.
        string mant = shortest;
        int exp = 0;
        int ePos = shortest.IndexOfAny(new[] { 'E', 'e' });
        if (ePos >= 0)
        {
            mant = shortest.Substring(0, ePos);
            exp = int.Parse(shortest.AsSpan(ePos + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }
        int dot = mant.IndexOf('.');
        string digits = dot >= 0 ? mant.Remove(dot, 1) : mant;
        int pointPos = (dot >= 0 ? dot : mant.Length) + exp; // decimal point position relative to digits[0]
        int lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') { lead++; pointPos--; }
        digits = digits.Substring(lead).TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        int sciExp = pointPos - 1; // exponent when written as d.ddd
        string sign = d < 0 ? "-" : "";
        if (sciExp >= -4 && sciExp < 16)
        {
            // Positional.
            if (pointPos <= 0) return sign + "0." + new string('0', -pointPos) + digits;
            if (pointPos >= digits.Length) return sign + digits + new string('0', pointPos - digits.Length) + ".0";
            return sign + digits.Substring(0, pointPos) + "." + digits.Substring(pointPos);
        }
        string m = digits.Length == 1 ? digits : digits[0] + "." + digits.Substring(1);
        string es = sciExp < 0 ? "-" : "+";
        int ae = Math.Abs(sciExp);
        return sign + m + "e" + es + (ae < 10 ? "0" : "") + ae.ToString(CultureInfo.InvariantCulture);
    }
}
