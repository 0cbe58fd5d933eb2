namespace Stepwise.Readers.Python;

/// <summary>
/// Which config calls of a file configure the same run, by data flow alone. A trainer call takes its training
/// arguments (args=), its model (model=), its adapter config (peft_config=) and, in TRL, its quantization config
/// (quantization_config=). The model comes from from_pretrained(..., quantization_config=...), possibly wrapped by
/// get_peft_model(model, LoraConfig(...)), prepare_model_for_kbit_training(model) or a method such as .to(device); a TRL
/// config can name the quantization config in model_init_kwargs. Only bindings that certainly hold where they are used
/// are followed (never one made in a branch or loop that may not have run, never a parameter), so settings of calls in
/// different functions or exclusive branches are never combined.
/// </summary>
internal sealed class PythonRuns
{
    private const int MaxDepth = 16;

    // Calls that return the model they are given (first argument or model=), wrapped or prepared for training.
    private static readonly HashSet<string> ModelWrappers = new(StringComparer.Ordinal)
    {
        "get_peft_model", "prepare_model_for_kbit_training", "prepare_model_for_int8_training",
    };

    // Methods of a model that return the same model (torch.nn.Module.to/cuda/... return self).
    private static readonly HashSet<string> ModelMethods = new(StringComparer.Ordinal)
    {
        "to", "cuda", "cpu", "half", "float", "bfloat16", "train", "eval", "requires_grad_",
    };

    private readonly PythonAnalysis _analysis;
    private readonly Dictionary<(int Start, int End), FoundCall> _byRange = new();

    public PythonRuns(PythonAnalysis analysis, IReadOnlyList<FoundCall> calls)
    {
        _analysis = analysis;
        foreach (var c in calls) _byRange[(c.Call.Start, c.Call.End)] = c;
    }

    /// <summary>
    /// For each training call, in source order: the BitsAndBytesConfig/LoraConfig calls of each run it configures (one
    /// list per distinct set, in source order). A training call no trainer takes makes one run on its own.
    /// </summary>
    public List<(FoundCall Training, List<FoundCall> Aux)> Runs(IReadOnlyList<FoundCall> calls)
    {
        var runs = new Dictionary<FoundCall, List<List<FoundCall>>>(ReferenceEqualityComparer.Instance);
        foreach (var trainer in _analysis.Trainers)
        {
            if (trainer.Args is null) continue;
            int at = trainer.Call.Start;
            if (Found(trainer.Args, at, trainer.Block) is not { IsTraining: true } training) continue;
            var aux = new List<FoundCall>();
            if (trainer.Model is { } model) ModelAux(model, at, trainer.Block, aux, 0);
            AddAux(trainer.PeftConfig, at, trainer.Block, aux);
            AddAux(trainer.QuantizationConfig, at, trainer.Block, aux);
            var set = Ordered(aux);
            if (!runs.TryGetValue(training, out var list)) runs[training] = list = new List<List<FoundCall>>();
            if (!list.Any(l => l.SequenceEqual(set))) list.Add(set);
        }

        var result = new List<(FoundCall, List<FoundCall>)>();
        foreach (var call in calls)
        {
            if (!call.IsTraining) continue;
            // model_init_kwargs={"quantization_config": ...}: the TRL trainer loads the model with it.
            var own = new List<FoundCall>();
            if (PythonAnalysis.Argument(call.Call, "model_init_kwargs", -1) is { } kwargs)
                AddAux(DictItem(kwargs, "quantization_config", call.Call.Start, call.Block), call.Call.Start, call.Block, own);
            if (!runs.TryGetValue(call, out var list)) list = new List<List<FoundCall>> { new() };
            foreach (var set in list) result.Add((call, Ordered(set.Concat(own))));
        }
        return result;
    }

    private static List<FoundCall> Ordered(IEnumerable<FoundCall> calls) =>
        calls.Distinct(ReferenceEqualityComparer.Instance).Cast<FoundCall>().OrderBy(c => c.Call.Start).ToList();

    /// <summary>The found call an expression is (the call itself, or a name certainly bound to it), or null.</summary>
    private FoundCall? Found(PyExpr e, int at, PyBlock block) =>
        _analysis.CallBehind(e, at, block) is { } c && _byRange.TryGetValue((c.Start, c.End), out var f) ? f : null;

    private void AddAux(PyExpr? e, int at, PyBlock block, List<FoundCall> aux)
    {
        if (e is not null && Found(e, at, block) is { IsTraining: false } f) aux.Add(f);
    }

    /// <summary>The quantization and adapter configs the model an expression evaluates to was built with.</summary>
    private void ModelAux(PyExpr e, int at, PyBlock block, List<FoundCall> aux, int depth)
    {
        if (depth > MaxDepth) return;
        switch (e)
        {
            case PyName n:
            {
                var (a, reason) = _analysis.Resolve(n.Name, at, block);
                if (reason is not null || a is null || a.UnknownReason is not null || a.AugmentedOp is not null) return;
                var value = _analysis.ValueOf(a);
                if (a.TupleIndex >= 0)
                {
                    // model, tokenizer = FastLanguageModel.from_pretrained(...): the model is the call's first result.
                    if (value is PyDisplay { Kind: PyDisplayKind.Tuple or PyDisplayKind.List } d && d.Items.Count == a.TupleCount)
                        value = d.Items[a.TupleIndex];
                    else if (a.TupleIndex != 0 || value is not PyCall) return;
                }
                ModelAux(value, a.Statement.Start, a.Block, aux, depth + 1);
                return;
            }
            case PyCall c:
            {
                var name = c.Callee.LastName();
                if (c.Callee is PyAttribute attr && name is not null && ModelMethods.Contains(name))
                {
                    ModelAux(attr.Target, at, block, aux, depth + 1);
                    return;
                }
                if (name is "from_pretrained" or "from_config")
                {
                    AddAux(PythonAnalysis.Argument(c, "quantization_config", -1)
                        ?? SplatItem(c, "quantization_config", at, block), at, block, aux);
                    // PeftModel.from_pretrained(base_model, adapter): the adapter goes on the model it is given.
                    if (c.Callee is PyAttribute { Target: var target } && target.LastName() is { } cls && cls.Contains("Peft", StringComparison.Ordinal)
                        && PythonAnalysis.Argument(c, "model", 0) is { } inner)
                        ModelAux(inner, at, block, aux, depth + 1);
                    return;
                }
                if (name is not null && ModelWrappers.Contains(name))
                {
                    if (PythonAnalysis.Argument(c, "model", 0) is { } inner) ModelAux(inner, at, block, aux, depth + 1);
                    if (name == "get_peft_model") AddAux(PythonAnalysis.Argument(c, "peft_config", 1), at, block, aux);
                }
                return;
            }
        }
    }

    /// <summary>A key given through a ** splat of the call: **dict(key=...), **{"key": ...}, or a name bound to one.</summary>
    private PyExpr? SplatItem(PyCall c, string key, int at, PyBlock block)
    {
        foreach (var a in c.Args)
            if (a.Kind == PyArgKind.DoubleStar && DictItem(a.Value, key, at, block) is { } v) return v;
        return null;
    }

    /// <summary>
    /// The value of <paramref name="key"/> in a dict display or dict(...) call, or a name certainly bound to one and not
    /// changed in place afterwards (x["k"] = ..., x.update(...)); else null.
    /// </summary>
    private PyExpr? DictItem(PyExpr e, string key, int at, PyBlock block)
    {
        if (e is PyName n)
        {
            var (a, reason) = _analysis.Resolve(n.Name, at, block);
            if (reason is not null || a is null || a.UnknownReason is not null || a.AugmentedOp is not null || a.TupleIndex >= 0) return null;
            // Any in-place change between the binding and the use may have replaced the key: not followed.
            if (_analysis.Module.Mutations.Any(m => m.Name == n.Name && m.At > a.Statement.Start && m.At < at)) return null;
            e = _analysis.ValueOf(a);
        }
        switch (e)
        {
            case PyCall c when c.Callee.DottedName() == "dict":
                return PythonAnalysis.Argument(c, key, -1);
            case PyDict d:
                foreach (var item in d.Items)
                    if (item.Key is PyString s && s.Parts.Count == 1 && (s.Parts[0].Flags & (StringFlags.Format | StringFlags.Template | StringFlags.Bytes)) == 0
                        && _analysis.Code.Substring(s.Parts[0].ContentStart, s.Parts[0].ContentEnd - s.Parts[0].ContentStart) == key)
                        return item.Value;
                return null;
            default:
                return null;
        }
    }
}
