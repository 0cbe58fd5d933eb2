using System.Text.Json;

namespace Stepwise.LanguageServer.Protocol;

public sealed record ExecuteCommandParams
{
    public string? Command { get; init; }
    public List<JsonElement>? Arguments { get; init; }
    /// <summary>A client-made progress token (the VS Code extension sends one): progress goes on it, no create, and
    /// the request stays open until the run is over (docs/vscode.md).</summary>
    public JsonElement? WorkDoneToken { get; init; }
}

/// <summary>The answer of a stepwise.train request that carried a workDoneToken, once the run is over.</summary>
public sealed record TrainOutcome(
    string State,
    string Message,
    string? AdapterPath,
    string? LossCurvePath,
    double? Loss);

public sealed record WorkDoneProgressCancelParams
{
    public JsonElement Token { get; init; }
}

/// <summary>What stepwise.train answers when the run started.</summary>
public sealed record TrainStarted(string Config, int Pid, string Token, string Command);

/// <summary>What stepwise.server.checkWorkspace answers: the counts behind the diagnostics it published.</summary>
public sealed record CheckWorkspaceResult(
    List<string> Folders,
    int Files,
    int Configs,
    int Errors,
    int Warnings,
    int Information,
    int Open,
    int Unreadable,
    bool Truncated,
    long Milliseconds,
    List<string> Notes);
