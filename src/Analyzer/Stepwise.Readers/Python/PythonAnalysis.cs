using System.Text.RegularExpressions;
using Stepwise.Core.Model;
using Stepwise.Core.Text;

namespace Stepwise.Readers.Python;

/// <summary>
/// A call of a TrainingArguments-family class, BitsAndBytesConfig or LoraConfig found in the code. Name is the class as
/// called (aliases resolved); Owner the upstream class it is (for a subclass defined in the file, the class it extends;
/// for a class known only from a trainer's args=, itself).
/// </summary>
public sealed record FoundCall(PyCall Call, string Name, string Owner, bool IsTraining, PyBlock Block);

/// <summary>
/// A call of a trainer class (Trainer, SFTTrainer, a subclass defined in the file or imported...): the expressions it
/// takes its training arguments, its model, its adapter config and (TRL trainers) its quantization config from (null
/// when not given).
/// </summary>
public sealed record TrainerCall(PyCall Call, string Name, PyBlock Block, PyExpr? Args, PyExpr? Model, PyExpr? PeftConfig,
    PyExpr? QuantizationConfig);

/// <summary>
/// Reads a Python text statically: tokens, statement structure, the calls that configure training, and the values of
/// their keyword arguments where the text alone decides them (literals, arithmetic, module constants, torch dtypes,
/// dicts splatted with **). Everything else is <see cref="ConfigValue.Unknown"/> with the reason. Nothing is executed.
/// </summary>
public sealed class PythonAnalysis
{
    /// <summary>
    /// transformers' TrainingArguments and Seq2SeqTrainingArguments, and TRL's configs that extend TrainingArguments:
    /// every class deriving from trl/trainer/base_config.py's _BaseConfig, directly or through another config, in TRL
    /// v1.9.0 (trl/trainer and trl/experimental). Other subclasses are found from the file: a class defined there that
    /// extends one of these, and any class whose call a trainer takes as args=.
    /// </summary>
    public static readonly HashSet<string> TrainingCalls = new(StringComparer.Ordinal)
    {
        "TrainingArguments", "Seq2SeqTrainingArguments",
        "SFTConfig", "DPOConfig", "GRPOConfig", "KTOConfig", "RewardConfig", "RLOOConfig",
        "AsyncGRPOConfig", "BCOConfig", "CPOConfig", "DistillationConfig", "GKDConfig", "GMPOConfig", "GOLDConfig",
        "GRPOWithReplayBufferConfig", "IWOPDConfig", "MiniLLMConfig", "NashMDConfig", "ORPOConfig", "OnlineDPOConfig",
        "PPOConfig", "PRMConfig", "SDFTConfig", "SDPOConfig", "SSDConfig", "ServerDistillationConfig", "TPOConfig", "XPOConfig",
    };

    /// <summary>Quantization and adapter configs: checked with the training call whose run they configure, else on their own.</summary>
    public static readonly HashSet<string> AuxiliaryCalls = new(StringComparer.Ordinal) { "BitsAndBytesConfig", "LoraConfig" };

    /// <summary>
    /// Where a trainer takes its model and args when they are passed by position: transformers' Trainer and
    /// Seq2SeqTrainer (model, args, ...); TRL v1.9.0's SFTTrainer and RewardTrainer (model, args, ...), DPOTrainer and
    /// KTOTrainer (model, ref_model, args, ...), GRPOTrainer and RLOOTrainer (model, reward_funcs, args, ...). Any other
    /// trainer is followed through its keywords only.
    /// </summary>
    private static readonly Dictionary<string, int> ArgsPosition = new(StringComparer.Ordinal)
    {
        ["Trainer"] = 1, ["Seq2SeqTrainer"] = 1, ["SFTTrainer"] = 1, ["RewardTrainer"] = 1,
        ["DPOTrainer"] = 2, ["KTOTrainer"] = 2, ["GRPOTrainer"] = 2, ["RLOOTrainer"] = 2,
    };

    private const int MaxEvalDepth = 48;

    private readonly ISourceMap _map;
    private readonly LineIndex _host;
    private readonly string? _path;
    private readonly int[] _nextNewline;
    private readonly Dictionary<(PyAssignment, string, string?), ConfigValue> _memo = new();

    public PythonAnalysis(string code, ISourceMap map, LineIndex host, string? path, IReadOnlyList<int>? boundaries = null, bool notebook = false)
    {
        Code = code; _map = map; _host = host; _path = path;
        Tokens = PythonTokenizer.Tokenize(code, boundaries, notebook);
        Module = new PythonModule(Tokens);
        Parser = new PythonParser(Tokens);
        Editor = new PythonEditor(code, map, host);
        var t = Tokens.Code;
        _nextNewline = new int[t.Length];
        int next = t.Length - 1;
        for (int k = t.Length - 1; k >= 0; k--)
        {
            if (t[k].Kind is TokenKind.Newline or TokenKind.EndOfFile) next = k;
            _nextNewline[k] = next;
        }
    }

    public string Code { get; }
    public TokenStream Tokens { get; }
    public PythonModule Module { get; }
    public PythonParser Parser { get; }
    public PythonEditor Editor { get; }

    /// <summary>A code range as a span in the host text.</summary>
    public SourceSpan Span(int start, int end)
    {
        int hs = _map.ToHost(start);
        int he = _map.ToHost(Math.Max(start, end));
        return _host.Span(hs, Math.Max(0, he - hs));
    }

    private bool IsOp(int k, string op) => k >= 0 && k < Tokens.Code.Length && Tokens.Code[k].Kind == TokenKind.Op && Tokens.Code[k].Is(Code, op);
    private bool IsName(int k) => k >= 0 && k < Tokens.Code.Length && Tokens.Code[k].Kind == TokenKind.Name;

    /// <summary>The trainer calls of the file, in source order (set by <see cref="FindCalls"/>).</summary>
    public IReadOnlyList<TrainerCall> Trainers { get; private set; } = Array.Empty<TrainerCall>();

    // Per class as called: its upstream class and the fields declared by subclasses defined in the file (entry owners).
    private readonly Dictionary<string, (string Upstream, HashSet<string> LocalFields)> _owners = new(StringComparer.Ordinal);

    /// <summary>
    /// Every call of a TrainingArguments-family class, BitsAndBytesConfig or LoraConfig, in source order; the trainer
    /// calls go to <see cref="Trainers"/>. The family is the known classes, the subclasses of a family class defined in the
    /// file, and every class a trainer's args= is a call of (directly or through a name bound to the call).
    /// </summary>
    public List<FoundCall> FindCalls()
    {
        var t = Tokens.Code;
        var classes = new Dictionary<string, PyBlock>(StringComparer.Ordinal);
        foreach (var c in Module.Classes)
            if (c.Name is { } n) classes[n] = c;

        string Real(string name) => Module.Aliases.TryGetValue(name, out var real) ? real : name;

        // Every call site: the token of the callee's last name, and where the dotted callee starts.
        var sites = new List<(int Name, int Start, string Class)>();
        for (int k = 0; k + 1 < t.Length; k++)
        {
            if (t[k].Kind != TokenKind.Name || !IsOp(k + 1, "(")) continue;
            if (k > 0 && t[k - 1].Kind == TokenKind.Name && t[k - 1].Text(Code) is "def" or "class") continue;
            int s = k;
            while (s >= 2 && IsOp(s - 1, ".") && IsName(s - 2)) s -= 2;
            sites.Add((k, s, Real(t[k].Text(Code))));
        }

        // The known class a name is or extends through classes defined in the file (null when none); each class is
        // visited once per question, so cyclic or diamond-shaped class graphs cost linear time.
        var memo = new Dictionary<(string, Func<string, bool>), string?>();
        string? Upstream(string name, Func<string, bool> known)
        {
            if (memo.TryGetValue((name, known), out var done)) return done;
            var visited = new HashSet<string>(StringComparer.Ordinal);
            string? Walk(string n, int depth)
            {
                if (known(n)) return n;
                if (depth > 64 || !visited.Add(n) || !classes.TryGetValue(n, out var cls)) return null;
                foreach (var b in cls.Bases)
                    if (Walk(Real(b), depth + 1) is { } u) return u;
                return null;
            }
            return memo[(name, known)] = Walk(name, 0);
        }
        // Trainer classes by name: Trainer, SFTTrainer, UnslothTrainer... (and the file's subclasses of them).
        Func<string, bool> isTrainer = n => n.EndsWith("Trainer", StringComparison.Ordinal) && char.IsUpper(n[0]);

        // Trainer calls, and the classes their args= are calls of.
        var trainers = new List<TrainerCall>();
        var argsClasses = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (k, s, cls) in sites)
        {
            if (Upstream(cls, isTrainer) is not { } trainerClass) continue;
            var call = ParseSite(k, s);
            var block = Module.BlockAt(t[s].Start);
            ArgsPosition.TryGetValue(trainerClass, out int argsAt);
            var args = Argument(call, "args", argsAt > 0 ? argsAt : -1);
            var trainer = new TrainerCall(call, cls, block, args, Argument(call, "model", 0), Argument(call, "peft_config", -1),
                Argument(call, "quantization_config", -1));
            trainers.Add(trainer);
            if (args is not null && ClassCalled(args, call.Start, block) is { } argsClass && !AuxiliaryCalls.Contains(argsClass))
                argsClasses.Add(argsClass);
        }
        Trainers = trainers;

        Func<string, bool> isTraining = n => TrainingCalls.Contains(n) || argsClasses.Contains(n);
        Func<string, bool> isAux = AuxiliaryCalls.Contains;
        var found = new List<FoundCall>();
        foreach (var (k, s, cls) in sites)
        {
            var training = Upstream(cls, isTraining);
            var aux = training is null ? Upstream(cls, isAux) : null;
            if ((training ?? aux) is not { } owner) continue;
            if (!_owners.ContainsKey(cls)) _owners[cls] = (owner, LocalFields(cls, owner, classes, Real));
            found.Add(new FoundCall(ParseSite(k, s), cls, owner, training is not null, Module.BlockAt(t[s].Start)));
        }
        return found;
    }

    /// <summary>The fields the classes between <paramref name="cls"/> and its upstream class declare in the file.</summary>
    private static HashSet<string> LocalFields(string cls, string upstream, Dictionary<string, PyBlock> classes, Func<string, string> real)
    {
        var fields = new HashSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var todo = new Stack<string>();
        todo.Push(cls);
        while (todo.Count > 0)
        {
            var name = todo.Pop();
            if (name == upstream || !seen.Add(name) || !classes.TryGetValue(name, out var block)) continue;
            fields.UnionWith(block.Fields);
            foreach (var b in block.Bases) todo.Push(real(b));
        }
        return fields;
    }

    private PyCall ParseSite(int k, int s)
    {
        var t = Tokens.Code;
        PyExpr callee = new PyName(t[s].Text(Code), t[s].Start, t[s].End);
        for (int j = s + 2; j <= k; j += 2) callee = new PyAttribute(callee, t[j].Text(Code), callee.Start, t[j].End);
        int m = Tokens.Match[k + 1];
        int to = m > k ? m + 1 : _nextNewline[k + 1];
        return Parser.ParseCallAt(callee, k + 1, to);
    }

    /// <summary>The argument given as keyword <paramref name="keyword"/>, or at <paramref name="position"/> (-1: by keyword only).</summary>
    internal static PyExpr? Argument(PyCall call, string keyword, int position)
    {
        int index = 0;
        foreach (var a in call.Args)
        {
            if (a.Kind == PyArgKind.Keyword && a.Keyword == keyword) return a.Value;
            if (a.Kind == PyArgKind.Star) position = -1; // *xs: positions after it are not known
            if (a.Kind == PyArgKind.Positional && index++ == position) return a.Value;
        }
        return null;
    }

    /// <summary>The class an expression is a call of (X(...) or a name bound to one, followed as values are), or null.</summary>
    private string? ClassCalled(PyExpr e, int at, PyBlock block)
    {
        if (CallBehind(e, at, block) is not { } call || call.Callee.LastName() is not { Length: > 0 } name || !char.IsUpper(name[0])) return null;
        return Module.Aliases.TryGetValue(name, out var real) ? real : name;
    }

    /// <summary>
    /// The call an expression is: the call itself, or the call a name is bound to where that binding certainly holds
    /// (the last one before <paramref name="at"/>, not in a branch or loop that excludes it); else null.
    /// </summary>
    internal PyCall? CallBehind(PyExpr e, int at, PyBlock block, int depth = 0)
    {
        for (; depth < MaxEvalDepth; depth++)
        {
            switch (e)
            {
                case PyCall c:
                    return c;
                case PyName n:
                {
                    var (a, reason) = Resolve(n.Name, at, block);
                    if (reason is not null || a is null || a.UnknownReason is not null || a.AugmentedOp is not null || a.TupleIndex >= 0) return null;
                    e = ValueOf(a);
                    at = a.Statement.Start;
                    block = a.Block;
                    continue;
                }
                default:
                    return null;
            }
        }
        return null;
    }

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
