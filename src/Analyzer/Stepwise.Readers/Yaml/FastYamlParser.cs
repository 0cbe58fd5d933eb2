using System.Globalization;
using System.Text;
using YamlDotNet.Core;

namespace Stepwise.Readers.Yaml;

/// <summary>
/// A fast parser for the YAML that training configs are written in: block mappings and sequences, flow
/// collections, plain and quoted one-line scalars, comments, anchors and aliases, document markers.
/// It is ~20x faster than YamlDotNet, which matters for 10 MB configs and for re-checking on every keystroke.
/// Anything outside that subset (tags, complex keys, block or multi-line scalars, directives, tabs in
/// indentation, anything malformed) makes it give up, and the reader falls back to YamlDotNet, whose result and
/// error messages are then used. A differential test checks both parsers agree on every node and span.
/// </summary>
internal sealed class FastYamlParser
{
    private readonly string _t;
    private readonly int[] _lineStart;   // offset of each line
    private readonly int[] _lineEnd;     // offset of each line's end (before \r\n / \n)
    private readonly int _lines;
    private readonly Dictionary<string, YamlNode> _anchors = new(StringComparer.Ordinal);
    private int _depth;
    private int _stopLine; // first line after the first document

    private sealed class GiveUp : Exception { }
    /// <summary>An anchor or alias inside a skimmed collection: parse the document without skimming.</summary>
    private sealed class NoSkim : Exception { }

    // Laziness: a collection nested in the root (the value of a top-level key, an item of a top-level list) is first
    // only skimmed: checked by the same code as a full parse, so the text is accepted or refused exactly as before, but
    // without building its nodes or cutting its strings. Its children are parsed when first asked for (from the line
    // it starts on, with the same state), which most analyses never do: the rules read top-level keys.
    private readonly bool _lazy;
    private bool _skim;          // checking only: no child lists, no scalar strings
    private bool _materialising; // building a skimmed collection's children: no further laziness below it
    private int _level;          // block collections entered (the root's is 1)

    /// <summary>A character YAML does not allow in a stream (NUL, other C0/C1 controls, U+FFFE/FFFF, a lone surrogate):
    /// YamlDotNet refuses those, and says where; this parser leaves the text to it.</summary>
    private readonly bool _unprintable;

    // YAML 1.1 c-printable: #x9 | #xA | #xD | [#x20-#x7E] | #x85 | [#xA0-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
    private static bool Printable(string t, ref int i)
    {
        char c = t[i];
        if (c == '\u0085' || (c >= '\u00a0' && c < '\ud800') || (c >= '\ue000' && c <= '\ufffd')) return true;
        if (char.IsHighSurrogate(c) && i + 1 < t.Length && char.IsLowSurrogate(t[i + 1])) { i++; return true; }
        return false;
    }

    private FastYamlParser(string text, bool lazy)
    {
        _t = text;
        _lazy = lazy;
        // Two passes (count, then fill) so the line tables are allocated once at their size: a 30-million-line
        // config costs 240 MB of tables, not three times that in growing lists.
        int count = 1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\n' || c == '\r')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                count++;
            }
            else if (c < ' ' ? c != '\t' : c >= '\u007f' && !Printable(text, ref i)) _unprintable = true;
        }
        _lineStart = new int[count];
        _lineEnd = new int[count];
        int line = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\n' || c == '\r')
            {
                _lineEnd[line] = i;
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                _lineStart[++line] = i + 1;
            }
        }
        _lineEnd[line] = text.Length;
        _lines = count;
        _stopLine = _lines;
    }

    /// <summary>Parses the first document. Returns false when the text needs the full YAML parser.</summary>
    public static bool TryParse(string text, int maxDepth, out YamlNode? root) => TryParse(text, maxDepth, lazy: true, out root);

    /// <summary>Parses the first document; with <paramref name="lazy"/>, collections below the root's are parsed only when
    /// their <see cref="YamlNode.Children"/> are first read. Returns false when the text needs the full YAML parser.</summary>
    public static bool TryParse(string text, int maxDepth, bool lazy, out YamlNode? root)
    {
        root = null;
        try
        {
            try
            {
                var parser = new FastYamlParser(text, lazy);
                if (parser._unprintable) return false;
                root = parser.ParseDocument(maxDepth);
            }
            catch (NoSkim)
            {
                root = new FastYamlParser(text, lazy: false).ParseDocument(maxDepth);
            }
            return true;
        }
        catch (GiveUp) { return false; }
    }

    private static void Fail() => throw new GiveUp();

    // ---- lines ---------------------------------------------------------------------------------

    /// <summary>Column of the first non-space character, or -1 for a blank or comment-only line. Tabs in indentation give up.</summary>
    private int Indent(int line)
    {
        int s = _lineStart[line], e = _lineEnd[line];
        int i = s;
        while (i < e && _t[i] == ' ') i++;
        if (i < e && _t[i] == '\t')
        {
            // A tab before content is an error in YAML indentation. A line of tabs (or tabs and a comment) is blank
            // for PyYAML but refused by YamlDotNet where a value is due: leave such texts to YamlDotNet.
            Fail();
        }
        if (i == e || _t[i] == '#') return -1;
        return i - s;
    }

    private int NextContentLine(int line)
    {
        while (line < _stopLine && Indent(line) < 0) line++;
        return line;
    }

    private YamlNode? ParseDocument(int maxDepth)
    {
        _maxDepth = maxDepth;
        // Document markers and directives.
        int first = -1;
        for (int i = 0; i < _lines; i++)
        {
            int ind = Indent(i);
            if (ind < 0) continue;
            int s = _lineStart[i];
            if (ind == 0 && _t[s] == '%') Fail();
            if (ind == 0 && IsMarker(i, "---"))
            {
                if (first >= 0) { _stopLine = i; break; }
                if (_lineEnd[i] - s > 3 && RestIsNotComment(s + 3, _lineEnd[i])) Fail(); // `--- value` or `--- !tag`
                continue;
            }
            if (ind == 0 && IsMarker(i, "...")) { if (first >= 0) { _stopLine = i; break; } continue; }
            if (first < 0) first = i;
        }
        if (first < 0) return null;
        int line = first;
        int indent = Indent(line);
        var node = ParseBlockNode(ref line, indent, _lineStart[line] + indent);
        line = NextContentLine(line);
        if (line < _stopLine) Fail(); // something left at a lower indent: malformed
        return node;
    }

    private int _maxDepth;

    private bool IsMarker(int line, string marker)
    {
        int s = _lineStart[line], e = _lineEnd[line];
        if (e - s < 3 || string.CompareOrdinal(_t, s, marker, 0, 3) != 0) return false;
        return e - s == 3 || _t[s + 3] == ' ' || _t[s + 3] == '\t';
    }

    private bool RestIsNotComment(int from, int end)
    {
        while (from < end && (_t[from] == ' ' || _t[from] == '\t')) from++;
        return from < end && _t[from] != '#';
    }

    // ---- block context ---------------------------------------------------------------------------

    /// <summary>A block node whose first content is at <paramref name="at"/> (column <paramref name="indent"/>) on <paramref name="line"/>.</summary>
    private YamlNode ParseBlockNode(ref int line, int indent, int at)
    {
        if (++_depth > _maxDepth) Fail();
        try
        {
            char c = _t[at];
            if (c == '-' && (at + 1 == _lineEnd[line] || _t[at + 1] == ' ')) return ParseSequence(ref line, indent, at);
            if (KeyEnd(at, _lineEnd[line]) >= 0) return ParseMapping(ref line, indent, at);
            Fail();
            return null!;
        }
        finally { _depth--; }
    }

    private YamlNode ParseSequence(ref int line, int indent, int firstAt)
    {
        if (_lazy && _level == 1 && !_skim && !_materialising) return Skim(ref line, indent, firstAt, YamlNodeKind.Sequence);
        _level++;
        try { return SequenceBody(ref line, indent, firstAt); }
        finally { _level--; }
    }

    private YamlNode ParseMapping(ref int line, int indent, int firstAt)
    {
        if (_lazy && _level == 1 && !_skim && !_materialising) return Skim(ref line, indent, firstAt, YamlNodeKind.Mapping);
        _level++;
        try { return MappingBody(ref line, indent, firstAt); }
        finally { _level--; }
    }

    /// <summary>Checks a nested block collection without building it, and returns a node that parses its children on first use.</summary>
    private YamlNode Skim(ref int line, int indent, int firstAt, YamlNodeKind kind)
    {
        int startLine = line, depth = _depth, level = _level;
        _skim = true;
        YamlNode skimmed;
        try { skimmed = kind == YamlNodeKind.Sequence ? ParseSequence(ref line, indent, firstAt) : ParseMapping(ref line, indent, firstAt); }
        finally { _skim = false; }
        var node = new YamlNode { Kind = kind, Start = skimmed.Start, End = skimmed.End };
        node.SetLazyChildren(() => Materialise(startLine, indent, firstAt, kind, depth, level, node.End));
        return node;
    }

    /// <summary>A flow collection nested in the root (`max_steps: [1, 1, ...]`, `x: {...}`), checked without building
    /// it, as <see cref="Skim"/> does for block collections: its children are parsed on first use.</summary>
    private YamlNode SkimFlow(ref int pos)
    {
        int start = pos, depth = _depth;
        _skim = true;
        YamlNode skimmed;
        try { skimmed = ParseFlow(ref pos, 0); }
        finally { _skim = false; }
        var node = new YamlNode { Kind = skimmed.Kind, Start = start, End = skimmed.End, Flow = true };
        int end = node.End;
        node.SetLazyChildren(() => MaterialiseFlow(start, depth, end));
        return node;
    }

    private List<YamlNode> MaterialiseFlow(int start, int depth, int end)
    {
        lock (this)
        {
            int savedDepth = _depth;
            _materialising = true; _depth = depth;
            try
            {
                int i = start;
                var n = ParseFlow(ref i, 0);
                if (n.End != end) throw new InvalidOperationException($"YAML flow collection at offset {start} parsed to {n.End}, skimmed to {end}");
                return n.MutableChildren;
            }
            catch (GiveUp)
            {
                throw new InvalidOperationException($"YAML flow collection at offset {start} was accepted when skimmed but refused when built");
            }
            finally { _materialising = false; _depth = savedDepth; }
        }
    }

    private List<YamlNode> Materialise(int line, int indent, int at, YamlNodeKind kind, int depth, int level, int end)
    {
        lock (this)
        {
            int savedDepth = _depth, savedLevel = _level;
            _materialising = true; _depth = depth; _level = level;
            try
            {
                var n = kind == YamlNodeKind.Sequence ? ParseSequence(ref line, indent, at) : ParseMapping(ref line, indent, at);
                if (n.End != end) throw new InvalidOperationException($"YAML collection at offset {at} parsed to {n.End}, skimmed to {end}");
                return n.MutableChildren;
            }
            catch (GiveUp)
            {
                throw new InvalidOperationException($"YAML collection at offset {at} was accepted when skimmed but refused when built");
            }
            finally { _materialising = false; _depth = savedDepth; _level = savedLevel; }
        }
    }

    private YamlNode SequenceBody(ref int line, int indent, int firstAt)
    {
        var seq = _skim ? null : new YamlNode { Kind = YamlNodeKind.Sequence, Start = firstAt };
        int lastEnd = 0;
        int at = firstAt;
        while (true)
        {
            // at: the '-' of this item on `line`.
            int end = _lineEnd[line];
            int v = at + 1;
            while (v < end && _t[v] == ' ') v++;
            if (v >= end || _t[v] == '#')
            {
                // Item content on the next lines, or an empty item.
                int next = NextContentLine(line + 1);
                if (next < _stopLine && Indent(next) > indent)
                {
                    line = next;
                    int ni = Indent(next);
                    lastEnd = Add(seq, ParseBlockNode(ref line, ni, _lineStart[next] + ni));
                }
                else
                {
                    // An empty item: YamlDotNet places its empty scalar right after the '-'.
                    lastEnd = Add(seq, Node(YamlNodeKind.Scalar, at + 1, at + 1));
                    line++;
                }
            }
            else if (_t[v] == '-' && (v + 1 == end || _t[v + 1] == ' ')) Fail(); // `- - x`
            else if (KeyEnd(v, end) >= 0 && _t[v] is not ('{' or '[' or '"' or '\'' or '&' or '*'))
            {
                lastEnd = Add(seq, ParseMapping(ref line, v - _lineStart[line], v));
            }
            else
            {
                lastEnd = Add(seq, ParseInlineValue(ref line, v, indent));
            }
            int n = NextContentLine(line);
            if (n >= _stopLine) { line = n; break; }
            int ind = Indent(n);
            if (ind > indent) Fail();
            int s = _lineStart[n] + ind;
            if (ind < indent || _t[s] != '-' || !(s + 1 == _lineEnd[n] || _t[s + 1] == ' ')) { line = n; break; }
            line = n;
            at = s;
        }
        if (seq is null) return Node(YamlNodeKind.Sequence, firstAt, lastEnd);
        seq.End = lastEnd;
        return seq;
    }

    /// <summary>Adds a child (not when skimming) and returns where it ends.</summary>
    private int Add(YamlNode? parent, YamlNode child)
    {
        parent?.MutableChildren.Add(child);
        return child.End;
    }

    // When skimming, every node is this one: only its kind and offsets are read, right after it is returned.
    private readonly YamlNode _scratch = new();

    private YamlNode Node(YamlNodeKind kind, int start, int end, string scalar = "", ScalarStyle style = ScalarStyle.Plain, bool flow = false)
    {
        if (!_skim) return new YamlNode { Kind = kind, Start = start, End = end, Scalar = scalar, Style = style, Flow = flow };
        _scratch.Kind = kind; _scratch.Start = start; _scratch.End = end;
        return _scratch;
    }

    private YamlNode MappingBody(ref int line, int indent, int firstAt)
    {
        var map = _skim ? null : new YamlNode { Kind = YamlNodeKind.Mapping, Start = firstAt };
        int lastEnd = 0;
        int at = firstAt;
        while (true)
        {
            int end = _lineEnd[line];
            int colon = KeyEnd(at, end);
            if (colon < 0) Fail();
            Add(map, ParseKey(at, colon));
            int v = colon + 1;
            while (v < end && _t[v] == ' ') v++;
            YamlNode value;
            if (v >= end || _t[v] == '#')
            {
                int next = NextContentLine(line + 1);
                int ni = next < _stopLine ? Indent(next) : -1;
                if (ni > indent)
                {
                    line = next;
                    value = ParseBlockNode(ref line, ni, _lineStart[next] + ni);
                }
                else if (ni == indent && _t[_lineStart[next] + ni] == '-' && (_lineStart[next] + ni + 1 == _lineEnd[next] || _t[_lineStart[next] + ni + 1] == ' '))
                {
                    // `key:` followed by a sequence at the same indent (YAML allows it for block sequences).
                    line = next;
                    value = ParseSequence(ref line, ni, _lineStart[next] + ni);
                }
                else
                {
                    value = Node(YamlNodeKind.Scalar, colon + 1, colon + 1);
                    line++;
                }
            }
            else
            {
                value = ParseInlineValue(ref line, v, indent);
            }
            lastEnd = Add(map, value);

            int n = NextContentLine(line);
            if (n >= _stopLine) { line = n; break; }
            int ind = Indent(n);
            if (ind > indent) Fail(); // continuation of a multi-line scalar, or bad indentation: let YamlDotNet decide
            if (ind < indent) { line = n; break; }
            int s = _lineStart[n] + ind;
            if (_t[s] == '-' && (s + 1 == _lineEnd[n] || _t[s + 1] == ' ')) { line = n; break; } // a sequence at this indent ends the mapping
            line = n;
            at = s;
        }
        if (map is null) return Node(YamlNodeKind.Mapping, firstAt, lastEnd);
        map.End = lastEnd;
        return map;
    }

    /// <summary>Offset of the ':' that ends a key starting at <paramref name="at"/>, or -1 when the line holds no key.</summary>
    private int KeyEnd(int at, int end)
    {
        char c = _t[at];
        // A plain scalar cannot start with an indicator (YAML 1.2 ns-plain-first): `, key: 1` is an error, not a key.
        if (c is '?' or '!' or '|' or '>' or '%' or '@' or '`' or ',' or ']' or '}') Fail();
        if (c == '"' || c == '\'')
        {
            int close = QuotedEnd(at, end);
            if (close < 0) return -1;
            int j = close;
            while (j < end && _t[j] == ' ') j++;
            return j < end && _t[j] == ':' && (j + 1 == end || _t[j + 1] == ' ') ? j : -1;
        }
        if (c is '{' or '[' or '&' or '*') return -1;
        for (int i = at; i < end; i++)
        {
            char x = _t[i];
            if (x == '#' && i > at && (_t[i - 1] == ' ' || _t[i - 1] == '\t')) return -1;
            if (x == ':' && (i + 1 == end || _t[i + 1] == ' ' || _t[i + 1] == '\t')) return i;
        }
        return -1;
    }

    private YamlNode ParseKey(int at, int colon)
    {
        char c = _t[at];
        if (c == '"' || c == '\'')
        {
            int close = QuotedEnd(at, colon);
            return Node(YamlNodeKind.Scalar, at, close, Quoted(at, close), c == '"' ? ScalarStyle.DoubleQuoted : ScalarStyle.SingleQuoted);
        }
        int e = colon;
        while (e > at && (_t[e - 1] == ' ' || _t[e - 1] == '\t')) e--;
        if (e == at) Fail();
        return Node(YamlNodeKind.Scalar, at, e, KeyText(at, e));
    }

    // Keys repeat (a data mix writes name/path/weight 100,000 times): one string per distinct key.
    private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);

    private string KeyText(int start, int end)
    {
        if (_skim) return "";
        var span = _t.AsSpan(start, end - start);
        var lookup = _keys.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(span, out var known)) return known;
        var s = span.ToString();
        if (_keys.Count < 4096) _keys.Add(s, s);
        return s;
    }

    /// <summary>A value that starts on the key's (or the item's) line at <paramref name="v"/>.</summary>
    private YamlNode ParseInlineValue(ref int line, int v, int indent)
    {
        int end = _lineEnd[line];
        string? anchor = null;
        int nodeStart = v;
        if (_t[v] == '&')
        {
            if (_skim) throw new NoSkim();
            int a = v + 1;
            while (a < end && !char.IsWhiteSpace(_t[a]) && _t[a] is not (',' or '[' or ']' or '{' or '}')) a++;
            anchor = _t[(v + 1)..a];
            if (anchor.Length == 0) Fail();
            while (a < end && _t[a] == ' ') a++;
            if (a >= end || _t[a] == '#') Fail(); // anchored block collection: leave it to YamlDotNet
            v = a;
        }
        YamlNode node;
        char c = _t[v];
        if (c == '\t') Fail(); // `key:<tab>value`: separation by a tab, which YamlDotNet reads otherwise than a space
        if (c == '*')
        {
            if (_skim) throw new NoSkim();
            int a = v + 1;
            while (a < end && !char.IsWhiteSpace(_t[a])) a++;
            var name = _t[(v + 1)..a];
            if (!_anchors.TryGetValue(name, out var target) || anchor is not null) Fail();
            node = new YamlNode { Kind = target!.Kind, Start = v, End = a, Scalar = target.Scalar, Style = target.Style, Flow = target.Flow };
            if (target.Children.Count > 0) node.MutableChildren.AddRange(target.Children);
            EndOfLine(a, end);
            line++;
            return node;
        }
        if (c is '!' or '|' or '>' or '%' or '@' or '`' or '?' or ',' or ']' or '}') Fail();
        if (c is '{' or '[')
        {
            int pos = v;
            node = _lazy && _level == 1 && !_skim && !_materialising ? SkimFlow(ref pos) : ParseFlow(ref pos, 0);
            // The flow collection may span lines; the rest of its last line must be empty or a comment.
            int l = LineOf(pos, line);
            // Its continuation lines must be indented more than the block it sits in (YamlDotNet refuses `s: [\nt]`).
            for (int k = line + 1; k <= l; k++)
            {
                int ind = Indent(k);
                if (ind >= 0 && ind <= indent) Fail();
            }
            EndOfLine(pos, _lineEnd[l]);
            line = l + 1;
        }
        else if (c == '"' || c == '\'')
        {
            int close = QuotedEnd(v, end);
            if (close < 0) Fail(); // multi-line quoted scalar
            node = Node(YamlNodeKind.Scalar, v, close, Quoted(v, close), c == '"' ? ScalarStyle.DoubleQuoted : ScalarStyle.SingleQuoted);
            EndOfLine(close, end);
            line++;
        }
        else
        {
            if (c == '-' && (v + 1 == end || _t[v + 1] == ' ')) Fail();
            int e = v;
            for (; e < end; e++)
            {
                char x = _t[e];
                if (x == '#' && (_t[e - 1] == ' ' || _t[e - 1] == '\t')) break;
                if (x == ':' && (e + 1 == end || _t[e + 1] == ' ')) Fail(); // "mapping values are not allowed here"
            }
            while (e > v && (_t[e - 1] == ' ' || _t[e - 1] == '\t')) e--;
            node = Node(YamlNodeKind.Scalar, v, e, Plain(v, e));
            // A more-indented line after a plain scalar continues it (multi-line plain): not ours.
            int next = NextContentLine(line + 1);
            if (next < _stopLine && Indent(next) > indent) Fail();
            line++;
        }
        if (anchor is not null)
        {
            node.Start = nodeStart;
            _anchors[anchor] = node;
        }
        return node;
    }

    private void EndOfLine(int from, int end)
    {
        int i = from;
        while (i < end && (_t[i] == ' ' || _t[i] == '\t')) i++;
        if (i < end && !(_t[i] == '#' && i > from)) Fail();
    }

    private int LineOf(int offset, int fromLine)
    {
        int l = fromLine;
        while (l + 1 < _lines && _lineStart[l + 1] <= offset) l++;
        return l;
    }

    // ---- flow context ------------------------------------------------------------------------

    private void SkipFlowSpace(ref int i)
    {
        while (i < _t.Length)
        {
            char c = _t[i];
            if (c is ' ' or '\t' or '\n' or '\r') { i++; continue; }
            if (c == '#' && i > 0 && char.IsWhiteSpace(_t[i - 1]))
            {
                while (i < _t.Length && _t[i] != '\n' && _t[i] != '\r') i++;
                continue;
            }
            break;
        }
    }

    private YamlNode ParseFlow(ref int i, int depth)
    {
        if (depth + _depth > _maxDepth) Fail();
        char open = _t[i];
        var kind = open == '{' ? YamlNodeKind.Mapping : YamlNodeKind.Sequence;
        int start = i;
        var node = _skim ? null : new YamlNode { Kind = kind, Start = start, Flow = true };
        char close = open == '{' ? '}' : ']';
        i++;
        while (true)
        {
            SkipFlowSpace(ref i);
            if (i >= _t.Length) Fail();
            if (_t[i] == close) { i++; break; }
            if (open == '{')
            {
                var key = ParseFlowScalar(ref i, isKey: true);
                SkipFlowSpace(ref i);
                if (i >= _t.Length || _t[i] != ':') Fail();
                i++;
                SkipFlowSpace(ref i);
                if (i >= _t.Length) Fail();
                YamlNode value = _t[i] is ',' or '}'
                    ? Node(YamlNodeKind.Scalar, i, i)
                    : ParseFlowValue(ref i, depth);
                if (node is not null)
                {
                    node.MutableChildren.Add(key);
                    node.MutableChildren.Add(value);
                }
            }
            else
            {
                var item = ParseFlowValue(ref i, depth);
                node?.MutableChildren.Add(item);
                int j = i;
                SkipFlowSpace(ref j);
                if (j < _t.Length && _t[j] == ':') Fail(); // `[a: 1]` single-pair mappings
            }
            SkipFlowSpace(ref i);
            if (i >= _t.Length) Fail();
            if (_t[i] == ',') { i++; continue; }
            if (_t[i] == close) { i++; break; }
            Fail();
        }
        if (node is null) return Node(kind, start, i, flow: true);
        node.End = i;
        return node;
    }

    private YamlNode ParseFlowValue(ref int i, int depth)
    {
        char c = _t[i];
        if (c is '{' or '[') return ParseFlow(ref i, depth + 1);
        if (c is '&' or '*' or '!' or '|' or '>' or '?' or '%' or '@' or '`') Fail();
        return ParseFlowScalar(ref i, isKey: false);
    }

    private YamlNode ParseFlowScalar(ref int i, bool isKey)
    {
        char c = _t[i];
        if (c == '"' || c == '\'')
        {
            int close = QuotedEnd(i, _t.Length);
            if (close < 0) Fail();
            var n = Node(YamlNodeKind.Scalar, i, close, Quoted(i, close), c == '"' ? ScalarStyle.DoubleQuoted : ScalarStyle.SingleQuoted);
            i = close;
            return n;
        }
        if (c is ',' or '[' or ']' or '{' or '}' or '#' or '&' or '*' or '!' or '|' or '>' or '?' or '%' or '@' or '`') Fail();
        if (c == '-' && i + 1 < _t.Length && char.IsWhiteSpace(_t[i + 1])) Fail();
        int s = i;
        while (i < _t.Length)
        {
            char x = _t[i];
            if (x is ',' or '[' or ']' or '{' or '}' or '\n' or '\r') break;
            if (x == ':' && (i + 1 >= _t.Length || _t[i + 1] is ' ' or ',' or ']' or '}' or '\n' or '\r')) break;
            if (x == '#' && char.IsWhiteSpace(_t[i - 1])) break;
            i++;
        }
        int e = i;
        while (e > s && (_t[e - 1] == ' ' || _t[e - 1] == '\t')) e--;
        if (e == s) Fail();
        // A plain scalar that continues on the next line is multi-line: not ours.
        if (i < _t.Length && (_t[i] == '\n' || _t[i] == '\r'))
        {
            int j = i;
            SkipFlowSpace(ref j);
            if (j < _t.Length && _t[j] is not (',' or ']' or '}' or ':')) Fail();
        }
        return Node(YamlNodeKind.Scalar, s, e, Plain(s, e));
    }

    // ---- quoted scalars ---------------------------------------------------------------------------

    /// <summary>Offset just past the closing quote of a one-line quoted scalar at <paramref name="at"/>, or -1.</summary>
    private int QuotedEnd(int at, int limit)
    {
        char q = _t[at];
        for (int i = at + 1; i < limit && i < _t.Length; i++)
        {
            char c = _t[i];
            if (c == '\n' || c == '\r') return -1;
            if (q == '"' && c == '\\') { i++; continue; }
            if (c == q)
            {
                if (q == '\'' && i + 1 < _t.Length && _t[i + 1] == '\'') { i++; continue; }
                return i + 1;
            }
        }
        return -1;
    }

    private string Plain(int start, int end) => _skim ? "" : _t.Substring(start, end - start);

    /// <summary>A quoted scalar's value; when skimming, only checked (escapes) and not built.</summary>
    private string Quoted(int start, int end)
    {
        if (!_skim) return Unquote(start, end);
        if (_t[start] == '"' && _t.AsSpan(start + 1, end - start - 2).IndexOf('\\') >= 0) Unquote(start, end);
        return "";
    }

    private string Unquote(int start, int end)
    {
        char q = _t[start];
        var body = _t.AsSpan(start + 1, end - start - 2);
        if (q == '\'') return body.IndexOf('\'') < 0 ? body.ToString() : body.ToString().Replace("''", "'");
        if (body.IndexOf('\\') < 0) return body.ToString();
        var sb = new StringBuilder(body.Length);
        for (int i = 0; i < body.Length; i++)
        {
            char c = body[i];
            if (c != '\\') { sb.Append(c); continue; }
            if (++i >= body.Length) Fail();
            char e = body[i];
            switch (e)
            {
                case '0': sb.Append('\0'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 't': case '\t': sb.Append('\t'); break;
                case 'n': sb.Append('\n'); break;
                case 'v': sb.Append('\v'); break;
                case 'f': sb.Append('\f'); break;
                case 'r': sb.Append('\r'); break;
                case 'e': sb.Append('\u001b'); break;
                case ' ': sb.Append(' '); break;
                case '"': sb.Append('"'); break;
                case '/': sb.Append('/'); break;
                case '\\': sb.Append('\\'); break;
                case 'N': sb.Append('\u0085'); break;
                case '_': sb.Append('\u00a0'); break;
                case 'L': sb.Append('\u2028'); break;
                case 'P': sb.Append('\u2029'); break;
                case 'x': sb.Append(Hex(body, ref i, 2)); break;
                case 'u': sb.Append(Hex(body, ref i, 4)); break;
                case 'U': sb.Append(Hex(body, ref i, 8)); break;
                default: Fail(); break;
            }
        }
        return sb.ToString();
    }

    private static string Hex(ReadOnlySpan<char> s, ref int i, int digits)
    {
        int cp = 0;
        if (i + 1 + digits > s.Length || !int.TryParse(s.Slice(i + 1, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out cp)) Fail();
        i += digits;
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) Fail();
        return char.ConvertFromUtf32(cp);
    }
}
