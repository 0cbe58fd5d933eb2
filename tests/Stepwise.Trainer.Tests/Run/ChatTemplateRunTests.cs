using System.Text.Json.Nodes;
using Stepwise.Core;
using Stepwise.Readers;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.Tokenization;
using Stepwise.Trainer.Training;

namespace Stepwise.Trainer.Tests.Run;

/// <summary>A config, through the engine and RunPlanner, on a model folder whose tokenizer has a chat template.</summary>
public sealed class ChatTemplateRunTests
{
    private const string Data = """
        {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2 + 3?"}, {"role": "assistant", "content": "5"}]}
        {"messages": [{"role": "user", "content": "Capital of France?"}, {"role": "assistant", "content": "Paris"}, {"role": "user", "content": "And Italy?"}, {"role": "assistant", "content": "Rome"}]}
        {"conversations": [{"from": "human", "value": "Say hi"}, {"from": "gpt", "value": "hi"}]}
        {"messages": [{"role": "user", "content": "Opposite of hot?"}, {"role": "assistant", "content": "cold"}]}
        """;

    private static (TrainJob Job, IReadOnlyList<string> Notes) Plan(TempDir dir, string extraConfig)
    {
        string model = dir["model"];
        if (!Directory.Exists(model))
        {
            DefaultModel.Create(model, 0);
            var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "tokenizer_config.json")))!.AsObject();
            cfg["chat_template"] = ChatTemplate.ChatMl;
            File.WriteAllText(Path.Combine(model, "tokenizer_config.json"), cfg.ToJsonString());
            File.WriteAllText(dir["train.jsonl"], Data);
        }
        string yaml = $"""
            model_name_or_path: {model}
            output_dir: {dir["out"]}
            per_device_train_batch_size: 2
            gradient_accumulation_steps: 1
            max_steps: 2
            learning_rate: 0.001
            max_length: 256
            save_strategy: "no"
            logging_steps: 1
            lr_scheduler_type: constant
            {extraConfig}
            """;
        string configPath = dir["train.yaml"];
        File.WriteAllText(configPath, yaml);
        var doc = ConfigReaders.Read(yaml, configPath)[0];
        var analysis = Engine.Analyze(new AnalysisInputs(doc), new AnalysisOptions { DatasetSize = 4 });
        return RunPlanner.Plan(analysis, configPath, dir["train.jsonl"], new PlanOptions { OutputDir = dir["out"], DefaultModelFolder = model });
    }

    [Fact]
    public void A_model_with_a_ChatML_template_trains_on_records_rendered_with_it()
    {
        using var dir = new TempDir();
        var (job, notes) = Plan(dir, "");
        Assert.Contains(notes, n => n.StartsWith("chat records: rendered with the model's chat template (", StringComparison.Ordinal) && n.Contains("tokenizer_config.json"));
        var tok = new ByteTokenizer();
        Assert.Equal(4, job.Train.Count);
        var texts = job.Train.Select(e => tok.Decode(e.Ids)).ToList();
        var trained = job.Train.Select(e => tok.Decode(e.Labels.Where(l => l != Example.Ignore))).ToList();
        Assert.Contains("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2 + 3?<|im_end|>\n<|im_start|>assistant\n5<|im_end|>\n", texts);
        Assert.Contains("5<|im_end|>\n", trained);
        Assert.Contains("Paris<|im_end|>\nRome<|im_end|>\n", trained);
        Assert.Contains("hi<|im_end|>\n", trained);
        // No BOS/EOS of the tokenizer's own: ChatML writes none, and none is added.
        Assert.All(job.Train, e => Assert.DoesNotContain(1, e.Ids));
        Assert.All(job.Train, e => Assert.DoesNotContain(2, e.Ids));

        var result = TrainingLoop.Run(job with { WriteLossCurve = false }, new RecordingSink());
        Assert.Equal(2, result.GlobalStep);
        Assert.All(result.StepLosses, l => Assert.True(double.IsFinite(l.Loss) && l.Loss > 0));
    }

    [Fact]
    public void Chat_template_builtin_forces_the_built_in_format()
    {
        using var dir = new TempDir();
        var (job, notes) = Plan(dir, "chat_template: builtin");
        Assert.Contains(notes, n => n.Contains("chat_template: builtin: using the built-in", StringComparison.Ordinal));
        var tok = new ByteTokenizer();
        Assert.Contains(job.Train, e => tok.Decode(e.Ids).Contains("### User:\n2 + 3?", StringComparison.Ordinal));
        Assert.All(job.Train, e => Assert.Equal(1, e.Ids[0]));
    }

    [Fact]
    public void Chat_template_jinja_in_the_config_is_used_and_a_bad_one_is_refused_with_its_position()
    {
        using var dir = new TempDir();
        var (job, notes) = Plan(dir, "chat_template: jinja\nchat_template_jinja: \"{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}\"");
        Assert.Contains(notes, n => n.Contains("chat_template_jinja", StringComparison.Ordinal));
        var tok = new ByteTokenizer();
        Assert.Contains(job.Train, e => tok.Decode(e.Ids) == "<user>Opposite of hot?<assistant>cold");
        var ex = Assert.Throws<PlanException>(() => Plan(dir, "chat_template: jinja\nchat_template_jinja: \"{% for m in messages %}{{ m.content | nope }}{% endfor %}\""));
        Assert.True(ex.Message.Contains("train.yaml:", StringComparison.Ordinal), ex.Message);
        Assert.True(ex.Message.Contains("chat template 1:37: unknown or unsupported filter 'nope'", StringComparison.Ordinal), ex.Message);
    }
}
