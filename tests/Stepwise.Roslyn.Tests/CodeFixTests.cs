using static Stepwise.Roslyn.Tests.Verify;

namespace Stepwise.Roslyn.Tests;

/// <summary>Each fix a C# finding offers, before and after, and Fix All. The edits are the engine's, spelled in C#.</summary>
public class CodeFixTests
{
    private const string Seed = "stepwise.dataset_size = 52002";
    /// <summary>SW1002's note that the default epochs do not apply (see AnalyzerTests), off where another rule is tested.</summary>
    private const string Quiet = "dotnet_diagnostic.SW1002.severity = none";

    private static string Prog(string body) => "class P\n{\n    static void Main(string[] argv)\n    {\n" + body + "\n    }\n}\n";

    private static Task Run(string before, string after, string key) => Run(before, after, key, Seed, Quiet);

    private static async Task Run(string before, string after, string key, params string[] globalconfig)
    {
        var test = new FixTest(Prog(before), Prog(after), globalconfig) { CodeActionEquivalenceKey = key };
        await test.RunAsync();
    }

    [Fact]
    public Task SW1001_replace_max_steps_by_the_default_epochs() => Run("""
                var a = new TrainingArguments
                {
                    PerDeviceTrainBatchSize = 128,
                    MaxSteps = {|SW1001:1000|},
                    LearningRate = 2e-4,
                };
        """, """
                var a = new TrainingArguments
                {
                    PerDeviceTrainBatchSize = 128,
                    NumTrainEpochs = 3,
                    LearningRate = 2e-4,
                };
        """, "SW1001: Replace max_steps by num_train_epochs: 3");

    [Fact]
    public Task SW1001_replace_max_steps_keeps_the_written_epochs_by_removing_max_steps() => Run("""
                var a = new TrainingArguments
                {
                    PerDeviceTrainBatchSize = 128,
                    MaxSteps = {|SW1001:1000|}, // the old budget
                    {|SW1002:NumTrainEpochs|} = 3,
                };
        """, """
                var a = new TrainingArguments
                {
                    PerDeviceTrainBatchSize = 128,
                    NumTrainEpochs = 3,
                };
        """, "SW1001: Replace max_steps by num_train_epochs: 3", Seed);

    [Fact]
    public Task SW1001_replace_max_steps_by_what_it_trains_now() => Run("""
                var a = new TrainingArguments { PerDeviceTrainBatchSize = 128, MaxSteps = {|SW1001:1000|}, {|SW1002:NumTrainEpochs|} = 3 };
        """, """
                var a = new TrainingArguments { PerDeviceTrainBatchSize = 128, NumTrainEpochs = 2.46 };
        """, "SW1001: Replace max_steps by num_train_epochs: 2.46 (what max_steps trains now)", Seed);

    [Fact]
    public Task SW1001_split_the_batch_into_accumulation() => Run("""
                var a = new TrainingArguments
                {
                    PerDeviceTrainBatchSize = 128,
                    MaxSteps = {|SW1001:1000|},
                };
        """, """
                var a = new TrainingArguments
                {
                    PerDeviceTrainBatchSize = 32,
                    GradientAccumulationSteps = 4,
                    MaxSteps = {|SW1001:1000|},
                };
        """, "SW1001: Use per_device_train_batch_size 32 x gradient_accumulation_steps 4 (same 128 samples per device per step, less memory)");

    [Fact]
    public Task SW1001_split_the_batch_updates_written_accumulation_on_one_line() => Run("""
                var a = new TrainingArguments { PerDeviceTrainBatchSize = 128, GradientAccumulationSteps = 2, MaxSteps = {|SW1001:1000|} };
        """, """
                var a = new TrainingArguments { PerDeviceTrainBatchSize = 32, GradientAccumulationSteps = 8, MaxSteps = {|SW1001:1000|} };
        """, "SW1001: Use per_device_train_batch_size 32 x gradient_accumulation_steps 8 (same 256 samples per device per step, less memory)");

    [Fact]
    public Task SW1002_remove_max_steps_on_one_line() => Run("""
                var a = new TrainingArguments { PerDeviceTrainBatchSize = 8, MaxSteps = {|SW1004:1000|}, {|SW1002:NumTrainEpochs|} = 3 };
        """, """
                var a = new TrainingArguments { PerDeviceTrainBatchSize = 8, NumTrainEpochs = 3 };
        """, "SW1002: Remove max_steps (train 3 epochs)", Seed);

    [Fact]
    public async Task SW1002_remove_num_train_epochs_as_the_last_item()
    {
        var test = new FixTest(Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 8, MaxSteps = {|SW1004:1000|}, {|SW1002:NumTrainEpochs|} = 3 };
            """), Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 8, MaxSteps = {|SW1004:{|#0:1000|}|} };
            """), Seed) { CodeActionEquivalenceKey = "SW1002: Remove num_train_epochs (keep max_steps=1000)" };
        // Without num_train_epochs written, SW1002 still notes (as information) that the default 3 epochs do not apply.
        test.FixedState.ExpectedDiagnostics.Add(Diagnostic("SW1002").WithSeverity(Microsoft.CodeAnalysis.DiagnosticSeverity.Info).WithLocation(0));
        await test.RunAsync();
    }

    [Fact]
    public async Task SW1002_note_on_default_epochs_offers_to_replace_max_steps()
    {
        var test = new FixTest(Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 8, MaxSteps = {|SW1004:{|#0:1000|}|} };
            """), Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 8, NumTrainEpochs = 3 };
            """), Seed) { CodeActionEquivalenceKey = "SW1002: Replace max_steps by num_train_epochs: 3" };
        test.TestState.ExpectedDiagnostics.Add(Diagnostic("SW1002").WithSeverity(Microsoft.CodeAnalysis.DiagnosticSeverity.Info).WithLocation(0));
        await test.RunAsync();
    }

    [Fact]
    public Task SW1004_replace_max_steps_by_one_epoch() => Run("""
                var a = new TrainingArguments
                {
                    PerDeviceTrainBatchSize = 8,
                    MaxSteps = {|SW1004:1000|}
                };
        """, """
                var a = new TrainingArguments
                {
                    PerDeviceTrainBatchSize = 8,
                    NumTrainEpochs = 1
                };
        """, "SW1004: Replace max_steps by num_train_epochs: 1");

    [Fact]
    public Task SW1006_save_steps_ratio_becomes_absolute_steps() => Run("""
                var a = new TrainingArguments { PerDeviceTrainBatchSize = 128, MaxSteps = {|SW1001:1000|}, SaveSteps = {|SW1006:0.25|} };
        """, """
                var a = new TrainingArguments { PerDeviceTrainBatchSize = 128, MaxSteps = {|SW1001:1000|}, SaveSteps = 102 };
        """, "SW1006: Use save_steps: 102 (0.25 of an epoch)");

    [Fact]
    public Task Fix_inside_a_with_expression() => Run("""
                var small = new TrainingArguments { PerDeviceTrainBatchSize = 128 };
                var big = small with { MaxSteps = {|SW1001:1000|} };
        """, """
                var small = new TrainingArguments { PerDeviceTrainBatchSize = 128 };
                var big = small with { NumTrainEpochs = 3 };
        """, "SW1001: Replace max_steps by num_train_epochs: 3");

    [Fact]
    public Task No_fix_that_removes_a_with_value_the_receiver_also_sets()
    {
        // Dropping MaxSteps from the with-expression would bring back the receiver's MaxSteps = 100, not end max_steps.
        const string code = """
                var small = new TrainingArguments { PerDeviceTrainBatchSize = 128, MaxSteps = {|SW1004:100|} };
                var big = small with { MaxSteps = {|SW1001:1000|} };
        """;
        return Run(code, code, "SW1001: Replace max_steps by num_train_epochs: 3");
    }

    [Fact]
    public Task Fix_on_named_constructor_arguments() => Run("""
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
        """, """
                var a = new RunArgs(Batch: 128, Epochs: 3);
            }
        }
        public sealed record RunArgs(
            [property: HfName("per_device_train_batch_size")] int Batch = 8,
            [property: HfName("max_steps")] int Steps = -1,
            [property: HfName("num_train_epochs")] double Epochs = 3)
        {
            static void Unused()
            {
        """, "SW1001: Replace max_steps by num_train_epochs: 3");

    [Fact]
    public Task No_fix_overwrites_a_num_train_epochs_the_analysis_cannot_see()
    {
        const string code = """
                double epochs = argv.Length;
                var a = new TrainingArguments { PerDeviceTrainBatchSize = 128, MaxSteps = {|SW1001:1000|}, NumTrainEpochs = epochs };
        """;
        return Run(code, code, "SW1001: Replace max_steps by num_train_epochs: 3");
    }

    [Fact]
    public Task No_fix_that_would_not_compile_on_positional_arguments()
    {
        const string code = """
                var a = new RunArgs(128, {|SW1001:1000|});
            }
        }
        public sealed record RunArgs(
            [property: HfName("per_device_train_batch_size")] int Batch = 8,
            [property: HfName("max_steps")] int Steps = -1,
            [property: HfName("num_train_epochs")] double Epochs = 3)
        {
            static void Unused()
            {
        """;
        return Run(code, code, "SW1001: Replace max_steps by num_train_epochs: 3");
    }

    [Fact]
    public async Task Fix_All_replaces_max_steps_in_every_creation()
    {
        var test = new FixTest(Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 128, MaxSteps = {|SW1001:1000|} };
                    var b = new TrainingArguments
                    {
                        PerDeviceTrainBatchSize = 256,
                        MaxSteps = {|SW1001:2000|},
                        OutputDir = "b",
                    };
            """), Prog("""
                    var a = new TrainingArguments { PerDeviceTrainBatchSize = 128, NumTrainEpochs = 3 };
                    var b = new TrainingArguments
                    {
                        PerDeviceTrainBatchSize = 256,
                        NumTrainEpochs = 3,
                        OutputDir = "b",
                    };
            """), Seed, Quiet) { CodeActionEquivalenceKey = "SW1001: Replace max_steps by num_train_epochs: 3" };
        test.TestState.Sources.Add(("Other.cs", Usings + "static class O { static object M() => new TrainingArguments { PerDeviceTrainBatchSize = 64, MaxSteps = {|SW1001:5000|} }; }\n"));
        test.FixedState.Sources.Add(("Other.cs", Usings + "static class O { static object M() => new TrainingArguments { PerDeviceTrainBatchSize = 64, NumTrainEpochs = 3 }; }\n"));
        test.NumberOfIncrementalIterations = 3;
        test.NumberOfFixAllIterations = 1;
        test.NumberOfFixAllInDocumentIterations = 2; // Test0.cs, then Other.cs
        await test.RunAsync();
    }
}
