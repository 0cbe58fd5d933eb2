using System.Text.Json;
using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server;
using StreamJsonRpc;

namespace Stepwise.LanguageServer.Tests.Units;

public class SettingsStateTests
{
    private readonly UnitKit _kit = new(UnitKit.NotAConfig);

    private static object? Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Fact]
    public async Task The_gate_opens_when_the_settings_pull_fails()
    {
        _kit.Client.Answer = (_, _) => Task.FromException<object?>(new RemoteInvocationException("configuration is not supported", -32601, (object?)null));
        _kit.Settings.Initialized(clientAnswersConfiguration: true);

        await _kit.Settings.Pulled.WaitAsync(TimeSpan.FromSeconds(10));
        var asked = Assert.Single(_kit.Client.Sent);
        Assert.Equal("workspace/configuration", asked.Method);
        Assert.Equal("stepwise", Assert.Single(((ConfigurationParams)asked.Argument!).Items).Section);
        Assert.Contains("workspace/configuration failed: configuration is not supported", _kit.LogText.ToString());
        Assert.Same(ServerSettings.Default, _kit.Settings.Current);
        Assert.Equal(0, _kit.Reanalyses);
    }

    [Fact]
    public void The_gate_is_open_at_once_when_the_client_cannot_be_asked()
    {
        _kit.Settings.Initialized(clientAnswersConfiguration: false);
        Assert.True(_kit.Settings.Pulled.IsCompletedSuccessfully);
        Assert.Empty(_kit.Client.Sent);
    }

    [Fact]
    public async Task Pulled_settings_are_applied_before_the_gate_opens_and_analyse_again_once()
    {
        var answer = new TaskCompletionSource<object?>();
        _kit.Client.Answer = (_, _) => answer.Task;
        _kit.Settings.Initialized(clientAnswersConfiguration: true);
        await Task.Delay(50);
        Assert.False(_kit.Settings.Pulled.IsCompleted, "the gate waits for the client's answer");

        answer.SetResult(Json("""[{"epochThreshold": 3, "worldSize": "8", "launcher": "accelerate", "trainer": {"graceSeconds": 5}}]"""));
        await _kit.Settings.Pulled.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(3.0, _kit.Settings.Current.EpochThreshold);
        Assert.Equal(8, _kit.Settings.Current.WorldSize);
        Assert.Equal("accelerate", _kit.Settings.Trainer.Launcher);
        Assert.Equal(5, _kit.Settings.Trainer.GraceSeconds);
        // The engine options follow, with what the server sets on every options (the kit turns git off).
        Assert.Equal(3.0, _kit.Settings.Options.Analysis.EpochThreshold);
        Assert.False(_kit.Settings.Options.UseGit);
        Assert.Equal(Stepwise.Workspace.TokenCountMode.Inline, _kit.Settings.CheckOptions.TokenCounting);
        Assert.Equal(1, _kit.Reanalyses);
    }

    [Fact]
    public async Task Default_settings_from_the_client_do_not_analyse_again()
    {
        _kit.Client.Answer = (_, _) => Task.FromResult(Json("""[{"epochThreshold": 2, "severity": {}}]"""));
        var optionsBefore = _kit.Settings.Options;
        _kit.Settings.Initialized(clientAnswersConfiguration: true);
        await _kit.Settings.Pulled.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, _kit.Reanalyses);
        Assert.Same(optionsBefore, _kit.Settings.Options);
    }

    [Fact]
    public async Task Pushed_settings_are_read_when_the_client_cannot_be_asked_and_bad_values_are_skipped_with_a_warning()
    {
        _kit.Settings.Changed(clientAnswersConfiguration: false, (JsonElement)Json("""{"stepwise": {"worldSize": 4, "epochThreshold": -1}}""")!);
        await _kit.Drain();

        Assert.Equal(4, _kit.Settings.Current.WorldSize);
        Assert.Equal(2.0, _kit.Settings.Current.EpochThreshold);
        Assert.Contains("setting ignored: stepwise.epochThreshold must be a positive number, not -1", _kit.LogText.ToString());
        Assert.Equal(1, _kit.Reanalyses);
        Assert.Empty(_kit.Client.Sent);
    }

    [Fact]
    public async Task A_configuration_change_pulls_again_where_the_client_answers()
    {
        _kit.Client.Answer = (_, _) => Task.FromResult(Json("""[{"worldSize": 2}]"""));
        _kit.Settings.Changed(clientAnswersConfiguration: true, (JsonElement)Json("""{"stepwise": {"worldSize": 64}}""")!);
        await Eventually.True(() => _kit.Settings.Current.WorldSize is not null, "the pulled settings were applied");

        Assert.Equal(2, _kit.Settings.Current.WorldSize);   // the answer wins over the notification's params
        Assert.Equal("workspace/configuration", Assert.Single(_kit.Client.Sent).Method);
    }
}
