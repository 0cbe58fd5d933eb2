using System.Collections.Concurrent;
using System.Diagnostics;
using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server;
using Stepwise.LanguageServer.Server.Training;
using Stepwise.Workspace;

namespace Stepwise.LanguageServer.Tests.Units;

/// <summary>One message the server's units sent to the client.</summary>
public sealed record Sent(string Method, object? Argument, bool IsRequest);

/// <summary>
/// The client end for the units' tests: records every notification and request in the order they were sent, and
/// answers requests through <see cref="Answer"/> (null by default), as a real client's answer would arrive.
/// </summary>
public sealed class RecordingClient : IClientConnection
{
    private readonly List<Sent> _sent = new();

    public bool IsOpen { get; set; } = true;
    public Func<string, object?, Task<object?>> Answer { get; set; } = (_, _) => Task.FromResult<object?>(null);

    public IReadOnlyList<Sent> Sent { get { lock (_sent) return _sent.ToList(); } }
    public IReadOnlyList<T> Arguments<T>(string method) => Sent.Where(s => s.Method == method).Select(s => (T)s.Argument!).ToList();

    public Task Notify(string method, object? argument)
    {
        lock (_sent) _sent.Add(new Sent(method, argument, false));
        return Task.CompletedTask;
    }

    public Task<object?> Request(string method, object? argument, CancellationToken cancellationToken = default)
    {
        lock (_sent) _sent.Add(new Sent(method, argument, true));
        return Answer(method, argument);
    }
}

/// <summary>Waiting in tests: polls a condition with a deadline (the units run their work on the thread pool).</summary>
public static class Eventually
{
    public static async Task True(Func<bool> condition, string what, int timeoutMs = 10_000)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.ElapsedMilliseconds > timeoutMs) throw new TimeoutException($"not within {timeoutMs} ms: {what}");
            await Task.Delay(5);
        }
    }
}

/// <summary>
/// The server's units wired as <see cref="StepwiseServer"/> wires them, minus the JSON-RPC connection: the client is a
/// <see cref="RecordingClient"/>, the log a string, and the engine entry point <paramref name="analyze"/>.
/// </summary>
public sealed class UnitKit
{
    public RecordingClient Client { get; } = new();
    public StringWriter LogText { get; } = new();
    public ServerLog Log { get; }
    public RequestQueue Queue { get; }
    public ClientCapabilities Capabilities { get; set; } = new();
    public SettingsState Settings { get; }
    public BackgroundTokenCounts Tokens { get; }
    public ServerEngine Engine { get; }
    public DocumentStore Docs { get; }
    public FileWatchers Watchers { get; }
    public DiagnosticsScheduler Diagnostics { get; }
    public TrainingRuns Training { get; }
    public WorkspaceCheck Check { get; }
    public CommandDispatch Commands { get; }
    /// <summary>How many times the settings asked for a new analysis of every document.</summary>
    public int Reanalyses;

    public UnitKit(Func<string, string, WorkspaceOptions, FileAnalysis> analyze, int maxAnalysedLength = 1 << 20)
    {
        Log = new ServerLog(TextWriter.Synchronized(LogText));
        Queue = new RequestQueue((ex, what) => Log.Error($"{what} failed: {ex}"));
        Func<ClientCapabilities> caps = () => Capabilities;
        Tokens = new BackgroundTokenCounts(() => Engine!.Checker.TokenCounts, Client, caps, () => true, () => { }, null, Log);
        Settings = new SettingsState(Client, Queue, o => o with { UseGit = false }, () => Interlocked.Increment(ref Reanalyses), Log);
        Engine = new ServerEngine(Settings, Tokens, path => Docs!.LookupOpen(path), maxAnalysedLength, analyze, Log);
        Docs = new DocumentStore(Engine.Analyze, Log);
        Watchers = new FileWatchers(Docs, Client, caps, Log);
        Diagnostics = new DiagnosticsScheduler(Docs, Client, caps, Watchers.UpdateAsync, Log);
        Training = new TrainingRuns(Client, Log);
        Check = new WorkspaceCheck(Client, Log);
        Commands = new CommandDispatch(Docs, Engine, Settings, Training, Check, Queue, Client, caps, Log);
    }

    /// <summary>Until every mutation queued so far has run.</summary>
    public Task Drain() => Queue.Read(_ => 0, CancellationToken.None);

    public static FileAnalysis NotAConfig(string path, string text, WorkspaceOptions options) =>
        new(path, text, Array.Empty<ConfigAnalysis>(), null, Array.Empty<string>());
}

/// <summary>A stand-in for the engine as <see cref="DocumentStore"/> calls it: records which versions were analysed,
/// can hold one version's analysis until released, and turns the text into one diagnostic (its message is the text)
/// plus the watched paths written on lines starting with "watch ".</summary>
public sealed class ScriptedAnalysis
{
    private readonly ConcurrentQueue<int> _analysed = new();
    private readonly ManualResetEventSlim _release = new(true);
    private readonly SemaphoreSlim _started = new(0);
    private int _hold = -1;

    public IReadOnlyList<int> Analysed => _analysed.ToList();
    public TimeSpan Delay { get; set; }

    /// <summary>The analysis of <paramref name="version"/> waits until <see cref="Release"/>.</summary>
    public void Hold(int version) { _hold = version; _release.Reset(); }
    public void Release() => _release.Set();
    public Task WaitStarted() => _started.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(t => Assert.True(t.Result, "the held analysis did not start"));

    public DocumentAnalysis Analyze(DocumentSnapshot s)
    {
        _analysed.Enqueue(s.Version);
        if (s.Version == _hold) { _started.Release(); Assert.True(_release.Wait(TimeSpan.FromSeconds(10)), "never released"); }
        if (Delay > TimeSpan.Zero) Thread.Sleep(Delay);
        var watched = s.Text.Split('\n').Where(l => l.StartsWith("watch ", StringComparison.Ordinal)).Select(l => l[6..]).ToList();
        var d = new Diagnostic { Range = new LspRange(new LspPosition(0, 0), new LspPosition(0, 1)), Message = s.Text };
        return new DocumentAnalysis(null, new[] { d }, null, watched);
    }
}
