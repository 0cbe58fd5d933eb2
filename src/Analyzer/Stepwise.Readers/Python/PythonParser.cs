namespace Stepwise.Readers.Python;

/// <summary>
/// A recursive-descent parser for Python expressions (the grammar's precedence levels, from lambda down to atoms)
/// over a token range. It never throws: what it cannot read becomes <see cref="PyOther"/>, every step consumes at
/// least one token, and nesting deeper than <see cref="MaxDepth"/> is skipped as a whole, so it always ends.
/// </summary>
public sealed class PythonParser
{
    public const int MaxDepth = 120;

    private readonly TokenStream _ts;
    private readonly string _s;
    private readonly Token[] _t;
    private readonly int[] _match;
    private int _pos;
    private int _end;
    private int _depth;

    public PythonParser(TokenStream ts)
    {
        _ts = ts; _s = ts.Source; _t = ts.Code; _match = ts.Match;
    }

    /// <summary>Parses an expression list (a, b makes a tuple) over tokens [from, to); <paramref name="next"/> is where it stopped.</summary>
    public PyExpr ParseExpressionList(int from, int to, out int next)
    {
        _pos = from; _end = Math.Min(to, _t.Length); _depth = 0;
        var e = ParseTestList();
        next = _pos;
        return e;
    }

    /// <summary>Parses one expression (no top-level tuple) over tokens [from, to).</summary>
    public PyExpr ParseExpression(int from, int to, out int next)
    {
        _pos = from; _end = Math.Min(to, _t.Length); _depth = 0;
        var e = ParseTest();
        next = _pos;
        return e;
    }

    /// <summary>Parses the primary (name, attributes, calls, subscripts) starting at token <paramref name="from"/>.</summary>
    public PyExpr ParsePrimaryAt(int from, int to, out int next)
    {
        _pos = from; _end = Math.Min(to, _t.Length); _depth = 0;
        var e = ParsePrimary();
        next = _pos;
        return e;
    }

    /// <summary>Parses the argument list of a call whose '(' is token <paramref name="openIndex"/>; tokens up to <paramref name="to"/>.</summary>
    public PyCall ParseCallAt(PyExpr callee, int openIndex, int to)
    {
        _pos = openIndex; _end = Math.Min(to, _t.Length); _depth = 0;
        return ParseCall(callee);
    }

    private bool More => _pos < _end && _t[_pos].Kind is not (TokenKind.Newline or TokenKind.EndOfFile);
    private Token Cur => _t[_pos];
    private bool AtOp(string op) => More && Cur.Kind == TokenKind.Op && Cur.Is(_s, op);
    private bool AtName(string kw) => More && Cur.Kind == TokenKind.Name && Cur.Is(_s, kw);
    private int HereOffset => _pos < _t.Length ? _t[_pos].Start : _s.Length;
    private int PrevEnd(int fallback) => _pos > 0 ? _t[_pos - 1].End : fallback;

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else", "except",
        "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass",
        "raise", "return", "try", "while", "with", "yield",
    };

    private PyExpr ParseTestList()
    {
        int start = HereOffset;
        var first = ParseTestOrStar();
        if (!AtOp(",")) return first;
        var items = new List<PyExpr> { first };
        while (AtOp(","))
        {
            _pos++;
            if (!More || AtOp("=") || AtOp(")") || AtOp("]") || AtOp("}")) break;
            int before = _pos;
            items.Add(ParseTestOrStar());
            if (_pos == before) break;
        }
        return new PyDisplay(PyDisplayKind.Tuple, items, start, PrevEnd(start));
    }

    private PyExpr ParseTestOrStar()
    {
        if (AtOp("*"))
        {
            int start = Cur.Start;
            _pos++;
            var v = ParseOr();
            return new PyStarred(v, start, v.End);
        }
        return ParseTest();
    }

    private PyExpr ParseTest()
    {
        if (_depth >= MaxDepth) return SkipRest("an expression nested too deeply");
        _depth++;
        try
        {
            int start = HereOffset;
            if (AtName("lambda"))
            {
                _pos++;
                while (More && !AtOp(":")) Skip1();
                if (AtOp(":")) _pos++;
                ParseTest();
                return new PyOther("a lambda", start, PrevEnd(start));
            }
            if (AtName("yield"))
                return SkipRest("a yield expression");
            var left = ParseOr();
            if (AtName("if"))
            {
                _pos++;
                ParseOr();
                if (AtName("else")) { _pos++; ParseTest(); }
                return new PyOther("a conditional expression (x if c else y)", start, PrevEnd(start));
            }
            if (AtOp(":=") && left is PyName)
            {
                _pos++;
                var v = ParseTest();
                return v with { Start = start, End = PrevEnd(start) };
            }
            return left;
        }
        finally { _depth--; }
    }

    private PyExpr ParseOr()
    {
        var left = ParseAnd();
        while (AtName("or")) { _pos++; var r = ParseAnd(); left = new PyBinary("or", left, r, left.Start, r.End); }
        return left;
    }

    private PyExpr ParseAnd()
    {
        var left = ParseNot();
        while (AtName("and")) { _pos++; var r = ParseNot(); left = new PyBinary("and", left, r, left.Start, r.End); }
        return left;
    }

    private PyExpr ParseNot()
    {
        if (AtName("not"))
        {
            if (_depth >= MaxDepth) return SkipRest("an expression nested too deeply");
            int start = Cur.Start;
            _pos++;
            _depth++;
            try
            {
                var v = ParseNot();
                return new PyUnary("not", v, start, v.End);
            }
            finally { _depth--; }
        }
        return ParseComparison();
    }

    private PyExpr ParseComparison()
    {
        var left = ParseBinary(0);
        while (More)
        {
            string? op = null;
            if (Cur.Kind == TokenKind.Op && (AtOp("<") || AtOp(">") || AtOp("==") || AtOp(">=") || AtOp("<=") || AtOp("!=")))
            { op = Cur.Text(_s); _pos++; }
            else if (AtName("in")) { op = "in"; _pos++; }
            else if (AtName("is")) { _pos++; op = "is"; if (AtName("not")) { _pos++; op = "is not"; } }
            else if (AtName("not") && _pos + 1 < _end && _t[_pos + 1].Kind == TokenKind.Name && _t[_pos + 1].Is(_s, "in"))
            { _pos += 2; op = "not in"; }
            if (op is null) break;
            var r = ParseBinary(0);
            left = new PyBinary(op, left, r, left.Start, r.End);
        }
        return left;
    }

    // Binary levels from loosest to tightest: | ^ & (<< >>) (+ -) (* / // % @).
    private static readonly string[][] Levels =
    {
        new[] { "|" }, new[] { "^" }, new[] { "&" }, new[] { "<<", ">>" }, new[] { "+", "-" }, new[] { "*", "/", "//", "%", "@" },
    };

    private PyExpr ParseBinary(int level)
    {
        if (level >= Levels.Length) return ParseFactor();
        var left = ParseBinary(level + 1);
        while (More && Cur.Kind == TokenKind.Op)
        {
            string? op = null;
            foreach (var o in Levels[level]) if (Cur.Is(_s, o)) { op = o; break; }
            if (op is null) break;
            _pos++;
            var r = ParseBinary(level + 1);
            left = new PyBinary(op, left, r, left.Start, r.End);
        }
        return left;
    }

    private PyExpr ParseFactor()
    {
        if (AtOp("-") || AtOp("+") || AtOp("~"))
        {
            if (_depth >= MaxDepth) return SkipRest("an expression nested too deeply");
            int start = Cur.Start;
            string op = Cur.Text(_s);
            _pos++;
            _depth++;
            try
            {
                var v = ParseFactor();
                return new PyUnary(op, v, start, v.End);
            }
            finally { _depth--; }
        }
        return ParsePower();
    }

    private PyExpr ParsePower()
    {
        if (AtName("await")) _pos++;
        var left = ParsePrimary();
        if (AtOp("**"))
        {
            _pos++;
            // The right operand of ** is a factor: 2 ** -1 is 0.5, and -2 ** 2 is -(2 ** 2).
            var r = ParseFactor();
            return new PyBinary("**", left, r, left.Start, r.End);
        }
        return left;
    }

    private PyExpr ParsePrimary()
    {
        var e = ParseAtom();
        while (More && Cur.Kind == TokenKind.Op)
        {
            if (AtOp("."))
            {
                _pos++;
                if (More && Cur.Kind == TokenKind.Name)
                {
                    e = new PyAttribute(e, Cur.Text(_s), e.Start, Cur.End);
                    _pos++;
                }
                else e = new PyOther("an incomplete attribute", e.Start, PrevEnd(e.Start));
                continue;
            }
            if (AtOp("("))
            {
                e = ParseCall(e);
                continue;
            }
            if (AtOp("["))
            {
                int close = CloseOf(_pos);
                _pos = Math.Min(close + 1, _end);
                e = new PyOther($"a subscript ({Clip(e.Start, PrevEnd(e.Start))})", e.Start, PrevEnd(e.Start));
                continue;
            }
            break;
        }
        return e;
    }

    /// <summary>Index of the bracket closing the one at <paramref name="open"/>; the range end when it is never closed.</summary>
    private int CloseOf(int open)
    {
        int c = _match[open];
        return c < 0 || c >= _end ? _end : c;
    }

    private string Clip(int start, int end)
    {
        var text = _s.Substring(start, Math.Max(0, end - start)).Replace('\n', ' ').Replace('\r', ' ');
        return text.Length > 40 ? text.Substring(0, 37) + "..." : text;
    }

    /// <summary>Parses the items between the bracket at _pos and its partner; returns them and moves past the closer.</summary>
    private PyCall ParseCall(PyExpr callee)
    {
        int open = _pos;
        int close = CloseOf(open);
        int savedEnd = _end;
        _end = close;
        _pos = open + 1;
        var args = new List<PyArg>();
        while (More)
        {
            int itemStart = _pos;
            int startOffset = Cur.Start;
            PyArg arg;
            if (Cur.Kind == TokenKind.Name && _pos + 1 < _end && _t[_pos + 1].Kind == TokenKind.Op && _t[_pos + 1].Is(_s, "=")
                && !Keywords.Contains(Cur.Text(_s)))
            {
                var kw = Cur;
                _pos += 2;
                var v = ParseTest();
                arg = new PyArg(PyArgKind.Keyword, kw.Text(_s), kw.Start, kw.End, v, startOffset, v.End);
            }
            else if (AtOp("**"))
            {
                _pos++;
                var v = ParseTest();
                arg = new PyArg(PyArgKind.DoubleStar, null, startOffset, startOffset, v, startOffset, v.End);
            }
            else if (AtOp("*"))
            {
                _pos++;
                var v = ParseTest();
                arg = new PyArg(PyArgKind.Star, null, startOffset, startOffset, v, startOffset, v.End);
            }
            else
            {
                var v = ParseTest();
                if (AtName("for") || AtName("async"))
                {
                    // A generator argument: f(x for x in y).
                    _pos = _end;
                    v = new PyOther("a generator expression", v.Start, PrevEnd(v.Start));
                }
                arg = new PyArg(PyArgKind.Positional, null, startOffset, startOffset, v, startOffset, v.End);
            }
            if (More && !AtOp(",") && StartsLineAsKeywordArgument())
            {
                // A comma is missing (often after an unterminated string): the next line's keyword is its own argument.
                args.Add(arg);
                continue;
            }
            if (More && !AtOp(","))
            {
                // Something we could not read: skip to the next comma at this level.
                while (More && !AtOp(",")) Skip1();
                var v = new PyOther($"an expression the reader cannot follow ({Clip(startOffset, PrevEnd(startOffset))})", startOffset, PrevEnd(startOffset));
                arg = arg.Kind == PyArgKind.Keyword
                    ? arg with { Value = new PyOther(v.What, arg.Value.Start, v.End), End = v.End }
                    : arg with { Value = v, End = v.End };
            }
            args.Add(arg);
            if (AtOp(",")) _pos++;
            if (_pos == itemStart) _pos++; // never stall
        }
        _end = savedEnd;
        bool closed = close < _end && _match[open] == close;
        int closeOffset = closed ? _t[close].Start : PrevEnd(_t[open].End);
        _pos = closed ? close + 1 : close;
        return new PyCall(callee, args, _t[open].Start, closeOffset, callee.Start, closed ? _t[close].End : closeOffset);
    }

    private bool StartsLineAsKeywordArgument()
    {
        if (_pos == 0 || Cur.Kind != TokenKind.Name || _pos + 1 >= _end || !_t[_pos + 1].Is(_s, "=")) return false;
        for (int k = _t[_pos - 1].End; k < Cur.Start; k++) if (_s[k] is '\n' or '\r') return true;
        return false;
    }

    /// <summary>Skips one token, or a whole bracketed group.</summary>
    private void Skip1()
    {
        if (Cur.Kind == TokenKind.Op && Cur.Length == 1 && _s[Cur.Start] is '(' or '[' or '{')
            _pos = Math.Min(CloseOf(_pos) + 1, _end);
        else _pos++;
    }

    private PyExpr SkipRest(string what)
    {
        int start = HereOffset;
        while (More && !AtOp(",")) Skip1();
        return new PyOther(what, start, PrevEnd(start));
    }

    private PyExpr ParseAtom()
    {
        if (!More) return new PyOther("a missing expression", HereOffset, HereOffset);
        var tok = Cur;
        switch (tok.Kind)
        {
            case TokenKind.Number:
                _pos++;
                return new PyNumber(tok.Text(_s), tok.Start, tok.End);
            case TokenKind.String:
            {
                var parts = new List<Token>();
                while (More && Cur.Kind == TokenKind.String) { parts.Add(Cur); _pos++; }
                return new PyString(parts, parts[0].Start, parts[^1].End);
            }
            case TokenKind.Name:
            {
                var name = tok.Text(_s);
                if (Keywords.Contains(name) && name is not ("await" or "lambda" or "not"))
                {
                    _pos++;
                    return new PyOther($"the keyword '{name}'", tok.Start, tok.End);
                }
                _pos++;
                return new PyName(name, tok.Start, tok.End);
            }
            case TokenKind.Op when tok.Length == 1 && _s[tok.Start] is '(' or '[' or '{':
                return ParseBracketAtom();
            case TokenKind.Op when tok.Is(_s, "..."):
                _pos++;
                return new PyOther("Ellipsis", tok.Start, tok.End);
            default:
                _pos++;
                return new PyOther($"unexpected '{tok.Text(_s)}'", tok.Start, tok.End);
        }
    }

    private PyExpr ParseBracketAtom()
    {
        int open = _pos;
        char kind = _s[_t[open].Start];
        int close = CloseOf(open);
        int startOffset = _t[open].Start;
        bool closed = close < _end && _match[open] == close;
        int endOffset = closed ? _t[close].End : (close > 0 ? _t[close - 1].End : startOffset);
        int savedEnd = _end;
        _end = close;
        _pos = open + 1;
        try
        {
            if (!More)
            {
                return kind switch
                {
                    '(' => new PyDisplay(PyDisplayKind.Tuple, Array.Empty<PyExpr>(), startOffset, endOffset),
                    '[' => new PyDisplay(PyDisplayKind.List, Array.Empty<PyExpr>(), startOffset, endOffset),
                    _ => new PyDict(Array.Empty<PyDictItem>(), startOffset, endOffset),
                };
            }
            if (kind == '{') return ParseBraces(startOffset, endOffset);

            var items = new List<PyExpr>();
            bool sawComma = false;
            while (More)
            {
                int itemStart = _pos;
                var item = ParseTestOrStar();
                if (AtName("for") || AtName("async"))
                    return new PyOther(kind == '[' ? "a list comprehension" : "a generator expression", startOffset, endOffset);
                if (More && !AtOp(","))
                {
                    while (More && !AtOp(",")) Skip1();
                    item = new PyOther($"an expression the reader cannot follow ({Clip(item.Start, PrevEnd(item.Start))})", item.Start, PrevEnd(item.Start));
                }
                items.Add(item);
                if (AtOp(",")) { sawComma = true; _pos++; }
                if (_pos == itemStart) _pos++;
            }
            if (kind == '(' && !sawComma && items.Count == 1)
                return items[0] with { Start = startOffset, End = endOffset }; // a parenthesised expression
            return new PyDisplay(kind == '[' ? PyDisplayKind.List : PyDisplayKind.Tuple, items, startOffset, endOffset);
        }
        finally
        {
            _end = savedEnd;
            _pos = closed ? close + 1 : close;
        }
    }

    private PyExpr ParseBraces(int startOffset, int endOffset)
    {
        var dictItems = new List<PyDictItem>();
        var setItems = new List<PyExpr>();
        while (More)
        {
            int itemStart = _pos;
            int itemOffset = Cur.Start;
            if (AtOp("**"))
            {
                _pos++;
                var v = ParseBinary(0);
                dictItems.Add(new PyDictItem(null, v, itemOffset, v.End));
            }
            else
            {
                var k = ParseTestOrStar();
                if (AtOp(":"))
                {
                    _pos++;
                    var v = ParseTest();
                    if (AtName("for") || AtName("async")) return new PyOther("a dict comprehension", startOffset, endOffset);
                    dictItems.Add(new PyDictItem(k, v, itemOffset, v.End));
                }
                else
                {
                    if (AtName("for") || AtName("async")) return new PyOther("a set comprehension", startOffset, endOffset);
                    setItems.Add(k);
                }
            }
            if (More && !AtOp(","))
            {
                while (More && !AtOp(",")) Skip1();
                var bad = new PyOther($"an expression the reader cannot follow ({Clip(itemOffset, PrevEnd(itemOffset))})", itemOffset, PrevEnd(itemOffset));
                if (dictItems.Count > 0 && dictItems[^1].Start == itemOffset)
                    dictItems[^1] = dictItems[^1] with { Value = new PyOther(bad.What, dictItems[^1].Value.Start, bad.End), End = bad.End };
                else setItems.Add(bad);
            }
            if (AtOp(",")) _pos++;
            if (_pos == itemStart) _pos++;
        }
        if (setItems.Count > 0 && dictItems.Count == 0) return new PyDisplay(PyDisplayKind.Set, setItems, startOffset, endOffset);
        if (setItems.Count > 0) return new PyOther("a malformed dict display", startOffset, endOffset);
        return new PyDict(dictItems, startOffset, endOffset);
    }
}
