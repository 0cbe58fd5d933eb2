using Stepwise.Core;
using Stepwise.Core.Model;
using Stepwise.Readers.Python;
using Stepwise.Workspace;

namespace Stepwise.Analysis.Tests.Python;

/// <summary>
/// Each TrainingArguments-family, LoraConfig and BitsAndBytesConfig call is checked against its own class, and settings
/// are combined only along data flow (the config given to the model the trainer gets), never across functions or
/// exclusive branches. Findings are counted through the workspace, which reports each place and cause once per file.
/// </summary>
public class PythonRunsTests
{
    private static IReadOnlyList<ConfigDocument> Read(string text) => new PythonConfigReader().Read(text, "train.py");

    private static string At(string text, Stepwise.Core.Text.SourceSpan s) => text.Substring(s.Start, s.Length);

    /// <summary>The release SW9003 names when nothing states a version: the newest tagged release in the key data.</summary>
    private static string Newest(string library) => Stepwise.Core.Keys.Upstream.UpstreamData.Instance.Library(library)!.NewestRelease.Version;

    private static List<Finding> Findings(string text, string name = "train.py")
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        var analysis = new ConfigChecker(new WorkspaceOptions { UseGit = false, UseDefaultAccelerateConfig = false }).AnalyzeFile(path);
        return analysis.Configs.SelectMany(c => c.Result.Findings).ToList();
    }

    private const string Imports =
        "import torch\nfrom peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training\n"
        + "from transformers import AutoModelForCausalLM, BitsAndBytesConfig, Trainer, TrainingArguments\n";

    [Fact]
    public void The_quantization_and_lora_configs_of_the_trainers_model_join_its_training_arguments()
    {
        var text = Imports
            + "bnb = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type='nf4')\n"
            + "model = AutoModelForCausalLM.from_pretrained('m', quantization_config=bnb).to('cuda')\n"
            + "model = prepare_model_for_kbit_training(model)\n"
            + "model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32))\n"
            + "args = TrainingArguments(output_dir='o', max_steps=10)\n"
            + "trainer = Trainer(model, args)\n";
        var doc = Assert.Single(Read(text));
        Assert.True(doc.HasTrainingArguments);
        Assert.StartsWith("TrainingArguments(", At(text, doc.ConfigSpan!));
        Assert.Equal(new[] { "output_dir", "max_steps", "load_in_4bit", "bnb_4bit_quant_type", "r", "lora_alpha" }, doc.Entries.Select(e => e.Key));
        Assert.Equal(new[] { "TrainingArguments", "TrainingArguments", "BitsAndBytesConfig", "BitsAndBytesConfig", "LoraConfig", "LoraConfig" },
            doc.Entries.Select(e => e.Owner));
    }

    [Fact]
    public void Quantization_configs_of_different_functions_are_never_combined()
    {
        // The shape of PEFT's tests/test_gpu_examples.py: one test loads in 8 bits, the next in 4 bits.
        var text = Imports
            + "def test_8bit():\n"
            + "    model = AutoModelForCausalLM.from_pretrained('m', quantization_config=BitsAndBytesConfig(load_in_8bit=True))\n"
            + "    Trainer(model=model, args=TrainingArguments(output_dir='a', max_steps=3)).train()\n"
            + "def test_4bit():\n"
            + "    model = AutoModelForCausalLM.from_pretrained('m', quantization_config=BitsAndBytesConfig(load_in_4bit=True))\n"
            + "    Trainer(model=model, args=TrainingArguments(output_dir='b', max_steps=3)).train()\n";
        var docs = Read(text);
        Assert.Equal(2, docs.Count);
        Assert.Equal(true, docs[0].Find("load_in_8bit")!.Value.AsBool());
        Assert.Null(docs[0].Find("load_in_4bit"));
        Assert.Equal(true, docs[1].Find("load_in_4bit")!.Value.AsBool());
        Assert.Null(docs[1].Find("load_in_8bit"));
        Assert.DoesNotContain(Findings(text), f => f.Id == "SW3001");
    }

    [Fact]
    public void Configs_made_in_exclusive_branches_are_checked_each_on_its_own()
    {
        // The shape of PEFT's tests/training/training.py: if quant == "4bit" ... elif quant == "8bit" ...
        var text = Imports
            + "def main(quant):\n"
            + "    if quant == '4bit':\n"
            + "        q = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_compute_type='bfloat16')\n"
            + "    elif quant == '8bit':\n"
            + "        q = BitsAndBytesConfig(load_in_8bit=True)\n"
            + "    else:\n"
            + "        q = None\n"
            + "    model = AutoModelForCausalLM.from_pretrained('m', quantization_config=q)\n"
            + "    model = get_peft_model(model, LoraConfig(r=8))\n"
            + "    Trainer(model=model, args=TrainingArguments(output_dir='o', max_steps=15)).train()\n";
        var docs = Read(text);
        Assert.Equal(3, docs.Count);
        // The training run gets the LoRA config (certain) but neither quantization config (which one depends on run time).
        Assert.True(docs[0].HasTrainingArguments);
        Assert.Equal(8L, docs[0].Find("r")!.Value.AsLong());
        Assert.Null(docs[0].Find("load_in_4bit"));
        Assert.Null(docs[0].Find("load_in_8bit"));
        Assert.False(docs[1].HasTrainingArguments);
        Assert.False(docs[2].HasTrainingArguments);

        var findings = Findings(text);
        Assert.DoesNotContain(findings, f => f.Id == "SW3001");
        var typo = Assert.Single(findings, f => f.Id == "SW9003");
        Assert.Equal($"bnb_4bit_compute_type is not a known BitsAndBytesConfig setting (transformers {Newest("transformers")}); did you mean bnb_4bit_compute_dtype?", typo.Message);
    }

    [Fact]
    public void Both_bit_widths_in_one_call_are_still_an_error()
    {
        var text = Imports + "q = BitsAndBytesConfig(load_in_4bit=True, load_in_8bit=True)\n";
        var f = Assert.Single(Findings(text), x => x.Id == "SW3001");
        Assert.Equal(Severity.Error, f.Severity);
    }

    [Fact]
    public void A_config_shared_by_several_runs_is_reported_once_per_file()
    {
        var text = Imports
            + "lora = LoraConfig(r=8, lora_dropuot=0.1)\n"
            + "def test_a(model):\n"
            + "    Trainer(model=get_peft_model(model, lora), args=TrainingArguments(output_dir='a', max_steps=3))\n"
            + "def test_b(model):\n"
            + "    Trainer(model=get_peft_model(model, lora), args=TrainingArguments(output_dir='b', max_steps=4))\n";
        var docs = Read(text);
        Assert.Equal(2, docs.Count);
        Assert.All(docs, d => Assert.Equal(0.1, d.Find("lora_dropuot")!.Value.AsDouble()));
        var findings = Findings(text);
        var typo = Assert.Single(findings, f => f.Id == "SW9003");
        Assert.Equal($"lora_dropuot is not a known LoraConfig setting (peft {Newest("peft")}); did you mean lora_dropout?", typo.Message);
        Assert.Equal(findings.Count, findings.Select(f => (f.Id, f.Span.Start, f.Span.Length, f.Message)).Distinct().Count());
    }

    [Fact]
    public void One_training_call_given_to_two_trainers_makes_one_run_per_model()
    {
        var text = Imports
            + "args = TrainingArguments(output_dir='o', max_steps=3)\n"
            + "m4 = AutoModelForCausalLM.from_pretrained('m', quantization_config=BitsAndBytesConfig(load_in_4bit=True))\n"
            + "m8 = AutoModelForCausalLM.from_pretrained('m', quantization_config=BitsAndBytesConfig(load_in_8bit=True))\n"
            + "Trainer(model=m4, args=args).train()\n"
            + "Trainer(model=m8, args=args).train()\n";
        var docs = Read(text);
        Assert.Equal(2, docs.Count);
        Assert.All(docs, d => Assert.Equal(At(text, docs[0].ConfigSpan!), At(text, d.ConfigSpan!)));
        Assert.NotNull(docs[0].Find("load_in_4bit"));
        Assert.Null(docs[0].Find("load_in_8bit"));
        Assert.NotNull(docs[1].Find("load_in_8bit"));
        Assert.Null(docs[1].Find("load_in_4bit"));
        Assert.DoesNotContain(Findings(text), f => f.Id == "SW3001");
    }

    [Fact]
    public void A_model_that_is_a_parameter_or_rebound_in_a_branch_connects_nothing()
    {
        var text = Imports
            + "bnb = BitsAndBytesConfig(load_in_4bit=True)\n"
            + "def run(model):\n"
            + "    Trainer(model=model, args=TrainingArguments(output_dir='a'))\n"
            + "model = AutoModelForCausalLM.from_pretrained('m', quantization_config=bnb)\n"
            + "if small:\n"
            + "    model = AutoModelForCausalLM.from_pretrained('s')\n"
            + "Trainer(model=model, args=TrainingArguments(output_dir='b'))\n";
        var docs = Read(text);
        Assert.Equal(3, docs.Count);
        Assert.Null(docs[0].Find("load_in_4bit"));
        Assert.Null(docs[1].Find("load_in_4bit"));
        Assert.False(docs[2].HasTrainingArguments);
        Assert.Equal(true, docs[2].Find("load_in_4bit")!.Value.AsBool());
    }

    [Fact]
    public void TRL_trainers_take_quantization_and_peft_configs_and_model_init_kwargs()
    {
        // TRL v1.9.0: SFTTrainer(model, args, ..., quantization_config=None, peft_config=None); a TRL config can also pass
        // quantization_config to from_pretrained through model_init_kwargs.
        var text = "from trl import SFTConfig, SFTTrainer, DPOConfig, DPOTrainer\nfrom peft import LoraConfig\nfrom transformers import BitsAndBytesConfig\n"
            + "q = BitsAndBytesConfig(load_in_4bit=True)\n"
            + "peft_config = LoraConfig(r=32)\n"
            + "cfg = SFTConfig(output_dir='o', max_steps=30)\n"
            + "SFTTrainer(model='Qwen/Qwen3-0.6B', args=cfg, quantization_config=q, peft_config=peft_config)\n"
            + "kwargs = dict(quantization_config=BitsAndBytesConfig(load_in_8bit=True))\n"
            + "dpo = DPOConfig(output_dir='d', model_init_kwargs=kwargs)\n";
        var docs = Read(text);
        Assert.Equal(2, docs.Count);
        Assert.Equal(new[] { "output_dir", "max_steps", "load_in_4bit", "r" }, docs[0].Entries.Select(e => e.Key));
        Assert.Equal("DPOConfig", docs[1].Entries[0].Owner);
        Assert.Equal(true, docs[1].Find("load_in_8bit")!.Value.AsBool());
    }

    [Fact]
    public void Positional_arguments_follow_each_trainers_signature()
    {
        // DPOTrainer(model, ref_model, args, ...): the second positional argument is the reference model, not args.
        var text = "from trl import DPOConfig, DPOTrainer\nfrom peft import LoraConfig, get_peft_model\n"
            + "policy = get_peft_model(base, LoraConfig(r=4))\n"
            + "DPOTrainer(policy, None, DPOConfig(output_dir='o', beta=0.2))\n";
        var doc = Assert.Single(Read(text));
        Assert.Equal("DPOConfig", doc.Find("beta")!.Owner);
        Assert.Equal(4L, doc.Find("r")!.Value.AsLong());
    }

    [Fact]
    public void The_args_of_any_trainer_class_are_a_training_call_whatever_their_class()
    {
        // A trainer subclass defined in the file and an imported trainer with its own arguments class (Unsloth's shape).
        var text = "from trl import SFTTrainer, SFTConfig\nfrom unsloth import UnslothTrainer, UnslothTrainingArguments\n"
            + "class LossTrainer(SFTTrainer):\n    def compute_loss(self, model, inputs, **kw):\n        return model(**inputs).loss\n"
            + "trainer = LossTrainer(model=model, args=SFTConfig(per_device_train_batch_size=2, max_steps=30))\n"
            + "cpt = UnslothTrainer(model=model, args=UnslothTrainingArguments(per_device_train_batch_size=4, embedding_learning_rate=1e-5))\n"
            + "later = UnslothTrainingArguments(output_dir='x')\n";
        var docs = Read(text);
        Assert.Equal(3, docs.Count);
        Assert.All(docs, d => Assert.True(d.HasTrainingArguments));
        Assert.Equal("SFTConfig", docs[0].Find("max_steps")!.Owner);
        Assert.Equal("UnslothTrainingArguments", docs[1].Find("embedding_learning_rate")!.Owner);
        Assert.Equal("UnslothTrainingArguments", docs[1].Find("embedding_learning_rate")!.Section);
        Assert.Equal("x", docs[2].Find("output_dir")!.Value.AsString());
        // A class no key table describes is not judged: its own keys are not "unknown".
        Assert.DoesNotContain(Findings(text), f => f.Id == "SW9003");
    }

    [Fact]
    public void A_subclass_defined_in_the_file_is_of_the_family_and_owns_the_fields_it_declares()
    {
        var text = "from dataclasses import dataclass\nfrom trl import SFTConfig\n"
            + "@dataclass\nclass MyConfig(SFTConfig):\n    save_step: int = 3\n    note: str\n"
            + "@dataclass\nclass MoreConfig(MyConfig):\n    extra: bool = False\n"
            + "cfg = MoreConfig(output_dir='o', save_step=5, extra=True, max_steps=10, learnig_rate=1e-4)\n";
        var doc = Assert.Single(Read(text));
        Assert.Equal("MoreConfig", doc.Find("max_steps")!.Section);
        Assert.Equal("SFTConfig", doc.Find("max_steps")!.Owner);
        Assert.Equal("MoreConfig", doc.Find("save_step")!.Owner);
        Assert.Equal("MoreConfig", doc.Find("extra")!.Owner);
        var findings = Findings(text);
        // save_step is the subclass's own field (near save_steps, but not a typo); learnig_rate is one.
        var typo = Assert.Single(findings, f => f.Id == "SW9003");
        Assert.Equal($"learnig_rate is not a known SFTConfig setting (trl {Newest("trl")}); did you mean learning_rate?", typo.Message);
    }

    [Fact]
    public void Keys_of_one_class_are_never_suggested_for_another()
    {
        // loss_type is a TRL config field; task_type (LoraConfig) is not what the user meant there. A TrainingArguments
        // key written in LoraConfig(...) is no LoraConfig field: PEFT's LoraConfig is a plain @dataclass (peft
        // src/peft/tuners/lora/config.py), so the call raises TypeError on it. It is reported against LoraConfig alone,
        // with no suggestion taken from another class.
        var text = "from trl import GRPOConfig\nfrom peft import LoraConfig\n"
            + "a = GRPOConfig(output_dir='o', loss_type='dr_grpo')\n"
            + "l = LoraConfig(r=8, per_device_train_batch_size=4, lora_alpah=16)\n";
        var findings = Findings(text);
        var sw9003 = findings.Where(f => f.Id == "SW9003").Select(f => f.Message).ToList();
        Assert.Equal(new[]
        {
            $"per_device_train_batch_size is not a known LoraConfig setting (peft {Newest("peft")}); LoraConfig(...) raises TypeError on it",
            $"lora_alpah is not a known LoraConfig setting (peft {Newest("peft")}); did you mean lora_alpha?",
        }, sw9003);
    }

    [Fact]
    public void The_QLoRA_recipe_rule_judges_only_a_4bit_config_that_a_training_run_uses()
    {
        var loose = Imports + "q = BitsAndBytesConfig(load_in_4bit=True)\nmodel = AutoModelForCausalLM.from_pretrained('m', quantization_config=q)\n";
        Assert.DoesNotContain(Findings(loose), f => f.Id == "SW3004");
        var used = loose + "Trainer(model=get_peft_model(model, LoraConfig()), args=TrainingArguments(output_dir='o'))\n";
        var sw3004 = Findings(used).Where(f => f.Id == "SW3004").ToList();
        Assert.Equal(3, sw3004.Count); // fp4, no double quantization, float32 compute: each once
    }

    [Fact]
    public void A_quantization_config_on_its_own_gets_no_schedule_and_no_schedule_findings()
    {
        var text = "from peft import LoraConfig\nl = LoraConfig(r=0)\n";
        var doc = Assert.Single(Read(text));
        Assert.False(doc.HasTrainingArguments);
        var result = Engine.Analyze(new AnalysisInputs(doc), new AnalysisOptions { TransformersVersion = "5.0" });
        Assert.Null(result.Schedule);
        Assert.Equal(new[] { "SW3005" }, result.Findings.Select(f => f.Id)); // r=0 only: no SW1005, no SW4004 (report_to)
    }
}
