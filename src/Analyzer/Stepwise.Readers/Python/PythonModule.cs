using Stepwise.Core.Text;

namespace Stepwise.Readers.Python;

public enum BlockKind { Module, Function, Class, Conditional, Plain }

/// <summary>
/// A block of statements: the module, a def or class body (a new scope), the body of if/elif/else/for/while/except/
/// match/case (conditional: it may run zero or many times), or of with/try/finally (plain: it runs once).
/// </summary>
public sealed class PyBlock
{
    internal PyBlock(BlockKind kind, PyBlock? parent, string header, int line, string? name = null)
    {
        Kind = kind; Parent = parent; Header = header; Line = line; Name = name;
        Scope = kind is BlockKind.Module or BlockKind.Function or BlockKind.Class ? this : parent!.Scope;
    }

    public BlockKind Kind { get; }
    public PyBlock? Parent { get; }
    /// <summary>The nearest enclosing module, function or class block (this one when it is one).</summary>
    public PyBlock Scope { get; }
    /// <summary>The keyword that opened it (if, for, def...).</summary>
    public string Header { get; }
    /// <summary>1-based line of the header.</summary>
    public int Line { get; }
    /// <summary>The function or class name.</summary>
    public string? Name { get; }
    public HashSet<string> Parameters { get; } = new(StringComparer.Ordinal);
    /// <summary>For a class: the last names of its bases as written (SFTConfig for trl.SFTConfig), in order.</summary>
    public List<string> Bases { get; } = new();
    /// <summary>For a class: the names its body annotates (`name: type` or `name: type = default`), a dataclass's fields.</summary>
    public HashSet<string> Fields { get; } = new(StringComparer.Ordinal);

    public bool IsAncestorOrSelfOf(PyBlock b)
    {
        for (var x = b; x is not null; x = x.Parent) if (ReferenceEquals(x, this)) return true;
        return false;
    }
}

/// <summary>A simple statement or a compound statement's header, as a token range.</summary>
public sealed record PyStatement(int FirstToken, int EndToken, int Start, int End, PyBlock Block);

/// <summary>
/// One binding of a name: NAME = value, NAME: T = value, NAME op= value, a, b = x, y (Index into the tuple),
/// or a binding whose value is never known (import, for target, def...) with its reason.
/// </summary>
public sealed class PyAssignment
{
    internal PyAssignment(string name, PyStatement statement, int valueFrom, int valueTo, string? augmentedOp = null,
        int tupleIndex = -1, int tupleCount = 0, string? unknownReason = null, PyBlock? block = null)
    {
        Name = name; Statement = statement; ValueFrom = valueFrom; ValueTo = valueTo; AugmentedOp = augmentedOp;
        TupleIndex = tupleIndex; TupleCount = tupleCount; UnknownReason = unknownReason; Block = block ?? statement.Block;
    }

    public string Name { get; }
    public PyStatement Statement { get; }
    public PyBlock Block { get; }
    /// <summary>The binding takes effect after its statement.</summary>
    public int EffectiveAt => Statement.End;
    public int ValueFrom { get; }
    public int ValueTo { get; }
    public string? AugmentedOp { get; }
    public int TupleIndex { get; }
    public int TupleCount { get; }
    public string? UnknownReason { get; }
    /// <summary>Set by the evaluator on first use.</summary>
    internal PyExpr? Value { get; set; }
}

/// <summary>NAME[...] = v, NAME.attr = v, NAME.update(...): the object bound to NAME may have changed here.</summary>
public sealed record PyMutation(string Name, int At, PyBlock Scope);

/// <summary>
/// The statement structure of a module: blocks from indentation, the bindings of names (for constant lookup),
/// mutations of dicts, and import aliases. Only what constant evaluation needs; never executes anything.
/// </summary>
public sealed class PythonModule
{
    private readonly TokenStream _ts;
    private readonly string _s;
    private readonly Token[] _t;
    private readonly List<PyStatement> _statements = new();
    private readonly List<PyBlock> _classes = new();
    private readonly Dictionary<string, List<PyAssignment>> _assignments = new(StringComparer.Ordinal);
    private readonly List<PyMutation> _mutations = new();
    private readonly Dictionary<string, string> _aliases = new(StringComparer.Ordinal);
    private LineIndex? _lines;

    public PythonModule(TokenStream ts)
    {
        _ts = ts; _s = ts.Source; _t = ts.Code;
        Root = new PyBlock(BlockKind.Module, null, "module", 1);
        Scan();
    }

    public PyBlock Root { get; }
    /// <summary>Every class statement's body, in source order (its Name, Bases and Fields).</summary>
    public IReadOnlyList<PyBlock> Classes => _classes;
    public IReadOnlyList<PyStatement> Statements => _statements;
    public IReadOnlyList<PyMutation> Mutations => _mutations;
    /// <summary>Local name -> imported name, for `from m import X as Y`.</summary>
    public IReadOnlyDictionary<string, string> Aliases => _aliases;

    public IReadOnlyList<PyAssignment> AssignmentsOf(string name) =>
        _assignments.TryGetValue(name, out var l) ? l : (IReadOnlyList<PyAssignment>)Array.Empty<PyAssignment>();

    /// <summary>The statement holding <paramref name="offset"/> (the innermost by start), or null.</summary>
    public PyStatement? StatementAt(int offset)
    {
        int lo = 0, hi = _statements.Count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            if (_statements[mid].Start <= offset) { found = mid; lo = mid + 1; } else hi = mid - 1;
        }
        return found >= 0 ? _statements[found] : null;
    }

    public PyBlock BlockAt(int offset) => StatementAt(offset)?.Block ?? Root;

    /// <summary>The 1-based line of an offset in the module's code.</summary>
    public int LineOf(int offset) => (_lines ??= new LineIndex(_s)).PositionOf(offset).Line + 1;

    private bool IsOp(int k, string op) => k < _t.Length && _t[k].Kind == TokenKind.Op && _t[k].Is(_s, op);
    private bool IsName(int k, string name) => k < _t.Length && _t[k].Kind == TokenKind.Name && _t[k].Is(_s, name);
    private bool IsName(int k) => k < _t.Length && _t[k].Kind == TokenKind.Name;

    /// <summary>The token after a bracketed group starting at k (or k+1 for any other token), not past <paramref name="end"/>.</summary>
    private int Step(int k, int end)
    {
        var tok = _t[k];
        if (tok.Kind == TokenKind.Op && tok.Length == 1 && _s[tok.Start] is '(' or '[' or '{')
        {
            int m = _ts.Match[k];
            return m > k && m < end ? m + 1 : end;
        }
        return k + 1;
    }

    private void Scan()
    {
        var stack = new List<(int Indent, PyBlock Block)> { (-1, Root) };
        int i = 0;
        while (i < _t.Length && _t[i].Kind != TokenKind.EndOfFile)
        {
            if (_t[i].Kind == TokenKind.Newline) { i++; continue; }
            int lineEnd = i;
            while (lineEnd < _t.Length && _t[lineEnd].Kind is not (TokenKind.Newline or TokenKind.EndOfFile)) lineEnd++;
            int indent = Math.Max(0, _ts.LogicalIndent[i]);
            while (stack.Count > 1 && stack[^1].Indent >= indent) stack.RemoveAt(stack.Count - 1);
            var block = stack[^1].Block;
            var opened = LogicalLine(i, lineEnd, block);
            if (opened is not null) stack.Add((indent, opened));
            i = lineEnd;
        }
    }

    private static readonly HashSet<string> Conditional = new(StringComparer.Ordinal)
        { "if", "elif", "else", "for", "while", "except", "match", "case" };

    /// <summary>Reads one logical line; returns the block it opens when it is a compound statement's header.</summary>
    private PyBlock? LogicalLine(int from, int to, PyBlock block)
    {
        if (IsOp(from, "@")) { AddStatement(from, to, block); return null; } // decorator
        int k = from;
        if (IsName(k, "async") && (IsName(k + 1, "def") || IsName(k + 1, "for") || IsName(k + 1, "with"))) k++;
        string? kw = IsName(k) ? _t[k].Text(_s) : null;
        bool header = kw is "if" or "elif" or "else" or "for" or "while" or "try" or "except" or "finally" or "with" or "def" or "class";
        if (!header && kw is "match" or "case")
        {
            // Soft keywords: a header only when the line ends with ':' (match x: / case 1:).
            int last = to - 1;
            header = last > k && IsOp(last, ":") && !IsOp(k + 1, "=") && !IsOp(k + 1, ".");
        }
        if (!header)
        {
            SimpleStatements(from, to, block);
            return null;
        }

        // The header ends at its first ':' outside brackets (def f(x: int) -> int: keeps its colons inside brackets).
        int colon = -1;
        for (int j = k + 1; j < to; j = Step(j, to))
            if (IsOp(j, ":")) { colon = j; break; }
        int headerEnd = colon < 0 ? to : colon;
        var stmt = AddStatement(from, headerEnd, block);
        int line = LineOf(_t[from].Start);
        PyBlock opened = kw switch
        {
            "def" => new PyBlock(BlockKind.Function, block, "def", line, IsName(k + 1) ? _t[k + 1].Text(_s) : null),
            "class" => new PyBlock(BlockKind.Class, block, "class", line, IsName(k + 1) ? _t[k + 1].Text(_s) : null),
            // if __name__ == "__main__": runs whenever the file is run as a script, which is how training scripts run.
            "if" when IsMainGuard(k + 1, headerEnd) => new PyBlock(BlockKind.Plain, block, kw!, line),
            _ when Conditional.Contains(kw!) => new PyBlock(BlockKind.Conditional, block, kw!, line),
            _ => new PyBlock(BlockKind.Plain, block, kw!, line),
        };

        switch (kw)
        {
            case "def" or "class" when IsName(k + 1):
                Bind(_t[k + 1].Text(_s), stmt, kw == "def" ? "a function" : "a class");
                if (kw == "def" && IsOp(k + 2, "(")) CollectParameters(k + 2, headerEnd, opened);
                if (kw == "class")
                {
                    if (IsOp(k + 2, "(")) CollectBases(k + 2, headerEnd, opened);
                    _classes.Add(opened);
                }
                break;
            case "for":
            {
                // for a, (b, c) in ...: every name before 'in' is bound on each pass.
                for (int j = k + 1; j < headerEnd && !IsName(j, "in"); j++)
                    if (IsName(j)) Bind(_t[j].Text(_s), stmt, "a loop variable", opened);
                break;
            }
            case "with" or "except":
            {
                for (int j = k + 1; j + 1 < headerEnd; j = Step(j, headerEnd))
                    if (IsName(j, "as") && IsName(j + 1))
                        Bind(_t[j + 1].Text(_s), stmt, kw == "with" ? "bound by a with statement" : "an exception", opened);
                break;
            }
        }

        if (colon >= 0 && colon + 1 < to)
        {
            // if x: y = 1 — the body is on the header's line; the block ends with it.
            SimpleStatements(colon + 1, to, opened);
            return null;
        }
        return opened;
    }

    private bool IsMainGuard(int from, int to)
    {
        if (to - from != 3 || !IsOp(from + 1, "==")) return false;
        bool IsName__(int k) => IsName(k, "__name__");
        bool IsMain(int k) => _t[k].Kind == TokenKind.String && _t[k].Text(_s) is "'__main__'" or "\"__main__\"";
        return (IsName__(from) && IsMain(from + 2)) || (IsMain(from) && IsName__(from + 2));
    }

    private void CollectParameters(int open, int headerEnd, PyBlock fn)
    {
        int close = _ts.Match[open];
        if (close < 0 || close > headerEnd) close = headerEnd;
        bool expectName = true;
        for (int j = open + 1; j < close; j = Step(j, close))
        {
            if (IsOp(j, ",") || IsOp(j, "*") || IsOp(j, "**") || IsOp(j, "/")) { expectName = true; continue; }
            if (expectName && IsName(j)) fn.Parameters.Add(_t[j].Text(_s));
            expectName = false;
        }
    }

    /// <summary>class C(a.B, D[T], metaclass=M): B and D, skipping keyword arguments.</summary>
    private void CollectBases(int open, int headerEnd, PyBlock cls)
    {
        int close = _ts.Match[open];
        if (close < 0 || close > headerEnd) close = headerEnd;
        int j = open + 1;
        while (j < close)
        {
            string? last = null;
            while (j < close && IsName(j))
            {
                last = _t[j].Text(_s);
                if (IsOp(j + 1, ".") && IsName(j + 2)) j += 2; else { j++; break; }
            }
            bool keyword = IsOp(j, "=");
            while (j < close && !IsOp(j, ",")) j = Step(j, close);
            if (last is not null && !keyword) cls.Bases.Add(last);
            j++;
        }
    }

    private PyStatement AddStatement(int from, int to, PyBlock block)
    {
        int start = _t[from].Start;
        int end = to > from ? _t[to - 1].End : start;
        var st = new PyStatement(from, to, start, end, block);
        _statements.Add(st);
        return st;
    }

    private void Bind(string name, PyStatement stmt, string reason, PyBlock? block = null) =>
        Add(new PyAssignment(name, stmt, 0, 0, unknownReason: reason, block: block));

    private void Add(PyAssignment a)
    {
        if (!_assignments.TryGetValue(a.Name, out var list)) _assignments[a.Name] = list = new List<PyAssignment>();
        list.Add(a);
    }

    private static readonly HashSet<string> AugmentedOps = new(StringComparer.Ordinal)
        { "+=", "-=", "*=", "/=", "//=", "%=", "**=", "@=", "&=", "|=", "^=", ">>=", "<<=" };

    private static readonly HashSet<string> MutatingMethods = new(StringComparer.Ordinal)
        { "update", "pop", "popitem", "setdefault", "clear", "__setitem__", "__delitem__", "append", "extend", "insert", "remove" };

    private void SimpleStatements(int from, int to, PyBlock block)
    {
        int s = from;
        for (int j = from; j <= to; j = j < to ? Step(j, to) : to + 1)
        {
            if (j == to || IsOp(j, ";"))
            {
                if (j > s) SimpleStatement(s, j, block);
                s = j + 1;
            }
        }
    }

    private void SimpleStatement(int from, int to, PyBlock block)
    {
        var stmt = AddStatement(from, to, block);
        if (IsName(from, "import"))
        {
            // import a.b as c, d: binds c and d (modules).
            for (int j = from + 1; j < to; j++)
            {
                if (IsName(j, "as") && IsName(j + 1)) { Bind(_t[j + 1].Text(_s), stmt, "an imported module"); j++; }
                else if (IsName(j) && (j == from + 1 || IsOp(j - 1, ","))) Bind(_t[j].Text(_s), stmt, "an imported module");
            }
            return;
        }
        if (IsName(from, "from"))
        {
            int imp = from + 1;
            while (imp < to && !IsName(imp, "import")) imp++;
            string module = imp > from + 1 ? _s.Substring(_t[from + 1].Start, _t[imp - 1].End - _t[from + 1].Start) : "a module";
            for (int j = imp + 1; j < to; j++)
            {
                if (!IsName(j)) continue;
                var name = _t[j].Text(_s);
                if (IsName(j + 1, "as") && IsName(j + 2))
                {
                    var local = _t[j + 2].Text(_s);
                    _aliases[local] = name;
                    Bind(local, stmt, $"imported from {module}");
                    j += 2;
                }
                else Bind(name, stmt, $"imported from {module}");
            }
            return;
        }
        if (IsName(from, "del"))
        {
            for (int j = from + 1; j < to; j++)
                if (IsName(j) && (j == from + 1 || IsOp(j - 1, ","))) Bind(_t[j].Text(_s), stmt, "deleted with del");
            return;
        }
        if (IsName(from) && _t[from].Text(_s) is "global" or "nonlocal" or "return" or "pass" or "raise" or "assert" or "break" or "continue" or "yield")
            return;

        // Split at '=' outside brackets, stopping at a lambda (its defaults hold '=' too).
        var eqs = new List<int>();
        int aug = -1;
        int annotation = -1;
        for (int j = from; j < to; j = Step(j, to))
        {
            if (IsName(j, "lambda")) break;
            if (_t[j].Kind != TokenKind.Op) continue;
            if (IsOp(j, "=")) eqs.Add(j);
            else if (eqs.Count == 0 && aug < 0 && AugmentedOps.Contains(_t[j].Text(_s))) { aug = j; break; }
            else if (eqs.Count == 0 && annotation < 0 && IsOp(j, ":")) annotation = j;
        }

        // name: type [= default] in a class body: a dataclass field.
        if (block.Kind == BlockKind.Class && annotation == from + 1 && IsName(from)) block.Fields.Add(_t[from].Text(_s));

        if (aug >= 0)
        {
            if (aug == from + 1 && IsName(from))
                Add(new PyAssignment(_t[from].Text(_s), stmt, aug + 1, to, augmentedOp: _t[aug].Text(_s)[..^1]));
            else NoteMutation(from, aug, block);
            return;
        }
        if (eqs.Count == 0)
        {
            // NAME.update(...) and friends change a dict in place.
            if (IsName(from) && IsOp(from + 1, ".") && IsName(from + 2) && MutatingMethods.Contains(_t[from + 2].Text(_s)))
                _mutations.Add(new PyMutation(_t[from].Text(_s), _t[from].Start, block.Scope));
            return;
        }

        int valueFrom = eqs[^1] + 1;
        int targetStart = from;
        foreach (var eq in eqs)
        {
            int targetEnd = eq;
            if (targetStart == from && annotation >= 0 && annotation < eq) targetEnd = annotation; // NAME: int = 128
            Target(targetStart, targetEnd, stmt, valueFrom, to, block);
            targetStart = eq + 1;
        }
    }

    private void Target(int from, int to, PyStatement stmt, int valueFrom, int valueTo, PyBlock block)
    {
        if (to - from == 1 && IsName(from))
        {
            Add(new PyAssignment(_t[from].Text(_s), stmt, valueFrom, valueTo));
            return;
        }
        // a, b = ... / (a, b) = ... / [a, b] = ...
        int a = from, b = to;
        if (b - a >= 2 && _ts.Match[a] == b - 1 && (IsOp(a, "(") || IsOp(a, "["))) { a++; b--; }
        var names = new List<int>();
        bool simple = true;
        for (int j = a; j < b; j++)
        {
            if (IsName(j) && (j == a || IsOp(j - 1, ",")) && (j + 1 == b || IsOp(j + 1, ","))) names.Add(j);
            else if (!IsOp(j, ",")) simple = false;
        }
        if (simple && names.Count > 0)
        {
            for (int n = 0; n < names.Count; n++)
                Add(new PyAssignment(_t[names[n]].Text(_s), stmt, valueFrom, valueTo, tupleIndex: n, tupleCount: names.Count));
            return;
        }
        NoteMutation(from, to, block);
        // Names inside a complex target (a, *b = ...) are bound to something unknown.
        for (int j = a; j < b; j++)
            if (IsName(j) && (j == a || IsOp(j - 1, ",") || IsOp(j - 1, "*") || IsOp(j - 1, "(")) && (j + 1 == b || IsOp(j + 1, ",") || IsOp(j + 1, ")")))
                Bind(_t[j].Text(_s), stmt, "unpacked from an iterable");
    }

    private void NoteMutation(int from, int to, PyBlock block)
    {
        // NAME[...] = v or NAME.attr = v changes the object NAME is bound to.
        if (IsName(from) && (IsOp(from + 1, "[") || IsOp(from + 1, ".")))
            _mutations.Add(new PyMutation(_t[from].Text(_s), _t[from].Start, block.Scope));
    }
}
