using System.Globalization;
using System.Text;

namespace Stepwise.Jinja;

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
        foreach (var kv in JinjaGlobals.Create(Now)) globals[kv.Key] = kv.Value;
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
        string s => JinjaAccess.StringChars(s),
        Undefined => new List<object?>(),
        _ => throw new JinjaException(line, col, $"'{Py.TypeName(v)}' object is not iterable"),
    };

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
            case AttrExpr a: return JinjaAccess.GetAttr(Eval(a.Obj, scope), a.Name, a);
            case ItemExpr i: return JinjaAccess.GetItem(Eval(i.Obj, scope), Eval(i.Key, scope), i);
            case SliceExpr s: return JinjaAccess.Slice(Eval(s.Obj, scope), s.Start is null ? null : Eval(s.Start, scope), s.Stop is null ? null : Eval(s.Stop, scope), s.Step is null ? null : Eval(s.Step, scope), s);
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
                        JinjaOperators.NotUndefined(v2, u);
                        return v2 switch { long l => (object)(-l), double d => (object)(-d), bool b => (object)(b ? -1L : 0L), _ => throw new JinjaException(u.Line, u.Col, $"bad operand type for unary -: '{Py.TypeName(v2)}'") };
                    default:
                        JinjaOperators.NotUndefined(v2, u);
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
                return JinjaOperators.Arith(b.Op, left, right, b);
            }
            case CompareExpr c:
            {
                var left = Eval(c.First, scope);
                foreach (var (op, rexpr) in c.Rest)
                {
                    var right = Eval(rexpr, scope);
                    if (!JinjaOperators.Compare(op, left, right, rexpr)) return false;
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


}
