using System.Text.RegularExpressions;
using Stepwise.Core.Model;
using Stepwise.Core.Text;

namespace Stepwise.Readers.Python;

// The entries of a found call: its keyword arguments, ** splats and dict() calls as config entries with spans, plus
// the file's # stepwise: directives and read problems.
public sealed partial class PythonAnalysis
{
    // The same spelling as Readers.Directives (YAML/JSON): # stepwise: name=value name=value
    private static readonly Regex DirectiveComment = new(@"^#[ \t]*stepwise:[ \t]*(?<rest>[^\r\n]*)", RegexOptions.CultureInvariant);
    private static readonly Regex DirectivePair = new(@"(?<k>[A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(?<v>[^\s,;]+)", RegexOptions.CultureInvariant);

    /// <summary># stepwise: dataset_size=52002 world_size=2 comments, one directive per pair, spans on the pair.</summary>
    public List<Directive> Directives()
    {
        var list = new List<Directive>();
        foreach (var c in Tokens.Comments)
        {
            if (Code.IndexOf("stepwise:", c.Start, c.Length, StringComparison.Ordinal) < 0) continue;
            var text = c.Text(Code);
            var m = DirectiveComment.Match(text);
            if (!m.Success) continue;
            var rest = m.Groups["rest"];
            foreach (Match p in DirectivePair.Matches(rest.Value))
            {
                int start = c.Start + rest.Index + p.Index;
                list.Add(new Directive(p.Groups["k"].Value, p.Groups["v"].Value, Span(start, start + p.Length)));
            }
        }
        return list;
    }

    public List<ReadProblem> Problems() =>
        Tokens.Problems.Select(p => ReadProblem.Unreadable("Python: " + p.Message, Span(p.Start, p.Start + p.Length))).ToList();

    // ---- entries -------------------------------------------------------------------------------------------

    /// <summary>The entries of a found call: its keyword arguments (and those of dicts splatted into it), in order.</summary>
    public List<ConfigEntry> EntriesOf(FoundCall call) =>
        ArgEntries(call.Call, call.Call.Start, call.Block, call.Name, "", call.IsTraining, 0);

    private List<ConfigEntry> ArgEntries(PyCall call, int at, PyBlock block, string section, string prefix, bool firstPositionalIsOutputDir,
        int depth, bool dictCall = false)
    {
        var entries = new List<ConfigEntry>();
        for (int i = 0; i < call.Args.Count; i++)
        {
            var a = call.Args[i];
            switch (a.Kind)
            {
                case PyArgKind.Keyword:
                {
                    var path = prefix.Length == 0 ? a.Keyword! : prefix + "." + a.Keyword;
                    var value = Eval(a.Value, at, block, path, section, depth);
                    entries.Add(MakeEntry(a.Keyword!, path, value, a.Start, a.End, a.KeywordStart, a.KeywordEnd, a.Value.Start, a.Value.End, '\0', section));
                    break;
                }
                case PyArgKind.DoubleStar:
                    entries.AddRange(Splat(a.Value, at, block, section, prefix, depth, a.Start, a.End));
                    break;
                case PyArgKind.Star:
                    entries.Add(UnknownSplat("*", a.Value, a.Start, a.End, section, prefix,
                        "positional arguments from a * expression, known only at run time"));
                    break;
                case PyArgKind.Positional when i == 0 && firstPositionalIsOutputDir:
                {
                    // TrainingArguments("out") : output_dir is the first field of the dataclass.
                    var path = prefix.Length == 0 ? "output_dir" : prefix + ".output_dir";
                    var value = Eval(a.Value, at, block, path, section, depth);
                    entries.Add(MakeEntry("output_dir", path, value, a.Start, a.End, a.Value.Start, a.Value.Start, a.Value.Start, a.Value.End, '\0', section));
                    break;
                }
                case PyArgKind.Positional when dictCall:
                    entries.Add(UnknownSplat("", a.Value, a.Start, a.End, section, prefix, "a positional argument to dict(), merged at run time"));
                    break;
            }
        }
        return entries;
    }

    private List<ConfigEntry> Splat(PyExpr value, int at, PyBlock block, string section, string prefix, int depth, int argStart, int argEnd)
    {
        if (depth < MaxEvalDepth)
        {
            switch (value)
            {
                case PyCall c when c.Callee.DottedName() == "dict":
                    return DictCallEntries(c, at, block, section, prefix, depth + 1);
                case PyDict d:
                {
                    var (entries, problem) = DictEntries(d, at, block, section, prefix, depth + 1);
                    if (problem is null) return entries;
                    return new List<ConfigEntry> { UnknownSplat("**", value, argStart, argEnd, section, prefix, problem) };
                }
                case PyName n:
                {
                    var (a, reason) = Resolve(n.Name, at, block);
                    if (a is not null && a.UnknownReason is null && a.AugmentedOp is null && a.TupleIndex < 0)
                    {
                        var expr = ValueOf(a);
                        if (expr is PyCall or PyDict)
                        {
                            var changed = Module.Mutations.FirstOrDefault(m => m.Name == n.Name && m.At >= a.EffectiveAt && m.At < at);
                            if (changed is not null)
                                return new List<ConfigEntry> { UnknownSplat("**", value, argStart, argEnd, section, prefix,
                                    $"`{n.Name}` is changed on line {Module.LineOf(changed.At)} before it is used here") };
                            var inner = Splat(expr, a.Statement.Start, a.Block, section, prefix, depth + 1, argStart, argEnd);
                            if (inner.Count != 1 || inner[0].Value.Kind != ValueKind.Unknown || !inner[0].Key.StartsWith('*'))
                                return inner;
                        }
                    }
                    reason ??= a?.UnknownReason is { } r ? $"`{n.Name}` is {r}" : $"`{n.Name}` is not a dict literal this reader can follow";
                    return new List<ConfigEntry> { UnknownSplat("**", value, argStart, argEnd, section, prefix, reason) };
                }
            }
        }
        return new List<ConfigEntry> { UnknownSplat("**", value, argStart, argEnd, section, prefix, "keys and values known only at run time") };
    }

    private List<ConfigEntry> DictCallEntries(PyCall c, int at, PyBlock block, string section, string prefix, int depth) =>
        ArgEntries(c, at, block, section, prefix, false, depth, dictCall: true);

    private (List<ConfigEntry> Entries, string? Problem) DictEntries(PyDict d, int at, PyBlock block, string? section, string prefix, int depth)
    {
        var entries = new List<ConfigEntry>();
        foreach (var item in d.Items)
        {
            if (item.Key is null)
            {
                entries.AddRange(Splat(item.Value, at, block, section ?? "dict", prefix, depth + 1, item.Start, item.End));
                continue;
            }
            if (item.Key is not PyString ks || Eval(ks, at, block, "", section, depth) is not { Kind: ValueKind.String } kv)
                return (entries, $"a dict whose key {Clip(item.Key)} is not a plain string");
            var key = (string)kv.Raw!;
            var path = prefix.Length == 0 ? key : prefix + "." + key;
            var value = Eval(item.Value, at, block, path, section, depth + 1);
            char quote = ks.Parts.Count == 1 && ks.Parts[0].PrefixLength == 0 && (ks.Parts[0].Flags & StringFlags.Triple) == 0
                ? Code[ks.Start] : '\0';
            // A key written with a prefix or as several parts is renamed as a whole plain string.
            entries.Add(MakeEntry(key, path, value, item.Start, item.End, ks.Start, ks.End, item.Value.Start, item.Value.End,
                quote == '\0' ? '"' : quote, section));
        }
        return (entries, null);
    }

    private ConfigEntry UnknownSplat(string stars, PyExpr value, int argStart, int argEnd, string? section, string prefix, string reason)
    {
        var key = stars + Clip(value);
        var path = prefix.Length == 0 ? key : prefix + "." + key;
        return MakeEntry(key, path, ConfigValue.Unknown(reason), argStart, argEnd, argStart, argStart, value.Start, value.End, '\0', section);
    }

    private string Clip(PyExpr e)
    {
        var text = Code.Substring(e.Start, Math.Max(0, e.End - e.Start)).ReplaceLineEndings(" ");
        return text.Length > 40 ? text.Substring(0, 37) + "..." : text;
    }

    private ConfigEntry MakeEntry(string key, string path, ConfigValue value, int itemStart, int itemEnd, int keyStart, int keyEnd,
        int valueStart, int valueEnd, char keyQuote, string? section)
    {
        var t = Tokens.Code;
        int after = FirstTokenAtOrAfter(itemEnd);
        int commaAfter = after < t.Length && IsOp(after, ",") ? t[after].Start : -1;
        int before = FirstTokenAtOrAfter(itemStart) - 1;
        int prevEnd = before >= 0 ? t[before].End : itemStart;
        int prevComma = before >= 0 && IsOp(before, ",") ? t[before].Start : -1;
        var layout = PythonEditor.Compute(Code, itemStart, itemEnd, keyStart, keyEnd, valueStart, valueEnd, commaAfter, prevEnd, prevComma, keyQuote);
        // The class whose field the key is: the upstream class, or a subclass of the file for a field it declares itself.
        string? owner = section is not null && _owners.TryGetValue(section, out var o)
            ? (path == key && o.LocalFields.Contains(key) ? section : o.Upstream)
            : null;
        var entry = new ConfigEntry(key, path, value, Span(keyStart, keyEnd), Span(valueStart, valueEnd),
            Span(layout.RemoveStart, layout.RemoveEnd), Code.Substring(valueStart, Math.Max(0, valueEnd - valueStart)), section) { Owner = owner };
        Editor.Register(entry, layout);
        return entry;
    }

    private int FirstTokenAtOrAfter(int offset)
    {
        var t = Tokens.Code;
        int lo = 0, hi = t.Length - 1, found = t.Length;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            if (t[mid].Start >= offset) { found = mid; hi = mid - 1; } else lo = mid + 1;
        }
        return found;
    }
}
