using System.Globalization;
using System.Text;

namespace Stepwise.Jinja;

/// <summary>
/// The globals a chat template sees besides its variables: jinja2's (range, dict, namespace) and the ones transformers
/// adds in its ImmutableSandboxedEnvironment (raise_exception, strftime_now).
/// </summary>
internal static class JinjaGlobals
{
    public static Dictionary<string, object?> Create(Func<DateTime> now) => new(StringComparer.Ordinal)
    {
        ["raise_exception"] = new Callable("raise_exception", (a, _) => throw new TemplateRaisedException(a.Count > 0 ? Py.Str(a[0]) : "raise_exception() called")),
        ["namespace"] = new Callable("namespace", (a, kw) =>
        {
            var ns = new Namespace();
            foreach (var d in a.OfType<OrderedDictionary<string, object?>>()) foreach (var kv in d) ns.Attrs[kv.Key] = kv.Value;
            foreach (var kv in kw) ns.Attrs[kv.Key] = kv.Value;
            return ns;
        }),
        ["range"] = new Callable("range", (a, _) =>
        {
            long start = 0, stop, step = 1;
            if (a.Count == 1) stop = Py.ToLong(a[0]);
            else { start = Py.ToLong(a[0]); stop = Py.ToLong(a[1]); if (a.Count > 2) step = Py.ToLong(a[2]); }
            if (step == 0) throw new InvalidOperationException("range() arg 3 must not be zero");
            var list = new List<object?>();
            for (long i = start; step > 0 ? i < stop : i > stop; i += step) list.Add(i);
            return list;
        }),
        ["dict"] = new Callable("dict", (a, kw) =>
        {
            var d = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
            foreach (var src in a.OfType<OrderedDictionary<string, object?>>()) foreach (var kv in src) d[kv.Key] = kv.Value;
            foreach (var kv in kw) d[kv.Key] = kv.Value;
            return d;
        }),
        ["strftime_now"] = new Callable("strftime_now", (a, _) => Strftime(now(), a.Count > 0 ? Py.Str(a[0]) : "")),
    };

    /// <summary>The subset of Python's time.strftime that date-stamping templates use.</summary>
    public static string Strftime(DateTime t, string fmt)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        for (int i = 0; i < fmt.Length; i++)
        {
            if (fmt[i] != '%' || i + 1 >= fmt.Length) { sb.Append(fmt[i]); continue; }
            char c = fmt[++i];
            sb.Append(c switch
            {
                'd' => t.ToString("dd", inv), 'm' => t.ToString("MM", inv), 'Y' => t.ToString("yyyy", inv), 'y' => t.ToString("yy", inv),
                'b' => t.ToString("MMM", inv), 'B' => t.ToString("MMMM", inv), 'a' => t.ToString("ddd", inv), 'A' => t.ToString("dddd", inv),
                'H' => t.ToString("HH", inv), 'M' => t.ToString("mm", inv), 'S' => t.ToString("ss", inv), 'I' => t.ToString("hh", inv),
                'p' => t.Hour < 12 ? "AM" : "PM", 'j' => t.DayOfYear.ToString("000", inv), '%' => "%",
                _ => throw new InvalidOperationException($"strftime_now: format code %{c} is not supported"),
            });
        }
        return sb.ToString();
    }
}
