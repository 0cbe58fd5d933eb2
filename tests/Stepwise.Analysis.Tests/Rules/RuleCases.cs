using Stepwise.Core;

namespace Stepwise.Analysis.Tests.Rules;

public enum Base { Hf, LlamaFactory, Axolotl }

/// <summary>One behaviour of one rule: keys that make it fire, keys that keep it quiet, and whether a fix exists.</summary>
public sealed record RuleCase(string Id, Base Base, (string Key, string Value)[] Fail, (string Key, string Value)[] Pass, bool HasFix,
    string? Version = null, Severity? Severity = null, string? MessagePart = null)
{
    public AnalysisOptions Options => Version is null ? new AnalysisOptions() : new AnalysisOptions { TransformersVersion = Version };
}

/// <summary>Renders a flat config as YAML or JSON: values are written as JSON literals, which YAML reads the same way.</summary>
public static class Configs
{
    private static readonly (string, string)[] HfBase =
    {
        ("output_dir", "\"out\""), ("per_device_train_batch_size", "8"), ("learning_rate", "0.0002"), ("report_to", "\"none\""),
    };

    private static readonly (string, string)[] LlamaFactoryBase =
    {
        ("model_name_or_path", "\"meta-llama/Meta-Llama-3-8B-Instruct\""), ("stage", "\"sft\""), ("do_train", "true"),
        ("finetuning_type", "\"lora\""), ("dataset", "\"alpaca_en_demo\""), ("template", "\"llama3\""), ("output_dir", "\"out\""),
        ("per_device_train_batch_size", "2"), ("report_to", "\"none\""),
    };

    private static readonly (string, string)[] AxolotlBase =
    {
        ("base_model", "\"NousResearch/Meta-Llama-3-8B\""), ("micro_batch_size", "2"), ("num_epochs", "1"),
        ("datasets", "[{\"path\": \"data.jsonl\", \"type\": \"alpaca\"}]"), ("output_dir", "\"out\""),
    };

    public static List<(string Key, string Value)> Pairs(Base b, IEnumerable<(string Key, string Value)> extra)
    {
        var list = (b switch { Base.Hf => HfBase, Base.LlamaFactory => LlamaFactoryBase, _ => AxolotlBase }).ToList();
        foreach (var (k, v) in extra)
        {
            int i = list.FindIndex(p => p.Item1 == k);
            // A null value takes the key out of the base config.
            if (v is null) { if (i >= 0) list.RemoveAt(i); continue; }
            if (i >= 0) list[i] = (k, v); else list.Add((k, v));
        }
        return list;
    }

    public static string Yaml(IEnumerable<(string Key, string Value)> pairs) => string.Concat(pairs.Select(p => $"{p.Key}: {p.Value}\n"));

    public static string Json(IEnumerable<(string Key, string Value)> pairs) =>
        "{\n" + string.Join(",\n", pairs.Select(p => $"  \"{p.Key}\": {p.Value}")) + "\n}\n";

    public static (string Text, string Path) Render(Base b, IEnumerable<(string Key, string Value)> extra, bool json) =>
        json ? (Json(Pairs(b, extra)), "config.json") : (Yaml(Pairs(b, extra)), "config.yaml");
}

public static class RuleCases
{
    private static (string, string) P(string k, string v) => (k, v);
    private static (string, string)[] A(params (string, string)[] p) => p;
    private static readonly (string, string)[] Recipe =
        { P("bnb_4bit_quant_type", "\"nf4\""), P("bnb_4bit_use_double_quant", "true"), P("bnb_4bit_compute_dtype", "\"bfloat16\"") };

    public static readonly Dictionary<string, RuleCase> All = new()
    {
        ["SW2001 fp16 and bf16"] = new("SW2001", Base.Hf, A(P("fp16", "true"), P("bf16", "true")), A(P("bf16", "true")), true),
        ["SW2001 full eval"] = new("SW2001", Base.Hf, A(P("fp16_full_eval", "true"), P("bf16_full_eval", "true")), A(P("bf16_full_eval", "true")), true),
        ["SW2002 epoch vs steps"] = new("SW2002", Base.Hf, A(P("load_best_model_at_end", "true"), P("eval_strategy", "\"epoch\""), P("save_strategy", "\"steps\"")),
            A(P("load_best_model_at_end", "true"), P("eval_strategy", "\"epoch\""), P("save_strategy", "\"epoch\"")), true),
        ["SW2002 defaults"] = new("SW2002", Base.Hf, A(P("load_best_model_at_end", "true")),
            A(P("load_best_model_at_end", "true"), P("save_strategy", "\"best\""), P("eval_strategy", "\"epoch\"")), true, MessagePart: "no (default) and steps (default)"),
        ["SW2003 not a multiple"] = new("SW2003", Base.Hf,
            A(P("load_best_model_at_end", "true"), P("eval_strategy", "\"steps\""), P("save_strategy", "\"steps\""), P("eval_steps", "300"), P("save_steps", "500")),
            A(P("load_best_model_at_end", "true"), P("eval_strategy", "\"steps\""), P("save_steps", "600"), P("eval_steps", "300")), true, MessagePart: "not a round multiple"),
        ["SW2003 ratio and count"] = new("SW2003", Base.Hf,
            A(P("load_best_model_at_end", "true"), P("eval_strategy", "\"steps\""), P("eval_steps", "0.1"), P("save_steps", "500")),
            A(P("load_best_model_at_end", "true"), P("eval_strategy", "\"steps\""), P("eval_steps", "0.1"), P("save_steps", "0.2")), false, MessagePart: "mix a ratio"),
        ["SW2004 no eval interval"] = new("SW2004", Base.Hf, A(P("eval_strategy", "\"steps\""), P("logging_steps", "0"), P("validation_file", "\"v.json\"")),
            A(P("eval_strategy", "\"steps\""), P("logging_steps", "0"), P("eval_steps", "100")), true),
        ["SW2005 logging steps 0"] = new("SW2005", Base.Hf, A(P("logging_steps", "0")), A(P("logging_steps", "0"), P("logging_strategy", "\"no\"")), true),
        ["SW2006 fractional save_steps"] = new("SW2006", Base.Hf, A(P("save_steps", "250.5")), A(P("save_steps", "0.25")), true),
        ["SW2007 plateau"] = new("SW2007", Base.Hf, A(P("lr_scheduler_type", "\"reduce_lr_on_plateau\"")),
            A(P("lr_scheduler_type", "\"reduce_lr_on_plateau\""), P("eval_strategy", "\"epoch\"")), false),
        ["SW2008 optim typo"] = new("SW2008", Base.Hf, A(P("optim", "\"paged_adamw_8bits\"")), A(P("optim", "\"paged_adamw_8bit\"")), true, MessagePart: "did you mean paged_adamw_8bit?"),
        ["SW2008 scheduler typo"] = new("SW2008", Base.LlamaFactory, A(P("lr_scheduler_type", "\"cosin\"")), A(P("lr_scheduler_type", "\"cosine\"")), true, Version: "4.57", MessagePart: "not a valid SchedulerType in transformers 4.57"),
        ["SW2008 strategy"] = new("SW2008", Base.Hf, A(P("save_strategy", "\"epochs\"")), A(P("save_strategy", "\"best\""), P("metric_for_best_model", "\"eval_loss\"")), true),
        ["SW2008 adamw_hf gone in v5"] = new("SW2008", Base.Hf, A(P("optim", "\"adamw_hf\"")), A(P("optim", "\"adamw_torch\"")), false, Version: "5.0", MessagePart: "transformers 5.0"),
        // OptimizerNames has no ADAMW_HF from v4.50.0 on; STABLE_ADAMW is there in v4.57.6 (training_args.py)
        ["SW2008 adamw_hf gone from 4.50"] = new("SW2008", Base.Hf, A(P("optim", "\"adamw_hf\"")), A(P("optim", "\"stable_adamw\"")), false, Version: "4.57"),
        ["SW2008 axolotl scheduler"] = new("SW2008", Base.Axolotl, A(P("lr_scheduler", "\"cosinus\"")), A(P("lr_scheduler", "\"rex\""), P("optimizer", "\"adamw_bnb_8bit\"")), true),
        ["SW2009 ratio above 1"] = new("SW2009", Base.Hf, A(P("warmup_ratio", "3")), A(P("warmup_ratio", "0.03")), false),
        ["SW2009 v4 fractional warmup_steps"] = new("SW2009", Base.Hf, A(P("warmup_steps", "0.03")), A(P("warmup_steps", "30")), true, Version: "4.57", MessagePart: "transformers 4.57 takes an int"),
        ["SW2009 v5 negative warmup_steps"] = new("SW2009", Base.Hf, A(P("warmup_steps", "-1")), A(P("warmup_steps", "0.03")), false, Version: "5.0"),
        ["SW2010 prefetch"] = new("SW2010", Base.Hf, A(P("dataloader_prefetch_factor", "2")), A(P("dataloader_prefetch_factor", "2"), P("dataloader_num_workers", "4")), true),
        ["SW2011 llama-factory"] = new("SW2011", Base.LlamaFactory,
            A(P("eval_strategy", "\"epoch\""), P("save_strategy", "\"epoch\""), P("load_best_model_at_end", "true")),
            A(P("eval_strategy", "\"epoch\""), P("save_strategy", "\"epoch\""), P("load_best_model_at_end", "true"), P("val_size", "0.1")), true, MessagePart: "load_best_model_at_end depends"),
        ["SW2011 axolotl"] = new("SW2011", Base.Axolotl, A(P("eval_strategy", "\"steps\""), P("eval_steps", "50")),
            A(P("eval_strategy", "\"steps\""), P("eval_steps", "50"), P("val_set_size", "0.05")), true),
        ["SW2011 hf train_file"] = new("SW2011", Base.Hf, A(P("train_file", "\"train.json\""), P("eval_strategy", "\"epoch\"")),
            A(P("train_file", "\"train.json\""), P("eval_strategy", "\"epoch\""), P("validation_file", "\"val.json\"")), false),
        ["SW2012 best without metric"] = new("SW2012", Base.Hf, A(P("save_strategy", "\"best\"")), A(P("save_strategy", "\"best\""), P("metric_for_best_model", "\"eval_loss\"")), true),
        ["SW2013 axolotl"] = new("SW2013", Base.Axolotl, A(P("load_in_4bit", "true")), A(P("load_in_4bit", "true"), P("adapter", "\"qlora\"")), true),
        ["SW2013 llama-factory"] = new("SW2013", Base.LlamaFactory, A(P("quantization_bit", "4"), P("finetuning_type", "\"full\"")),
            A(P("quantization_bit", "4"), P("finetuning_type", "\"oft\"")), true),
        ["SW2013 trl use_peft false"] = new("SW2013", Base.Hf, A(P("load_in_4bit", "true"), P("use_peft", "false")).Concat(Recipe).ToArray(),
            A(P("load_in_4bit", "true"), P("use_peft", "true")).Concat(Recipe).ToArray(), true),
        ["SW2014 streaming"] = new("SW2014", Base.LlamaFactory, A(P("streaming", "true")), A(P("streaming", "true"), P("max_steps", "1000")), false),
        ["SW2014 axolotl pretraining"] = new("SW2014", Base.Axolotl, A(P("pretraining_dataset", "\"allenai/c4\"")), A(P("pretraining_dataset", "\"allenai/c4\""), P("max_steps", "100")), false),
        ["SW2015 limit 1"] = new("SW2015", Base.Hf,
            A(P("save_total_limit", "1"), P("load_best_model_at_end", "true"), P("eval_strategy", "\"epoch\""), P("save_strategy", "\"epoch\"")),
            A(P("save_total_limit", "2"), P("load_best_model_at_end", "true"), P("eval_strategy", "\"epoch\""), P("save_strategy", "\"epoch\"")), true, Severity: Severity.Information),

        ["SW3001 4 and 8 bit"] = new("SW3001", Base.Hf, A(P("load_in_4bit", "true"), P("load_in_8bit", "true")).Concat(Recipe).ToArray(), A(P("load_in_4bit", "true")).Concat(Recipe).ToArray(), true),
        ["SW3002 NF4"] = new("SW3002", Base.Hf, A(P("load_in_4bit", "true"), P("bnb_4bit_quant_type", "\"NF4\"")), A(P("bnb_4bit_quant_type", "\"nf4\"")), true, MessagePart: "did you mean nf4?"),
        ["SW3002 llama-factory quantization_type"] = new("SW3002", Base.LlamaFactory, A(P("quantization_bit", "4"), P("quantization_type", "\"int4\"")),
            A(P("quantization_bit", "4"), P("quantization_type", "\"fp4\"")), false),
        ["SW3003 compute bf16"] = new("SW3003", Base.Hf, A(P("bnb_4bit_compute_dtype", "\"bf16\"")), A(P("bnb_4bit_compute_dtype", "\"torch.bfloat16\"")), true, MessagePart: "did you mean bfloat16?"),
        ["SW3003 storage"] = new("SW3003", Base.Hf, A(P("bnb_4bit_quant_storage", "\"uint4\"")), A(P("bnb_4bit_quant_storage", "\"uint8\"")), true),
        ["SW3004 defaults"] = new("SW3004", Base.Hf, A(P("load_in_4bit", "true")), A(P("load_in_4bit", "true")).Concat(Recipe).ToArray(), true, MessagePart: "fp4"),
        ["SW3004 axolotl fp4 written"] = new("SW3004", Base.Axolotl, A(P("load_in_4bit", "true"), P("adapter", "\"qlora\""), P("bnb_4bit_quant_type", "\"fp4\"")),
            A(P("load_in_4bit", "true"), P("adapter", "\"qlora\"")), true),
        ["SW3004 llama-factory double quant off"] = new("SW3004", Base.LlamaFactory, A(P("quantization_bit", "4"), P("double_quantization", "false")),
            A(P("quantization_bit", "4")), true),
        ["SW3005 r 0"] = new("SW3005", Base.Hf, A(P("r", "0"), P("lora_alpha", "16")), A(P("r", "16"), P("lora_alpha", "16")), true),
        ["SW3005 axolotl lora_r"] = new("SW3005", Base.Axolotl, A(P("adapter", "\"lora\""), P("lora_r", "-8")), A(P("adapter", "\"lora\""), P("lora_r", "8")), true),
        ["SW3005 llama-factory lora_rank"] = new("SW3005", Base.LlamaFactory, A(P("lora_rank", "0")), A(P("lora_rank", "8")), true),
        ["SW3006 bias"] = new("SW3006", Base.Hf, A(P("r", "8"), P("bias", "\"None\"")), A(P("r", "8"), P("bias", "\"lora_only\"")), true),
        ["SW3007 task type"] = new("SW3007", Base.Hf, A(P("r", "8"), P("task_type", "\"causal_lm\"")), A(P("r", "8"), P("task_type", "\"CAUSAL_LM\"")), true, MessagePart: "did you mean CAUSAL_LM?"),
        ["SW3008 misspelt module"] = new("SW3008", Base.Axolotl, A(P("adapter", "\"lora\""), P("lora_target_modules", "[\"q_proj\", \"v_prj\"]")),
            A(P("adapter", "\"lora\""), P("lora_target_modules", "[\"q_proj\", \"v_proj\"]")), true, Severity: Severity.Warning, MessagePart: "v_prj (did you mean v_proj?)"),
        ["SW3008 no module matches"] = new("SW3008", Base.Axolotl, A(P("adapter", "\"lora\""), P("lora_target_modules", "[\"query_key_value\"]")),
            A(P("adapter", "\"lora\""), P("lora_target_modules", "[\"query_key_value\"]"), P("base_model", "\"tiiuae/falcon-7b\"")), false, Severity: Severity.Error),
        ["SW3008 llama-factory comma list"] = new("SW3008", Base.LlamaFactory, A(P("lora_target", "\"q_proj,vproj\"")), A(P("lora_target", "\"all\"")), true),
        ["SW3009 qlora without 4 bit"] = new("SW3009", Base.Axolotl, A(P("adapter", "\"qlora\"")), A(P("adapter", "\"qlora\""), P("load_in_4bit", "true")), true),
        ["SW3010 accumulation and batch_size"] = new("SW3010", Base.Axolotl, A(P("gradient_accumulation_steps", "4"), P("batch_size", "32")), A(P("batch_size", "32")), true),
        ["SW3011 axolotl warmup pair"] = new("SW3011", Base.Axolotl, A(P("warmup_steps", "10"), P("warmup_ratio", "0.03")), A(P("warmup_ratio", "0.03")), true, Severity: Severity.Error),
        ["SW3011 hf ratio ignored"] = new("SW3011", Base.Hf, A(P("warmup_steps", "10"), P("warmup_ratio", "0.03")), A(P("warmup_steps", "0"), P("warmup_ratio", "0.03")), true, Severity: Severity.Warning),
        ["SW3012 saves_per_epoch and save_steps"] = new("SW3012", Base.Axolotl, A(P("saves_per_epoch", "4"), P("save_steps", "100")), A(P("saves_per_epoch", "4")), true),
        ["SW3012 evals_per_epoch and eval_steps"] = new("SW3012", Base.Axolotl, A(P("evals_per_epoch", "4"), P("eval_steps", "100"), P("val_set_size", "0.1")), A(P("eval_steps", "100"), P("val_set_size", "0.1")), true),

        ["SW4001 removed"] = new("SW4001", Base.Hf, A(P("evaluation_strategy", "\"no\"")), A(P("eval_strategy", "\"no\"")), true, Version: "4.57", Severity: Severity.Error, MessagePart: "no longer exists in transformers 4.57"),
        ["SW4001 deprecated"] = new("SW4001", Base.Hf, A(P("evaluation_strategy", "\"no\"")), A(P("eval_strategy", "\"no\"")), true, Version: "4.45", Severity: Severity.Warning),
        ["SW4002 max_seq_length"] = new("SW4002", Base.Hf, A(P("max_seq_length", "2048")), A(P("max_length", "2048")), true),
        ["SW4003 v5 warmup_ratio"] = new("SW4003", Base.Hf, A(P("warmup_ratio", "0.03")), A(P("warmup_steps", "0.03")), true, Version: "5.0"),
        ["SW4004 report_to"] = new("SW4004", Base.Hf, A(P("report_to", null!)), A(P("report_to", "\"wandb\"")), true, Version: "5.0", Severity: Severity.Information, MessagePart: "defaults to none"),
        ["SW4004 report_to v5"] = new("SW4004", Base.LlamaFactory, A(P("report_to", null!)), A(P("report_to", "\"none\"")), true, Version: "5.0", MessagePart: "defaults to none"),

        ["SW9003 typo in llama-factory"] = new("SW9003", Base.LlamaFactory, A(P("gradient_acumulation_steps", "4")), A(P("preprocessing_num_workers", "4")), true, Severity: Severity.Warning,
            MessagePart: "did you mean gradient_accumulation_steps?"),
        ["SW9003 unknown in axolotl"] = new("SW9003", Base.Axolotl, A(P("my_custom_flag", "true")), A(P("wandb_project", "\"p\"")), false, Severity: Severity.Information),
    };

    public static TheoryData<string> Names()
    {
        var d = new TheoryData<string>();
        foreach (var k in All.Keys) d.Add(k);
        return d;
    }

    public static TheoryData<string> WithFix()
    {
        var d = new TheoryData<string>();
        foreach (var (k, c) in All) if (c.HasFix) d.Add(k);
        return d;
    }
}
