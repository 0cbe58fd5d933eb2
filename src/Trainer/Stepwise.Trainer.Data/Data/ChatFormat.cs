using Stepwise.Core.Model;
using Stepwise.Trainer.Tokenization;

namespace Stepwise.Trainer.Data;

/// <summary>
/// Which format chat records are rendered in. The model's own chat template (tokenizer_config.json / chat_template.jinja)
/// unless the config says otherwise with `chat_template` (axolotl's key, read in every dialect):
/// <c>tokenizer_default</c> (the default), <c>tokenizer_default_fallback_chatml</c>, <c>chatml</c>, <c>jinja</c> with
/// <c>chat_template_jinja</c>, an inline Jinja string, or <c>builtin</c> for the trainer's "### Role:" format.
/// </summary>
public static class ChatFormat
{
    public const string BuiltinDescription = "the built-in \"### User:\" / \"### Assistant:\" format";

    /// <summary>The template to use (null = built-in format) and a line for the log saying which.</summary>
    public static (ChatTemplate? Template, string Note) Choose(TrainingSetup setup, string modelPath, string configPath)
    {
        var doc = setup.Document;
        string? choice = doc.Find("chat_template")?.Value.AsString();
        string At(string key) => doc.Find(key) is { } e ? $"{e.ValueSpan.File ?? configPath}:{e.ValueSpan.Range.Start}" : configPath;
        ChatTemplate? own = ChatTemplate.FromModelFolder(modelPath);
        var special = own?.SpecialTokens ?? SpecialTokensOf(modelPath);
        string Own(ChatTemplate t) => $"the model's chat template ({t.Origin})";

        if (choice is null or "tokenizer_default")
        {
            string note = own is not null ? $"chat records: rendered with {Own(own)}" : $"chat records: the model has no chat_template; using {BuiltinDescription}";
            if (setup.Dialect == Dialect.LlamaFactory && setup.String("template") is { } lf && own is not null)
                note += $" (LLaMA-Factory's own template table is not bundled: template '{lf}' is not applied)";
            return (own, note);
        }
        if (choice is "builtin" or "none")
            return (null, $"chat records: chat_template: {choice}: using {BuiltinDescription}");
        if (choice == "tokenizer_default_fallback_chatml")
            return own is not null ? (own, $"chat records: rendered with {Own(own)}")
                : (ChatTemplate.Create(ChatTemplate.ChatMl, "built-in ChatML", special), "chat records: the model has no chat_template; rendered with ChatML (tokenizer_default_fallback_chatml)");
        if (choice == "chatml")
            return (ChatTemplate.Create(ChatTemplate.ChatMl, "built-in ChatML", special), "chat records: rendered with ChatML (chat_template: chatml)");
        if (choice == "jinja")
        {
            string jinja = doc.Find("chat_template_jinja")?.Value.AsString()
                ?? throw new DatasetException($"{At("chat_template")}: chat_template: jinja needs the template in chat_template_jinja");
            return (ChatTemplate.Create(jinja, $"{At("chat_template_jinja")} chat_template_jinja", special), "chat records: rendered with the config's chat_template_jinja");
        }
        if (choice.Contains("{{", StringComparison.Ordinal) || choice.Contains("{%", StringComparison.Ordinal))
            return (ChatTemplate.Create(choice, $"{At("chat_template")} chat_template", special), "chat records: rendered with the config's inline chat_template");
        if (own is not null)
            return (own, $"chat records: axolotl's '{choice}' template is not bundled; rendered with {Own(own)} instead");
        throw new DatasetException($"{At("chat_template")}: chat_template '{choice}' is not bundled and the model has no chat template of its own: " +
            "use chatml, jinja (with chat_template_jinja) or builtin");
    }

    private static IReadOnlyDictionary<string, string> SpecialTokensOf(string modelPath)
    {
        string p = Path.Combine(modelPath, "tokenizer_config.json");
        if (!File.Exists(p)) return new Dictionary<string, string>();
        try { return System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(p)) is System.Text.Json.Nodes.JsonObject o ? ChatTemplate.SpecialTokensOf(o) : new Dictionary<string, string>(); }
        catch (System.Text.Json.JsonException) { return new Dictionary<string, string>(); }
    }
}
