using System.Text.Json.Nodes;
using Stepwise.Tokenizers;
using Stepwise.Trainer.Data;

namespace Stepwise.Workspace.Tokens;

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
