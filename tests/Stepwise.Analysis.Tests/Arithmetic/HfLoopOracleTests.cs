using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Stepwise.Core.Arithmetic;

namespace Stepwise.Analysis.Tests.Arithmetic;

/// <summary>
/// The closed forms in <see cref="Schedules.Compute"/> against an independent walk of the training loop: the oracle
/// (Arithmetic/oracle/hf_loop.py, run with Debian's /usr/bin/python3) steps through every micro-batch of every epoch as
/// the three generations of Trainer._inner_training_loop do and reports the steps made, trainer_state.json's epoch and
/// the samples consumed. The grid covers partial accumulation windows, fractional epochs, world sizes 1-8, drop_last and
/// empty dataloaders.
/// </summary>
public class HfLoopOracleTests
{

    private sealed record Case(long N, long B, long A, long W, bool DropLast, long MaxSteps, double Epochs, TrainerLoop Loop);

    private static IEnumerable<Case> Grid()
    {
        long[] ns = { 0, 1, 3, 5, 10, 31, 37, 100 };
        long[] bs = { 1, 4 };
        long[] accs = { 1, 2, 3, 4, 8 };
        (long MaxSteps, double Epochs)[] lengths = { (1, 3), (5, 3), (17, 3), (-1, 0.5), (-1, 1), (-1, 2.5) };
        foreach (var loop in new[] { TrainerLoop.Current, TrainerLoop.PrefetchWindows, TrainerLoop.RunningCount })
        foreach (var n in ns) foreach (var b in bs) foreach (var a in accs)
        for (long w = 1; w <= 8; w++)
        foreach (var drop in new[] { false, true })
        foreach (var (ms, ep) in lengths)
            yield return new Case(n, b, a, w, drop, ms, ep, loop);
    }

    [Fact]
    public async Task Closed_forms_equal_a_walk_through_the_training_loop()
    {
        var cases = Grid().ToList();
        var lines = await PythonOracle.Run("Arithmetic/oracle/hf_loop.py", cases.Select(c => (object)new
        {
            n = c.N, b = c.B, a = c.A, w = c.W, drop_last = c.DropLast, max_steps = c.MaxSteps, epochs = c.Epochs,
            loop = c.Loop switch { TrainerLoop.Current => "current", TrainerLoop.PrefetchWindows => "prefetch", _ => "running" },
        }).ToList());

        var failures = new List<string>();
        for (int i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            var o = lines[i];
            long steps = (long)o["steps"]!;
            double epoch = (double)o["epoch"]!;
            long samples = (long)o["samples"]!;
            bool raises = (bool)o["raises"]!;
            var s = Schedules.Compute(new ScheduleInputs
            {
                DatasetSize = c.N, PerDeviceBatch = c.B, GradientAccumulation = c.A, WorldSize = c.W, DropLast = c.DropLast,
                MaxSteps = c.MaxSteps, NumTrainEpochs = c.Epochs, Loop = c.Loop,
            });
            bool ok = s.TotalSteps == steps && Math.Abs(s.Epochs!.Value - epoch) < 1e-9 && s.Samples == samples
                      && (!raises || (s.EmptyDataloader && !s.MaxStepsSetsLength));
            if (!ok && failures.Count < 20)
                failures.Add($"{c}: oracle steps {steps} epoch {epoch.ToString(CultureInfo.InvariantCulture)} samples {samples} raises {raises}; " +
                             $"engine steps {s.TotalSteps} epoch {s.Epochs?.ToString(CultureInfo.InvariantCulture)} samples {s.Samples} empty {s.EmptyDataloader}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases differ:\n" + string.Join("\n", failures));
    }
}
