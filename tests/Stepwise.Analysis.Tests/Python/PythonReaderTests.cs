using System.Diagnostics;
using Stepwise.Core;
using Stepwise.Core.Model;
using Stepwise.Readers.Python;

namespace Stepwise.Analysis.Tests.Python;

public class PythonReaderTests
{
    private static readonly PythonConfigReader Reader = new();

    private static IReadOnlyList<ConfigDocument> Read(string text, string path = "train.py") => Reader.Read(text, path);

    private static ConfigDocument One(string text) => Assert.Single(Read(text));

    private static string At(string text, Stepwise.Core.Text.SourceSpan s) => text.Substring(s.Start, s.Length);

    // ---- the seed article ----------------------------------------------------------------------------------

    [Fact]
    public void Seed_script_gives_one_document_per_TrainingArguments_call_with_the_article_values()
    {
        var text = PythonFixtures.Read("seed_qlora.py");
        var docs = Read(text, "seed_qlora.py");
        Assert.Equal(2, docs.Count);

        var first = docs[0];
        Assert.Equal(Dialect.Hf, first.Dialect);
        Assert.Equal(ConfigSyntax.Python, first.Syntax);
        Assert.Empty(first.Problems);
        Assert.StartsWith("TrainingArguments(\n    output_dir=\"output\",", At(text, first.ConfigSpan!));
        Assert.EndsWith("load_best_model_at_end=True,\n)", At(text, first.ConfigSpan!));

        var training1 = first.Entries.Where(e => e.Section == "TrainingArguments").ToList();
        Assert.Equal(new[]
        {
            "output_dir", "per_device_train_batch_size", "gradient_accumulation_steps", "learning_rate", "max_steps",
            "num_train_epochs", "optim", "fp16", "evaluation_strategy", "save_strategy", "save_total_limit", "load_best_model_at_end",
        }, training1.Select(e => e.Key));
        Assert.Equal("output", first.Find("output_dir")!.Value.AsString());
        Assert.Equal(ValueKind.Integer, first.Find("per_device_train_batch_size")!.Value.Kind);
        Assert.Equal(128L, first.Find("per_device_train_batch_size")!.Value.AsLong());
        Assert.Equal(1L, first.Find("gradient_accumulation_steps")!.Value.AsLong());
        Assert.Equal(ValueKind.Float, first.Find("learning_rate")!.Value.Kind);
        Assert.Equal(2e-4, first.Find("learning_rate")!.Value.AsDouble());
        Assert.Equal(1000L, first.Find("max_steps")!.Value.AsLong());
        Assert.Equal(3L, first.Find("num_train_epochs")!.Value.AsLong());
        Assert.Equal("paged_adamw_8bit", first.Find("optim")!.Value.AsString());
        Assert.Equal(true, first.Find("fp16")!.Value.AsBool());
        Assert.Equal("epoch", first.Find("evaluation_strategy")!.Value.AsString());
        Assert.Equal("epoch", first.Find("save_strategy")!.Value.AsString());
        Assert.Equal(2L, first.Find("save_total_limit")!.Value.AsLong());
        Assert.Equal(ValueKind.Bool, first.Find("load_best_model_at_end")!.Value.Kind);

        var second = docs[1];
        var training2 = second.Entries.Where(e => e.Section == "TrainingArguments").Select(e => e.Key).ToList();
        Assert.DoesNotContain("max_steps", training2); // only in a comment there
        Assert.Equal(11, training2.Count);
        Assert.Equal(32L, second.Find("per_device_train_batch_size")!.Value.AsLong());
        Assert.Equal(4L, second.Find("gradient_accumulation_steps")!.Value.AsLong());
        Assert.Equal("epoch", second.Find("evaluation_strategy")!.Value.AsString());

        // The trainer takes the second training_args (the first binding is overwritten before it) and the model loaded
        // with bnb_config and wrapped by get_peft_model(model, lora_config): that run has the quantization and LoRA
        // settings; the first call is checked with its own arguments only.
        Assert.Null(first.Find("bnb_4bit_quant_type"));
        Assert.Null(first.Find("r"));
        Assert.True(first.HasTrainingArguments && second.HasTrainingArguments);
        Assert.Equal("nf4", second.Find("bnb_4bit_quant_type")!.Value.AsString());
        Assert.Equal("BitsAndBytesConfig", second.Find("bnb_4bit_quant_type")!.Section);
        Assert.Equal("BitsAndBytesConfig", second.Find("bnb_4bit_quant_type")!.Owner);
        Assert.Equal("bfloat16", second.Find("bnb_4bit_compute_dtype")!.Value.AsString());
        Assert.Equal("torch.bfloat16", second.Find("bnb_4bit_compute_dtype")!.ValueText);
        Assert.Equal(8L, second.Find("r")!.Value.AsLong());
        Assert.Equal("LoraConfig", second.Find("r")!.Section);
        Assert.Equal("LoraConfig", second.Find("r")!.Owner);
        Assert.Equal("TrainingArguments", second.Find("per_device_train_batch_size")!.Owner);
        Assert.Equal(new[] { "q_proj", "v_proj" }, second.Find("target_modules")!.Value.Items.Select(i => i.AsString()));
    }

    [Fact]
    public void Seed_spans_are_exact()
    {
        var text = PythonFixtures.Read("seed_qlora.py");
        var doc = Read(text, "seed_qlora.py")[0];
        var b = doc.Find("per_device_train_batch_size")!;
        Assert.Equal("per_device_train_batch_size", At(text, b.KeySpan));
        Assert.Equal("128", At(text, b.ValueSpan));
        Assert.Equal("128", b.ValueText);
        Assert.Equal("    per_device_train_batch_size=128,\n", At(text, b.RemovalSpan));
        Assert.Equal("seed_qlora.py", b.KeySpan.File);
        int line = text[..b.KeySpan.Start].Count(c => c == '\n');
        Assert.Equal(line, b.KeySpan.Range.Start.Line);
        Assert.Equal(4, b.KeySpan.Range.Start.Character);
        var lr = doc.Find("learning_rate")!;
        Assert.Equal("2e-4", At(text, lr.ValueSpan));
    }

    [Fact]
    public void Seed_schedules_match_the_article_with_52002_examples()
    {
        var text = PythonFixtures.Read("seed_qlora.py");
        var docs = Read(text, "seed_qlora.py");
        var options = new AnalysisOptions { DatasetSize = 52002 };
        var r1 = Engine.Analyze(new AnalysisInputs(docs[0]), options);
        var r2 = Engine.Analyze(new AnalysisInputs(docs[1]), options);

        // 52002 / 128 = 406.3 -> 407 steps per epoch; 1000 steps = 1000 / 407 epochs.
        Assert.Equal(407L, r1.Schedule!.StepsPerEpoch);
        Assert.Equal(1000.0 / 407.0, r1.Schedule.Epochs!.Value, 6);
        Assert.Equal(2.457, r1.Schedule.Epochs!.Value, 3);
        Assert.Equal(128L, r1.Schedule.SamplesPerStep);

        // 32 x 4: the same 128 samples per optimizer step, run for num_train_epochs = 3.
        Assert.Equal(128L, r2.Schedule!.SamplesPerStep);
        Assert.Equal(407L, r2.Schedule.StepsPerEpoch);
        Assert.Equal(3.0, r2.Schedule.Epochs!.Value, 6);
    }

    // ---- what a document is ------------------------------------------------------------------------------

    [Fact]
    public void A_script_without_config_calls_is_not_a_training_config()
    {
        Assert.Empty(Read("import torch\nx = torch.zeros(3)\nprint('TrainingArguments')  # TrainingArguments(\n"));
    }

    [Fact]
    public void Quantization_and_lora_calls_no_training_call_uses_are_documents_of_their_own_without_training_arguments()
    {
        var text = "from peft import LoraConfig\nq = BitsAndBytesConfig(load_in_4bit=True)\nl = LoraConfig(r=16, lora_alpha=32)\n";
        var docs = Read(text);
        Assert.Equal(2, docs.Count);
        Assert.Equal(new[] { "load_in_4bit" }, docs[0].Entries.Select(e => e.Key));
        Assert.Equal("BitsAndBytesConfig(load_in_4bit=True)", At(text, docs[0].ConfigSpan!));
        Assert.Equal(new[] { "r", "lora_alpha" }, docs[1].Entries.Select(e => e.Key));
        Assert.Equal("LoraConfig(r=16, lora_alpha=32)", At(text, docs[1].ConfigSpan!));
        Assert.All(docs, d => Assert.False(d.HasTrainingArguments));
        Assert.All(docs, d => Assert.Null(Engine.Analyze(new AnalysisInputs(d)).Schedule));
    }

    [Theory]
    [InlineData("transformers.TrainingArguments", "TrainingArguments")]
    [InlineData("trl.SFTConfig", "SFTConfig")]
    [InlineData("Seq2SeqTrainingArguments", "Seq2SeqTrainingArguments")]
    [InlineData("DPOConfig", "DPOConfig")]
    [InlineData("ORPOConfig", "ORPOConfig")]
    [InlineData("KTOConfig", "KTOConfig")]
    [InlineData("CPOConfig", "CPOConfig")]
    [InlineData("trl.trainer.GRPOConfig", "GRPOConfig")]
    [InlineData("RewardConfig", "RewardConfig")]
    [InlineData("PPOConfig", "PPOConfig")]
    public void Training_calls_are_found_by_the_last_name_segment(string callee, string section)
    {
        var text = $"cfg = {callee}(\n    output_dir='o', max_steps=10,\n)\n";
        var doc = One(text);
        Assert.Equal(section, doc.Find("max_steps")!.Section);
        Assert.Equal(10L, doc.Find("max_steps")!.Value.AsLong());
        Assert.StartsWith(callee + "(", At(text, doc.ConfigSpan!));
    }

    [Fact]
    public void An_imported_alias_is_followed_but_a_def_of_the_same_name_is_not_a_call()
    {
        var text = "from transformers import TrainingArguments as TA\ndef SFTConfig(x):\n    return x\nargs = TA(max_steps=5)\n";
        var doc = One(text);
        Assert.Equal("TrainingArguments", doc.Find("max_steps")!.Section);
    }

    [Fact]
    public void A_first_positional_argument_is_output_dir()
    {
        var text = "args = TrainingArguments('out', max_steps=3)\n";
        var doc = One(text);
        Assert.Equal("out", doc.Find("output_dir")!.Value.AsString());
        Assert.Equal("'out'", doc.Find("output_dir")!.ValueText);
    }

    [Fact]
    public void Directives_are_read_from_comments_anywhere_with_their_spans()
    {
        var text = "# stepwise: dataset_size=52002 world_size=2\nargs = TrainingArguments(max_steps=5)  # stepwise: n_gpu=1\ns = '# stepwise: world_size=9'\n";
        var doc = One(text);
        Assert.Equal(new[] { ("dataset_size", "52002"), ("world_size", "2"), ("n_gpu", "1") }, doc.Directives.Select(d => (d.Name, d.Value)));
        Assert.Equal("dataset_size=52002", At(text, doc.Directives[0].Span));
        var result = Engine.Analyze(new AnalysisInputs(doc));
        Assert.Equal(52002L, result.DatasetSize.Count);
    }

    // ---- values ------------------------------------------------------------------------------------------

    private static ConfigValue ValueOf(string prelude, string expr, string key = "per_device_train_batch_size")
    {
        var doc = One(prelude + $"\nargs = TrainingArguments(\n    {key}={expr},\n)\n");
        return doc.Find(key)!.Value;
    }

    // Expected values are what CPython 3.11 evaluates the same expressions to (checked with /usr/bin/python3).
    [Theory]
    [InlineData("32 * 4", 128L)]
    [InlineData("(8 + 8) * 2 ** 3", 128L)]
    [InlineData("-2 ** 2", -4L)]
    [InlineData("7 // 2", 3L)]
    [InlineData("-7 // 2", -4L)]
    [InlineData("-7 % 3", 2L)]
    [InlineData("7 % -3", -2L)]
    [InlineData("1_000 + 0x10 + 0o10 + 0b10", 1026L)]
    [InlineData("~5", -6L)]
    [InlineData("1 << 4", 16L)]
    [InlineData("True + True", 2L)]
    public void Integer_arithmetic_follows_python(string expr, long expected)
    {
        var v = ValueOf("", expr);
        Assert.Equal(ValueKind.Integer, v.Kind);
        Assert.Equal(expected, v.AsLong());
    }

    [Theory]
    [InlineData("2e-4", 0.0002)]
    [InlineData("1 / 4", 0.25)]
    [InlineData("3 * 1e-5", 3.0000000000000004e-05)]
    [InlineData("2 ** -1", 0.5)]
    [InlineData("-.5", -0.5)]
    [InlineData("5.", 5.0)]
    [InlineData("7.5 // 2", 3.0)]
    [InlineData("-7.5 % 2", 0.5)]
    [InlineData("(1 + 2) / 2", 1.5)]
    public void Float_arithmetic_follows_python(string expr, double expected)
    {
        var v = ValueOf("", expr, "learning_rate");
        Assert.Equal(ValueKind.Float, v.Kind);
        Assert.Equal(expected, v.AsDouble());
    }

    [Theory]
    [InlineData("'out' + \"/run\"", "out/run")]
    [InlineData("'out' '/run'", "out/run")]
    [InlineData("r'C:\\new'", "C:\\new")]
    [InlineData("'tab\\there'", "tab\there")]
    [InlineData("'\\x41\\u00e9\\101'", "AéA")]
    [InlineData("f'{{literal}}'", "{literal}")]
    [InlineData("'''it's'''", "it's")]
    [InlineData("'ab' * 2", "abab")]
    public void String_values_follow_python(string expr, string expected)
    {
        var v = ValueOf("", expr, "output_dir");
        Assert.Equal(ValueKind.String, v.Kind);
        Assert.Equal(expected, v.AsString());
    }

    [Fact]
    public void Literals_of_every_kind()
    {
        var doc = One("args = TrainingArguments(a=None, b=False, c=[1, 2.5, 'x'], d=(1,), e={'k': [True]}, f=dict(g=1))\n");
        Assert.Equal(ValueKind.Null, doc.Find("a")!.Value.Kind);
        Assert.Equal(false, doc.Find("b")!.Value.AsBool());
        Assert.Equal(new object?[] { 1L, 2.5, "x" }, doc.Find("c")!.Value.Items.Select(i => i.Raw));
        Assert.Equal(1L, doc.Find("d")!.Value.Items.Single().AsLong());
        var e = doc.Find("e")!.Value;
        Assert.Equal(ValueKind.Mapping, e.Kind);
        Assert.Equal("e.k", e.Entries.Single().Path);
        Assert.Equal(true, e.Find("k")!.Value.Items.Single().AsBool());
        Assert.Equal(1L, doc.Find("f")!.Value.Find("g")!.Value.AsLong());
    }

    [Fact]
    public void Module_constants_are_followed_with_annotations_chains_and_tuples()
    {
        var prelude = "BATCH = 128\nACC: int = 2\nA = B = 3\nX, Y = 10, 20\nLR = 2e-4\nSCALED = LR * BATCH / 64\n";
        Assert.Equal(128L, ValueOf(prelude, "BATCH").AsLong());
        Assert.Equal(2L, ValueOf(prelude, "ACC").AsLong());
        Assert.Equal(3L, ValueOf(prelude, "A").AsLong());
        Assert.Equal(3L, ValueOf(prelude, "B").AsLong());
        Assert.Equal(20L, ValueOf(prelude, "Y").AsLong());
        Assert.Equal(4e-4, ValueOf(prelude, "SCALED").AsDouble()!.Value, 12);
    }

    [Fact]
    public void A_reassigned_constant_takes_the_last_assignment_before_the_call()
    {
        var text = "BATCH = 8\nBATCH = 16\nBATCH *= 2\nargs = TrainingArguments(per_device_train_batch_size=BATCH)\nBATCH = 64\n";
        Assert.Equal(32L, One(text).Find("per_device_train_batch_size")!.Value.AsLong());
    }

    [Fact]
    public void A_constant_assigned_in_a_branch_or_loop_is_unknown()
    {
        var text = "BATCH = 8\nif big:\n    BATCH = 128\nargs = TrainingArguments(per_device_train_batch_size=BATCH)\n";
        var v = One(text).Find("per_device_train_batch_size")!.Value;
        Assert.Equal(ValueKind.Unknown, v.Kind);
        Assert.Contains("`if` block (line 2)", v.UnknownReason);

        var loop = "for bs in [8, 16]:\n    args = TrainingArguments(per_device_train_batch_size=bs)\n";
        var lv = One(loop).Find("per_device_train_batch_size")!.Value;
        Assert.Equal(ValueKind.Unknown, lv.Kind);
        Assert.Contains("loop variable", lv.UnknownReason);

        // An unconditional assignment after the branch decides again.
        var after = "if big:\n    BATCH = 128\nBATCH = 4\nargs = TrainingArguments(per_device_train_batch_size=BATCH)\n";
        Assert.Equal(4L, One(after).Find("per_device_train_batch_size")!.Value.AsLong());

        // In a loop, a later reassignment changes the value from the second pass on.
        var grows = "BATCH = 8\nwhile True:\n    args = TrainingArguments(per_device_train_batch_size=BATCH)\n    BATCH *= 2\n";
        var gv = One(grows).Find("per_device_train_batch_size")!.Value;
        Assert.Equal(ValueKind.Unknown, gv.Kind);
        Assert.Contains("assigned again later in the `while` loop (line 4)", gv.UnknownReason);

        // Inside the same branch as the call, the branch's own assignment holds.
        var same = "if big:\n    BATCH = 128\n    args = TrainingArguments(per_device_train_batch_size=BATCH)\n";
        Assert.Equal(128L, One(same).Find("per_device_train_batch_size")!.Value.AsLong());
    }

    [Fact]
    public void The_main_guard_is_not_a_branch()
    {
        var text = "if __name__ == \"__main__\":\n    BATCH = 16\n    args = TrainingArguments(per_device_train_batch_size=BATCH)\n"
            + "    if big:\n        ACC = 4\n    trainer = TrainingArguments(per_device_train_batch_size=BATCH, gradient_accumulation_steps=ACC)\n";
        var docs = Read(text);
        Assert.Equal(16L, docs[0].Find("per_device_train_batch_size")!.Value.AsLong());
        Assert.Equal(16L, docs[1].Find("per_device_train_batch_size")!.Value.AsLong());
        Assert.Equal(ValueKind.Unknown, docs[1].Find("gradient_accumulation_steps")!.Value.Kind);
    }

    [Fact]
    public void Function_locals_shadow_module_constants_and_parameters_are_unknown()
    {
        var text = "BATCH = 8\nLR = 1e-4\ndef main(epochs=3):\n    BATCH = 16\n    return TrainingArguments(per_device_train_batch_size=BATCH, learning_rate=LR, num_train_epochs=epochs)\n";
        var doc = One(text);
        Assert.Equal(16L, doc.Find("per_device_train_batch_size")!.Value.AsLong());
        Assert.Equal(1e-4, doc.Find("learning_rate")!.Value.AsDouble());
        var e = doc.Find("num_train_epochs")!.Value;
        Assert.Equal(ValueKind.Unknown, e.Kind);
        Assert.Contains("parameter of main()", e.UnknownReason);
    }

    [Fact]
    public void Argparse_values_function_calls_and_unknown_names_are_unknown_with_a_reason()
    {
        var text = string.Join("\n",
            "import argparse, os",
            "parser = argparse.ArgumentParser()",
            "args = parser.parse_args()",
            "cfg = TrainingArguments(",
            "    per_device_train_batch_size=args.batch_size,",
            "    learning_rate=float(os.environ['LR']),",
            "    max_steps=STEPS,",
            "    num_train_epochs=cfg_epochs if x else 3,",
            "    output_dir=f'out/{args.name}',",
            "    seed=[x for x in range(3)],",
            ")", "");
        var doc = One(text);
        Assert.Contains("command line", doc.Find("per_device_train_batch_size")!.Value.UnknownReason);
        Assert.Contains("calling float()", doc.Find("learning_rate")!.Value.UnknownReason);
        Assert.Contains("`STEPS` is not assigned", doc.Find("max_steps")!.Value.UnknownReason);
        Assert.Contains("conditional expression", doc.Find("num_train_epochs")!.Value.UnknownReason);
        Assert.Contains("f-string", doc.Find("output_dir")!.Value.UnknownReason);
        Assert.Contains("comprehension", doc.Find("seed")!.Value.UnknownReason);
        Assert.All(doc.Entries, e => Assert.Equal(ValueKind.Unknown, e.Value.Kind));
        Assert.Empty(doc.Problems);
    }

    [Fact]
    public void Torch_dtypes_and_library_enums_become_their_strings()
    {
        var text = "import torch\nfrom transformers.trainer_utils import IntervalStrategy\n"
            + "q = BitsAndBytesConfig(bnb_4bit_compute_dtype=torch.float16)\n"
            + "a = TrainingArguments(eval_strategy=IntervalStrategy.EPOCH, lr_scheduler_type=transformers.SchedulerType.COSINE, x=torch.nn)\n"
            + "l = LoraConfig(task_type=TaskType.CAUSAL_LM)\n";
        var docs = Read(text); // no trainer connects the three calls: each is a document
        Assert.Equal(3, docs.Count);
        Assert.Equal("float16", docs[1].Find("bnb_4bit_compute_dtype")!.Value.AsString());
        Assert.Equal("epoch", docs[0].Find("eval_strategy")!.Value.AsString());
        Assert.Equal("cosine", docs[0].Find("lr_scheduler_type")!.Value.AsString());
        Assert.Equal("CAUSAL_LM", docs[2].Find("task_type")!.Value.AsString());
        Assert.Equal(ValueKind.Unknown, docs[0].Find("x")!.Value.Kind);
    }

    [Fact]
    public void Getattr_of_torch_with_a_constant_dtype_name_is_that_dtype()
    {
        var text = "import torch\nbnb_4bit_compute_dtype = \"float16\"\ncompute_dtype = getattr(torch, bnb_4bit_compute_dtype)\n"
            + "q = BitsAndBytesConfig(bnb_4bit_compute_dtype=compute_dtype, bnb_4bit_quant_storage=getattr(torch, 'nonsense'), x=getattr(np, 'float16'))\n";
        var doc = One(text);
        Assert.Equal("float16", doc.Find("bnb_4bit_compute_dtype")!.Value.AsString());
        Assert.Equal(ValueKind.Unknown, doc.Find("bnb_4bit_quant_storage")!.Value.Kind);
        Assert.Equal(ValueKind.Unknown, doc.Find("x")!.Value.Kind);
    }

    // ---- dicts splatted into a call ------------------------------------------------------------------------

    [Fact]
    public void Dict_calls_and_dict_displays_splatted_into_the_call_give_entries_with_spans_in_the_dict()
    {
        var text = "args = TrainingArguments(output_dir='o', **dict(max_steps=100, per_device_train_batch_size=4), **{'num_train_epochs': 2})\n";
        var doc = One(text);
        Assert.Equal(new[] { "output_dir", "max_steps", "per_device_train_batch_size", "num_train_epochs" }, doc.Entries.Select(e => e.Key));
        Assert.Equal(100L, doc.Find("max_steps")!.Value.AsLong());
        Assert.Equal("'num_train_epochs'", At(text, doc.Find("num_train_epochs")!.KeySpan));
        Assert.All(doc.Entries, e => Assert.Equal("TrainingArguments", e.Section));
    }

    [Fact]
    public void A_module_level_dict_later_splatted_is_followed()
    {
        var text = "BATCH = 16\nconfig = dict(\n    per_device_train_batch_size=BATCH,\n    gradient_accumulation_steps=8,\n)\nhp = {'learning_rate': 1e-4}\nargs = TrainingArguments(output_dir='o', **config, **hp)\n";
        var doc = One(text);
        Assert.Equal(16L, doc.Find("per_device_train_batch_size")!.Value.AsLong());
        Assert.Equal(8L, doc.Find("gradient_accumulation_steps")!.Value.AsLong());
        Assert.Equal(1e-4, doc.Find("learning_rate")!.Value.AsDouble());
        Assert.Equal("    per_device_train_batch_size=BATCH,\n", At(text, doc.Find("per_device_train_batch_size")!.RemovalSpan));
    }

    [Fact]
    public void Unknown_splats_are_unknown_entries_never_guessed()
    {
        var text = "def build(**kwargs):\n    return TrainingArguments(output_dir='o', **kwargs)\n"
            + "cfg = dict(max_steps=1)\ncfg['max_steps'] = 2\nargs = TrainingArguments(**cfg)\n"
            + "other = TrainingArguments(**load_config('x.yaml'), *rest)\n";
        var docs = Read(text);
        Assert.Equal(3, docs.Count);
        var kw = docs[0].Find("**kwargs")!;
        Assert.Equal(ValueKind.Unknown, kw.Value.Kind);
        Assert.Contains("parameter of build()", kw.Value.UnknownReason);
        var mutated = Assert.Single(docs[1].Entries);
        Assert.Equal(ValueKind.Unknown, mutated.Value.Kind);
        Assert.Contains("changed on line 4", mutated.Value.UnknownReason);
        Assert.Equal(new[] { "**load_config('x.yaml')", "*rest" }, docs[2].Entries.Select(e => e.Key));
        Assert.All(docs[2].Entries, e => Assert.Equal(ValueKind.Unknown, e.Value.Kind));
    }

    [Fact]
    public void A_keyword_given_twice_is_an_SW9001_problem_at_the_second_one()
    {
        var text = "args = TrainingArguments(\n    'out',\n    max_steps=10,\n    output_dir='o2',\n    **{'max_steps': 5},\n)\nl = LoraConfig(r=8, r=16)\n";
        var docs = Read(text);
        var doc = docs[0];
        Assert.Equal(2, doc.Problems.Count);
        Assert.All(doc.Problems, p => Assert.Equal("SW9001", p.Id));
        Assert.Equal("output_dir", At(text, doc.Problems[0].Span));
        Assert.Contains("first on line 2", doc.Problems[0].Message);
        Assert.Equal("'max_steps'", At(text, doc.Problems[1].Span));
        Assert.Equal(5L, doc.Find("max_steps")!.Value.AsLong()); // the last one wins in Find, as elsewhere
        // The LoraConfig is a document of its own: its problem is reported there.
        Assert.Equal("r", At(text, Assert.Single(docs[1].Problems).Span));
    }

    // ---- bad input ---------------------------------------------------------------------------------------

    [Fact]
    public void An_unterminated_string_in_a_call_is_an_SW9001_problem_with_its_position()
    {
        var text = "args = TrainingArguments(\n    output_dir='out,\n    max_steps=10,\n)\n";
        var doc = One(text);
        var p = Assert.Single(doc.Problems);
        Assert.Equal("SW9001", p.Id);
        Assert.Equal(new Stepwise.Core.Text.Position(1, 15), p.Span.Range.Start);
        Assert.Equal(10L, doc.Find("max_steps")!.Value.AsLong()); // reading went on
    }

    [Fact]
    public void An_unclosed_call_is_an_SW9001_problem_at_its_bracket_and_the_arguments_read_so_far_are_kept()
    {
        var text = "args = TrainingArguments(\n    max_steps=10,\n    num_train_epochs=2,\n\ndef main():\n    pass\n";
        var doc = One(text);
        var p = Assert.Single(doc.Problems);
        Assert.Equal("SW9001", p.Id);
        Assert.Equal(new Stepwise.Core.Text.Position(0, 24), p.Span.Range.Start);
        Assert.Equal(2L, doc.Find("num_train_epochs")!.Value.AsLong());
    }

    [Fact]
    public void A_broken_file_that_mentions_a_config_call_still_reports_its_problems()
    {
        var text = "x = '''\nargs = TrainingArguments(max_steps=3)\n";
        var doc = One(text);
        Assert.Empty(doc.Entries);
        Assert.Equal(Dialect.Unknown, doc.Dialect);
        Assert.Contains("triple-quoted", Assert.Single(doc.Problems).Message);
    }

    [Fact]
    public void Problems_are_reported_once_per_file_in_the_config_that_holds_them()
    {
        var text = "a = TrainingArguments(max_steps=1)\nb = TrainingArguments(max_steps=2, x=$)\nc = 1 ?\n";
        var docs = Read(text);
        Assert.Equal(2, docs.Count);
        Assert.Single(docs[0].Problems); // the '?' outside any call goes to the first config
        Assert.Single(docs[1].Problems); // the '$' inside the second call
        Assert.Contains("'$'", docs[1].Problems[0].Message);
    }

    [Fact]
    public void A_5000_line_script_is_read_in_linear_time()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("import torch\nBATCH = 4\n");
        for (int i = 0; i < 1000; i++)
        {
            sb.Append($"def step_{i}(x, y=[1, 2, 3]):\n");
            sb.Append($"    s = f\"{{x!r}} {{y[0]:>{{i}}}}\" + '''doc\n    ''' # comment {i} ' \"\n");
            sb.Append($"    BATCH_{i} = (BATCH * {i} + 0x{i:x}) // 2  \\\n        + 1\n");
            sb.Append("    return torch.tensor([x, y])\n");
        }
        sb.Append("args = TrainingArguments(per_device_train_batch_size=BATCH * 2, gradient_accumulation_steps=BATCH_999)\n");
        var text = sb.ToString();
        Assert.True(text.Count(c => c == '\n') >= 5000);

        Reader.Read(text, "big.py"); // warm up the JIT
        var sw = Stopwatch.StartNew();
        var doc = Assert.Single(Reader.Read(text, "big.py"));
        sw.Stop();
        Assert.Empty(doc.Problems);
        Assert.Equal(8L, doc.Find("per_device_train_batch_size")!.Value.AsLong());
        // BATCH_999 is local to step_999: at module level it is not assigned.
        Assert.Equal(ValueKind.Unknown, doc.Find("gradient_accumulation_steps")!.Value.Kind);
        // A generous bound that only a quadratic (or hanging) reader would miss: it takes a few milliseconds.
        Assert.True(sw.ElapsedMilliseconds < 3000, $"took {sw.ElapsedMilliseconds} ms");
    }
}
