using System.Globalization;
using System.Text.Json;

namespace Stepwise.LanguageServer.Server.Training;

/// <summary>
/// The training settings of the <c>stepwise</c> section: trainer.path, trainer.graceSeconds, launcher,
/// launcher.script and worldSize (also read by the analysis). Accepts both nested (<c>{"trainer": {"path": ..}}</c>)
/// and dotted (<c>{"trainer.path": ..}</c>) spellings, as clients send either.
/// </summary>
public sealed record TrainerSettings
{
    public static readonly string[] Launchers = { "stepwise", "accelerate", "torchrun", "axolotl", "llamafactory-cli" };

    public string? TrainerPath { get; init; }
    public double GraceSeconds { get; init; } = 30;
    public string Launcher { get; init; } = "stepwise";
    public string? LauncherScript { get; init; }
    public long? WorldSize { get; init; }

    public static readonly TrainerSettings Default = new();

    public static TrainerSettings Parse(JsonElement? section, List<string> problems)
    {
        var s = new TrainerSettings();
        if (section is not { ValueKind: JsonValueKind.Object } e) return s;

        JsonElement? Get(string a, string b)
        {
            if (LspJson.Probe(e, a, b) is { ValueKind: not JsonValueKind.Null } nested && nested.ValueKind != JsonValueKind.Object) return nested;
            if (e.TryGetProperty(a + "." + b, out var dotted) && dotted.ValueKind != JsonValueKind.Null) return dotted;
            return null;
        }

        if (Get("trainer", "path") is { } path)
        {
            if (path.ValueKind == JsonValueKind.String && path.GetString() is { Length: > 0 } p) s = s with { TrainerPath = p };
            else if (!(path.ValueKind == JsonValueKind.String)) problems.Add($"stepwise.trainer.path must be a path, not {path.GetRawText()}");
        }
        if (Get("trainer", "graceSeconds") is { } grace)
        {
            if (grace.ValueKind == JsonValueKind.Number && grace.GetDouble() >= 0) s = s with { GraceSeconds = grace.GetDouble() };
            else problems.Add($"stepwise.trainer.graceSeconds must be a number of seconds >= 0, not {grace.GetRawText()}");
        }
        // "launcher" is either the name, or an object {"name"?, "script"} when a client nests launcher.script.
        if (e.TryGetProperty("launcher", out var l) && l.ValueKind == JsonValueKind.String)
        {
            var name = l.GetString();
            if (Launchers.Contains(name)) s = s with { Launcher = name! };
            else problems.Add($"stepwise.launcher must be one of {string.Join(", ", Launchers)}, not {l.GetRawText()}");
        }
        if (Get("launcher", "script") is { } script)
        {
            if (script.ValueKind == JsonValueKind.String && script.GetString() is { Length: > 0 } sc) s = s with { LauncherScript = sc };
            else if (script.ValueKind != JsonValueKind.String) problems.Add($"stepwise.launcher.script must be a path, not {script.GetRawText()}");
        }
        if (e.TryGetProperty("worldSize", out var w) && w.ValueKind == JsonValueKind.Number && w.TryGetInt64(out var n) && n > 0)
            s = s with { WorldSize = n };
        else if (e.TryGetProperty("worldSize", out var ws) && ws.ValueKind == JsonValueKind.String
                 && long.TryParse(ws.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var m) && m > 0)
            s = s with { WorldSize = m };
        return s;
    }
}
