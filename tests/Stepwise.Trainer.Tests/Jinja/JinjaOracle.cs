using System.Text.Json.Nodes;

namespace Stepwise.Trainer.Tests.Jinja;

/// <summary>Python's jinja2, set up as transformers sets it up, renders the same cases (oracle/jinja_reference.py).</summary>
public static class JinjaOracle
{
    public sealed record Case(string Template, Dictionary<string, object?> Vars, string? Now = null);
    public sealed record Result(string? Text, string? Error, bool Raised, IReadOnlyList<(int Start, int End)> Generation);

    public static List<Result> Render(IReadOnlyList<Case> cases)
    {
        using var dir = new TempDir();
        var arr = new JsonArray();
        foreach (var c in cases)
            arr.Add(new JsonObject { ["template"] = c.Template, ["vars"] = ToJson(c.Vars), ["now"] = c.Now });
        File.WriteAllText(dir["cases.json"], arr.ToJsonString());
        Oracle.RunScript("jinja_reference.py", dir["cases.json"], dir["out.json"]);
        return JsonNode.Parse(File.ReadAllText(dir["out.json"]))!.AsArray().Select(n => new Result(
            n!["text"]?.GetValue<string>(), n["error"]?.GetValue<string>(), n["raised"]?.GetValue<bool>() ?? false,
            (n["generation"] as JsonArray)?.Select(g => (g![0]!.GetValue<int>(), g[1]!.GetValue<int>())).ToList() ?? new List<(int, int)>())).ToList();
    }

    public static JsonNode? ToJson(object? v) => v switch
    {
        null => null,
        string s => s,
        bool b => b,
        long l => l,
        int i => i,
        double d => d,
        JsonNode n => n.DeepClone(),
        IDictionary<string, object?> d => new JsonObject(d.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, ToJson(kv.Value)))),
        System.Collections.IEnumerable e => new JsonArray(e.Cast<object?>().Select(ToJson).ToArray()),
        _ => throw new ArgumentException(v.GetType().Name),
    };
}
