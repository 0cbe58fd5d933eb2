using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Stepwise.CommandLine;

/// <summary>
/// Options with the checks every numeric option needs: finite numbers only (NaN and the infinities are refused, as
/// is every value outside the range), integers with optional 1,000 / 1_000 grouping, and an error that names the option
/// and the value. Spelled --kebab-case everywhere.
/// </summary>
public static class CliOptions
{
    /// <summary>A finite number in [min, max] (or (min, max] when <paramref name="minExclusive"/>); null when absent.</summary>
    public static Option<double?> Number(string name, string description, double min = double.MinValue, double max = double.MaxValue, bool minExclusive = false, string helpName = "X")
    {
        var o = new Option<double?>(name) { Description = description, HelpName = helpName };
        o.CustomParser = r => ParseNumber(r, name, min, max, minExclusive);
        return o;
    }

    /// <summary>An integer in [min, max]; null when absent.</summary>
    public static Option<long?> Integer(string name, string description, long min = long.MinValue, long max = long.MaxValue, string helpName = "N")
    {
        var o = new Option<long?>(name) { Description = description, HelpName = helpName };
        o.CustomParser = r => ParseInteger(r, name, min, max);
        return o;
    }

    /// <summary>One of <paramref name="choices"/> (completion offers them).</summary>
    public static Option<string?> Choice(string name, string description, params string[] choices)
    {
        var o = new Option<string?>(name) { Description = description, HelpName = string.Join("|", choices) };
        o.CompletionSources.Add(choices);
        o.Validators.Add(r =>
        {
            var v = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
            if (!choices.Contains(v, StringComparer.Ordinal)) r.AddError($"{name} must be {string.Join(", ", choices.SkipLast(1))} or {choices[^1]}, not '{v}'");
        });
        return o;
    }

    public static double? ParseNumber(ArgumentResult r, string name, double min, double max, bool minExclusive)
    {
        var text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
        {
            r.AddError($"{name} needs a number, not '{text}'");
            return null;
        }
        if (!double.IsFinite(v))
        {
            r.AddError($"{name} needs a finite number, not '{text}'");
            return null;
        }
        bool low = minExclusive ? v <= min : v < min;
        if (low || v > max)
        {
            r.AddError($"{name} must be {Range(min, max, minExclusive)}, not {text}");
            return null;
        }
        return v;
    }

    public static long? ParseInteger(ArgumentResult r, string name, long min, long max)
    {
        var text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
        var digits = text.Replace(",", "").Replace("_", "");
        if (!long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
        {
            r.AddError($"{name} needs an integer, not '{text}'");
            return null;
        }
        if (v < min || v > max)
        {
            r.AddError($"{name} must be {Range(min, max)}, not {text}");
            return null;
        }
        return v;
    }

    private static string Range(double min, double max, bool minExclusive)
    {
        string f(double x) => x.ToString("R", CultureInfo.InvariantCulture);
        if (max == double.MaxValue) return minExclusive ? $"greater than {f(min)}" : $"at least {f(min)}";
        if (min == double.MinValue) return $"at most {f(max)}";
        return minExclusive ? $"greater than {f(min)} and at most {f(max)}" : $"between {f(min)} and {f(max)}";
    }

    private static string Range(long min, long max)
    {
        if (max == long.MaxValue) return min == 0 ? "a non-negative integer" : min == 1 ? "a positive integer" : $"an integer of at least {min}";
        if (min == long.MinValue) return $"an integer of at most {max}";
        return $"an integer from {min} to {max}";
    }
}
