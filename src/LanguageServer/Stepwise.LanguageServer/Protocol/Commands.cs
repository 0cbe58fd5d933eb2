using System.Text.Json;
using System.Text.Json.Serialization;

namespace Stepwise.LanguageServer.Protocol;

public sealed record ExecuteCommandOptions([property: JsonPropertyName("commands")] IReadOnlyList<string> Commands);

public sealed record ExecuteCommandParams
{
    [JsonPropertyName("command")] public string? Command { get; init; }
    [JsonPropertyName("arguments")] public List<JsonElement>? Arguments { get; init; }
}

public sealed record WorkDoneProgressCancelParams
{
    [JsonPropertyName("token")] public JsonElement Token { get; init; }
}

/// <summary>What stepwise.train answers when the run started.</summary>
public sealed record TrainStarted(
    [property: JsonPropertyName("config")] string Config,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("command")] string Command);
