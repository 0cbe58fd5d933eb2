using Stepwise.Core;
using Stepwise.Core.Model;
using Stepwise.Core.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Stepwise.Readers.Yaml;

/// <summary>
/// Reads a YAML config into one ConfigDocument with exact spans, using YamlDotNet's event parser (so positions come
/// from the parser, not from re-searching the text). The first document of a multi-document stream is read.
/// </summary>
public sealed class YamlConfigReader : IConfigReader
{
    /// <summary>Nesting beyond this is refused (SW9001) instead of recursing without bound.</summary>
    public const int MaxDepth = 256;

    public ConfigSyntax Syntax => ConfigSyntax.Yaml;

    public IReadOnlyList<ConfigDocument> Read(string text, string? path)
    {
        var lines = new LineIndex(text, path);
        var problems = new List<ReadProblem>();
        YamlNode? root = null;
        int lastGood = 0;
        try
        {
            if (!FastYamlParser.TryParse(lines, MaxDepth, out root))
                root = Parse(text, problems, lines, ref lastGood);
        }
        catch (YamlException ex)
        {
            int offset = (int)Math.Min(Math.Max(0, ex.Start.Index), text.Length);
            problems.Add(ReadProblem.Unreadable($"YAML syntax error: {Clean(ex.Message)}", lines.Span(offset, Math.Min(1, text.Length - offset))));
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            // YamlDotNet occasionally fails with a non-YAML exception on malformed input; the last event it
            // produced is the best position we have.
            problems.Add(ReadProblem.Unreadable("YAML syntax error after this point (unterminated flow collection or quote?)",
                lines.Span(lastGood, Math.Min(1, text.Length - lastGood))));
        }

        var directives = Directives.Find(text, lines);
        problems.AddRange(Directives.Check(directives));
        var editor = new YamlEditor(lines);
        var entries = root is { Kind: YamlNodeKind.Mapping } ? MappingEntries(root, "", text, lines, 0) : new List<ConfigEntry>();
        var (dialect, certain) = DialectDetector.Detect(entries.Select(e => e.Key).ToList());
        if (root is not null && root.Kind != YamlNodeKind.Mapping && problems.Count == 0)
            dialect = Dialect.Unknown; // a list or a scalar at the top: not a config
        return new[] { new ConfigDocument(path, text, ConfigSyntax.Yaml, dialect, entries, editor, directives, problems, lines, dialectCertain: certain) };
    }

    private static string Clean(string message)
    {
        // YamlDotNet messages start with "(Line: 3, Col: 5, Idx: 30) - (Line: ...): "; the finding carries the position already.
        int i = message.LastIndexOf("): ", StringComparison.Ordinal);
        return i >= 0 && message.StartsWith("(Line", StringComparison.Ordinal) ? message[(i + 3)..] : message;
    }

    /// <summary>The full YAML parser (YamlDotNet events): used when the fast parser gives up, and by the tests as its oracle.</summary>
    internal static YamlNode? Parse(string text, List<ReadProblem> problems, LineIndex lines, ref int lastGood)
    {
        var parser = new Parser(new Scanner(new StringReader(text), skipComments: true));
        var stack = new Stack<YamlNode>();
        var anchors = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        YamlNode? root = null;
        bool inFirstDocument = false, done = false;

        while (!done && parser.MoveNext())
        {
            var ev = parser.Current!;
            lastGood = Off(ev.End, text);
            switch (ev)
            {
                case DocumentStart:
                    if (root is not null) { done = true; break; }
                    inFirstDocument = true;
                    break;
                case DocumentEnd:
                    if (inFirstDocument) done = true;
                    break;
                case MappingStart ms:
                {
                    var n = new YamlNode { Kind = YamlNodeKind.Mapping, Start = Off(ms.Start, text), Flow = ms.Style == MappingStyle.Flow };
                    if (!ms.Anchor.IsEmpty) anchors[ms.Anchor.Value] = n;
                    if (!Push(n)) return root;
                    break;
                }
                case SequenceStart ss:
                {
                    var n = new YamlNode { Kind = YamlNodeKind.Sequence, Start = Off(ss.Start, text), Flow = ss.Style == SequenceStyle.Flow };
                    if (!ss.Anchor.IsEmpty) anchors[ss.Anchor.Value] = n;
                    if (!Push(n)) return root;
                    break;
                }
                case MappingEnd or SequenceEnd:
                {
                    var n = stack.Pop();
                    // Block collections end where the next token starts; the last child's end is the honest end.
                    n.End = n.Children.Count > 0 ? n.Children[^1].End : Off(ev.End, text);
                    if (n.Flow)
                    {
                        // YamlDotNet marks a flow collection's end at its closing bracket; the span includes the bracket.
                        int close = Off(ev.Start, text);
                        n.End = close < text.Length && text[close] is '}' or ']' ? close + 1 : Math.Max(n.End, Off(ev.End, text));
                    }
                    Attach(n);
                    break;
                }
                case Scalar sc:
                {
                    int start = Off(sc.Start, text), end = Off(sc.End, text);
                    if (sc.Style == ScalarStyle.Plain && sc.Value.Length == 0) end = start;
                    var n = new YamlNode { Kind = YamlNodeKind.Scalar, Start = start, End = end, Scalar = sc.Value, Style = sc.Style };
                    if (!sc.Anchor.IsEmpty) anchors[sc.Anchor.Value] = n;
                    Attach(n);
                    break;
                }
                case AnchorAlias al:
                {
                    if (anchors.TryGetValue(al.Value.Value, out var target))
                    {
                        // The alias gets the anchored value but its own position.
                        var copy = new YamlNode { Kind = target.Kind, Start = Off(al.Start, text), End = Off(al.End, text), Scalar = target.Scalar, Style = target.Style, Flow = target.Flow };
                        if (target.Children.Count > 0) copy.MutableChildren.AddRange(target.Children);
                        Attach(copy);
                    }
                    else
                    {
                        problems.Add(ReadProblem.Unreadable($"YAML alias *{al.Value} has no anchor", lines.Span(Off(al.Start, text), Off(al.End, text) - Off(al.Start, text))));
                        Attach(new YamlNode { Kind = YamlNodeKind.Scalar, Start = Off(al.Start, text), End = Off(al.End, text), Scalar = "" });
                    }
                    break;
                }
            }
        }
        return root;

        bool Push(YamlNode n)
        {
            if (stack.Count >= MaxDepth)
            {
                problems.Add(ReadProblem.Unreadable($"nesting deeper than {MaxDepth} levels; not analysed", lines.Span(n.Start, 1)));
                return false;
            }
            stack.Push(n);
            return true;
        }

        void Attach(YamlNode n)
        {
            if (stack.Count == 0) { root ??= n; return; }
            stack.Peek().MutableChildren.Add(n);
        }
    }

    private static int Off(Mark m, string text) => (int)Math.Min(Math.Max(0, m.Index), text.Length);

    private static List<ConfigEntry> MappingEntries(YamlNode map, string prefix, string text, LineIndex lines, int depth)
    {
        var list = new List<ConfigEntry>();
        for (int i = 0; i + 1 < map.Children.Count; i += 2)
        {
            var k = map.Children[i];
            var v = map.Children[i + 1];
            string key = k.Kind == YamlNodeKind.Scalar ? k.Scalar : text[k.Start..k.End];
            string path = prefix.Length == 0 ? key : prefix + "." + key;
            var value = ToValue(v, path, text, lines, depth + 1);

            int valueStart = v.Start, valueEnd = Math.Max(v.Start, v.End);
            if (v.Kind == YamlNodeKind.Scalar && v.Style == ScalarStyle.Plain && v.Scalar.Length == 0)
            {
                // `key:` with nothing after it: an empty span right after the colon, on the key's line.
                int lineEnd = lines.LineContentEnd(lines.PositionOf(k.End).Line);
                int colon = text.IndexOf(':', k.End, Math.Max(0, lineEnd - k.End));
                valueStart = valueEnd = colon >= 0 ? colon + 1 : lineEnd;
            }
            var removal = Removal(map, i, k, valueEnd, text, lines);
            list.Add(ConfigEntry.FromSource(key, path, value, lines.Span(k.Start, k.End - k.Start), lines.Span(valueStart, valueEnd - valueStart),
                removal, text));
        }
        return list;
    }

    private static SourceSpan Removal(YamlNode map, int index, YamlNode key, int valueEnd, string text, LineIndex lines)
    {
        if (map.Flow)
        {
            // `{a: 1, b: 2}`: take the entry and the comma after it, or the comma before it for the last one.
            int s = key.Start, e = valueEnd;
            int j = e;
            while (j < text.Length && (text[j] == ' ' || text[j] == '\t')) j++;
            if (j < text.Length && text[j] == ',')
            {
                j++;
                while (j < text.Length && (text[j] == ' ' || text[j] == '\t')) j++;
                return lines.Span(s, j - s);
            }
            int p = s - 1;
            while (p >= 0 && char.IsWhiteSpace(text[p])) p--;
            if (p >= 0 && text[p] == ',') return lines.Span(p, e - p);
            return lines.Span(s, e - s);
        }
        var keyPos = lines.PositionOf(key.Start);
        int lineStart = lines.LineStart(keyPos.Line);
        bool ownLine = text.AsSpan(lineStart, key.Start - lineStart).Trim().Length == 0;
        int endLine = lines.PositionOf(Math.Max(key.Start, valueEnd - (valueEnd > key.Start && valueEnd <= text.Length && valueEnd > 0 && text[valueEnd - 1] == '\n' ? 1 : 0))).Line;
        int end = lines.LineEndIncludingBreak(endLine);
        int start = ownLine ? lineStart : key.Start;
        return lines.Span(start, end - start);
    }

    private static ConfigValue ToValue(YamlNode n, string path, string text, LineIndex lines, int depth)
    {
        switch (n.Kind)
        {
            case YamlNodeKind.Scalar:
                return n.Style == ScalarStyle.Plain ? YamlScalars.Resolve(n.Scalar) : ConfigValue.String(n.Scalar);
            // The values of top-level keys are converted when first read: rules read a few top-level keys, not a
            // 100,000-record data mix. Below that, a value being read is read whole: build it at once.
            case YamlNodeKind.Sequence:
                return depth <= 1 ? ConfigValue.LazySequence(() => Items(n, path, text, lines, depth)) : ConfigValue.Sequence(Items(n, path, text, lines, depth));
            default:
                return depth <= 1
                    ? ConfigValue.LazyMapping(() => MappingEntries(n, path, text, lines, depth + 1))
                    : ConfigValue.Mapping(MappingEntries(n, path, text, lines, depth + 1));
        }
    }

    private static List<ConfigValue> Items(YamlNode n, string path, string text, LineIndex lines, int depth)
    {
        var children = n.Children;
        var items = new List<ConfigValue>(children.Count);
        for (int i = 0; i < children.Count; i++) items.Add(ToValue(children[i], $"{path}[{i}]", text, lines, depth + 1));
        return items;
    }
}
