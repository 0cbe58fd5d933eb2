using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.SafeTensors;
using Stepwise.Jinja;

namespace Stepwise.Trainer.Tokenization;

/// <summary>
/// A tokenizer's Jinja chat template, rendered as transformers' apply_chat_template does (messages, the special
/// tokens map, add_generation_prompt, tools=None, documents=None), and split into the text that is trained on (the
/// assistant turns) and the rest: by its {% generation %} blocks when it has them (transformers'
/// return_assistant_tokens_mask path), else by the prefix method TRL- and LLaMA-Factory-style pipelines use. The
/// conversation is rendered once and tokenized as one text; the trained parts are character ranges of it.
/// </summary>
public sealed class ChatTemplate
{
    /// <summary>The ChatML template as OpenHermes-2.5 / Qwen ship it (chat_template: chatml).</summary>
    public const string ChatMl = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private readonly JinjaTemplate _template;

    /// <summary>Where the template came from, for messages: "model/tokenizer_config.json", "built-in ChatML"...</summary>
    public string Origin { get; }
    public string Source { get; }
    /// <summary>bos_token, eos_token, ... as strings (the special tokens map transformers passes to the template).</summary>
    public IReadOnlyDictionary<string, string> SpecialTokens { get; }

    private ChatTemplate(JinjaTemplate template, string source, string origin, IReadOnlyDictionary<string, string> special)
    {
        _template = template; Source = source; Origin = origin; SpecialTokens = special;
    }

    /// <summary>Parses <paramref name="source"/>; a template the interpreter cannot read fails here, with line:col.</summary>
    public static ChatTemplate Create(string source, string origin, IReadOnlyDictionary<string, string>? specialTokens = null, Func<DateTime>? now = null)
    {
        JinjaTemplate t;
        try { t = JinjaTemplate.Parse(source); }
        catch (JinjaException e) { throw new CheckpointFormatException($"{origin}: chat template {e.Line}:{e.Column}: {e.Reason}"); }
        if (now is not null) t.Now = now;
        return new ChatTemplate(t, source, origin, specialTokens ?? new Dictionary<string, string>());
    }

    /// <summary>The special tokens of a tokenizer_config.json (strings or AddedToken objects with "content").</summary>
    public static Dictionary<string, string> SpecialTokensOf(JsonObject config)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in new[] { "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token" })
        {
            var n = config[key];
            string? s = n is JsonValue v && v.TryGetValue<string>(out var str) ? str : (n as JsonObject)?["content"]?.GetValue<string>();
            if (s is not null) map[key] = s;
        }
        return map;
    }

    /// <summary>
    /// The model folder's own template: chat_template.jinja (transformers >= 4.43 saves it there), else
    /// tokenizer_config.json's chat_template (a string, or a list of {name, template} of which "default" is used).
    /// Null when the folder has none.
    /// </summary>
    public static ChatTemplate? FromModelFolder(string folder, Func<DateTime>? now = null)
    {
        string cfgPath = Path.Combine(folder, "tokenizer_config.json");
        JsonObject? cfg = null;
        if (File.Exists(cfgPath))
        {
            try { cfg = JsonNode.Parse(File.ReadAllText(cfgPath)) as JsonObject; }
            catch (JsonException e) { throw new CheckpointFormatException($"{cfgPath}: not valid JSON: {e.Message}"); }
        }
        var special = cfg is null ? new Dictionary<string, string>() : SpecialTokensOf(cfg);
        string jinjaPath = Path.Combine(folder, "chat_template.jinja");
        if (File.Exists(jinjaPath)) return Create(File.ReadAllText(jinjaPath), jinjaPath, special, now);
        switch (cfg?["chat_template"])
        {
            case null: return null;
            case JsonValue v when v.TryGetValue<string>(out var s): return Create(s, cfgPath, special, now);
            case JsonArray list:
            {
                foreach (var item in list.OfType<JsonObject>())
                    if (item["name"]?.GetValue<string>() == "default" && item["template"]?.GetValue<string>() is { } t)
                        return Create(t, $"{cfgPath} (chat_template \"default\")", special, now);
                throw new CheckpointFormatException($"{cfgPath}: chat_template lists named templates ({string.Join(", ", list.OfType<JsonObject>().Select(i => i["name"]?.ToString()))}) but none is called \"default\"");
            }
            default: throw new CheckpointFormatException($"{cfgPath}: chat_template must be a string or a list of {{name, template}}");
        }
    }

    /// <summary>apply_chat_template(messages, tokenize=False, add_generation_prompt=...).</summary>
    /// <summary>
    /// Whether the template marks the assistant's text with {% generation %} blocks (the test transformers makes before
    /// it can return an assistant mask: re.search(r"\{\%-?\s*generation\s*-?\%\}", chat_template)).
    /// </summary>
    public bool HasGenerationBlocks => System.Text.RegularExpressions.Regex.IsMatch(Source, @"\{%-?\s*generation\s*-?%\}");

    public string Render(IReadOnlyList<object?> messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? extra = null) =>
        Render(messages, addGenerationPrompt, extra, null);

    private string Render(IReadOnlyList<object?> messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? extra, List<(int Start, int End)>? generationSpans)
    {
        var vars = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var kv in SpecialTokens) vars[kv.Key] = kv.Value;
        vars["messages"] = messages.ToList();
        vars["tools"] = null;
        vars["documents"] = null;
        vars["add_generation_prompt"] = addGenerationPrompt;
        if (extra is not null) foreach (var kv in extra) vars[kv.Key] = kv.Value;
        return _template.Render(vars, generationSpans);
    }

    /// <summary>
    /// Prompt / response segments of a conversation. For each assistant turn i the prompt is the render of
    /// messages[:i] with add_generation_prompt=True and the turn ends where messages[:i+1] (without it) ends; the
    /// text in between is trained on. Both renders must be prefixes of the whole conversation's render, or the
    /// template rewrites earlier turns as the conversation grows and a split would mislabel tokens: that is an error.
    /// </summary>
    public IReadOnlyList<Segment> Segments(IReadOnlyList<object?> messages, string where)
    {
        if (HasGenerationBlocks) return GenerationSegments(messages, where);
        string full = RenderFor(messages, false, where);
        var segs = new List<Segment>();
        int pos = 0;
        for (int i = 0; i < messages.Count; i++)
        {
            if (!IsAssistant(messages[i])) continue;
            string prompt = RenderFor(messages.Take(i).ToList(), true, where);
            string upTo = RenderFor(messages.Take(i + 1).ToList(), false, where);
            if (!upTo.StartsWith(prompt, StringComparison.Ordinal) || !full.StartsWith(upTo, StringComparison.Ordinal) || prompt.Length < pos)
                throw new DatasetException($"{where}: the chat template ({Origin}) is not prefix-stable at message {i + 1} (assistant): " +
                    $"rendering the conversation up to this turn does not give a prefix of the whole conversation ({Mismatch(prompt, upTo, full)}), " +
                    "so the trained tokens cannot be told apart; set chat_template: builtin in the config to use the built-in format");
            if (prompt.Length > pos) segs.Add(new Segment(full[pos..prompt.Length], false));
            if (upTo.Length > prompt.Length) segs.Add(new Segment(full[prompt.Length..upTo.Length], true));
            pos = upTo.Length;
        }
        if (!segs.Any(s => s.Trainable)) throw new DatasetException($"{where}: the conversation has no assistant turn to train on");
        if (pos < full.Length) segs.Add(new Segment(full[pos..], false));
        return segs;
    }

    /// <summary>The whole conversation rendered once; the text its {% generation %} blocks wrote is trained.</summary>
    private IReadOnlyList<Segment> GenerationSegments(IReadOnlyList<object?> messages, string where)
    {
        var spans = new List<(int Start, int End)>();
        string full;
        try { full = Render(messages, false, null, spans); }
        catch (TemplateRaisedException e) { throw new DatasetException($"{where}: the chat template ({Origin}) refused this conversation: {e.Message}"); }
        catch (JinjaException e) { throw new DatasetException($"{where}: the chat template ({Origin}) failed at template {e.Line}:{e.Column}: {e.Reason}"); }
        var segs = new List<Segment>();
        int pos = 0;
        foreach (var (start, end) in spans.OrderBy(s => s.Start).ThenByDescending(s => s.End))
        {
            if (start < pos) continue; // a block nested in one already taken
            if (start > pos) segs.Add(new Segment(full[pos..start], false));
            segs.Add(new Segment(full[start..end], true));
            pos = end;
        }
        if (!segs.Any(s => s.Trainable && s.Text.Length > 0)) throw new DatasetException($"{where}: the chat template's {{% generation %}} blocks marked no text in this conversation: nothing to train on");
        if (pos < full.Length) segs.Add(new Segment(full[pos..], false));
        return segs;
    }

    private static string Mismatch(string prompt, string upTo, string full)
    {
        static int Common(string a, string b) { int n = 0; while (n < a.Length && n < b.Length && a[n] == b[n]) n++; return n; }
        // JsonValue, not JsonSerializer.Serialize<string>: the language server (Native AOT) renders through here too.
        string Show(string s, int at) => System.Text.Json.Nodes.JsonValue.Create(s.Substring(at, Math.Min(30, s.Length - at))).ToJsonString();
        if (!upTo.StartsWith(prompt, StringComparison.Ordinal)) { int c = Common(prompt, upTo); return $"the prompt render has {Show(prompt, c)} where the turn render has {Show(upTo, c)} at character {c}"; }
        int k = Common(upTo, full);
        return $"the render up to this turn has {Show(upTo, k)} where the whole conversation has {Show(full, k)} at character {k}";
    }

    private static bool IsAssistant(object? m) => m is OrderedDictionary<string, object?> d && d.TryGetValue("role", out var r) && r is "assistant";

    private string RenderFor(IReadOnlyList<object?> messages, bool gen, string where)
    {
        try { return Render(messages, gen); }
        catch (TemplateRaisedException e) { throw new DatasetException($"{where}: the chat template ({Origin}) refused this conversation: {e.Message}"); }
        catch (JinjaException e) { throw new DatasetException($"{where}: the chat template ({Origin}) failed at template {e.Line}:{e.Column}: {e.Reason}"); }
    }
}
