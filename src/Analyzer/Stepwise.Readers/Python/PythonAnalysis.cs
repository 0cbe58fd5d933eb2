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
public sealed partial class PythonAnalysis
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
}
