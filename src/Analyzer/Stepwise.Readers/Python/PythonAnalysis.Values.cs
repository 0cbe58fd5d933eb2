using Stepwise.Core.Model;
using Stepwise.Core.Text;

namespace Stepwise.Readers.Python;

// What a name or an expression is worth without running the code: bindings in scope, constant evaluation,
// attributes (known only at run time).
public sealed partial class PythonAnalysis
{
    // ---- names ---------------------------------------------------------------------------------------------

    /// <summary>
    /// The binding of <paramref name="name"/> in effect at <paramref name="at"/> seen from <paramref name="block"/>:
    /// the last one before it in the same scope, then in enclosing scopes. A binding made inside an if/for/while/...
    /// block that does not also hold the use is not certain: Reason says so.
    /// </summary>
    public (PyAssignment? Binding, string? Reason) Resolve(string name, int at, PyBlock block)
    {
        var all = Module.AssignmentsOf(name);
        for (var scope = block.Scope; scope is not null; scope = scope.Parent?.Scope)
        {
            PyAssignment? last = null;
            foreach (var a in all)
            {
                if (a.EffectiveAt > at) break;
                if (ReferenceEquals(a.Block.Scope, scope)) last = a;
            }
            if (last is not null)
            {
                for (var b = last.Block; !ReferenceEquals(b, scope) && b is not null; b = b.Parent)
                {
                    if (b.Kind == BlockKind.Conditional && !b.IsAncestorOrSelfOf(block))
                        return (last, $"`{name}` is assigned inside an `{b.Header}` block (line {b.Line}), so its value here depends on run time");
                }
                // In a loop, a later assignment in the same loop changes the value from the second pass on.
                for (var loop = block; loop is not null && !ReferenceEquals(loop, scope); loop = loop.Parent)
                {
                    if (loop.Header is not ("for" or "while")) continue;
                    foreach (var a in all)
                    {
                        if (a.EffectiveAt > at && ReferenceEquals(a.Block.Scope, scope) && loop.IsAncestorOrSelfOf(a.Block))
                            return (last, $"`{name}` is assigned again later in the `{loop.Header}` loop (line {Module.LineOf(a.Statement.Start)})");
                    }
                }
                return (last, null);
            }
            if (scope.Kind == BlockKind.Function && scope.Parameters.Contains(name))
                return (null, $"`{name}` is a parameter of {scope.Name}()");
        }
        return (null, $"`{name}` is not assigned in this file");
    }

    internal PyExpr ValueOf(PyAssignment a) => a.Value ??= Parser.ParseExpressionList(a.ValueFrom, a.ValueTo, out _);

    private ConfigValue EvalBinding(PyAssignment a, string path, string? section, int depth)
    {
        if (a.UnknownReason is not null) return ConfigValue.Unknown($"`{a.Name}` is {a.UnknownReason}");
        var key = (a, path, section);
        if (_memo.TryGetValue(key, out var v)) return v;
        var expr = ValueOf(a);
        if (a.TupleIndex >= 0)
        {
            expr = expr is PyDisplay { Kind: PyDisplayKind.Tuple or PyDisplayKind.List } d && d.Items.Count == a.TupleCount && !d.Items.Any(x => x is PyStarred)
                ? d.Items[a.TupleIndex]
                : new PyOther($"`{a.Name}` is unpacked from {Clip(expr)}", expr.Start, expr.End);
        }
        if (a.AugmentedOp is { } op)
        {
            var (prev, reason) = Resolve(a.Name, a.Statement.Start, a.Block);
            var left = reason is not null || prev is null ? ConfigValue.Unknown(reason ?? $"`{a.Name}` is not assigned in this file")
                : EvalBinding(prev, path, section, depth + 1);
            v = PythonArithmetic.Binary(op, left, Eval(expr, a.Statement.Start, a.Block, path, section, depth + 1));
        }
        else v = Eval(expr, a.Statement.Start, a.Block, path, section, depth + 1);
        _memo[key] = v;
        return v;
    }

    // ---- values --------------------------------------------------------------------------------------------

    private static readonly HashSet<string> TorchDtypes = new(StringComparer.Ordinal)
    {
        "float16", "float32", "float64", "bfloat16", "half", "float", "double", "int8", "int16", "int32", "int64", "uint8",
        "bool", "complex64", "complex128", "float8_e4m3fn", "float8_e5m2",
    };

    // transformers.trainer_utils enums and peft.TaskType: members whose string values are fixed by the library.
    private static readonly Dictionary<string, Dictionary<string, string>> Enums = new(StringComparer.Ordinal)
    {
        ["IntervalStrategy"] = new() { ["NO"] = "no", ["STEPS"] = "steps", ["EPOCH"] = "epoch" },
        ["EvaluationStrategy"] = new() { ["NO"] = "no", ["STEPS"] = "steps", ["EPOCH"] = "epoch" },
        ["SaveStrategy"] = new() { ["NO"] = "no", ["STEPS"] = "steps", ["EPOCH"] = "epoch", ["BEST"] = "best" },
        ["HubStrategy"] = new() { ["END"] = "end", ["EVERY_SAVE"] = "every_save", ["CHECKPOINT"] = "checkpoint", ["ALL_CHECKPOINTS"] = "all_checkpoints" },
        ["SchedulerType"] = new()
        {
            ["LINEAR"] = "linear", ["COSINE"] = "cosine", ["COSINE_WITH_RESTARTS"] = "cosine_with_restarts", ["POLYNOMIAL"] = "polynomial",
            ["CONSTANT"] = "constant", ["CONSTANT_WITH_WARMUP"] = "constant_with_warmup", ["INVERSE_SQRT"] = "inverse_sqrt",
            ["REDUCE_ON_PLATEAU"] = "reduce_lr_on_plateau",
        },
        ["TaskType"] = new()
        {
            ["CAUSAL_LM"] = "CAUSAL_LM", ["SEQ_2_SEQ_LM"] = "SEQ_2_SEQ_LM", ["SEQ_CLS"] = "SEQ_CLS", ["TOKEN_CLS"] = "TOKEN_CLS",
            ["QUESTION_ANS"] = "QUESTION_ANS", ["FEATURE_EXTRACTION"] = "FEATURE_EXTRACTION",
        },
    };

    private static readonly HashSet<string> ArgParsing = new(StringComparer.Ordinal)
        { "parse_args", "parse_known_args", "parse_args_into_dataclasses", "parse_dict", "parse_json_file", "parse_yaml_file" };

    /// <summary>The value of an expression as seen at <paramref name="at"/> from <paramref name="block"/>.</summary>
    public ConfigValue Eval(PyExpr e, int at, PyBlock block, string path, string? section, int depth)
    {
        if (depth > MaxEvalDepth) return ConfigValue.Unknown("an expression nested too deeply to follow");
        switch (e)
        {
            case PyNumber n:
                return PythonLiterals.Number(n.Text);
            case PyString s:
                return PythonLiterals.String(Code, s.Parts);
            case PyName { Name: "True" }:
                return ConfigValue.Bool(true);
            case PyName { Name: "False" }:
                return ConfigValue.Bool(false);
            case PyName { Name: "None" }:
                return ConfigValue.Null;
            case PyName n:
            {
                var (a, reason) = Resolve(n.Name, at, block);
                if (reason is not null || a is null) return ConfigValue.Unknown(reason ?? $"`{n.Name}` is not assigned in this file");
                return EvalBinding(a, path, section, depth + 1);
            }
            case PyAttribute attr:
                return Attribute(attr, at, block);
            case PyUnary u:
                return PythonArithmetic.Unary(u.Op, Eval(u.Operand, at, block, path, section, depth + 1));
            case PyBinary b:
            {
                var l = Eval(b.Left, at, block, path, section, depth + 1);
                if (b.Op is "and" or "or")
                {
                    if (!l.IsKnown) return l;
                    bool truthy = PythonArithmetic.Truthy(l);
                    return (b.Op == "or") == truthy ? l : Eval(b.Right, at, block, path, section, depth + 1);
                }
                return PythonArithmetic.Binary(b.Op, l, Eval(b.Right, at, block, path, section, depth + 1));
            }
            case PyDisplay { Kind: PyDisplayKind.List or PyDisplayKind.Tuple } d:
            {
                if (d.Items.Any(x => x is PyStarred)) return ConfigValue.Unknown($"a sequence with a *starred item ({Clip(d)})");
                var items = new List<ConfigValue>(d.Items.Count);
                for (int i = 0; i < d.Items.Count; i++) items.Add(Eval(d.Items[i], at, block, $"{path}[{i}]", section, depth + 1));
                return ConfigValue.Sequence(items);
            }
            case PyDisplay d:
                return ConfigValue.Unknown($"a set ({Clip(d)})");
            case PyDict dict:
            {
                var (entries, problem) = DictEntries(dict, at, block, section, path, depth + 1);
                return problem is null ? ConfigValue.Mapping(entries) : ConfigValue.Unknown(problem);
            }
            case PyCall c when c.Callee.DottedName() == "dict":
            {
                var entries = ArgEntries(c, at, block, section ?? "dict", path, false, depth + 1, dictCall: true);
                return ConfigValue.Mapping(entries);
            }
            case PyCall { Args.Count: 2 } c when c.Callee.DottedName() == "getattr" && c.Args[0].Kind == PyArgKind.Positional
                && c.Args[0].Value.DottedName() == "torch" && c.Args[1].Kind == PyArgKind.Positional:
            {
                // compute_dtype = getattr(torch, "float16"): the QLoRA tutorials' way to name a dtype.
                var name = Eval(c.Args[1].Value, at, block, path, section, depth + 1);
                if (name.Kind == ValueKind.String && TorchDtypes.Contains((string)name.Raw!)) return name;
                return name.IsKnown ? ConfigValue.Unknown($"getattr(torch, {name}) is not a torch dtype") : name;
            }
            case PyCall c:
                return ConfigValue.Unknown($"the result of calling {c.Callee.DottedName() ?? Clip(c.Callee)}()");
            case PyStarred st:
                return ConfigValue.Unknown($"a *starred expression ({Clip(st)})");
            case PyOther o:
                return ConfigValue.Unknown(o.What);
            default:
                return ConfigValue.Unknown(Clip(e));
        }
    }

    private ConfigValue Attribute(PyAttribute attr, int at, PyBlock block)
    {
        var dotted = attr.DottedName();
        if (attr.Target.DottedName() == "torch" && TorchDtypes.Contains(attr.Name))
            return ConfigValue.String(attr.Name); // torch.bfloat16 -> "bfloat16", as transformers accepts the name too
        if (attr.Target.LastName() is { } cls && Enums.TryGetValue(cls, out var members) && members.TryGetValue(attr.Name, out var member))
            return ConfigValue.String(member);

        // args.learning_rate where args = parser.parse_args(): a command-line value.
        var root = attr.Target;
        while (root is PyAttribute inner) root = inner.Target;
        if (root is PyName n)
        {
            var (a, _) = Resolve(n.Name, at, block);
            if (a is not null && a.UnknownReason is null && ValueOf(a) is var v)
            {
                var call = v as PyCall ?? (v is PyDisplay { Kind: PyDisplayKind.Tuple } t && t.Items.Count > 0 ? t.Items[0] as PyCall : null);
                if (call?.Callee.LastName() is { } fn && ArgParsing.Contains(fn))
                    return ConfigValue.Unknown($"`{dotted ?? Clip(attr)}` comes from the command line ({fn})");
                if (a.TupleIndex >= 0 && v is PyCall tc && tc.Callee.LastName() is { } tf && ArgParsing.Contains(tf))
                    return ConfigValue.Unknown($"`{dotted ?? Clip(attr)}` comes from the command line ({tf})");
            }
        }
        return ConfigValue.Unknown($"`{dotted ?? Clip(attr)}` is an attribute, known only at run time");
    }
}
