using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using static Stepwise.Roslyn.Tests.Verify;

namespace Stepwise.Roslyn.Tests;

/// <summary>
/// Each rule that can fire from C#, positive and negative, on the seed scenario (52,002 examples, batch 8 -> 128,
/// max_steps 1000). The arithmetic is the engine's; these tests check that C# code reaches it intact.
/// </summary>
public class AnalyzerTests
{
    private const string Seed = "stepwise.dataset_size = 52002";
    /// <summary>
    /// SW1002 also notes, as information, that the default num_train_epochs does not apply whenever max_steps is set;
    /// tests of other rules switch that off the way users would, to keep each test about one rule.
    /// </summary>
    private const string Quiet = "dotnet_diagnostic.SW1002.severity = none";

    private static string Prog(string body) => "class P\n{\n    static void Main(string[] argv)\n    {\n" + body + "\n    }\n}\n";

    [Fact]
    public async Task SW1001_batch_128_with_max_steps_1000_trains_2_46_epochs()
    {
        var test = new AnalyzerTest(Prog("""
                    var a = new TrainingArguments
                    {
                        PerDeviceTrainBatchSize = 128,
                        MaxSteps = {|#0:1000|},
                    };
            """), Seed);
        test.ExpectedDiagnostics.Add(Diagnostic("SW1001").WithLocation(0).WithMessage(
            "max_steps=1000 trains 2.46 epochs, above the 2.0-epoch threshold: 1,000 steps x 128 x 1 x 1 = 128,000 samples = 2.46 epochs of 52,002 " +
            "(407 steps per epoch (ceil(52,002 / 128) = 407 batches))"));
        test.ExpectedDiagnostics.Add(Diagnostic("SW1002").WithSeverity(DiagnosticSeverity.Info).WithLocation(0).WithMessage(
            "the default num_train_epochs=3.0 does not apply because max_steps=1000 > 0: the run trains 2.46 epochs " +
            "(1,000 steps x 128 x 1 x 1 = 128,000 samples = 2.46 epochs of 52,002)"));
        await test.RunAsync();
    }

    [Fact]
    public async Task SW1001_not_reported_at_batch_8_where_max_steps_is_a_fraction_of_an_epoch()
    {
        // 1000 x 8 = 8,000 samples = 0.15 epochs: SW1004 (information) instead.
        await new AnalyzerTest(Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 8, MaxSteps = {|SW1004:1000|} };
            """), Seed, Quiet).RunAsync();
    }

    [Fact]
    public async Task SW1001_follows_consts_and_constant_arithmetic()
    {
        await new AnalyzerTest(Prog("""
                    const int Batch = 64;
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = Batch * 2, MaxSteps = {|SW1001:Steps.Budget|} };
                }
                static class Steps { public const int Budget = 500 * 2; }
                static void M()
                {
            """), Seed, Quiet).RunAsync();
    }

    [Fact]
    public async Task Unknown_non_constant_max_steps_gives_no_SW1001()
    {
        await new AnalyzerTest(Prog("""
                    int steps = argv.Length * 1000;
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 128, MaxSteps = steps };
            """), Seed, Quiet).RunAsync();
    }

    [Fact]
    public async Task Unknown_num_train_epochs_is_not_compared_with()
    {
        // 100 steps at batch 128 = 0.25 epochs: below the threshold, and an unknown num_train_epochs asks for nothing
        // (not "more than 0 epochs"); SW1004 still reports the fraction of an epoch.
        await new AnalyzerTest(Prog("""
                    double epochs = argv.Length;
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 128, MaxSteps = {|SW1004:100|}, {|SW1002:NumTrainEpochs|} = epochs };
            """), Seed).RunAsync();
    }

    [Fact]
    public async Task Unknown_non_constant_batch_gives_no_epoch_finding()
    {
        await new AnalyzerTest(Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = int.Parse(argv[0]), MaxSteps = 1000 };
            """), Seed, Quiet).RunAsync();
    }

    [Fact]
    public async Task SW1002_epochs_written_next_to_max_steps_are_ignored()
    {
        var test = new AnalyzerTest(Prog("""
                    var a = new TrainingArguments
                    {
                        PerDeviceTrainBatchSize = 8,
                        MaxSteps = {|SW1004:1000|},
                        {|#0:NumTrainEpochs|} = 3,
                    };
            """), Seed);
        test.ExpectedDiagnostics.Add(Diagnostic("SW1002").WithLocation(0).WithMessage(
            "num_train_epochs=3 is ignored because max_steps=1000 > 0: the run trains 0.15 epochs (1,000 steps x 8 x 1 x 1 = 8,000 samples = 0.15 epochs of 52,002)"));
        await test.RunAsync();
    }

    [Fact]
    public async Task SW1002_not_reported_without_max_steps()
    {
        await new AnalyzerTest(Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 128, NumTrainEpochs = 3 };
            """), Seed).RunAsync();
    }

    [Fact]
    public async Task SW1004_not_reported_when_max_steps_covers_an_epoch()
    {
        // 407 steps per epoch at batch 128: 407 steps is exactly one epoch.
        await new AnalyzerTest(Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 128, MaxSteps = 407 };
            """), Seed, Quiet).RunAsync();
    }

    [Fact]
    public async Task SW1005_dataset_size_unknown_without_options_or_files()
    {
        await new AnalyzerTest(Prog("""
                    var a = {|SW1005:new TrainingArguments { PerDeviceTrainBatchSize = 128, MaxSteps = 1000 }|};
            """), Quiet).RunAsync();
    }

    [Fact]
    public async Task SW1005_not_reported_when_the_globalconfig_states_the_size()
    {
        await new AnalyzerTest(Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 128, NumTrainEpochs = 2 };
            """), Seed, Quiet).RunAsync();
    }

    [Fact]
    public async Task SW1006_warmup_ratio_with_max_steps()
    {
        await new AnalyzerTest(Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 32, MaxSteps = {|SW1004:1000|}, WarmupRatio = {|SW1006:0.03|} };
            """), Seed, Quiet).RunAsync();
    }

    [Fact]
    public async Task SW1006_not_reported_for_warmup_ratio_without_max_steps()
    {
        await new AnalyzerTest(Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 32, NumTrainEpochs = 1, WarmupRatio = 0.03 };
            """), Seed, Quiet).RunAsync();
    }

    [Fact]
    public async Task SW9002_batch_size_zero()
    {
        var test = new AnalyzerTest(Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = {|#0:0|}, MaxSteps = 1000 };
            """), Seed, Quiet);
        test.ExpectedDiagnostics.Add(Diagnostic("SW9002").WithLocation(0).WithMessage("per_device_train_batch_size must be at least 1, not 0"));
        await test.RunAsync();
    }

    [Fact]
    public async Task SW9002_not_reported_for_positive_values()
    {
        await new AnalyzerTest(Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 1, GradientAccumulationSteps = 1, NumTrainEpochs = 1 };
            """), Seed, Quiet).RunAsync();
    }

    [Fact]
    public async Task SW9002_unusable_globalconfig_value_is_reported_at_the_creation()
    {
        var test = new AnalyzerTest(Prog("""
                    var a = {|#0:new TrainingArguments { PerDeviceTrainBatchSize = 128, NumTrainEpochs = 1 }|};
            """), Quiet, "stepwise.dataset_size = lots");
        test.ExpectedDiagnostics.Add(Diagnostic("SW1005").WithLocation(0));
        test.ExpectedDiagnostics.Add(Diagnostic("SW9002").WithLocation(0)
            .WithMessage("stepwise.dataset_size = 'lots' in .editorconfig/.globalconfig must be a whole number of at least 0"));
        await test.RunAsync();
    }

    [Fact]
    public async Task Globalconfig_world_size_and_threshold_change_the_arithmetic()
    {
        // batch 128 x 4 processes: 102 steps per epoch, 1000 = 9 x 102 + 82 steps = 9.80 epochs (trainer_state.json); threshold 12 keeps it quiet...
        await new AnalyzerTest(Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 128, MaxSteps = 1000 };
            """), Seed, Quiet, "stepwise.world_size = 4", "stepwise.epoch_threshold = 12").RunAsync();
        // ...threshold 9 does not.
        var test = new AnalyzerTest(Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 128, MaxSteps = {|#0:1000|} };
            """), Seed, Quiet, "stepwise.world_size = 4", "stepwise.epoch_threshold = 9");
        test.ExpectedDiagnostics.Add(Diagnostic("SW1001").WithLocation(0).WithMessage(
            "max_steps=1000 trains 9.80 epochs, above the 9.0-epoch threshold: 1,000 steps x 128 x 1 x 4 = 512,000 samples = 9.80 epochs of 52,002 " +
            "(102 steps per epoch (ceil(52,002 / 128) = 407 batches, / 4 processes = 102))"));
        await test.RunAsync();
    }

    [Fact]
    public async Task World_size_written_in_code_wins_over_the_globalconfig()
    {
        // WorldSize = 1 in code: 2.46 epochs, not the 9.80 the globalconfig's 4 processes would give.
        var test = new AnalyzerTest(Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 128, WorldSize = 1, MaxSteps = {|#0:1000|} };
            """), Seed, Quiet, "stepwise.world_size = 4");
        test.ExpectedDiagnostics.Add(Diagnostic("SW1001").WithLocation(0).WithMessage(
            "max_steps=1000 trains 2.46 epochs, above the 2.0-epoch threshold: 1,000 steps x 128 x 1 x 1 = 128,000 samples = 2.46 epochs of 52,002 " +
            "(407 steps per epoch (ceil(52,002 / 128) = 407 batches))"));
        await test.RunAsync();
    }

    [Fact]
    public async Task Dataset_counted_from_a_jsonl_AdditionalFile()
    {
        // 1,000 records at batch 128: ceil(1000 / 128) = 8 steps per epoch; 100 steps = 12.5 epochs.
        var jsonl = string.Concat(Enumerable.Range(0, 1000).Select(i => $"{{\"instruction\": \"q{i}\", \"output\": \"a\"}}\n"));
        var test = new AnalyzerTest(Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 128, MaxSteps = {|#0:100|} };
            """), Quiet);
        test.TestState.AdditionalFiles.Add(("/project/data/train.jsonl", jsonl));
        test.ExpectedDiagnostics.Add(Diagnostic("SW1001").WithLocation(0).WithMessage(
            "max_steps=100 trains 12.5 epochs, above the 2.0-epoch threshold: 100 steps x 128 x 1 x 1 = 12,800 samples = 12.5 epochs of 1,000 " +
            "(8 steps per epoch (ceil(1,000 / 128) = 8 batches))"));
        await test.RunAsync();
    }

    [Fact]
    public async Task Dataset_named_by_TrainFile_is_counted_from_a_json_array_AdditionalFile()
    {
        // 300 records in a JSON array (with commas and brackets inside strings); 300 / 16 -> 19 steps per epoch.
        var json = "[\n" + string.Join(",\n", Enumerable.Range(0, 300).Select(i => $"  {{\"text\": \"a, [b] {{c}} \\\"{i}\\\"\"}}")) + "\n]\n";
        var other = "{\"x\": 1}\n{\"x\": 2}\n";
        var test = new AnalyzerTest(Prog("""
                    var a = new TrainingArguments { TrainFile = "data/alpaca.json", PerDeviceTrainBatchSize = 16, MaxSteps = {|#0:100|} };
            """), Quiet);
        test.TestState.AdditionalFiles.Add(("/project/data/alpaca.json", json));
        test.TestState.AdditionalFiles.Add(("/project/data/other.jsonl", other));
        test.ExpectedDiagnostics.Add(Diagnostic("SW1001").WithLocation(0).WithMessage(
            "max_steps=100 trains 5.26 epochs, above the 2.0-epoch threshold: 100 steps x 16 x 1 x 1 = 1,600 samples = 5.26 epochs of 300 " +
            "(19 steps per epoch (ceil(300 / 16) = 19 batches))"));
        await test.RunAsync();
    }

    [Fact]
    public async Task Dataset_file_option_picks_one_of_several_AdditionalFiles()
    {
        var test = new AnalyzerTest(Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 1, MaxSteps = {|SW1001:10|} };
            """), Quiet, "stepwise.dataset_file = small.jsonl");
        test.TestState.AdditionalFiles.Add(("/p/big.jsonl", string.Concat(Enumerable.Repeat("{}\n", 100))));
        test.TestState.AdditionalFiles.Add(("/p/small.jsonl", "{}\n\n{}\n"));
        await test.RunAsync();
    }

    [Fact]
    public async Task Several_jsonl_files_without_a_choice_leave_the_size_unknown()
    {
        var test = new AnalyzerTest(Prog("""
                    var a = {|SW1005:new TrainingArguments { PerDeviceTrainBatchSize = 1, MaxSteps = 10 }|};
            """), Quiet);
        test.TestState.AdditionalFiles.Add(("/p/a.jsonl", "{}\n"));
        test.TestState.AdditionalFiles.Add(("/p/b.jsonl", "{}\n"));
        await test.RunAsync();
    }

    [Fact]
    public async Task Target_typed_new_is_read()
    {
        await new AnalyzerTest(Prog("""
                    TrainingArguments a = new() { PerDeviceTrainBatchSize = 128, MaxSteps = {|SW1001:1000|} };
            """), Seed, Quiet).RunAsync();
    }

    [Fact]
    public async Task With_expression_on_a_local_reports_what_the_new_values_change()
    {
        await new AnalyzerTest(Prog("""
                    var small = new TrainingArguments { PerDeviceTrainBatchSize = 128, MaxSteps = {|SW1004:100|} };
                    var big = small with { MaxSteps = {|SW1001:1000|} };
                    var renamed = big with { OutputDir = "out" };
            """), Seed, Quiet).RunAsync();
    }

    [Fact]
    public async Task With_expression_on_an_untraceable_receiver_guesses_nothing()
    {
        await new AnalyzerTest(Prog("""
                    var big = Make() with { MaxSteps = 1000 };
                }
                static TrainingArguments Make() => new TrainingArguments();
                static void N()
                {
            """), Seed, Quiet).RunAsync();
    }

    [Fact]
    public async Task With_expression_on_a_reassigned_local_guesses_nothing()
    {
        await new AnalyzerTest(Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 8 };
                    if (argv.Length > 0) a = new TrainingArguments { PerDeviceTrainBatchSize = 1 };
                    var b = a with { MaxSteps = 1000 };
            """), Seed, Quiet).RunAsync();
    }

    [Fact]
    public async Task Record_built_by_constructor_with_named_arguments()
    {
        await new AnalyzerTest(Prog("""
                    var a = new RunArgs(Batch: 128, Steps: {|SW1001:1000|});
                }
            }
            public sealed record RunArgs(
                [property: HfName("per_device_train_batch_size")] int Batch = 8,
                [property: HfName("max_steps")] int Steps = -1,
                [property: HfName("num_train_epochs")] double Epochs = 3)
            {
                static void Unused()
                {
            """), Seed, Quiet).RunAsync();
    }

    [Fact]
    public async Task Type_alias_is_followed()
    {
        var test = new AnalyzerTest(Prog("""
                    var a = new Args { PerDeviceTrainBatchSize = 128, MaxSteps = {|SW1001:1000|} };
            """), Seed, Quiet);
        test.TestState.Sources.Clear();
        test.TestCode = "using Args = Stepwise.Core.Model.TrainingArguments;\n" + Usings + Prog("""
                    var a = new Args { PerDeviceTrainBatchSize = 128, MaxSteps = {|SW1001:1000|} };
            """);
        await test.RunAsync();
    }

    [Fact]
    public async Task Other_types_and_empty_creations_are_ignored()
    {
        await new AnalyzerTest(Prog("""
                    var list = new System.Collections.Generic.List<int> { 1, 2 };
                    var a = new TrainingArguments();
                    var b = new Options { MaxSteps = 1000, PerDeviceTrainBatchSize = 128 };
                }
                class Options { public int MaxSteps { get; set; } public int PerDeviceTrainBatchSize { get; set; } }
                static void N()
                {
            """), Seed, Quiet).RunAsync();
    }

    [Fact]
    public async Task Generated_code_is_skipped()
    {
        var test = new AnalyzerTest(Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 128, MaxSteps = {|SW1001:1000|} };
            """), Seed, Quiet);
        test.TestState.Sources.Add(("Generated.g.cs", Usings + "class G { object M() => new TrainingArguments { PerDeviceTrainBatchSize = 128, MaxSteps = 1000 }; }\n"));
        await test.RunAsync();
    }
}
