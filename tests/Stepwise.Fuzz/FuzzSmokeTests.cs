namespace Stepwise.Fuzz;

/// <summary>
/// CI's short fuzzing run (about a minute in all, without coverage instrumentation: mutation from the seeds) and the
/// replay of every input kept under regressions/. The full run is the benchmark command (Program.cs).
/// </summary>
public class FuzzSmokeTests
{
    private static readonly IReadOnlyList<Harness> All = Harnesses.All(Seeds.FindSharedCorpus());

    public static TheoryData<string> Names() => new(All.Select(h => h.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_saved_regression_input_passes(string harness)
    {
        var engine = new FuzzEngine(1, null, TextWriter.Null);
        var failures = Regressions.Load(All.Where(h => h.Name == harness))
            .Select(r => (r.File, Failure: engine.RunOne(r.Harness, r.Bytes, out _)))
            .Where(r => r.Failure is not null)
            .Select(r => $"{Path.GetFileName(r.File)}: {r.Failure}")
            .ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_few_seconds_of_fuzzing_find_no_crash_and_no_hang(string harness)
    {
        var h = All.Single(x => x.Name == harness);
        var log = new StringWriter();
        var engine = new FuzzEngine(Environment.TickCount, Path.Combine(Path.GetTempPath(), "stepwise-fuzz-smoke"), log) { HangAfter = TimeSpan.FromSeconds(5) };
        var stats = engine.Fuzz(h, long.MaxValue, DateTime.UtcNow.AddSeconds(5));
        Assert.True(stats.Inputs > 0);
        Assert.True(engine.Failures.Count == 0, $"{stats.Inputs} inputs:\n" + string.Join("\n", engine.Failures.Select(f =>
            $"{f.Kind}: {f.Message}\n    input (base64): {Convert.ToBase64String(File.Exists(f.File) ? File.ReadAllBytes(f.File) : Array.Empty<byte>())}")));
    }
}
