using System.Text.Json;
using Stepwise.LanguageServer.Handlers;
using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server.Training;
using StreamJsonRpc;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// workspace/executeCommand: the <c>stepwise.server.*</c> commands (<see cref="TrainCommands.All"/>) sent to the
/// training runs (train, stop, runs) and the workspace check, and the cancellation of their work-done progress. A
/// command that cannot run fails with a message the user sees (window/showMessage) and the request error carries it.
/// </summary>
public sealed class CommandDispatch(
    DocumentStore docs, ServerEngine engine, SettingsState settings, TrainingRuns training, WorkspaceCheck check,
    RequestQueue queue, IClientConnection client, Func<ClientCapabilities> capabilities, ServerLog log)
{
    /// <summary>LSP's RequestFailed: the params were fine, the command could not do what was asked.</summary>
    public const int RequestFailed = -32803;

    /// <summary>Runs the command; an unknown command or missing argument throws Invalid Params (-32602) at once.</summary>
    public Task<object?> ExecuteAsync(ExecuteCommandParams? p, CancellationToken ct)
    {
        if (p?.Command is not { } command || !TrainCommands.All.Contains(command))
            throw RpcErrors.Of(ErrorCodes.InvalidParams, $"unknown command {p?.Command ?? "(none)"}; this server runs {string.Join(", ", TrainCommands.All)}");
        if (command == TrainCommands.Runs) return Task.FromResult<object?>(training.List());
        string? clientToken = p.WorkDoneToken is { ValueKind: JsonValueKind.String } t ? t.GetString()
            : p.WorkDoneToken is { ValueKind: JsonValueKind.Number } n ? n.GetRawText() : null;
        if (command == TrainCommands.CheckWorkspace) return AfterSettingsAsync(() => CheckWorkspaceAsync(p.Arguments, clientToken, ct), ct);
        var uri = CommandUri(p.Arguments) ?? throw RpcErrors.Of(ErrorCodes.InvalidParams, $"{command} needs the config URI as its first argument");
        if (command == TrainCommands.Stop)
        {
            if (training.Stop(uri)) return Task.FromResult<object?>(true);
            ShowMessage(MessageType.Warning, $"{System.IO.Path.GetFileName(DocumentUris.ToPath(uri))} is not training");
            return Task.FromResult<object?>(false);
        }
        // Through the queue, so a train right after an edit or a settings change sees them.
        return AfterSettingsAsync(() => queue.Read<object?>(_ => StartTrainingAsync(uri, clientToken, ct), CancellationToken.None), ct);
    }

    /// <summary>window/workDoneProgress/cancel: stops the workspace check or the training run that reports on the token.</summary>
    public void CancelProgress(JsonElement token)
    {
        var text = token.ValueKind == JsonValueKind.String ? token.GetString() : token.ValueKind == JsonValueKind.Number ? token.GetRawText() : null;
        if (text is null || !(check.Cancel(text) || training.Cancel(text))) log.Warning($"window/workDoneProgress/cancel for unknown token {token.GetRawText()}: ignored");
    }

    /// <summary>Runs <paramref name="run"/> once the initial settings are applied (which trainer, which analysis options).</summary>
    private async Task<object?> AfterSettingsAsync(Func<Task<object?>> run, CancellationToken ct)
    {
        await settings.WaitForPullAsync(ct).ConfigureAwait(false);
        return await run().ConfigureAwait(false);
    }

    private async Task<object?> CheckWorkspaceAsync(List<JsonElement>? args, string? clientToken, CancellationToken ct)
    {
        var (folders, exclude) = WorkspaceCheck.ParseArguments(args);
        if (folders.Count == 0) throw RpcErrors.Of(ErrorCodes.InvalidParams, $"{TrainCommands.CheckWorkspace} needs the workspace folder URIs as its arguments");
        // Off the request thread: a large tree takes a while, and edits and other requests go on meanwhile.
        try
        {
            return await Task.Run(() => check.RunAsync(folders, exclude, engine.AnalyzeForCheck, docs.LookupOpen,
                capabilities().WorkDoneProgress, clientToken, ct), ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) { throw RpcErrors.Of(ErrorCodes.RequestCancelled, "the workspace check was cancelled"); }
    }

    /// <summary>The config URI a command names: its first argument, a string or an object with <c>uri</c>.</summary>
    public static string? CommandUri(List<JsonElement>? args)
    {
        if (args is not { Count: > 0 }) return null;
        var a = args[0];
        if (a.ValueKind == JsonValueKind.String) return a.GetString();
        if (a.ValueKind == JsonValueKind.Object && a.TryGetProperty("uri", out var u) && u.ValueKind == JsonValueKind.String) return u.GetString();
        return null;
    }

    private async Task<object?> StartTrainingAsync(string uri, string? clientToken, CancellationToken requestCancelled)
    {
        var path = DocumentUris.ToPath(uri);
        var name = System.IO.Path.GetFileName(path);
        if (!docs.TryGet(uri, out var snap))
        {
            string text;
            try { text = await File.ReadAllTextAsync(path).ConfigureAwait(false); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw Fail($"Cannot train {name}: {ex.Message}");
            }
            snap = new DocumentSnapshot(uri, path, null, 0, text, 0, engine.Analyze);
        }
        if (!snap.Analysis.Configs.Any()) throw Fail($"Cannot train {name}: it is not a training config Stepwise reads");
        var blocking = TrainCommands.Blocking(snap);
        if (blocking.Count > 0)
            throw Fail($"Cannot train {name}: {blocking.Count} error finding{(blocking.Count == 1 ? "" : "s")}:\n{string.Join("\n", blocking)}");
        var trainer = settings.Trainer;
        if (trainer.Launcher == "stepwise")
        {
            // The bundled trainer refuses settings it would not do as written (SW5001). The editor's diagnostics leave
            // them out (the same config is right for HF / axolotl / LLaMA-Factory), so they are listed here, as
            // `stepwise train` lists them before it loads a model.
            var refusals = engine.BundledTrainerRefusals(snap.Path, snap.Text);
            if (refusals.Count > 0)
                throw Fail($"Cannot train {name} with the bundled Stepwise trainer: {refusals.Count} setting{(refusals.Count == 1 ? "" : "s")} it does not do " +
                           $"(change them, or set stepwise.launcher to the stack the config is written for):\n{string.Join("\n", refusals)}");
        }
        var (launch, problem) = TrainerLaunch.Resolve(trainer, path, TrainCommands.DialectOf(snap) ?? Stepwise.Core.Model.Dialect.Hf, AppContext.BaseDirectory);
        if (launch is null) throw Fail($"Cannot train {name}: {problem}");
        if (training.IsRunning(uri)) throw Fail($"{name} is already training (stepwise.server.stop stops it)", MessageType.Warning);
        var (run, error) = await training.StartAsync(uri, $"Training {name}", System.IO.Path.GetDirectoryName(path) ?? ".", launch, capabilities().WorkDoneProgress, trainer.GraceSeconds, clientToken).ConfigureAwait(false);
        if (run is null) throw Fail(error!.StartsWith(name, StringComparison.Ordinal) ? error : $"Cannot train {name}: {error}", error.Contains("already training", StringComparison.Ordinal) ? MessageType.Warning : MessageType.Error);
        if (clientToken is null) return new TrainStarted(run.Config, run.Pid, run.Token, run.Command);
        // The client's token is valid until the answer: answer when the run is over; cancelling the request stops it.
        using (requestCancelled.Register(() => training.Stop(uri)))
            return await training.OutcomeOf(uri, run.Token).ConfigureAwait(false);
    }

    /// <summary>Shows the message and makes the request fail with it (RequestFailed, -32803).</summary>
    private LocalRpcException Fail(string message, int type = MessageType.Error)
    {
        ShowMessage(type, message);
        return RpcErrors.Of(RequestFailed, message);
    }

    private void ShowMessage(int type, string message)
    {
        if (!client.IsOpen) return;
        _ = client.Notify("window/showMessage", new LogMessageParams(type, message))
            .ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
    }
}

/// <summary>A JSON-RPC error answer with an LSP error code.</summary>
internal static class RpcErrors
{
    public static LocalRpcException Of(int code, string message) => new(message) { ErrorCode = code };
}
