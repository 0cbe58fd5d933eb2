using System.Text.Json;
using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server.Training;
using Stepwise.Workspace;
using StreamJsonRpc;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// The <c>stepwise</c> settings the server works with: pulled (workspace/configuration) at <c>initialized</c> and on
/// each didChangeConfiguration where the client can answer, else read from didChangeConfiguration's own params. Holds
/// the analysis settings (<see cref="ServerSettings"/>, and the engine options derived from them), the training
/// settings (<see cref="TrainerSettings"/>), and the gate commands wait on so that a Train right after start honours
/// the settings: it opens once the first pull is applied, or fails, or was never possible.
/// </summary>
/// <param name="queue">Settings are applied as a mutation, in order with the document messages.</param>
/// <param name="forServer">What the server sets on every engine options it derives (how token counts run).</param>
/// <param name="changed">Runs (on the queue) when applied settings differ from the ones before: analyse again.</param>
public sealed class SettingsState(
    IClientConnection client, RequestQueue queue, Func<WorkspaceOptions, WorkspaceOptions> forServer, Action changed,
    ServerLog log)
{
    /// <summary>How long a command waits for the first pull before it goes on with the settings known.</summary>
    public static readonly TimeSpan PullWait = TimeSpan.FromSeconds(10);

    private readonly TaskCompletionSource _pulled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile ServerSettings? _settings;
    private volatile TrainerSettings _trainer = TrainerSettings.Default;
    // Null until first needed: the defaults load the engine's assemblies, which initialize does not need.
    private WorkspaceOptions? _options;

    public ServerSettings Current => _settings ?? ServerSettings.Default;
    public TrainerSettings Trainer => _trainer;

    /// <summary>The engine options for the editor's documents. The warm-up thread may ask first; settings applied
    /// meanwhile win over the defaults.</summary>
    public WorkspaceOptions Options => Volatile.Read(ref _options)
        ?? Interlocked.CompareExchange(ref _options, forServer(Current.ToWorkspaceOptions()), null) ?? _options!;

    /// <summary>Check Workspace publishes files that are not open and will not be analysed again: their token lengths
    /// are counted before their result (cached like the background counts).</summary>
    public WorkspaceOptions CheckOptions => Options with { TokenCounting = TokenCountMode.Inline, StartTokenCount = null };

    /// <summary>Completes once the settings pulled at <c>initialized</c> are applied, or cannot be.</summary>
    public Task Pulled => _pulled.Task;

    /// <summary>The client said <c>initialized</c>: pull the settings, or open the gate when the client cannot answer.</summary>
    public void Initialized(bool clientAnswersConfiguration)
    {
        if (clientAnswersConfiguration) _ = PullAsync();
        else _pulled.TrySetResult();
    }

    /// <summary>workspace/didChangeConfiguration: pull again where the client answers, else apply the pushed section.</summary>
    public void Changed(bool clientAnswersConfiguration, JsonElement? pushed)
    {
        if (clientAnswersConfiguration) { _ = PullAsync(); return; }
        var section = LspJson.Probe(pushed, "stepwise");
        queue.Mutate("didChangeConfiguration", () => Apply(section));
    }

    /// <summary>Waits for <see cref="Pulled"/> at most <see cref="PullWait"/>; after that goes on, with a warning.</summary>
    public async Task WaitForPullAsync(CancellationToken ct)
    {
        try { await _pulled.Task.WaitAsync(PullWait, ct).ConfigureAwait(false); }
        catch (TimeoutException) { log.Warning($"no answer to workspace/configuration within {PullWait.TotalSeconds:0} s: going on with the settings known now"); }
    }

    private async Task PullAsync()
    {
        try
        {
            // As object (a JsonElement arrives boxed): StreamJsonRpc's request code for reference types is precompiled,
            // an instantiation over the JsonElement struct would be compiled by the JIT while the first document waits.
            var answer = await client.Request("workspace/configuration",
                new ConfigurationParams(new[] { new ConfigurationItem(null, "stepwise") })).ConfigureAwait(false);
            JsonElement? section = answer is JsonElement { ValueKind: JsonValueKind.Array } result && result.GetArrayLength() > 0 ? result[0] : null;
            queue.Mutate("workspace/configuration", () => { try { Apply(section); } finally { _pulled.TrySetResult(); } });
        }
        catch (Exception ex) when (ex is RemoteInvocationException or ConnectionLostException or ObjectDisposedException or JsonException or InvalidOperationException)
        {
            log.Warning($"workspace/configuration failed: {ex.Message}");
            _pulled.TrySetResult();
        }
    }

    /// <summary>Reads the section (bad values are logged and skipped); analyses again only when the analysis settings changed.</summary>
    private void Apply(JsonElement? section)
    {
        var problems = new List<string>();
        var settings = ServerSettings.Parse(section, problems);
        _trainer = TrainerSettings.Parse(section, problems);
        foreach (var problem in problems) log.Warning($"setting ignored: {problem}");
        // The client usually answers with the defaults: no new snapshots (and no second analysis) for those.
        if (settings.SameAs(Current)) return;
        _settings = settings;
        Volatile.Write(ref _options, forServer(settings.ToWorkspaceOptions()));
        changed();
    }
}
