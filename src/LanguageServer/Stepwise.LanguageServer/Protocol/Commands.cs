using System.Text.Json;
using System.Text.Json.Serialization;

namespace Stepwise.LanguageServer.Protocol;

public sealed record ExecuteCommandParams
{
    [JsonPropertyName("command")] public string? Command { get; init; }
    [JsonPropertyName("arguments")] public List<JsonElement>? Arguments { get; init; }
    /// <summary>A client-made progress token (the VS Code extension sends one): progress goes on it, no create, and
    /// the request stays open until the run is over (docs/vscode.md).</summary>
    [JsonPropertyName("workDoneToken")] public JsonElement? WorkDoneToken { get; init; }
}

/// <summary>The answer of a stepwise.train request that carried a workDoneToken, once the run is over.</summary>
public sealed record TrainOutcome(
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("adapterPath")] string? AdapterPath,
    [property: JsonPropertyName("lossCurvePath")] string? LossCurvePath,
    [property: JsonPropertyName("loss")] double? Loss);

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

/// <summary>What stepwise.server.checkWorkspace answers: the counts behind the diagnostics it published.</summary>
public sealed record CheckWorkspaceResult(
    [property: JsonPropertyName("folders")] List<string> Folders,
    [property: JsonPropertyName("files")] int Files,
    [property: JsonPropertyName("configs")] int Configs,
    [property: JsonPropertyName("errors")] int Errors,
    [property: JsonPropertyName("warnings")] int Warnings,
    [property: JsonPropertyName("information")] int Information,
    [property: JsonPropertyName("open")] int Open,
    [property: JsonPropertyName("unreadable")] int Unreadable,
    [property: JsonPropertyName("truncated")] bool Truncated,
    [property: JsonPropertyName("milliseconds")] long Milliseconds,
    [property: JsonPropertyName("notes")] List<string> Notes);
