using System.Text.Json.Nodes;
using Stepwise.Jinja;
using Stepwise.Tokenizers;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.Tokenization;

namespace Stepwise.Workspace.Tokens;

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
