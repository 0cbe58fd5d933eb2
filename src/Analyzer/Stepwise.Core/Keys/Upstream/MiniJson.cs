using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Stepwise.Core.Keys.Upstream;

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
