using System.Text.Json;
using Stepwise.LanguageServer.Handlers;
using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server;
using StreamJsonRpc;

namespace Stepwise.LanguageServer.Tests.Units;

public class CommandDispatchTests
{
    private readonly UnitKit _kit = new(UnitKit.NotAConfig);

    private static ExecuteCommandParams Command(string? command, params string[] args) =>
        new() { Command = command, Arguments = args.Select(a => JsonSerializer.SerializeToElement(a, LspJsonContext.Default.String)).ToList() };

    private static async Task<LocalRpcException> Fails(Func<Task> run)
    {
        try { await run(); }
        catch (LocalRpcException e) { return e; }
        throw new Xunit.Sdk.XunitException("the command did not fail");
    }

    private IReadOnlyList<LogMessageParams> Shown => _kit.Client.Arguments<LogMessageParams>("window/showMessage");

    [Theory]
    [InlineData("stepwise.server.nope", "unknown command stepwise.server.nope;")]
    [InlineData("stepwise.train", "unknown command stepwise.train;")]   // the client's own id, not the server's
    [InlineData(null, "unknown command (none);")]
    public async Task An_unknown_command_fails_with_InvalidParams_naming_the_commands_this_server_runs(string? command, string start)
    {
        var e = await Fails(() => _kit.Commands.ExecuteAsync(Command(command), CancellationToken.None));
        Assert.Equal(ErrorCodes.InvalidParams, e.ErrorCode);
        Assert.StartsWith(start, e.Message);
        foreach (var id in TrainCommands.All) Assert.Contains(id, e.Message);
        Assert.Empty(_kit.Client.Sent);
    }

    [Fact]
    public async Task Train_and_stop_without_a_config_uri_fail_with_InvalidParams()
    {
        foreach (var command in new[] { TrainCommands.Train, TrainCommands.Stop })
        {
            var e = await Fails(() => _kit.Commands.ExecuteAsync(Command(command), CancellationToken.None));
            Assert.Equal(ErrorCodes.InvalidParams, e.ErrorCode);
            Assert.Equal($"{command} needs the config URI as its first argument", e.Message);
        }
    }

    [Fact]
    public async Task Check_workspace_without_folders_fails_with_InvalidParams()
    {
        _kit.Settings.Initialized(clientAnswersConfiguration: false);
        var e = await Fails(() => _kit.Commands.ExecuteAsync(Command(TrainCommands.CheckWorkspace), CancellationToken.None));
        Assert.Equal(ErrorCodes.InvalidParams, e.ErrorCode);
        Assert.Contains("needs the workspace folder URIs", e.Message);
    }

    [Fact]
    public async Task Stop_of_a_config_that_is_not_training_answers_false_and_warns()
    {
        var answer = await _kit.Commands.ExecuteAsync(Command(TrainCommands.Stop, "file:///w/train.yaml"), CancellationToken.None);
        Assert.Equal(false, answer);
        var shown = Assert.Single(Shown);
        Assert.Equal(MessageType.Warning, shown.Type);
        Assert.Equal("train.yaml is not training", shown.Message);
    }

    [Fact]
    public async Task Runs_lists_no_run_when_none_was_started()
    {
        var answer = await _kit.Commands.ExecuteAsync(Command(TrainCommands.Runs), CancellationToken.None);
        Assert.Empty(Assert.IsAssignableFrom<IReadOnlyList<Stepwise.LanguageServer.Server.Training.RunInfo>>(answer));
    }

    [Fact]
    public async Task Train_waits_for_the_settings_then_refuses_a_document_that_is_not_a_config_and_shows_why()
    {
        var settings = new TaskCompletionSource<object?>();
        _kit.Client.Answer = (_, _) => settings.Task;
        _kit.Settings.Initialized(clientAnswersConfiguration: true);
        _kit.Docs.Open(new TextDocumentItem("file:///w/notes.yaml", "yaml", 1, "hello: world\n"));

        var train = _kit.Commands.ExecuteAsync(Command(TrainCommands.Train, "file:///w/notes.yaml"), CancellationToken.None);
        await Task.Delay(100);
        Assert.False(train.IsCompleted, "Train waits for the settings pulled at initialized");

        settings.SetResult(null);
        var e = await Fails(() => train);
        Assert.Equal(CommandDispatch.RequestFailed, e.ErrorCode);
        Assert.Equal("Cannot train notes.yaml: it is not a training config Stepwise reads", e.Message);
        var shown = Assert.Single(Shown);
        Assert.Equal(MessageType.Error, shown.Type);
        Assert.Equal(e.Message, shown.Message);
    }

    [Fact]
    public async Task Train_of_a_file_that_cannot_be_read_says_so()
    {
        _kit.Settings.Initialized(clientAnswersConfiguration: false);
        var missing = Path.Combine(Path.GetTempPath(), "stepwise-no-such-dir-" + Guid.NewGuid().ToString("N"), "train.yaml");
        var e = await Fails(() => _kit.Commands.ExecuteAsync(Command(TrainCommands.Train, DocumentUris.FromPath(missing)), CancellationToken.None));
        Assert.Equal(CommandDispatch.RequestFailed, e.ErrorCode);
        Assert.StartsWith("Cannot train train.yaml: ", e.Message);
        Assert.Contains("stepwise-no-such-dir-", e.Message);   // the IO error names the path
    }

    [Fact]
    public void Cancelling_an_unknown_progress_token_is_logged_and_ignored()
    {
        _kit.Commands.CancelProgress(JsonSerializer.SerializeToElement("stepwise-train-123", LspJsonContext.Default.String));
        _kit.Commands.CancelProgress(JsonDocument.Parse("7").RootElement.Clone());
        var log = _kit.LogText.ToString();
        Assert.Contains("window/workDoneProgress/cancel for unknown token \"stepwise-train-123\": ignored", log);
        Assert.Contains("window/workDoneProgress/cancel for unknown token 7: ignored", log);
    }

    [Theory]
    [InlineData("\"file:///w/a.yaml\"", "file:///w/a.yaml")]
    [InlineData("{\"uri\": \"file:///w/b.yaml\"}", "file:///w/b.yaml")]
    [InlineData("{\"path\": \"/w/b.yaml\"}", null)]
    [InlineData("3", null)]
    public void The_config_uri_is_the_first_argument_as_a_string_or_an_object_with_uri(string json, string? expected)
    {
        var args = new List<JsonElement> { JsonDocument.Parse(json).RootElement.Clone() };
        Assert.Equal(expected, CommandDispatch.CommandUri(args));
    }
}
