using System.Text.Json.Nodes;
using Stepwise.Core.Model;
using Stepwise.Core.Packing;
using Stepwise.Tokenizers;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.Tokenization;
using Stepwise.Jinja;

namespace Stepwise.Workspace.Tokens;

/// <summary>One record as the tool tokenizes it: its length, and the first and last trained label (-1: none). Length -1: dropped while tokenizing.</summary>
public readonly record struct TokenizedRecord(int Length, int FirstLabel, int LastLabel)
{
    public static readonly TokenizedRecord Invalid = new(-1, -1, -1);
}

/// <summary>Renders and tokenizes one record the way a tool's preprocessing does (see each implementation's source).</summary>
public interface IRecordRenderer
{
    /// <summary>What it reproduces, for messages ("axolotl alpaca (AlpacaPrompter, instruct)").</summary>
    string Describe { get; }
    TokenizedRecord Render(DataRecord record);
}

/// <summary>Thrown for a dataset format or template Stepwise does not reproduce: the counts stay unknown, with this reason.</summary>
public sealed class NotReproducedException : Exception
{
    public NotReproducedException(string message) : base(message) { }
}

/// <summary>Tokenizer calls the way transformers makes them.</summary>
internal static class Tok
{
    /// <summary>
    /// tokenizer(text, truncation=True, max_length=max) for one sequence: the special tokens stay, the text's own tokens
    /// are cut from the end so the whole fits (tokenization_utils_base.py truncate_sequences, "longest_first" on one
    /// sequence removes from its end).
    /// </summary>
    public static int[] Call(TextTokenizer tok, string text, bool addSpecialTokens, int? max = null)
    {
        var enc = tok.EncodeWithOffsets(text, addSpecialTokens);
        var ids = enc.Ids;
        if (max is not int m || ids.Length <= m) return ids;
        int content = enc.SequenceEnd - enc.SequenceStart, special = ids.Length - content;
        int keep = Math.Max(0, m - special);
        var result = new int[special + keep];
        Array.Copy(ids, 0, result, 0, enc.SequenceStart);
        Array.Copy(ids, enc.SequenceStart, result, enc.SequenceStart, keep);
        Array.Copy(ids, enc.SequenceEnd, result, enc.SequenceStart + keep, ids.Length - enc.SequenceEnd);
        return result;
    }
}

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

/// <summary>
/// TRL SFTTrainer._prepare_dataset (v1.9.0): "text" records get the EOS text appended unless they end with it and are
/// tokenized with the tokenizer's special tokens (every token trained); prompt / completion records tokenize the prompt
/// and prompt + completion (+ EOS), training the completion when completion_only_loss; "messages" (and ShareGPT
/// "conversations", converted to ChatML first) are rendered by the tokenizer's chat template and tokenized without
/// special tokens (apply_chat_template(tokenize=True)), the assistant turns trained when assistant_only_loss.
/// </summary>
public sealed class TrlRenderer : IRecordRenderer
{
    private readonly TextTokenizer _tok;
    private readonly ChatTemplate? _template;
    private readonly string _textField;
    private readonly bool? _completionOnly;
    private readonly bool _assistantOnly;

    public TrlRenderer(TextTokenizer tok, ChatTemplate? template, string? textField, bool? completionOnly, bool assistantOnly)
    {
        _tok = tok; _template = template; _textField = textField ?? "text"; _completionOnly = completionOnly; _assistantOnly = assistantOnly;
    }

    public string Describe => "TRL SFTTrainer (text, prompt-completion and messages formats)";

    private string Eos => _tok.EosToken ?? "";

    public TokenizedRecord Render(DataRecord r)
    {
        var f = r.Fields;
        bool chatPrompt = f["prompt"] is JsonArray;
        if (f.ContainsKey("prompt"))
        {
            if (chatPrompt)
            {
                var prompt = Messages(f["prompt"] as JsonArray, r);
                var completion = Messages(f["completion"] as JsonArray, r);
                var promptIds = Chat(prompt, addGenerationPrompt: true, r);
                var all = Chat(prompt.Concat(completion).ToList(), addGenerationPrompt: false, r);
                return Completion(promptIds.Length, all.Length);
            }
            string p = r.Str("prompt") ?? "";
            string c = r.Str("completion") ?? throw new DatasetException($"{r.Where}: prompt record without \"completion\"");
            if (!c.EndsWith(Eos, StringComparison.Ordinal)) c += Eos;
            int promptLength = Tok.Call(_tok, p, true).Length;
            int total = Tok.Call(_tok, p + c, true).Length;
            return Completion(promptLength, total);
        }
        if (f["messages"] is JsonArray || f["conversations"] is JsonArray)
        {
            var messages = RecordShapes.Conversation(r);
            if (_template is null) throw new NotReproducedException("the tokenizer has no chat template for the messages records");
            string text = Render(messages, false, r);
            var enc = _tok.EncodeWithOffsets(text, addSpecialTokens: false);
            if (!_assistantOnly) return new TokenizedRecord(enc.Count, enc.Count > 0 ? 0 : -1, enc.Count - 1);
            if (!_template.HasGenerationBlocks)
                throw new NotReproducedException("assistant_only_loss needs {% generation %} blocks in the chat template (TRL raises without them)");
            var segments = _template.Segments(messages, r.Where);
            return Masked(enc, segments);
        }
        string body = r.Str(_textField) ?? throw new DatasetException($"{r.Where}: record without \"{_textField}\" (dataset_text_field), \"prompt\" or \"messages\"");
        if (!body.EndsWith(Eos, StringComparison.Ordinal)) body += Eos;
        var ids = Tok.Call(_tok, body, true);
        return new TokenizedRecord(ids.Length, ids.Length > 0 ? 0 : -1, ids.Length - 1);
    }

    private TokenizedRecord Completion(int promptLength, int total)
    {
        // SFTTrainer: completion_only_loss None means "on for prompt-completion data".
        bool only = _completionOnly ?? true;
        int first = only ? (total > promptLength ? promptLength : -1) : (total > 0 ? 0 : -1);
        return new TokenizedRecord(total, first, first < 0 ? -1 : total - 1);
    }

    private List<object?> Messages(JsonArray? list, DataRecord r)
    {
        if (list is null) throw new DatasetException($"{r.Where}: conversational prompt without a conversational completion");
        var wrapped = new JsonObject { ["messages"] = list.DeepClone() };
        return RecordShapes.Conversation(new DataRecord(wrapped, r.Source, r.Line));
    }

    private int[] Chat(List<object?> messages, bool addGenerationPrompt, DataRecord r)
    {
        if (_template is null) throw new NotReproducedException("the tokenizer has no chat template for the conversational records");
        return _tok.EncodeWithOffsets(Render(messages, addGenerationPrompt, r), addSpecialTokens: false).Ids;
    }

    private string Render(List<object?> messages, bool gen, DataRecord r)
    {
        try { return _template!.Render(messages, gen); }
        catch (JinjaException e) { throw new DatasetException($"{r.Where}: the chat template ({_template!.Origin}) failed at {e.Line}:{e.Column}: {e.Reason}"); }
        catch (TemplateRaisedException e) { throw new DatasetException($"{r.Where}: the chat template ({_template!.Origin}) refused the conversation: {e.Message}"); }
    }

    internal static TokenizedRecord Masked(TokenEncoding enc, IReadOnlyList<Segment> segments)
    {
        var spans = new List<(int, int)>();
        int at = 0;
        foreach (var s in segments) { if (s.Trainable) spans.Add((at, at + s.Text.Length)); at += s.Text.Length; }
        var mask = enc.SpanMask(spans);
        int first = Array.IndexOf(mask, true), last = Array.LastIndexOf(mask, true);
        return new TokenizedRecord(enc.Count, first, last);
    }
}

/// <summary>
/// LLaMA-Factory's supervised preprocessing (data/converter.py AlpacaDatasetConverter / SharegptDatasetConverter,
/// data/template.py Template._encode, data/processor/supervised.py _encode_data_example with processor_utils.py
/// infer_seqlen; v0.9.3-v0.9.5) for the templates in <see cref="LlamaFactoryTemplate.Known"/>: every slot tokenized on
/// its own without special tokens, {bos_token} / {eos_token} as ids, each (prompt, response) pair truncated to what is
/// left of cutoff_len (less one when packing), the prompts masked unless train_on_prompt.
/// </summary>
public sealed class LlamaFactoryRenderer : IRecordRenderer
{
    private readonly TextTokenizer _tok;
    private readonly LlamaFactoryTemplate _template;
    private readonly int _cutoff;
    private readonly bool _trainOnPrompt;
    private readonly LlamaFactoryColumns _columns;
    private readonly int? _eosId;
    private readonly Dictionary<string, int[]> _pieces = new(StringComparer.Ordinal);

    public LlamaFactoryRenderer(TextTokenizer tok, LlamaFactoryTemplate template, int cutoffLen, bool trainOnPrompt, LlamaFactoryColumns columns)
    {
        _tok = tok; _template = template; _cutoff = cutoffLen; _trainOnPrompt = trainOnPrompt; _columns = columns;
        // Template.fix_special_tokens: replace_eos makes the first stop word the EOS token.
        _eosId = template.ReplaceEos && template.StopWords.Length > 0 ? Single(template.StopWords[0]) : tok.EosId;
    }

    public string Describe => $"LLaMA-Factory template {_template.Name}";

    private int? Single(string token)
    {
        var ids = _tok.Encode(token, addSpecialTokens: false);
        return ids.Count == 1 ? ids[0] : null;
    }

    private List<int> Slots(IEnumerable<object> slots, string content)
    {
        var ids = new List<int>();
        foreach (var slot in slots)
        {
            switch (slot)
            {
                case string s:
                    var text = s.Replace("{{content}}", content, StringComparison.Ordinal);
                    if (text.Length > 0) ids.AddRange(_tok.Encode(text, addSpecialTokens: false));
                    break;
                case LlamaFactoryTemplate.Special.Bos when _tok.BosId is int bos: ids.Add(bos); break;
                case LlamaFactoryTemplate.Special.Eos when _eosId is int eos: ids.Add(eos); break;
            }
        }
        return ids;
    }

    public TokenizedRecord Render(DataRecord r)
    {
        var (prompt, response, system) = _columns.Convert(r);
        // supervised.py preprocess_dataset: an odd number of prompt turns and one response, else "Dropped invalid example".
        if (prompt.Count % 2 != 1 || response.Count != 1) return TokenizedRecord.Invalid;
        var messages = prompt.Concat(response).ToList();
        string sys = string.IsNullOrEmpty(system) ? _template.DefaultSystem : system!;
        var encoded = new List<List<int>>();
        for (int i = 0; i < messages.Count; i++)
        {
            var (role, content) = messages[i];
            var ids = new List<int>();
            if (i == 0)
            {
                ids.AddRange(Slots(_template.Prefix, ""));
                if (sys.Length > 0) ids.AddRange(Slots(_template.System, sys));
            }
            ids.AddRange(Slots(role == "user" ? _template.User : _template.Assistant, content));
            encoded.Add(ids);
        }
        int total = _template.EfficientEos ? 1 : 0;
        int length = 0, first = -1, last = -1;
        for (int k = 0; k + 1 < encoded.Count; k += 2)
        {
            if (total >= _cutoff) break;
            var (sourceLen, targetLen) = InferSeqLen(encoded[k].Count, encoded[k + 1].Count, _cutoff - total);
            total += sourceLen + targetLen;
            // Labels: the source masked (its first token is EOS for efficient_eos after turn 0), the target trained.
            if (_trainOnPrompt && sourceLen > 0) { if (first < 0) first = length; last = length + sourceLen - 1; }
            else if (_template.EfficientEos && k != 0 && sourceLen > 0) { if (first < 0) first = length; last = Math.Max(last, length); }
            if (targetLen > 0) { if (first < 0) first = length + sourceLen; last = length + sourceLen + targetLen - 1; }
            length += sourceLen + targetLen;
        }
        if (_template.EfficientEos) { if (first < 0) first = length; last = length; length++; }
        return new TokenizedRecord(length, first, last);
    }

    /// <summary>processor_utils.py infer_seqlen (v0.9.3+).</summary>
    public static (int Source, int Target) InferSeqLen(int sourceLen, int targetLen, int cutoffLen)
    {
        int maxTarget;
        if (targetLen * 2 < cutoffLen) maxTarget = cutoffLen;
        else if (sourceLen * 2 < cutoffLen) maxTarget = cutoffLen - sourceLen;
        else maxTarget = (int)(cutoffLen * ((double)targetLen / (sourceLen + targetLen)));
        int newTarget = Math.Min(maxTarget, targetLen);
        int maxSource = Math.Max(cutoffLen - newTarget, 0);
        int newSource = Math.Min(maxSource, sourceLen);
        return (newSource, newTarget);
    }
}

/// <summary>How a LLaMA-Factory dataset's records become turns (dataset_info.json "formatting" and "columns").</summary>
public sealed record LlamaFactoryColumns
{
    public string Formatting { get; init; } = "alpaca";
    public string Prompt { get; init; } = "instruction";
    public string Query { get; init; } = "input";
    public string Response { get; init; } = "output";
    public string? History { get; init; }
    public string? System { get; init; }
    public string Messages { get; init; } = "conversations";
    public string RoleTag { get; init; } = "from";
    public string ContentTag { get; init; } = "value";
    public string UserTag { get; init; } = "human";
    public string AssistantTag { get; init; } = "gpt";
    public string SystemTag { get; init; } = "system";

    /// <summary>converter.py: alpaca (history pairs, then prompt + "\n" + query) or sharegpt (alternating tags).</summary>
    public (List<(string Role, string Content)> Prompt, List<(string Role, string Content)> Response, string? System) Convert(DataRecord r)
    {
        var prompt = new List<(string, string)>();
        var response = new List<(string, string)>();
        if (Formatting == "alpaca")
        {
            if (History is not null && r.Fields[History] is JsonArray hist)
                foreach (var pair in hist.OfType<JsonArray>())
                    if (pair.Count >= 2) { prompt.Add(("user", pair[0]?.ToString() ?? "")); prompt.Add(("assistant", pair[1]?.ToString() ?? "")); }
            var query = new List<string>();
            if (r.Str(Prompt) is { Length: > 0 } p) query.Add(p);
            if (r.Str(Query) is { Length: > 0 } q) query.Add(q);
            prompt.Add(("user", string.Join("\n", query)));
            if (r.Fields[Response] is JsonValue v && v.TryGetValue<string>(out var resp)) response.Add(("assistant", resp));
            return (prompt, response, System is null ? "" : r.Str(System));
        }
        if (r.Fields[Messages] is not JsonArray turns) return (prompt, response, null);
        var list = turns.OfType<JsonObject>().ToList();
        string? system;
        if (list.Count > 0 && list[0][RoleTag]?.ToString() == SystemTag) { system = list[0][ContentTag]?.ToString(); list.RemoveAt(0); }
        else system = System is null ? "" : r.Str(System);
        var all = new List<(string, string)>();
        for (int i = 0; i < list.Count; i++)
        {
            string tag = list[i][RoleTag]?.ToString() ?? "";
            if (tag is "observation" or "function_call")
                throw new NotReproducedException("tool turns (observation / function_call) of LLaMA-Factory's sharegpt format are not reproduced");
            string expected = i % 2 == 0 ? UserTag : AssistantTag;
            // SharegptDatasetConverter: turns that do not alternate make the example invalid (dropped).
            if (tag != expected) return (new(), new(), system);
            all.Add((i % 2 == 0 ? "user" : "assistant", list[i][ContentTag]?.ToString() ?? ""));
        }
        if (all.Count % 2 != 0 || all.Count == 0) return (new(), new(), system);
        return (all.Take(all.Count - 1).ToList(), all.Skip(all.Count - 1).ToList(), system);
    }
}

/// <summary>
/// The LLaMA-Factory templates Stepwise reproduces, copied as data (their slots) from data/template.py register_template
/// (v0.9.5); a template not here leaves the counts unknown. Defaults as register_template fills them: user "{{content}}",
/// system like user, assistant "{{content}}" + EOS (just "{{content}}" with efficient_eos), no prefix.
/// </summary>
public sealed record LlamaFactoryTemplate(string Name, object[] User, object[] Assistant, object[] System, object[] Prefix,
    string DefaultSystem, string[] StopWords, bool ReplaceEos, bool EfficientEos)
{
    public enum Special { Bos, Eos }

    private static LlamaFactoryTemplate Make(string name, object[]? user = null, object[]? assistant = null, object[]? system = null,
        object[]? prefix = null, string defaultSystem = "", string[]? stopWords = null, bool replaceEos = false, bool efficientEos = false)
    {
        var defaultUser = new object[] { "{{content}}" };
        return new LlamaFactoryTemplate(name, user ?? defaultUser,
            assistant ?? (efficientEos ? new object[] { "{{content}}" } : new object[] { "{{content}}", Special.Eos }),
            system ?? user ?? defaultUser, prefix ?? Array.Empty<object>(), defaultSystem, stopWords ?? Array.Empty<string>(), replaceEos, efficientEos);
    }

    public static readonly IReadOnlyDictionary<string, LlamaFactoryTemplate> Known = new Dictionary<string, LlamaFactoryTemplate>(StringComparer.Ordinal)
    {
        ["default"] = Make("default",
            user: new object[] { "Human: {{content}}", Special.Eos, "\nAssistant:" },
            assistant: new object[] { "{{content}}", Special.Eos, "\n" },
            system: new object[] { "System: {{content}}", Special.Eos, "\n" }),
        ["alpaca"] = Make("alpaca",
            user: new object[] { "### Instruction:\n{{content}}\n\n### Response:\n" },
            assistant: new object[] { "{{content}}", Special.Eos, "\n\n" },
            defaultSystem: "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"),
        ["empty"] = Make("empty", assistant: new object[] { "{{content}}" }),
        ["llama3"] = Make("llama3",
            user: new object[] { "<|start_header_id|>user<|end_header_id|>\n\n{{content}}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n" },
            assistant: new object[] { "{{content}}<|eot_id|>" },
            system: new object[] { "<|start_header_id|>system<|end_header_id|>\n\n{{content}}<|eot_id|>" },
            prefix: new object[] { Special.Bos },
            stopWords: new[] { "<|eot_id|>", "<|eom_id|>" }, replaceEos: true),
        ["qwen"] = Make("qwen",
            user: new object[] { "<|im_start|>user\n{{content}}<|im_end|>\n<|im_start|>assistant\n" },
            assistant: new object[] { "{{content}}<|im_end|>\n" },
            system: new object[] { "<|im_start|>system\n{{content}}<|im_end|>\n" },
            defaultSystem: "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
            stopWords: new[] { "<|im_end|>" }, replaceEos: true),
        ["chatml"] = Make("chatml",
            user: new object[] { "<|im_start|>user\n{{content}}<|im_end|>\n<|im_start|>assistant\n" },
            assistant: new object[] { "{{content}}<|im_end|>\n" },
            system: new object[] { "<|im_start|>system\n{{content}}<|im_end|>\n" },
            stopWords: new[] { "<|im_end|>", "<|im_start|>" }, replaceEos: true),
    };
}
