using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server;
using Stepwise.LanguageServer.Server.Training;
using Stepwise.Workspace;

namespace Stepwise.LanguageServer.Tests.Units;

/// <summary>The workspace check alone against a recording client: what it publishes, its progress, and what a later
/// check or an opened document withdraws.</summary>
public class WorkspaceCheckTests
{
    private static readonly ConfigChecker Checker = new(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false });

    [Fact]
    public async Task A_check_publishes_each_config_withdraws_what_is_no_longer_one_and_reports_progress()
    {
        var kit = new UnitKit(UnitKit.NotAConfig);
        var dir = Directory.CreateTempSubdirectory("stepwise-check-unit").FullName;
        try
        {
            var a = Path.Combine(dir, "a.yaml");
            var b = Path.Combine(dir, "b.yaml");
            File.WriteAllText(a, "per_device_train_batch_size: 8\nmax_steps: 1000\nnum_train_epochs: 3\n");
            File.WriteAllText(b, "per_device_train_batch_size: 4\nmax_steps: 10\n");
            File.WriteAllText(Path.Combine(dir, "notes.txt"), "not a config\n");

            var result = await kit.Check.RunAsync(new[] { dir }, Array.Empty<string>(), (p, t) => Checker.AnalyzeText(p, t), _ => null,
                workDoneProgress: true, clientToken: null, CancellationToken.None);
            Assert.Equal(2, result.Configs);
            var published = kit.Client.Arguments<PublishDiagnosticsParams>("textDocument/publishDiagnostics");
            Assert.Equal(new[] { DocumentUris.FromPath(a), DocumentUris.FromPath(b) }, published.Select(p => p.Uri).Order(StringComparer.Ordinal));
            Assert.Contains(published.Single(p => p.Uri == DocumentUris.FromPath(a)).Diagnostics, d => d.Code == "SW1002");
            // Progress: created by the server (no client token), then begin ... end.
            Assert.Equal("window/workDoneProgress/create", kit.Client.Sent.First(s => s.Method != "textDocument/publishDiagnostics").Method);
            var kinds = kit.Client.Arguments<ProgressParams>("$/progress").Select(p => p.Value.Kind).ToList();
            Assert.Equal("begin", kinds[0]);
            Assert.Equal("end", kinds[^1]);

            // b stops being a config: the next check withdraws its diagnostics (an empty set), a's are published again.
            File.WriteAllText(b, "just: text\n");
            int before = published.Count;
            await kit.Check.RunAsync(new[] { dir }, Array.Empty<string>(), (p, t) => Checker.AnalyzeText(p, t), _ => null,
                workDoneProgress: false, clientToken: null, CancellationToken.None);
            var again = kit.Client.Arguments<PublishDiagnosticsParams>("textDocument/publishDiagnostics").Skip(before).ToList();
            Assert.Contains(again, p => p.Uri == DocumentUris.FromPath(a) && p.Diagnostics.Count > 0);
            Assert.Contains(again, p => p.Uri == DocumentUris.FromPath(b) && p.Diagnostics.Count == 0);

            // Opening a in an editor that pulls diagnostics withdraws the pushed workspace result for it.
            int sent = kit.Client.Sent.Count;
            kit.Check.Opened(a, pullDiagnostics: true);
            var withdrawn = Assert.Single(kit.Client.Sent.Skip(sent));
            Assert.Equal("textDocument/publishDiagnostics", withdrawn.Method);
            Assert.Empty(((PublishDiagnosticsParams)withdrawn.Argument!).Diagnostics);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task With_the_connection_closed_a_check_still_answers_and_sends_nothing()
    {
        var kit = new UnitKit(UnitKit.NotAConfig);
        kit.Client.IsOpen = false;
        var dir = Directory.CreateTempSubdirectory("stepwise-check-unit").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "a.yaml"), "per_device_train_batch_size: 8\nmax_steps: 1000\nnum_train_epochs: 3\n");
            var result = await kit.Check.RunAsync(new[] { dir }, Array.Empty<string>(), (p, t) => Checker.AnalyzeText(p, t), _ => null,
                workDoneProgress: true, clientToken: null, CancellationToken.None);
            Assert.Equal(1, result.Configs);
            Assert.Empty(kit.Client.Sent);
        }
        finally { Directory.Delete(dir, true); }
    }
}
