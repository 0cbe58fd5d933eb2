using Stepwise.Core;
using Stepwise.Core.Model;
using Stepwise.Readers;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.Training;

namespace Stepwise.Trainer.Tests.Run;

/// <summary>
/// A job the loop cannot run as written is refused in the plan, before any model loads: the jobs below name a model
/// folder that does not exist (or one without weights), so a refusal that came after the load would surface as the
/// loader's error instead of the settings one.
/// </summary>
public sealed class RefusalTests
{
    public static IEnumerable<object[]> Cases() => new[]
    {
        new object[] { "metric", "metric_for_best_model 'accuracy': the bundled trainer computes eval_loss only" },
        new object[] { "eval without data", "eval_strategy is 'steps' but there is no evaluation data" },
        new object[] { "optim", "optim 'sgd' is not available in the bundled trainer" },
        new object[] { "scheduler", "lr_scheduler_type 'inverse_sqrt' is not available in the bundled trainer" },
        new object[] { "resume with no checkpoint", "resume_from_checkpoint is true but" },
        new object[] { "resume from a missing folder", "is not a folder" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_job_the_loop_cannot_honour_is_refused_before_its_model_loads(string kind, string expected)
    {
        using var dir = new TempDir();
        var args = RunSupport.Args(2, 1, maxSteps: 2);
        var eval = RunSupport.Synthetic(2, seed: 9);
        (args, var evalData) = kind switch
        {
            "metric" => (args with { EvalStrategy = "steps", EvalSteps = 1, LoadBestModelAtEnd = true, MetricForBestModel = "accuracy" }, eval),
            "eval without data" => (args with { EvalStrategy = "steps", EvalSteps = 1 }, new List<Example>()),
            "optim" => (args with { Optim = "sgd" }, eval),
            "scheduler" => (args with { LrSchedulerType = "inverse_sqrt" }, eval),
            "resume with no checkpoint" => (args with { ResumeFromCheckpoint = "true" }, eval),
            "resume from a missing folder" => (args with { ResumeFromCheckpoint = dir["no-such-checkpoint"] }, eval),
            _ => throw new ArgumentException(kind),
        };
        string missingModel = dir["no-such-model"];
        var job = RunSupport.Job(missingModel, dir["out"], args, RunSupport.Synthetic(4), evalData);

        // The premise: loading this job's model fails, with another message.
        var loadError = Assert.ThrowsAny<Exception>(() => LlamaLoader.Load(missingModel));
        Assert.DoesNotContain(expected, loadError.Message);

        var e = Assert.ThrowsAny<Exception>(() => TrainingLoop.Run(job, new RecordingSink()));
        Assert.True(e is PlanException or IOException, $"{e.GetType().Name}: {e.Message}");
        Assert.Contains(expected, e.Message);
        Assert.False(Directory.Exists(missingModel));
    }

    [Fact]
    public void A_config_that_evaluates_without_evaluation_data_is_refused_by_the_planner_at_its_eval_strategy()
    {
        // A model folder with its tokenizer and config but no weights: the plan reads the tokenizer, never the weights.
        using var dir = new TempDir();
        string model = dir["m"];
        DefaultModel.Create(model, 0);
        File.Delete(Path.Combine(model, "model.safetensors"));
        string path = dir["config.yaml"];
        string text = $"model_name_or_path: {model}\nper_device_train_batch_size: 2\nmax_steps: 2\neval_strategy: steps\neval_steps: 1\nsave_strategy: \"no\"\n";
        File.WriteAllText(path, text);
        var doc = ConfigReaders.Read(text, path).Single();
        var analysis = Engine.Analyze(new AnalysisInputs(doc), new AnalysisOptions { ForBundledTrainer = true, DatasetSize = 100 });
        Assert.DoesNotContain(analysis.Findings, f => f.Severity == Severity.Error);

        var e = Assert.Throws<PlanException>(() => RunPlanner.Plan(analysis, path, null, new PlanOptions { OutputDir = dir["out"] }));
        // eval_strategy's value starts on line 4, column 16 (1-based).
        Assert.Equal(new[] { $"{path}:4:16: error: eval_strategy is 'steps' but there is no evaluation data: set val_size / val_set_size or validation_file, or eval_strategy: no" },
            e.Problems);
        Assert.False(Directory.Exists(dir["out"]));
    }
}
