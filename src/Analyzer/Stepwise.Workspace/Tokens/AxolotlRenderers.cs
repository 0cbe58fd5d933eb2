using Stepwise.Tokenizers;
using Stepwise.Trainer.Data;

namespace Stepwise.Workspace.Tokens;

/// <summary>
/// axolotl <c>type: alpaca</c> (prompt_tokenizers.py AlpacaPromptTokenizingStrategy with prompters.py AlpacaPrompter,
/// prompt style instruct, v0.18.0): the prompt "{system}\n\n### Instruction:\n...\n\n### Response:\n" tokenized with
/// truncation at sequence_len (BOS added), then the output tokenized the same way with its BOS stripped and EOS
/// appended when it fits; the prompt's labels are masked unless train_on_inputs.
/// </summary>
public sealed class AxolotlAlpacaRenderer : IRecordRenderer
{
    private const string SystemPrompt = "Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.";
    private const string SystemNoInput = "Below is an instruction that describes a task. Write a response that appropriately completes the request.";
    private readonly TextTokenizer _tok;
    private readonly int _max;
    private readonly bool _trainOnInputs;

    public AxolotlAlpacaRenderer(TextTokenizer tok, int sequenceLen, bool trainOnInputs) { _tok = tok; _max = sequenceLen; _trainOnInputs = trainOnInputs; }

    public string Describe => "axolotl alpaca (AlpacaPrompter, instruct style)";

    public static string Prompt(string instruction, string? input) => string.IsNullOrEmpty(input)
        ? $"{SystemNoInput}\n\n### Instruction:\n{instruction}\n\n### Response:\n"
        : $"{SystemPrompt}\n\n### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n";

    private int[] Tokenize(string text, bool addEos, bool stripBos)
    {
        // PromptTokenizingStrategy._tokenize: empty text gives nothing.
        if (text.Length == 0) return Array.Empty<int>();
        var ids = new List<int>(Tok.Call(_tok, text, addSpecialTokens: true, _max));
        if (ids.Count == 0) return Array.Empty<int>();
        if (_tok.EosId is int eos && ids[^1] != eos && ids.Count < _max && addEos) ids.Add(eos);
        if (stripBos && _tok.BosId is int bos && ids[0] == bos) ids.RemoveAt(0);
        return ids.ToArray();
    }

    public TokenizedRecord Render(DataRecord r)
    {
        string instruction = r.Str("instruction") ?? throw new DatasetException($"{r.Where}: alpaca record without \"instruction\"");
        string output = r.Str("output") ?? throw new DatasetException($"{r.Where}: alpaca record without \"output\"");
        var prompt = Tokenize(Prompt(instruction, r.Str("input")), addEos: false, stripBos: false);
        var response = Tokenize(output, addEos: true, stripBos: true);
        int length = prompt.Length + response.Length;
        if (length == 0) return new TokenizedRecord(0, -1, -1);
        int first = _trainOnInputs ? 0 : response.Length > 0 ? prompt.Length : -1;
        return new TokenizedRecord(length, first, first < 0 ? -1 : length - 1);
    }
}

/// <summary>
/// axolotl <c>type: completion</c> (prompt_strategies/completion.py, v0.18.0): the text field tokenized with truncation
/// at max_length (sequence_len) and EOS appended when it fits; every token is trained.
/// </summary>
public sealed class AxolotlCompletionRenderer : IRecordRenderer
{
    private readonly TextTokenizer _tok;
    private readonly int _max;
    private readonly string _field;

    public AxolotlCompletionRenderer(TextTokenizer tok, int sequenceLen, string? field) { _tok = tok; _max = sequenceLen; _field = field ?? "text"; }

    public string Describe => $"axolotl completion (field {_field})";

    public TokenizedRecord Render(DataRecord r)
    {
        string text = r.Str(_field) ?? throw new DatasetException($"{r.Where}: completion record without \"{_field}\"");
        if (text.Length == 0) return new TokenizedRecord(0, -1, -1);
        var ids = new List<int>(Tok.Call(_tok, text, true, _max));
        if (_tok.EosId is int eos && ids.Count > 0 && ids[^1] != eos && ids.Count < _max) ids.Add(eos);
        return new TokenizedRecord(ids.Count, ids.Count > 0 ? 0 : -1, ids.Count - 1);
    }
}
