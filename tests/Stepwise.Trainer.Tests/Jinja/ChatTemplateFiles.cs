using System.Text.Json.Nodes;

namespace Stepwise.Trainer.Tests.Jinja;

/// <summary>The real models' chat templates in chat_templates/ (test data, each file naming its source).</summary>
public static class ChatTemplateFiles
{
    private static string TemplatesDir => Path.Combine(AppContext.BaseDirectory, "chat_templates");

    public static IEnumerable<string> TemplateNames() =>
        Directory.EnumerateFiles(TemplatesDir, "*.json").Select(f => Path.GetFileNameWithoutExtension(f)).OrderBy(n => n, StringComparer.Ordinal);

    public static JsonObject TemplateFile(string name) => JsonNode.Parse(File.ReadAllText(Path.Combine(TemplatesDir, name + ".json")))!.AsObject();

    public static OrderedDictionary<string, object?> Msg(string role, object? content) => new(StringComparer.Ordinal) { ["role"] = role, ["content"] = content };
}
