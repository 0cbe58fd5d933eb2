using System.Diagnostics;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.Outputs;
using Stepwise.Trainer.Progress;
using Stepwise.Trainer.Training;

namespace Stepwise.Trainer.Tests.Run;

/// <summary>
/// Issue 14, failure 4: a kill during checkpoint rotation left a half-deleted checkpoint under its final name (one
/// kept only trainer_state.json through 4 more runs), and anything holding trainer_state.json counted as complete.
/// Here a child process trains for real with a save and a rotation at every step and is killed with SIGKILL at 20
/// random moments; after each kill every folder under a checkpoint-&lt;step&gt; name must be complete and load, and the
/// next child resumes from what is there (from the latest, or from the oldest, which re-saves the steps after it).
/// </summary>
public sealed class CheckpointKillTests
{
    private readonly Xunit.Abstractions.ITestOutputHelper _output;
    public CheckpointKillTests(Xunit.Abstractions.ITestOutputHelper output) => _output = output;

    public const string ChildMode = "checkpoint-kill-child";
    private const string Ready = "training-started", Saved = "saved";

    private static Lora.LoraConfig Lora => new() { R = 4, LoraAlpha = 8, TargetModules = new[] { "q_proj", "v_proj" } };

    private static Stepwise.Core.Model.TrainingArguments Args(string? resume) => RunSupport.Args(2, 1, epochs: 250) with
    {
        SaveStrategy = "steps", SaveSteps = 1, SaveTotalLimit = 2, LoggingSteps = 1000, ResumeFromCheckpoint = resume,
    };

    /// <summary>The child: trains on the tiny model into OUT, resuming as told (latest | oldest | fresh), and stops
    /// by itself (a clean stop: save, exit 0) after STOP steps when STOP &gt; 0.</summary>
    public static int Child(string[] args)
    {
        string model = args[0], output = args[1], mode = args[2];
        long stopAfter = long.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
        string? resume = mode switch
        {
            "latest" => Checkpoints.List(output).Count > 0 ? "true" : null,
            "oldest" => Checkpoints.List(output).Select(c => c.Path).FirstOrDefault(),
            _ => null,
        };
        using var stop = new CancellationTokenSource();
        var sink = new ChildSink(stop, stopAfter);
        var result = TrainingLoop.Run(RunSupport.Job(model, output, Args(resume), RunSupport.Synthetic(8), lora: Lora), sink, stop.Token);
        Console.Out.WriteLine($"done {result.GlobalStep} stopped={result.Stopped}");
        return 0;
    }

    private sealed class ChildSink : IProgressSink
    {
        private readonly CancellationTokenSource _stop;
        private readonly long _stopAfter;
        private long _steps;
        public ChildSink(CancellationTokenSource stop, long stopAfter) { _stop = stop; _stopAfter = stopAfter; }
        public void Start(StartEvent e) { Console.Out.WriteLine($"{Ready} {e.ResumedFromStep}"); Console.Out.Flush(); }
        public void Step(StepEvent e) { if (++_steps == _stopAfter) _stop.Cancel(); }
        public void Eval(EvalEvent e) { }
        public void Save(SaveEvent e) { Console.Out.WriteLine($"{Saved} {e.Step}"); Console.Out.Flush(); }
        public void Done(DoneEvent e) { }
        public void Error(string message, string? checkpoint = null) => Console.Error.WriteLine("error: " + message);
        public void Log(string message) => Console.Error.WriteLine(message);
    }

    private static Process StartChild(string model, string output, string mode, long stopAfter)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { typeof(CheckpointKillTests).Assembly.Location, ChildMode, model, output, mode, stopAfter.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    [Fact]
    public async Task Kill_9_at_20_random_moments_of_saves_and_rotations_leaves_only_complete_checkpoints_that_resume()
    {
        using var dir = new TempDir();
        string model = TestModels.Create(dir, "m");
        string output = dir["out"];
        var rng = new Random(20260514);
        int midSave = 0;
        var log = new List<string>();
        for (int kill = 0; kill < 20; kill++)
        {
            string mode = kill == 0 ? "fresh" : kill % 3 == 2 ? "oldest" : "latest";
            using var child = StartChild(model, output, mode, stopAfter: 0);
            var stderr = child.StandardError.ReadToEndAsync();
            string? line;
            // From its first save on, the child is warm (JIT, first step) and saves and rotates at every step: the kill
            // comes at a random moment of that.
            string? started = null;
            while ((line = await child.StandardOutput.ReadLineAsync()) is not null && !line.StartsWith(Saved, StringComparison.Ordinal))
                if (line.StartsWith(Ready, StringComparison.Ordinal)) started = line;
            if (line is null) Assert.Fail($"child {kill} ({mode}) ended before its first save:\n{await stderr}");
            await Task.Delay(rng.Next(0, 400));
            if (child.HasExited) Assert.Fail($"child {kill} ({mode}) stopped by itself:\n{await stderr}");
            child.Kill(); // SIGKILL on Unix: no finally blocks, no flush
            await child.WaitForExitAsync();
            log.Add($"kill {kill} ({mode}, {started}, first {line}): {string.Join(" ", Directory.EnumerateDirectories(output).Select(Path.GetFileName).Order())}");

            // A kill inside a save or a rotation leaves its temporary or departing folder, never a broken checkpoint.
            if (Directory.EnumerateDirectories(output, ".*").Any()) midSave++;
            foreach (var d in Directory.EnumerateDirectories(output, Checkpoints.Prefix + "*"))
                Assert.True(Checkpoints.IsComplete(d), $"{Path.GetFileName(d)} is incomplete after kill {kill}: {Checkpoints.Incomplete(d)}\n{string.Join("\n", log)}");
            foreach (var (_, path) in Checkpoints.List(output)) AssertLoads(model, path);
        }

        // The last child resumes from what the kills left, trains 3 more steps and stops cleanly.
        using (var last = StartChild(model, output, "latest", stopAfter: 3))
        {
            var stdout = last.StandardOutput.ReadToEndAsync();
            var stderr = last.StandardError.ReadToEndAsync();
            await last.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
            Assert.True(last.ExitCode == 0, $"resume failed (exit {last.ExitCode}):\n{await stderr}");
            Assert.Contains("stopped=True", await stdout);
            Assert.True((await stderr).Contains("resuming from", StringComparison.Ordinal), await stderr + "\n" + string.Join("\n", log));
        }
        Assert.Empty(Directory.EnumerateDirectories(output, ".*")); // the leftovers were cleaned at its start
        Assert.All(Directory.EnumerateDirectories(output, Checkpoints.Prefix + "*"), d => Assert.True(Checkpoints.IsComplete(d)));
        _output.WriteLine($"{midSave} of 20 kills left a save or a rotation unfinished\n" + string.Join("\n", log));
        // Evidence that the kills hit saves and rotations, not only the steps between them.
        Assert.True(midSave > 0, "no kill landed inside a save or a rotation:\n" + string.Join("\n", log));
    }

    private static void AssertLoads(string model, string checkpoint)
    {
        using var m = LlamaLoader.Load(model);
        LoraModel.Apply(m, Lora, 0);
        Checkpoints.LoadAdapterWeights(m, Lora, checkpoint);
        Assert.True(TrainerState.Read(Path.Combine(checkpoint, "trainer_state.json")).GlobalStep > 0);
    }

    [Fact]
    public void A_half_deleted_checkpoint_under_its_final_name_is_not_complete_and_an_explicit_resume_from_it_is_refused()
    {
        using var dir = new TempDir();
        string output = dir["out"];
        foreach (var step in new[] { 6L, 7L })
            Checkpoints.Save(output, step, tmp =>
            {
                File.WriteAllText(Path.Combine(tmp, "trainer_state.json"), "{\"global_step\": " + step + "}");
                File.WriteAllBytes(Path.Combine(tmp, PeftAdapter.WeightsFile), new byte[64]);
                File.WriteAllText(Path.Combine(tmp, PeftAdapter.ConfigFile), "{}");
            });
        // What the old in-place Directory.Delete left when killed: only trainer_state.json.
        var seven = Checkpoints.PathFor(output, 7);
        File.Delete(Path.Combine(seven, PeftAdapter.WeightsFile));
        Assert.Equal($"{PeftAdapter.WeightsFile} is missing", Checkpoints.Incomplete(seven));
        Assert.Equal(new long[] { 6 }, Checkpoints.List(output).Select(c => c.Step));
        Assert.Equal(Checkpoints.PathFor(output, 6), Checkpoints.Resolve("true", output));
        var ex = Assert.Throws<IOException>(() => Checkpoints.Resolve(seven, output));
        Assert.Contains("is an incomplete checkpoint (adapter_model.safetensors is missing)", ex.Message);
        Assert.Contains($"Resume from {Checkpoints.PathFor(output, 6)}", ex.Message);
        // A file cut short (a kill inside a copy, a full disk) is caught by its size.
        File.WriteAllText(Path.Combine(Checkpoints.PathFor(output, 6), "trainer_state.json"), "{");
        Assert.Contains("trainer_state.json has 1 bytes", Checkpoints.Incomplete(Checkpoints.PathFor(output, 6)));
    }

    [Fact]
    public void A_checkpoint_written_before_manifests_counts_when_it_holds_what_a_resume_reads()
    {
        using var dir = new TempDir();
        var legacy = Checkpoints.PathFor(dir.Path, 3);
        Directory.CreateDirectory(legacy);
        foreach (var f in new[] { "trainer_state.json", PeftAdapter.WeightsFile, PeftAdapter.ConfigFile, "optimizer.torchsharp.bin" })
            File.WriteAllText(Path.Combine(legacy, f), "x");
        Assert.Null(Checkpoints.Incomplete(legacy));
        File.Delete(Path.Combine(legacy, "optimizer.torchsharp.bin"));
        Assert.Contains("no optimizer state", Checkpoints.Incomplete(legacy));
        Assert.Empty(Checkpoints.List(dir.Path));
    }

    [Fact]
    public void Leftovers_of_a_killed_run_are_cleaned_at_the_next_start_and_a_finished_save_is_put_in_place()
    {
        using var dir = new TempDir();
        string output = dir.Path;
        Checkpoints.Save(output, 4, tmp => File.WriteAllText(Path.Combine(tmp, "trainer_state.json"), "{}"));
        // Killed mid-rotation (renamed away, partly deleted), mid-save (no manifest yet), and between a finished
        // save's manifest and its rename (step 5 has no checkpoint): the last one is the newest complete state.
        Directory.CreateDirectory(Path.Combine(output, ".deleting-checkpoint-2-0badf00d"));
        Directory.CreateDirectory(Path.Combine(output, ".tmp-checkpoint-6-deadbeef"));
        File.WriteAllText(Path.Combine(output, ".tmp-checkpoint-6-deadbeef", "trainer_state.json"), "{");
        string finished = Checkpoints.Save(output, 5, tmp => File.WriteAllText(Path.Combine(tmp, "trainer_state.json"), "{}"));
        Directory.Move(finished, Path.Combine(output, ".tmp-checkpoint-5-12345678"));

        Assert.Equal(3, Checkpoints.CleanTemporary(output).Count);
        Assert.Equal(new long[] { 4, 5 }, Checkpoints.List(output).Select(c => c.Step));
        Assert.Empty(Directory.EnumerateDirectories(output, ".*"));
    }

    [Fact]
    public void A_re_save_of_a_step_renames_the_old_folder_away_before_the_new_one_takes_its_name()
    {
        using var dir = new TempDir();
        Checkpoints.Save(dir.Path, 3, tmp => File.WriteAllText(Path.Combine(tmp, "trainer_state.json"), "{\"old\": 1}"));
        string? seenDuringMove = null;
        Checkpoints.Save(dir.Path, 3, tmp =>
        {
            File.WriteAllText(Path.Combine(tmp, "trainer_state.json"), "{\"new\": 2}");
            seenDuringMove = File.ReadAllText(Path.Combine(Checkpoints.PathFor(dir.Path, 3), "trainer_state.json"));
        });
        Assert.Equal("{\"old\": 1}", seenDuringMove); // the old checkpoint stayed whole while the new one was written
        Assert.Equal("{\"new\": 2}", File.ReadAllText(Path.Combine(Checkpoints.PathFor(dir.Path, 3), "trainer_state.json")));
        Assert.Empty(Directory.EnumerateDirectories(dir.Path, ".*"));
    }
}
