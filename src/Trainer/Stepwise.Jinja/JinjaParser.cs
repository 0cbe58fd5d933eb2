namespace Stepwise.Jinja;

/// <summary>Recursive descent over Jinja2's grammar (jinja2/parser.py), for the statements chat templates use.</summary>
public sealed class JinjaParser
{
    private readonly List<Tok> _t;
    private int _i;

    private JinjaParser(List<Tok> tokens) { _t = tokens; }

    public static List<Node> Parse(string template)
    {
        var p = new JinjaParser(JinjaLexer.Lex(template));
        var body = p.ParseBody(Array.Empty<string>(), out _);
        return body;
    }

    private Tok Peek => _t[_i];
    private Tok PeekAt(int k) => _t[Math.Min(_i + k, _t.Count - 1)];
    private Tok Next() => _t[_i++];
    private bool IsOp(string op) => Peek.Kind == TokKind.Op && Peek.Text == op;
    private bool IsName(string n) => Peek.Kind == TokKind.Name && Peek.Text == n;
    private static JinjaException Error(Tok t, string msg) => new(t.Line, t.Col, msg);

    private Tok ExpectOp(string op)
    {
        if (!IsOp(op)) throw Error(Peek, $"expected '{op}', found {Peek}");
        return Next();
    }

    private Tok ExpectName()
    {
        if (Peek.Kind != TokKind.Name) throw Error(Peek, $"expected a name, found {Peek}");
        return Next();
    }

    private void ExpectBlockEnd()
    {
        if (Peek.Kind != TokKind.BlockEnd) throw Error(Peek, $"expected '%}}', found {Peek}");
        _i++;
    }

    /// <summary>Nodes until one of <paramref name="ends"/> opens a block tag (left unconsumed after its name).</summary>
    private List<Node> ParseBody(string[] ends, out string? endTag)
    {
        var nodes = new List<Node>();
        while (true)
        {
            var t = Peek;
            switch (t.Kind)
            {
                case TokKind.Eof:
                    if (ends.Length > 0) throw Error(t, $"unexpected end of template: expected {string.Join(" or ", ends.Select(e => $"'{{% {e} %}}'"))}");
                    endTag = null;
                    return nodes;
                case TokKind.Data:
                    _i++; nodes.Add(new DataNode(t.Text, t.Line, t.Col));
                    break;
                case TokKind.VarBegin:
                {
                    _i++;
                    var e = ParseTuple(true);
                    if (Peek.Kind != TokKind.VarEnd) throw Error(Peek, $"expected '}}}}', found {Peek}");
                    _i++;
                    nodes.Add(new OutputNode(e, t.Line, t.Col));
                    break;
                }
                case TokKind.BlockBegin:
                {
                    var name = PeekAt(1);
                    if (name.Kind != TokKind.Name) throw Error(name, $"expected a tag name after '{{%', found {name}");
                    if (ends.Contains(name.Text)) { _i += 2; endTag = name.Text; return nodes; }
                    _i += 2;
                    nodes.Add(ParseStatement(name));
                    break;
                }
                default:
                    throw Error(t, $"unexpected {t}");
            }
        }
    }

    private Node ParseStatement(Tok name)
    {
        switch (name.Text)
        {
            case "if":
            {
                var branches = new List<(Expr, List<Node>)>();
                var cond = ParseTuple(true);
                ExpectBlockEnd();
                List<Node>? elseBody = null;
                while (true)
                {
                    var body = ParseBody(new[] { "elif", "else", "endif" }, out var end);
                    branches.Add((cond, body));
                    if (end == "elif") { cond = ParseTuple(true); ExpectBlockEnd(); continue; }
                    if (end == "else") { ExpectBlockEnd(); elseBody = ParseBody(new[] { "endif" }, out _); }
                    ExpectBlockEnd();
                    break;
                }
                return new IfNode(branches, elseBody, name.Line, name.Col);
            }
            case "for":
            {
                var target = ParseAssignTarget(allowAttr: false);
                if (!IsName("in")) throw Error(Peek, $"expected 'in' in the for loop, found {Peek}");
                _i++;
                var iter = ParseTuple(false);
                Expr? filter = null;
                if (IsName("if")) { _i++; filter = ParseTuple(true); }
                if (IsName("recursive")) throw Error(Peek, "recursive for loops are not supported");
                ExpectBlockEnd();
                var body = ParseBody(new[] { "endfor", "else" }, out var end);
                List<Node>? elseBody = null;
                if (end == "else") { ExpectBlockEnd(); elseBody = ParseBody(new[] { "endfor" }, out _); }
                ExpectBlockEnd();
                return new ForNode(target, iter, filter, body, elseBody, name.Line, name.Col);
            }
            case "set":
            {
                var target = ParseAssignTarget(allowAttr: true);
                if (IsOp("="))
                {
                    _i++;
                    var value = ParseTuple(true);
                    ExpectBlockEnd();
                    return new SetNode(target, value, null, name.Line, name.Col);
                }
                if (IsOp("|")) throw Error(Peek, "filtered set blocks are not supported");
                ExpectBlockEnd();
                var body = ParseBody(new[] { "endset" }, out _);
                ExpectBlockEnd();
                return new SetNode(target, null, body, name.Line, name.Col);
            }
            case "generation":
            {
                // HF's AssistantTracker extension: marks assistant text; renders its body unchanged.
                ExpectBlockEnd();
                var body = ParseBody(new[] { "endgeneration" }, out _);
                ExpectBlockEnd();
                return new GenerationNode(body, name.Line, name.Col);
            }
            case "break":
            case "continue":
                ExpectBlockEnd();
                return new LoopControlNode(name.Text == "break", name.Line, name.Col);
            case "macro":
            {
                var mname = ExpectName().Text;
                ExpectOp("(");
                var ps = new List<(string, Expr?)>();
                while (!IsOp(")"))
                {
                    if (ps.Count > 0) ExpectOp(",");
                    var pn = ExpectName().Text;
                    Expr? def = null;
                    if (IsOp("=")) { _i++; def = ParseExpression(true); }
                    ps.Add((pn, def));
                }
                _i++;
                ExpectBlockEnd();
                var body = ParseBody(new[] { "endmacro" }, out _);
                if (Peek.Kind == TokKind.Name) _i++;
                ExpectBlockEnd();
                return new MacroNode(mname, ps, body, name.Line, name.Col);
            }
            default:
                throw Error(name, $"unknown or unsupported tag '{name.Text}'");
        }
    }

    private Target ParseAssignTarget(bool allowAttr)
    {
        bool paren = IsOp("(");
        if (paren) _i++;
        var first = ExpectName();
        if (allowAttr && IsOp("."))
        {
            _i++;
            var attr = ExpectName();
            return new Target(null, new NameExpr(first.Text, first.Line, first.Col), attr.Text, null);
        }
        if (IsOp(","))
        {
            var names = new List<string> { first.Text };
            while (IsOp(",")) { _i++; if (Peek.Kind != TokKind.Name) break; names.Add(Next().Text); }
            if (paren) ExpectOp(")");
            return new Target(null, null, null, names);
        }
        if (paren) ExpectOp(")");
        return new Target(first.Text, null, null, null);
    }

    /// <summary>An expression, or a bare tuple `a, b` (jinja's parse_tuple).</summary>
    private Expr ParseTuple(bool withCondExpr)
    {
        var start = Peek;
        var first = withCondExpr ? ParseExpression(true) : ParseOr();
        if (!IsOp(",")) return first;
        var items = new List<Expr> { first };
        while (IsOp(","))
        {
            _i++;
            if (Peek.Kind is TokKind.BlockEnd or TokKind.VarEnd || IsOp(")")) break;
            items.Add(withCondExpr ? ParseExpression(true) : ParseOr());
        }
        return new ListExpr(items, true, start.Line, start.Col);
    }

    private Expr ParseExpression(bool withCondExpr)
    {
        var e = ParseOr();
        if (!withCondExpr) return e;
        while (IsName("if"))
        {
            var t = Next();
            var cond = ParseOr();
            Expr? otherwise = null;
            if (IsName("else")) { _i++; otherwise = ParseExpression(true); }
            e = new CondExpr(cond, e, otherwise, t.Line, t.Col);
        }
        return e;
    }

    private Expr ParseOr()
    {
        var e = ParseAnd();
        while (IsName("or")) { var t = Next(); e = new BinaryExpr("or", e, ParseAnd(), t.Line, t.Col); }
        return e;
    }

    private Expr ParseAnd()
    {
        var e = ParseNot();
        while (IsName("and")) { var t = Next(); e = new BinaryExpr("and", e, ParseNot(), t.Line, t.Col); }
        return e;
    }

    private Expr ParseNot()
    {
        if (IsName("not")) { var t = Next(); return new UnaryExpr("not", ParseNot(), t.Line, t.Col); }
        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        var start = Peek;
        var e = ParseMath1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            if (Peek.Kind == TokKind.Op && Peek.Text is "==" or "!=" or "<" or ">" or "<=" or ">=") { var op = Next().Text; rest.Add((op, ParseMath1())); }
            else if (IsName("in")) { _i++; rest.Add(("in", ParseMath1())); }
            else if (IsName("not") && PeekAt(1) is { Kind: TokKind.Name, Text: "in" }) { _i += 2; rest.Add(("notin", ParseMath1())); }
            else break;
        }
        return rest.Count == 0 ? e : new CompareExpr(e, rest, start.Line, start.Col);
    }

    private Expr ParseMath1()
    {
        var e = ParseConcat();
        while (Peek.Kind == TokKind.Op && Peek.Text is "+" or "-") { var t = Next(); e = new BinaryExpr(t.Text, e, ParseConcat(), t.Line, t.Col); }
        return e;
    }

    private Expr ParseConcat()
    {
        var e = ParseMath2();
        while (IsOp("~")) { var t = Next(); e = new BinaryExpr("~", e, ParseMath2(), t.Line, t.Col); }
        return e;
    }

    private Expr ParseMath2()
    {
        var e = ParsePow();
        while (Peek.Kind == TokKind.Op && Peek.Text is "*" or "/" or "//" or "%") { var t = Next(); e = new BinaryExpr(t.Text, e, ParsePow(), t.Line, t.Col); }
        return e;
    }

    private Expr ParsePow()
    {
        var e = ParseUnary(true);
        while (IsOp("**")) { var t = Next(); e = new BinaryExpr("**", e, ParseUnary(true), t.Line, t.Col); }
        return e;
    }

    private Expr ParseUnary(bool withFilter)
    {
        Expr e;
        if (IsOp("-") || IsOp("+")) { var t = Next(); e = new UnaryExpr(t.Text, ParseUnary(false), t.Line, t.Col); }
        else e = ParsePostfix(ParsePrimary());
        return withFilter ? ParseFilterExpr(e) : e;
    }

    private Expr ParsePrimary()
    {
        var t = Next();
        switch (t.Kind)
        {
            case TokKind.Name:
                return t.Text switch
                {
                    "true" or "True" => new Literal(true, t.Line, t.Col),
                    "false" or "False" => new Literal(false, t.Line, t.Col),
                    "none" or "None" => new Literal(null, t.Line, t.Col),
                    _ => new NameExpr(t.Text, t.Line, t.Col),
                };
            case TokKind.String:
            {
                string s = (string)t.Value!;
                while (Peek.Kind == TokKind.String) s += (string)Next().Value!;
                return new Literal(s, t.Line, t.Col);
            }
            case TokKind.Int: return new Literal((long)t.Value!, t.Line, t.Col);
            case TokKind.Float: return new Literal((double)t.Value!, t.Line, t.Col);
            case TokKind.Op when t.Text == "(":
            {
                if (IsOp(")")) { _i++; return new ListExpr(new List<Expr>(), true, t.Line, t.Col); }
                var e = ParseTuple(true);
                ExpectOp(")");
                return e;
            }
            case TokKind.Op when t.Text == "[":
            {
                var items = new List<Expr>();
                while (!IsOp("]"))
                {
                    if (items.Count > 0) { ExpectOp(","); if (IsOp("]")) break; }
                    items.Add(ParseExpression(true));
                }
                _i++;
                return new ListExpr(items, false, t.Line, t.Col);
            }
            case TokKind.Op when t.Text == "{":
            {
                var items = new List<(Expr, Expr)>();
                while (!IsOp("}"))
                {
                    if (items.Count > 0) { ExpectOp(","); if (IsOp("}")) break; }
                    var k = ParseExpression(true);
                    ExpectOp(":");
                    items.Add((k, ParseExpression(true)));
                }
                _i++;
                return new DictExpr(items, t.Line, t.Col);
            }
            default:
                throw Error(t, $"unexpected {t} in an expression");
        }
    }

    private Expr ParsePostfix(Expr e)
    {
        while (true)
        {
            if (IsOp("."))
            {
                var t = Next();
                var n = Next();
                if (n.Kind == TokKind.Name) e = new AttrExpr(e, n.Text, t.Line, t.Col);
                else if (n.Kind == TokKind.Int) e = new ItemExpr(e, new Literal(n.Value, n.Line, n.Col), t.Line, t.Col);
                else throw Error(n, $"expected an attribute name after '.', found {n}");
            }
            else if (IsOp("["))
            {
                var t = Next();
                Expr? a = null, b = null, c = null;
                bool slice = false;
                if (!IsOp(":")) a = ParseExpression(true);
                if (IsOp(":"))
                {
                    slice = true; _i++;
                    if (!IsOp("]") && !IsOp(":")) b = ParseExpression(true);
                    if (IsOp(":")) { _i++; if (!IsOp("]")) c = ParseExpression(true); }
                }
                ExpectOp("]");
                e = slice ? new SliceExpr(e, a, b, c, t.Line, t.Col) : new ItemExpr(e, a!, t.Line, t.Col);
            }
            else if (IsOp("("))
            {
                var t = Next();
                var (args, kwargs) = ParseCallArgs();
                e = new CallExpr(e, args, kwargs, t.Line, t.Col);
            }
            else return e;
        }
    }

    private (List<Expr>, List<(string, Expr)>) ParseCallArgs()
    {
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!IsOp(")"))
        {
            if (args.Count + kwargs.Count > 0) { ExpectOp(","); if (IsOp(")")) break; }
            if (Peek.Kind == TokKind.Name && PeekAt(1) is { Kind: TokKind.Op, Text: "=" })
            {
                var k = Next().Text; _i++;
                kwargs.Add((k, ParseExpression(true)));
            }
            else
            {
                if (IsOp("*") || IsOp("**")) throw Error(Peek, "*args / **kwargs in calls are not supported");
                args.Add(ParseExpression(true));
            }
        }
        _i++;
        return (args, kwargs);
    }

    private Expr ParseFilterExpr(Expr e)
    {
        while (true)
        {
            if (IsOp("|"))
            {
                var t = Next();
                var nameTok = ExpectName();
                var name = nameTok.Text;
                if (!JinjaFilters.Filters.Contains(name)) throw Error(t, $"unknown or unsupported filter '{name}'");
                List<Expr> args = new(); List<(string, Expr)> kwargs = new();
                if (IsOp("(")) { _i++; (args, kwargs) = ParseCallArgs(); }
                e = new FilterExpr(e, name, args, kwargs, t.Line, t.Col);
            }
            else if (IsName("is"))
            {
                var t = Next();
                bool neg = false;
                if (IsName("not")) { _i++; neg = true; }
                var nameTok = Next();
                string name = nameTok.Kind switch
                {
                    TokKind.Name => nameTok.Text,
                    TokKind.Op when nameTok.Text is "==" or "!=" or "<" or ">" or "<=" or ">=" => nameTok.Text,
                    _ => throw Error(nameTok, $"expected a test name after 'is', found {nameTok}"),
                };
                if (name is "none" or "None") name = "none";
                else if (name is "true" or "True") name = "true";
                else if (name is "false" or "False") name = "false";
                if (!JinjaFilters.Tests.Contains(name)) throw Error(nameTok, $"unknown or unsupported test '{name}'");
                var args = new List<Expr>();
                if (IsOp("(")) { _i++; var (a, _) = ParseCallArgs(); args = a; }
                else if (Peek.Kind is TokKind.Name or TokKind.String or TokKind.Int or TokKind.Float || IsOp("[") || IsOp("{"))
                {
                    if (!(Peek.Kind == TokKind.Name && Peek.Text is "else" or "or" or "and" or "if" or "in" or "not" or "is"))
                        args.Add(ParsePostfix(ParsePrimary()));
                }
                e = new TestExpr(e, name, neg, args, t.Line, t.Col);
            }
            else return e;
        }
    }
}
