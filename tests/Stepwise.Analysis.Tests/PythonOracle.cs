using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stepwise.Analysis.Tests;

/// <summary>
/// Runs an oracle script of this test project (plain Python, Debian's /usr/bin/python3, no extra modules) over cases
/// sent as JSON lines on stdin, and returns its answers, one JSON object per case and in the same order.
/// </summary>
public static class PythonOracle
{
    public const string Python = "/usr/bin/python3";

    /// <param name="script">The script's path under tests/Stepwise.Analysis.Tests, e.g. "Packing/oracle/packers.py".</param>
    public static async Task<List<JsonObject>> Run(string script, IReadOnlyList<object> cases)
    {
        if (!File.Exists(Python))
            Assert.Fail($"{Python} not found: this oracle needs Debian's python3 (no extra modules). Run `scripts/setup.sh --test`.");
        var input = new StringBuilder();
        foreach (var c in cases) input.Append(JsonSerializer.Serialize(c)).Append('\n');
        var psi = new ProcessStartInfo(Python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(TestPaths.RepoRoot, "tests", "Stepwise.Analysis.Tests", script));
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.StandardInput.WriteAsync(input.ToString());
        p.StandardInput.Close();
        var output = await stdout;
        var errors = await stderr;
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, errors);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(cases.Count, lines.Length);
        return lines.Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
    }
}
