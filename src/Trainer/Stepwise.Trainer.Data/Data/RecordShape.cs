using System.Text.Json.Nodes;
using Stepwise.Trainer.Tokenization;
using Stepwise.Jinja;

namespace Stepwise.Trainer.Data;

/// <summary>The shapes of instruction data the trainer reads.</summary>
public enum RecordShape
{
    /// <summary>instruction / input / output (alpaca); prompt / completion|response is read the same way.</summary>
    Alpaca,
    /// <summary>messages [{role, content}] (OpenAI / TRL) or conversations [{from, value}] (ShareGPT).</summary>
    Messages,
    /// <summary>A plain "text" field: every token is trained on.</summary>
    Text,
}

/// <summary>A piece of a rendered example: its text and whether the loss looks at it.</summary>
public readonly record struct Segment(string Text, bool Trainable);

/// <summary>Finds a dataset's shape from its first record and renders records into prompt/response segments.</summary>
public static class RecordShapes
{
    public static RecordShape Parse(string name) => name.ToLowerInvariant() switch
    {
        "alpaca" => RecordShape.Alpaca,
        "messages" or "conversations" or "sharegpt" or "chat" => RecordShape.Messages,
        "text" or "completion" => RecordShape.Text,
        _ => throw new DatasetException($"dataset format '{name}' is not known: use alpaca, messages (sharegpt) or text"),
    };

    public static RecordShape Detect(DataRecord first)
    {
        var f = first.Fields;
        if (f["messages"] is JsonArray || f["conversations"] is JsonArray) return RecordShape.Messages;
        if (f.ContainsKey("instruction") || f.ContainsKey("prompt")) return RecordShape.Alpaca;
        if (f.ContainsKey("text")) return RecordShape.Text;
        throw new DatasetException($"{first.Where}: cannot tell the record shape from its fields ({string.Join(", ", f.Select(kv => kv.Key))}): " +
            "expected instruction/input/output (alpaca), messages or conversations (chat), or text");
    }

    /// <summary>The Stanford Alpaca prompt (tatsu-lab/stanford_alpaca train.py PROMPT_DICT).</summary>
    public static string AlpacaPrompt(string instruction, string? input) => string.IsNullOrEmpty(input)
        ? "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n" +
          $"### Instruction:\n{instruction}\n\n### Response:\n"
        : "Below is an instruction that describes a task, paired with an input that provides further context. " +
          $"Write a response that appropriately completes the request.\n\n### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n";

    /// <summary>
    /// Segments of one record. The response (alpaca output, each assistant turn, or the whole text) is trainable and
    /// is followed by the end-of-sequence token, which the tokenizer step adds. With a chat template, chat records are
    /// rendered by it instead (its text carries its own BOS/EOS: see <see cref="ChatTemplate.Segments"/>).
    /// </summary>
    public static IReadOnlyList<Segment> Render(DataRecord r, RecordShape shape, ChatTemplate? template = null)
    {
        if (shape == RecordShape.Messages && template is not null) return template.Segments(Conversation(r), r.Where);
        switch (shape)
        {
            case RecordShape.Alpaca:
            {
                string instruction = r.Str("instruction") ?? r.Str("prompt")
                    ?? throw new DatasetException($"{r.Where}: alpaca record without \"instruction\" (or \"prompt\")");
                string output = r.Str("output") ?? r.Str("response") ?? r.Str("completion")
                    ?? throw new DatasetException($"{r.Where}: alpaca record without \"output\" (or \"response\"/\"completion\")");
                return new[] { new Segment(AlpacaPrompt(instruction, r.Str("input")), false), new Segment(output, true) };
            }
            case RecordShape.Messages:
            {
                var turns = (r.Fields["messages"] ?? r.Fields["conversations"]) as JsonArray
                    ?? throw new DatasetException($"{r.Where}: chat record without a \"messages\" or \"conversations\" list");
                var segs = new List<Segment>();
                bool anyAssistant = false;
                foreach (var t in turns)
                {
                    if (t is not JsonObject turn) throw new DatasetException($"{r.Where}: a message is not an object");
                    string role = Role((turn["role"] ?? turn["from"])?.GetValue<string>() ?? "", r);
                    string content = (turn["content"] ?? turn["value"])?.GetValue<string>() ?? "";
                    string header = $"### {char.ToUpperInvariant(role[0])}{role[1..]}:\n";
                    if (role == "assistant")
                    {
                        segs.Add(new Segment(header, false));
                        segs.Add(new Segment(content, true));
                        anyAssistant = true;
                    }
                    else segs.Add(new Segment(header + content + "\n\n", false));
                }
                if (!anyAssistant) throw new DatasetException($"{r.Where}: the conversation has no assistant turn to train on");
                return segs;
            }
            default:
            {
                string text = r.Str("text") ?? throw new DatasetException($"{r.Where}: text record without \"text\"");
                return new[] { new Segment(text, true) };
            }
        }
    }

    /// <summary>
    /// The record's turns as the messages a chat template sees: every field of each turn, with ShareGPT's from/value
    /// read as role/content and the role named system, user or assistant (as TRL and axolotl map them).
    /// </summary>
    public static List<object?> Conversation(DataRecord r)
    {
        bool shareGpt = r.Fields["messages"] is not JsonArray;
        var turns = (r.Fields["messages"] ?? r.Fields["conversations"]) as JsonArray
            ?? throw new DatasetException($"{r.Where}: chat record without a \"messages\" or \"conversations\" list");
        var list = new List<object?>();
        foreach (var t in turns)
        {
            if (t is not JsonObject turn) throw new DatasetException($"{r.Where}: a message is not an object");
            var m = (OrderedDictionary<string, object?>)Py.FromJson(turn)!;
            string role = Role(((turn["role"] ?? turn["from"]) as JsonValue)?.ToString() ?? "", r);
            object? content = Py.FromJson(turn["content"] ?? turn["value"]) ?? "";
            if (shareGpt) { m.Remove("from"); m.Remove("value"); }
            m["role"] = role;
            m["content"] = content;
            list.Add(m);
        }
        return list;
    }

    private static string Role(string role, DataRecord r) => role.ToLowerInvariant() switch
    {
        "system" => "system",
        "user" or "human" => "user",
        "assistant" or "gpt" or "model" => "assistant",
        _ => throw new DatasetException($"{r.Where}: unknown role '{role}' (system, user/human, assistant/gpt)"),
    };
}
