using System.Diagnostics;

namespace Stepwise.Roslyn.Tests;

/// <summary>
/// The analyzer as users get it: packed inside Stepwise.Trainer's NuGet package and loaded by `dotnet build` of a
/// project that references the package. Slow (packs, restores, builds: 1-3 minutes); skip it in inner loops with
/// --filter "Category!=Package".
/// </summary>
public class PackageTests
{
    [Fact]
    [Trait("Category", "Package")]
    public async Task Packed_analyzer_warns_in_dotnet_build_of_the_sample()
    {
        var script = Path.Combine(DescriptorTableTests.RepoRoot(), "scripts", "test-analyzer-package.sh");
        var psi = new ProcessStartInfo("bash", new[] { script }) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await p.WaitForExitAsync(timeout.Token);
        var output = await stdout + await stderr;
        Assert.True(p.ExitCode == 0, output);
        Assert.Contains("warning SW1001: max_steps=1000 trains 62.5 epochs", output);
    }
}
