using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Stepwise.LanguageServer.Protocol;
using StreamJsonRpc;

namespace Stepwise.LanguageServer.Server.Training;

/// <summary>What <c>stepwise.runs</c> lists for one active run.</summary>
public sealed record RunInfo(
    string Config,
    int Pid,
    long Step,
    long? Total,
    string Started,
    string Token,
    string Command);

/// <summary>
/// The training runs the server started: one child process per config, its stdout mapped to work-done progress
/// (or to window/logMessage lines when the client has no work-done progress), its stderr to window/logMessage, and a
/// window/showMessage with the result. Stopping sends SIGINT (the trainer finishes the step, saves and exits 130),
/// then kills the process tree after the grace period. Whatever the child does, the server stays up.
/// </summary>
public sealed class TrainingRuns
{
    private readonly IClientConnection _client;
    private readonly ServerLog _log;
    private readonly ConcurrentDictionary<string, Run> _runs = new(StringComparer.Ordinal);

    public TrainingRuns(IClientConnection client, ServerLog log) { _client = client; _log = log; }

    private sealed class Run
    {
        public required string Uri, Title, Token;
        public required Process Process;
        /// <summary>The trainer's working directory: relative paths it reports are made absolute against it.</summary>
        public required string Directory;
        public required LaunchCommand Command;
        public required DateTimeOffset Started;
        public required double GraceSeconds;
        public required bool WorkDone;
        public long Step;
        public long? Total;
        public int StopRequested;
        public readonly TaskCompletionSource Finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TrainOutcome? Outcome;
    }

    public IReadOnlyList<RunInfo> List() => _runs.Values.OrderBy(r => r.Started).Select(r => new RunInfo(
        r.Uri, r.Process.Id, Interlocked.Read(ref r.Step), r.Total, r.Started.ToString("o"), r.Token, r.Command.ToString())).ToList();

    public bool IsRunning(string uri) => _runs.ContainsKey(uri);

    /// <summary>Completes when the run of <paramref name="uri"/> has ended and its messages are sent (tests wait on it).</summary>
    public Task WhenFinished(string uri) => _runs.TryGetValue(uri, out var r) ? r.Finished.Task : Task.CompletedTask;

    /// <summary>The outcome of the run whose progress token is <paramref name="token"/>, when it ends.</summary>
    public async Task<TrainOutcome?> OutcomeOf(string uri, string token)
    {
        if (!_runs.TryGetValue(uri, out var r) || r.Token != token) return null;
        await r.Finished.Task.ConfigureAwait(false);
        return r.Outcome;
    }

    /// <summary>Starts the process; null and a message when it cannot (already running, not startable).</summary>
    public async Task<(RunInfo? Run, string? Error)> StartAsync(string uri, string title, string workingDirectory, LaunchCommand command, bool workDoneProgress, double graceSeconds, string? clientToken = null)
    {
        var psi = new ProcessStartInfo(command.FileName)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            UseShellExecute = false, CreateNoWindow = true, WorkingDirectory = workingDirectory,
            StandardOutputEncoding = System.Text.Encoding.UTF8, StandardErrorEncoding = System.Text.Encoding.UTF8,
        };
        foreach (var a in command.Arguments) psi.ArgumentList.Add(a);
        var token = clientToken ?? "stepwise-train-" + Guid.NewGuid().ToString("N");
        if (clientToken is not null) workDoneProgress = true;
        var process = new Process { StartInfo = psi };
        var run = new Run
        {
            Uri = uri, Title = title, Token = token, Process = process, Command = command, Directory = Path.GetFullPath(workingDirectory),
            Started = DateTimeOffset.UtcNow, GraceSeconds = graceSeconds, WorkDone = workDoneProgress,
        };
        // Claimed before the process starts, so two train commands racing on one config start one process.
        if (!_runs.TryAdd(uri, run)) return (null, $"{title} is already training (stepwise.server.stop stops it)");
        if (workDoneProgress && clientToken is null)
        {
            try { await Client().Request("window/workDoneProgress/create", new WorkDoneProgressCreateParams(token)).ConfigureAwait(false); }
            catch (Exception ex) when (ex is RemoteInvocationException or ConnectionLostException or ObjectDisposedException or InvalidOperationException)
            {
                _log.Warning($"window/workDoneProgress/create failed ({ex.Message}): progress goes to the log");
                run.WorkDone = false;
            }
        }
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or IOException)
        {
            _runs.TryRemove(uri, out _);
            process.Dispose();
            var message = $"cannot start {command.FileName}: {ex.Message}";
            if (run.WorkDone) { await Begin(run).ConfigureAwait(false); await End(run, "Failed: " + message).ConfigureAwait(false); }
            return (null, message);
        }
        try { process.StandardInput.Close(); } catch (IOException) { }
        _log.Info($"{title}: started {command} (pid {process.Id})");
        await Begin(run).ConfigureAwait(false);
        _ = Task.Run(() => SuperviseAsync(run));
        return (List().First(r => r.Token == token), null);
    }

    /// <summary>SIGINT now, SIGKILL of the tree after the grace period. False when no run of that config is active.</summary>
    public bool Stop(string uri)
    {
        if (!_runs.TryGetValue(uri, out var run)) return false;
        RequestStop(run);
        return true;
    }

    public bool Cancel(string token)
    {
        var run = _runs.Values.FirstOrDefault(r => r.Token == token);
        if (run is null) return false;
        RequestStop(run);
        return true;
    }

    private void RequestStop(Run run)
    {
        if (Interlocked.Exchange(ref run.StopRequested, 1) == 1) return;
        _log.Info($"{run.Title}: stopping (SIGINT to pid {run.Process.Id}; killed after {run.GraceSeconds:0.#} s)");
        if (!Interrupt(run.Process)) KillTree(run);
        _ = Task.Run(async () =>
        {
            var grace = Task.Delay(TimeSpan.FromSeconds(run.GraceSeconds));
            if (await Task.WhenAny(run.Finished.Task, grace).ConfigureAwait(false) == grace)
            {
                _log.Warning($"{run.Title}: still running {run.GraceSeconds:0.#} s after SIGINT: killed");
                KillTree(run);
            }
        });
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    private static bool Interrupt(Process p)
    {
        if (OperatingSystem.IsWindows()) return false; // no SIGINT for a console-less child: kill directly
        try { return !p.HasExited && SysKill(p.Id, 2) == 0; }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException) { return false; }
    }

    private static void KillTree(Run run)
    {
        try { if (!run.Process.HasExited) run.Process.Kill(entireProcessTree: true); }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException) { }
    }

    private IClientConnection Client() => _client.IsOpen ? _client : throw new InvalidOperationException("the connection is closed");

    // ---------------------------------------------------------------- messages

    private async Task Send(string method, object @params)
    {
        try { await Client().Notify(method, @params).ConfigureAwait(false); }
        catch (Exception ex) when (ex is ConnectionLostException or ObjectDisposedException or InvalidOperationException) { }
    }

    private Task Log(int type, string message) => Send("window/logMessage", new LogMessageParams(type, message));
    private Task Show(int type, string message) => Send("window/showMessage", new LogMessageParams(type, message));

    private Task Begin(Run run) => run.WorkDone
        ? Send("$/progress", new ProgressParams(run.Token, new ProgressValue("begin", Title: run.Title, Cancellable: true, Percentage: 0u)))
        : Log(MessageType.Info, $"{run.Title}: started");

    private Task Report(Run run, string message, uint? percentage) => run.WorkDone
        ? Send("$/progress", new ProgressParams(run.Token, new ProgressValue("report", Message: message, Percentage: percentage)))
        : Log(MessageType.Log, $"{run.Title}: {message}");

    private Task End(Run run, string message) => run.WorkDone
        ? Send("$/progress", new ProgressParams(run.Token, new ProgressValue("end", Message: message)))
        : Log(MessageType.Info, $"{run.Title}: {message}");


    // ---------------------------------------------------------------- the run

    private async Task SuperviseAsync(Run run)
    {
        var outcome = new Outcome();
        string? lastStderr = null;
        try
        {
            var stderr = Task.Run(async () =>
            {
                while (await run.Process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
                {
                    if (line.Trim().Length == 0) continue;
                    lastStderr = line;
                    if (!run.Command.JsonProgress) await External(run, line, outcome).ConfigureAwait(false);
                    else await Log(MessageType.Log, line).ConfigureAwait(false);
                }
            });
            while (await run.Process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (line.Trim().Length == 0) continue;
                if (run.Command.JsonProgress) await Event(run, line, outcome).ConfigureAwait(false);
                else await External(run, line, outcome).ConfigureAwait(false);
            }
            await stderr.ConfigureAwait(false);
            await run.Process.WaitForExitAsync().ConfigureAwait(false);
            int code = run.Process.ExitCode;
            var (ok, end, show) = Conclude(run, outcome, code, lastStderr);
            bool stopped = Volatile.Read(ref run.StopRequested) == 1 || code == 130 || outcome.Done?.Flag("stopped") == true;
            run.Outcome = new TrainOutcome(stopped ? "cancelled" : ok ? "finished" : "failed", end,
                Absolute(run, outcome.Done?.Text("adapter_path")), Absolute(run, outcome.Done?.Text("loss_curve")), outcome.Done?.Number("final_loss") ?? outcome.LastLoss);
            await End(run, end).ConfigureAwait(false);
            await Show(ok ? MessageType.Info : MessageType.Error, show).ConfigureAwait(false);
            _log.Info($"{run.Title}: exited with code {code}");
        }
        catch (Exception ex)
        {
            _log.Error($"{run.Title}: supervising the trainer failed: {ex}");
            KillTree(run);
            await End(run, $"Failed: {ex.Message}").ConfigureAwait(false);
            await Show(MessageType.Error, $"{run.Title} failed: {ex.Message}").ConfigureAwait(false);
            run.Outcome = new TrainOutcome("failed", $"Failed: {ex.Message}", null, null, null);
        }
        finally
        {
            _runs.TryRemove(new KeyValuePair<string, Run>(run.Uri, run));
            run.Process.Dispose();
            run.Finished.TrySetResult();
        }
    }

    private sealed class Outcome
    {
        public TrainerEvent? Done, Error;
        public double? LastLoss;
        public int Garbage;
        public string? LastCheckpoint;
    }

    private async Task Event(Run run, string line, Outcome o)
    {
        var e = TrainerLines.ParseEvent(line);
        if (e is null)
        {
            o.Garbage++;
            await Log(MessageType.Warning, $"trainer printed a line that is not a progress event: {Clip(line)}").ConfigureAwait(false);
            return;
        }
        switch (e.Kind)
        {
            case "start":
                run.Total = e.Integer("total_steps");
                var parts = new List<string>();
                if (run.Total is long t) parts.Add($"{t} steps");
                if (e.Number("epochs") is double ep) parts.Add($"{ep.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)} epochs");
                if (e.Integer("dataset_size") is long n) parts.Add($"{n} examples");
                await Report(run, "starting" + (parts.Count > 0 ? ": " + string.Join(", ", parts) : ""), 0).ConfigureAwait(false);
                if (e.Text("output_dir") is { } dir) await Log(MessageType.Info, $"{run.Title}: output in {dir}").ConfigureAwait(false);
                break;
            case "step":
                long step = e.Integer("step") ?? Interlocked.Read(ref run.Step) + 1;
                Interlocked.Exchange(ref run.Step, step);
                run.Total = e.Integer("total_steps") ?? run.Total;
                o.LastLoss = e.Number("loss") ?? o.LastLoss;
                await Report(run, TrainerLines.StepMessage(step, run.Total, e.Number("epoch"), e.Number("loss"), e.Number("eta_seconds")),
                    run.Total is long total ? TrainerLines.Percentage(step, total) : null).ConfigureAwait(false);
                break;
            case "eval":
                await Log(MessageType.Info, $"{run.Title}: eval at step {e.Integer("step")}: eval_loss {TrainerLines.Loss(e.Number("eval_loss"))}").ConfigureAwait(false);
                break;
            case "save":
                o.LastCheckpoint = e.Text("checkpoint") ?? e.Text("path") ?? o.LastCheckpoint;
                await Log(MessageType.Info, $"{run.Title}: saved {o.LastCheckpoint ?? "a checkpoint"} at step {e.Integer("step")}").ConfigureAwait(false);
                break;
            case "done": o.Done = e; break;
            case "error": o.Error = e; break;
            default: break; // later protocol versions may add events
        }
    }

    private async Task External(Run run, string line, Outcome o)
    {
        await Log(MessageType.Log, line).ConfigureAwait(false);
        if (TrainerLines.ParseTqdm(line) is { } bar)
        {
            Interlocked.Exchange(ref run.Step, bar.Step);
            run.Total = bar.Total;
            await Report(run, TrainerLines.StepMessage(bar.Step, bar.Total, null, o.LastLoss, null, bar.Eta), TrainerLines.Percentage(bar.Step, bar.Total)).ConfigureAwait(false);
        }
        else if (TrainerLines.ParseLogDict(line) is { } dict)
        {
            if (dict.TryGetValue("loss", out var loss)) o.LastLoss = loss;
            long step = Interlocked.Read(ref run.Step);
            double? epoch = dict.TryGetValue("epoch", out var e) ? e : null;
            var message = step > 0 ? TrainerLines.StepMessage(step, run.Total, epoch, o.LastLoss, null)
                : string.Join(" · ", new[] { epoch is double x ? "epoch " + x.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) : null, "loss " + TrainerLines.Loss(o.LastLoss) }.Where(s => s is not null));
            await Report(run, message, step > 0 && run.Total is long t ? TrainerLines.Percentage(step, t) : null).ConfigureAwait(false);
        }
    }

    /// <summary>(success, the progress end message, the showMessage text).</summary>
    private static (bool Ok, string End, string Show) Conclude(Run run, Outcome o, int code, string? lastStderr)
    {
        bool stopped = Volatile.Read(ref run.StopRequested) == 1;
        if (o.Done is { } d && (code == 0 || code == 130))
        {
            var adapter = Absolute(run, d.Text("adapter_path")) ?? "?";
            var loss = TrainerLines.Loss(d.Number("final_loss") ?? o.LastLoss);
            var curve = Absolute(run, d.Text("loss_curve"));
            var verb = d.Flag("stopped") || code == 130 ? $"Stopped at step {d.Integer("global_step") ?? Interlocked.Read(ref run.Step)}" : "Done";
            return (true, $"{verb}: adapter {adapter} · final loss {loss}",
                $"{run.Title}: {verb.ToLowerInvariant()}. Adapter: {adapter} · final loss {loss}" + (curve is null ? "" : $" · loss curve: {curve}"));
        }
        if (!run.Command.JsonProgress && code == 0)
            return (true, "Done" + (o.LastLoss is double l ? $" · final loss {TrainerLines.Loss(l)}" : ""),
                $"{run.Title}: {run.Command.FileName} finished" + (o.LastLoss is double l2 ? $" · final loss {TrainerLines.Loss(l2)}" : "") + " (see the output log for the adapter)");
        string why;
        if (o.Error is { } err) why = err.Text("message") ?? "the trainer reported an error";
        else if (stopped && code is 130 or 137 or -1 or 143) why = $"stopped at step {Interlocked.Read(ref run.Step)} before the trainer reported a result (exit code {code})";
        else if (code == 0) why = $"the trainer exited at step {Interlocked.Read(ref run.Step)}{(run.Total is long t0 ? "/" + t0 : "")} without reporting a result";
        else why = $"the trainer exited with code {code} at step {Interlocked.Read(ref run.Step)}{(run.Total is long t1 ? "/" + t1 : "")}" + (lastStderr is null ? "" : $": {Clip(lastStderr)}");
        if (o.Garbage > 0 && o.Error is null) why += $" ({o.Garbage} line{(o.Garbage == 1 ? "" : "s")} of its output were not progress events)";
        if (o.Error?.Text("checkpoint") is { } cp) why += $"; last checkpoint {cp}";
        else if (o.LastCheckpoint is { } cp2) why += $"; last checkpoint {cp2}";
        return (false, "Failed: " + why, $"{run.Title} failed: {why}");
    }

    /// <summary>A path the trainer reported, absolute (the trainer may print paths relative to its working directory).</summary>
    private static string? Absolute(Run run, string? path)
    {
        if (string.IsNullOrEmpty(path)) return path;
        try { return Path.GetFullPath(Path.Combine(run.Directory, path)); }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException) { return path; }
    }

    private static string Clip(string s) => s.Length <= 300 ? s : s[..300] + "…";
}

/// <summary>window/workDoneProgress/create params.</summary>
public sealed record WorkDoneProgressCreateParams(string Token);

/// <summary>$/progress params: a work-done begin, report or end (absent members are left out of the JSON). Named
/// records rather than anonymous objects so that their JSON metadata is generated (<see cref="LspJsonContext"/>).</summary>
public sealed record ProgressParams(string Token, ProgressValue Value);

public sealed record ProgressValue(
    string Kind,
    string? Title = null,
    bool? Cancellable = null,
    string? Message = null,
    uint? Percentage = null);
