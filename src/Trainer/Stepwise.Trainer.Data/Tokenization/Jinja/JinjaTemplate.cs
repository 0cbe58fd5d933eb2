using System.Globalization;
using System.Text;

namespace Stepwise.Trainer.Tokenization.Jinja;

/// <summary>
/// A parsed Jinja2 template and its interpreter: the subset chat templates use (see docs/trainer/run.md), rendered as
/// transformers does (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, raise_exception,
/// tojson without ASCII escaping, strftime_now). Anything outside the subset is an error with the template's
/// line:col, never a silently different text.
/// </summary>
public sealed class JinjaTemplate
{
    private readonly List<Node> _body;

    private JinjaTemplate(List<Node> body) { _body = body; }

    /// <summary>Parses; throws <see cref="JinjaException"/> (line:col) on syntax the interpreter does not know.</summary>
    public static JinjaTemplate Parse(string source) => new(JinjaParser.Parse(source));

    /// <summary>Clock for strftime_now (tests pin it).</summary>
    public Func<DateTime> Now { get; set; } = () => DateTime.Now;

    public string Render(IReadOnlyDictionary<string, object?> variables) => Render(variables, null);

    private StringBuilder? _output;
    private List<(int Start, int End)>? _generationSpans;

    /// <summary>
    /// Renders and reports the character ranges the {% generation %} blocks wrote, as transformers'
    /// _render_with_assistant_indices does for apply_chat_template(return_assistant_tokens_mask=True).
    /// </summary>
    public string Render(IReadOnlyDictionary<string, object?> variables, List<(int Start, int End)>? generationSpans)
    {
        var globals = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var kv in Builtins()) globals[kv.Key] = kv.Value;
        foreach (var kv in variables) globals[kv.Key] = kv.Value;
        var scope = new Scope(null, globals);
        var sb = new StringBuilder();
        _output = sb;
        _generationSpans = generationSpans;
        try
        {
            var signal = Exec(_body, scope, sb);
            if (signal != Signal.None) throw new JinjaException(1, 1, "'break' or 'continue' outside a loop");
            return sb.ToString();
        }
        finally { _output = null; _generationSpans = null; }
    }

    private Dictionary<string, object?> Builtins() => new(StringComparer.Ordinal)
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
        ["strftime_now"] = new Callable("strftime_now", (a, _) => Strftime(Now(), a.Count > 0 ? Py.Str(a[0]) : "")),
    };

    // ---- statements --------------------------------------------------------------------------------------------

    private enum Signal { None, Break, Continue }

    private sealed class Scope
    {
        public Scope? Parent { get; }
        public Dictionary<string, object?> Vars { get; }
        public Scope(Scope? parent, Dictionary<string, object?>? vars = null) { Parent = parent; Vars = vars ?? new(StringComparer.Ordinal); }
        public bool TryGet(string name, out object? v)
        {
            for (var s = this; s is not null; s = s.Parent) if (s.Vars.TryGetValue(name, out v)) return true;
            v = null;
            return false;
        }
    }

    private Signal Exec(List<Node> nodes, Scope scope, StringBuilder sb)
    {
        foreach (var n in nodes)
        {
            var s = Exec(n, scope, sb);
            if (s != Signal.None) return s;
        }
        return Signal.None;
    }

    private Signal Exec(Node node, Scope scope, StringBuilder sb)
    {
        switch (node)
        {
            case DataNode d: sb.Append(d.Text); return Signal.None;
            case OutputNode o:
            {
                var v = Eval(o.Value, scope);
                sb.Append(v is List<object?> l && o.Value is ListExpr { Tuple: true } ? "(" + string.Join(", ", l.Select(Py.Repr)) + (l.Count == 1 ? ",)" : ")") : Py.Str(v));
                return Signal.None;
            }
            case IfNode i:
                foreach (var (cond, body) in i.Branches)
                    if (Py.Truthy(Eval(cond, scope))) return Exec(body, scope, sb);
                return i.Else is null ? Signal.None : Exec(i.Else, scope, sb);
            case ForNode f: return ExecFor(f, scope, sb);
            case SetNode s:
            {
                object? value;
                if (s.Value is not null) value = Eval(s.Value, scope);
                else { var inner = new StringBuilder(); Exec(s.Body!, scope, inner); value = inner.ToString(); }
                Assign(s.Target, value, scope, s);
                return Signal.None;
            }
            case BlockNode b: return Exec(b.Body, scope, sb);
            case GenerationNode g:
            {
                if (!ReferenceEquals(sb, _output)) throw new JinjaException(g.Line, g.Col, "a generation block inside a set block or macro (its text has no place in the output)");
                int start = sb.Length;
                var signal = Exec(g.Body, scope, sb);
                _generationSpans?.Add((start, sb.Length));
                return signal;
            }
            case LoopControlNode lc: return lc.Break ? Signal.Break : Signal.Continue;
            case MacroNode m: scope.Vars[m.Name] = MakeMacro(m, scope); return Signal.None;
            default: throw new JinjaException(node.Line, node.Col, $"cannot execute {node.GetType().Name}");
        }
    }

    private Callable MakeMacro(MacroNode m, Scope defScope) => new(m.Name, (args, kwargs) =>
    {
        var local = new Scope(defScope);
        for (int i = 0; i < m.Params.Count; i++)
        {
            var (name, def) = m.Params[i];
            if (i < args.Count) local.Vars[name] = args[i];
            else if (kwargs.TryGetValue(name, out var kv)) local.Vars[name] = kv;
            else local.Vars[name] = def is null ? new Undefined(name) : Eval(def, defScope);
        }
        if (args.Count > m.Params.Count) throw new JinjaException(m.Line, m.Col, $"macro '{m.Name}' takes {m.Params.Count} arguments, got {args.Count}");
        var sb = new StringBuilder();
        Exec(m.Body, local, sb);
        return sb.ToString();
    });

    private void Assign(Target t, object? value, Scope scope, Node at)
    {
        if (t.Name is not null) { scope.Vars[t.Name] = value; return; }
        if (t.Owner is not null)
        {
            var owner = Eval(t.Owner, scope);
            if (owner is not Namespace ns) throw new JinjaException(at.Line, at.Col, $"cannot assign attribute on non-namespace object ({Py.TypeName(owner)})");
            ns.Attrs[t.Attr!] = value;
            return;
        }
        var items = Iterate(value, at.Line, at.Col);
        if (items.Count != t.Names!.Count) throw new JinjaException(at.Line, at.Col, $"cannot unpack {items.Count} values into {t.Names.Count} names");
        for (int i = 0; i < items.Count; i++) scope.Vars[t.Names[i]] = items[i];
    }

    private Signal ExecFor(ForNode f, Scope scope, StringBuilder sb)
    {
        var source = Eval(f.Iter, scope);
        var all = Iterate(source, f.Iter.Line, f.Iter.Col);
        var loopScope = new Scope(scope);
        List<object?> items;
        if (f.Filter is null) items = all;
        else
        {
            items = new List<object?>();
            foreach (var it in all)
            {
                Assign(f.Target, it, loopScope, f);
                if (Py.Truthy(Eval(f.Filter, loopScope))) items.Add(it);
            }
        }
        if (items.Count == 0)
        {
            return f.Else is null ? Signal.None : Exec(f.Else, scope, sb);
        }
        // Each iteration has its own scope: a `set` in the body does not outlive the iteration (jinja2 compiles the
        // body so that `{% set x = x + 1 %}` reads the outer x every time), which is why templates use namespace().
        var loop = new LoopInfo { Items = items };
        for (int i = 0; i < items.Count; i++)
        {
            loop.Index0 = i;
            var iteration = new Scope(scope);
            iteration.Vars["loop"] = loop;
            Assign(f.Target, items[i], iteration, f);
            var s = Exec(f.Body, iteration, sb);
            if (s == Signal.Break) break;
        }
        return Signal.None;
    }

    private static List<object?> Iterate(object? v, int line, int col) => v switch
    {
        List<object?> l => l,
        OrderedDictionary<string, object?> d => d.Keys.Cast<object?>().ToList(),
        string s => StringChars(s),
        Undefined => new List<object?>(),
        _ => throw new JinjaException(line, col, $"'{Py.TypeName(v)}' object is not iterable"),
    };

    private static List<object?> StringChars(string s)
    {
        var list = new List<object?>();
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length) { list.Add(s.Substring(i, 2)); i++; }
            else list.Add(s[i].ToString());
        }
        return list;
    }

    // ---- expressions -------------------------------------------------------------------------------------------

    private object? Eval(Expr e, Scope scope)
    {
        try { return EvalCore(e, scope); }
        catch (InvalidOperationException ex) { throw new JinjaException(e.Line, e.Col, ex.Message); }
        catch (InvalidCastException) { throw new JinjaException(e.Line, e.Col, "unsupported operand types"); }
    }

    private object? EvalCore(Expr e, Scope scope)
    {
        switch (e)
        {
            case Literal l: return l.Value;
            case NameExpr n: return scope.TryGet(n.Name, out var v) ? v : new Undefined(n.Name);
            case ListExpr l: return l.Items.Select(x => Eval(x, scope)).ToList();
            case DictExpr d:
            {
                var dict = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (k, val) in d.Items)
                {
                    var key = Eval(k, scope);
                    if (key is not string ks) throw new JinjaException(k.Line, k.Col, "only string keys are supported in dict literals");
                    dict[ks] = Eval(val, scope);
                }
                return dict;
            }
            case AttrExpr a: return GetAttr(Eval(a.Obj, scope), a.Name, a);
            case ItemExpr i: return GetItem(Eval(i.Obj, scope), Eval(i.Key, scope), i);
            case SliceExpr s: return Slice(Eval(s.Obj, scope), s.Start is null ? null : Eval(s.Start, scope), s.Stop is null ? null : Eval(s.Stop, scope), s.Step is null ? null : Eval(s.Step, scope), s);
            case CallExpr c:
            {
                var fn = Eval(c.Fn, scope);
                var args = c.Args.Select(x => Eval(x, scope)).ToList();
                var kwargs = c.Kwargs.ToDictionary(k => k.Name, k => Eval(k.Value, scope), StringComparer.Ordinal);
                if (fn is Callable callable)
                {
                    try { return callable.Fn(args, kwargs); }
                    catch (InvalidOperationException ex) { throw new JinjaException(c.Line, c.Col, ex.Message); }
                    catch (InvalidCastException) { throw new JinjaException(c.Line, c.Col, $"bad arguments to {callable.Name}()"); }
                }
                if (fn is Undefined u) throw new JinjaException(c.Line, c.Col, $"'{u.Name}' is undefined (cannot be called)");
                throw new JinjaException(c.Line, c.Col, $"'{Py.TypeName(fn)}' object is not callable");
            }
            case FilterExpr f:
            {
                var value = Eval(f.Value, scope);
                var args = f.Args.Select(x => Eval(x, scope)).ToList();
                var kwargs = f.Kwargs.ToDictionary(k => k.Name, k => Eval(k.Value, scope), StringComparer.Ordinal);
                return JinjaFilters.Apply(f.Name, value, args, kwargs, f, this);
            }
            case TestExpr t:
            {
                var value = Eval(t.Value, scope);
                var args = t.Args.Select(x => Eval(x, scope)).ToList();
                bool r = JinjaFilters.Test(t.Name, value, args, t);
                return t.Negated ? !r : r;
            }
            case UnaryExpr u:
            {
                var v2 = Eval(u.Operand, scope);
                switch (u.Op)
                {
                    case "not": return !Py.Truthy(v2);
                    case "-":
                        NotUndefined(v2, u);
                        return v2 switch { long l => (object)(-l), double d => (object)(-d), bool b => (object)(b ? -1L : 0L), _ => throw new JinjaException(u.Line, u.Col, $"bad operand type for unary -: '{Py.TypeName(v2)}'") };
                    default:
                        NotUndefined(v2, u);
                        return v2 is bool b2 ? (b2 ? 1L : 0L) : Py.IsNumber(v2) ? v2 : throw new JinjaException(u.Line, u.Col, $"bad operand type for unary +: '{Py.TypeName(v2)}'");
                }
            }
            case BinaryExpr b:
            {
                if (b.Op == "and") { var l = Eval(b.Left, scope); return Py.Truthy(l) ? Eval(b.Right, scope) : l; }
                if (b.Op == "or") { var l = Eval(b.Left, scope); return Py.Truthy(l) ? l : Eval(b.Right, scope); }
                var left = Eval(b.Left, scope);
                var right = Eval(b.Right, scope);
                if (b.Op == "~") return Py.Str(left) + Py.Str(right);
                return Arith(b.Op, left, right, b);
            }
            case CompareExpr c:
            {
                var left = Eval(c.First, scope);
                foreach (var (op, rexpr) in c.Rest)
                {
                    var right = Eval(rexpr, scope);
                    if (!Compare(op, left, right, rexpr)) return false;
                    left = right;
                }
                return true;
            }
            case CondExpr c:
                if (Py.Truthy(Eval(c.Cond, scope))) return Eval(c.Then, scope);
                return c.Else is null ? new Undefined("conditional expression") : Eval(c.Else, scope);
            default: throw new JinjaException(e.Line, e.Col, $"cannot evaluate {e.GetType().Name}");
        }
    }

    private static void NotUndefined(object? v, Expr at)
    {
        if (v is Undefined u) throw new JinjaException(at.Line, at.Col, $"'{u.Name}' is undefined");
    }

    private static object? Arith(string op, object? a, object? b, Expr at)
    {
        NotUndefined(a, at); NotUndefined(b, at);
        if (Py.IsNumber(a) && Py.IsNumber(b))
        {
            bool isFloat = a is double || b is double;
            switch (op)
            {
                case "+": return isFloat ? (object)(Py.ToDouble(a) + Py.ToDouble(b)) : (object)(Py.ToLong(a) + Py.ToLong(b));
                case "-": return isFloat ? (object)(Py.ToDouble(a) - Py.ToDouble(b)) : (object)(Py.ToLong(a) - Py.ToLong(b));
                case "*": return isFloat ? (object)(Py.ToDouble(a) * Py.ToDouble(b)) : (object)(Py.ToLong(a) * Py.ToLong(b));
                case "/":
                    if (Py.ToDouble(b) == 0) throw new JinjaException(at.Line, at.Col, "division by zero");
                    return Py.ToDouble(a) / Py.ToDouble(b);
                case "//":
                    if (Py.ToDouble(b) == 0) throw new JinjaException(at.Line, at.Col, "integer division or modulo by zero");
                    if (isFloat) return (object)Math.Floor(Py.ToDouble(a) / Py.ToDouble(b));
                    return FloorDiv(Py.ToLong(a), Py.ToLong(b));
                case "%":
                    if (Py.ToDouble(b) == 0) throw new JinjaException(at.Line, at.Col, "integer division or modulo by zero");
                    if (isFloat) { double x = Py.ToDouble(a), y = Py.ToDouble(b); double m = x % y; return (object)(m != 0 && (m < 0) != (y < 0) ? m + y : m); }
                    { long x = Py.ToLong(a), y = Py.ToLong(b); long m = x % y; return (object)(m != 0 && (m < 0) != (y < 0) ? m + y : m); }
                case "**":
                    if (!isFloat && Py.ToLong(b) >= 0) { long r = 1, bs = Py.ToLong(a); for (long i = 0; i < Py.ToLong(b); i++) r *= bs; return r; }
                    return Math.Pow(Py.ToDouble(a), Py.ToDouble(b));
            }
        }
        if (op == "+" && a is string sa && b is string sb) return sa + sb;
        if (op == "+" && a is List<object?> la && b is List<object?> lb) return la.Concat(lb).ToList();
        // Sequence repetition: str/list * int (a bool is an int in Python).
        if (op == "*" && (a is string || a is List<object?>) && b is long or bool) return Repeat(a, Py.ToLong(b));
        if (op == "*" && (b is string || b is List<object?>) && a is long or bool) return Repeat(b, Py.ToLong(a));
        if (op == "%" && a is string) throw new JinjaException(at.Line, at.Col, "printf-style string formatting ('%') is not supported");
        throw new JinjaException(at.Line, at.Col, $"unsupported operand type(s) for {op}: '{Py.TypeName(a)}' and '{Py.TypeName(b)}'");
    }

    private static object Repeat(object seq, long n) => seq is string str
        ? string.Concat(Enumerable.Repeat(str, (int)Math.Max(0, n)))
        : Enumerable.Repeat((List<object?>)seq, (int)Math.Max(0, n)).SelectMany(x => x).ToList();

    private static long FloorDiv(long a, long b) { long q = a / b; if ((a % b != 0) && ((a < 0) != (b < 0))) q--; return q; }

    private static bool Compare(string op, object? a, object? b, Expr at)
    {
        switch (op)
        {
            case "==": return Py.Eq(a, b);
            case "!=": return !Py.Eq(a, b);
            case "in": return Contains(b, a, at);
            case "notin": return !Contains(b, a, at);
        }
        NotUndefined(a, at); NotUndefined(b, at);
        int c = Order(a, b, op, at);
        return op switch { "<" => c < 0, ">" => c > 0, "<=" => c <= 0, _ => c >= 0 };
    }

    /// <summary>Python ordering: numbers, strings (by code unit), lists lexicographically; anything else is a TypeError.</summary>
    private static int Order(object? a, object? b, string op, Expr at)
    {
        if (Py.IsNumber(a) && Py.IsNumber(b)) return Py.ToDouble(a).CompareTo(Py.ToDouble(b));
        if (a is string sa && b is string sb) return Math.Sign(string.CompareOrdinal(sa, sb));
        if (a is List<object?> la && b is List<object?> lb)
        {
            for (int i = 0; i < Math.Min(la.Count, lb.Count); i++)
                if (!Py.Eq(la[i], lb[i])) return Order(la[i], lb[i], op, at);
            return la.Count.CompareTo(lb.Count);
        }
        throw new JinjaException(at.Line, at.Col, $"'{op}' not supported between '{Py.TypeName(a)}' and '{Py.TypeName(b)}'");
    }

    private static bool Contains(object? container, object? item, Expr at) => container switch
    {
        string s when item is string sub => s.Contains(sub, StringComparison.Ordinal),
        string => throw new JinjaException(at.Line, at.Col, $"'in <string>' requires string as left operand, not {Py.TypeName(item)}"),
        List<object?> l => l.Any(x => Py.Eq(x, item)),
        OrderedDictionary<string, object?> d => item is string k && d.ContainsKey(k),
        Undefined => false,
        _ => throw new JinjaException(at.Line, at.Col, $"argument of type '{Py.TypeName(container)}' is not iterable"),
    };

    /// <summary>obj.name: jinja's getattr tries the attribute (dict/str methods) first, then the item.</summary>
    internal static object? GetAttr(object? obj, string name, Expr at)
    {
        switch (obj)
        {
            case Undefined u: throw new JinjaException(at.Line, at.Col, $"'{u.Name}' is undefined (has no attribute '{name}')");
            case Namespace ns: return ns.Attrs.TryGetValue(name, out var v) ? v : new Undefined(name);
            case LoopInfo loop: return LoopAttr(loop, name, at);
        }
        if (Methods.Bound(obj, name) is { } m) return m;
        if (obj is OrderedDictionary<string, object?> d) return d.TryGetValue(name, out var dv) ? dv : new Undefined(name);
        return new Undefined(name);
    }

    private static object? LoopAttr(LoopInfo l, string name, Expr at) => name switch
    {
        "index0" => (long)l.Index0,
        "index" => (long)l.Index0 + 1,
        "revindex" => (long)(l.Items.Count - l.Index0),
        "revindex0" => (long)(l.Items.Count - l.Index0 - 1),
        "first" => l.Index0 == 0,
        "last" => l.Index0 == l.Items.Count - 1,
        "length" => (long)l.Items.Count,
        "previtem" => l.Index0 > 0 ? l.Items[l.Index0 - 1] : new Undefined("previtem"),
        "nextitem" => l.Index0 + 1 < l.Items.Count ? l.Items[l.Index0 + 1] : new Undefined("nextitem"),
        "depth" => 1L,
        "depth0" => 0L,
        "cycle" => new Callable("cycle", (a, _) => a.Count == 0 ? throw new InvalidOperationException("no items for cycling given") : a[l.Index0 % a.Count]),
        _ => throw new JinjaException(at.Line, at.Col, $"loop has no attribute '{name}'"),
    };

    /// <summary>obj[key]: jinja's getitem tries the item first, then the attribute; a missing one is Undefined.</summary>
    internal static object? GetItem(object? obj, object? key, Expr at)
    {
        switch (obj)
        {
            case Undefined u: throw new JinjaException(at.Line, at.Col, $"'{u.Name}' is undefined (cannot be indexed)");
            case List<object?> l when key is long or bool:
            {
                long i = Py.ToLong(key);
                if (i < 0) i += l.Count;
                return i >= 0 && i < l.Count ? l[(int)i] : new Undefined($"index {key}");
            }
            case string s when key is long or bool:
            {
                var chars = StringChars(s);
                long i = Py.ToLong(key);
                if (i < 0) i += chars.Count;
                return i >= 0 && i < chars.Count ? chars[(int)i] : new Undefined($"index {key}");
            }
            case OrderedDictionary<string, object?> d when key is string k:
                if (d.TryGetValue(k, out var v)) return v;
                return (object?)Methods.Bound(obj, k) ?? new Undefined(k);
        }
        if (key is string name) return GetAttr(obj, name, at);
        return new Undefined(Py.Str(key));
    }

    private static object? Slice(object? obj, object? start, object? stop, object? step, Expr at)
    {
        List<object?> items = obj switch
        {
            List<object?> l => l,
            string s => StringChars(s),
            Undefined u => throw new JinjaException(at.Line, at.Col, $"'{u.Name}' is undefined (cannot be sliced)"),
            _ => throw new JinjaException(at.Line, at.Col, $"'{Py.TypeName(obj)}' object is not subscriptable"),
        };
        long n = items.Count;
        long st = step is null ? 1 : Py.ToLong(step);
        if (st == 0) throw new JinjaException(at.Line, at.Col, "slice step cannot be zero");
        long Norm(object? v, long dflt)
        {
            if (v is null) return dflt;
            long i = Py.ToLong(v);
            if (i < 0) i += n;
            return st > 0 ? Math.Clamp(i, 0, n) : Math.Clamp(i, -1, n - 1);
        }
        long a = Norm(start, st > 0 ? 0 : n - 1), b = Norm(stop, st > 0 ? n : -1);
        var result = new List<object?>();
        for (long i = a; st > 0 ? i < b : i > b; i += st) result.Add(items[(int)i]);
        return obj is string ? string.Concat(result.Select(x => (string)x!)) : result;
    }

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
