using System;
using System.Collections.Generic;
using System.Linq;
using Stepwise.Core.Model;

namespace Stepwise.Core.Keys;

/// <summary>
/// The table of settings Stepwise understands. Descriptions are our own words. Defaults follow
/// transformers v4.5x TrainingArguments, PEFT LoraConfig and bitsandbytes BitsAndBytesConfig;
/// axolotl and LLaMA-Factory spellings and defaults follow shared/reference/dialects.md.
/// </summary>
public static class KeyTable
{
    private static readonly Dialect[] HfLike = { Dialect.Hf, Dialect.LlamaFactory };
    private static readonly Dialect[] AllTrainer = { Dialect.Hf, Dialect.LlamaFactory, Dialect.Axolotl };

    public static readonly string[] Optimizers =
    {
        "adamw_torch", "adamw_torch_fused", "adamw_torch_xla", "adamw_torch_npu_fused", "adamw_apex_fused", "adafactor",
        "adamw_anyprecision", "adamw_torch_4bit", "adamw_torch_8bit", "ademamix", "sgd", "adagrad", "adamw_bnb_8bit",
        "adamw_8bit", "ademamix_8bit", "lion_8bit", "lion_32bit", "paged_adamw_32bit", "paged_adamw_8bit",
        "paged_ademamix_32bit", "paged_ademamix_8bit", "paged_lion_32bit", "paged_lion_8bit", "rmsprop", "rmsprop_bnb",
        "rmsprop_bnb_8bit", "rmsprop_bnb_32bit", "galore_adamw", "galore_adamw_8bit", "galore_adafactor",
        "galore_adamw_layerwise", "galore_adamw_8bit_layerwise", "galore_adafactor_layerwise", "lomo", "adalomo",
        "grokadamw", "schedule_free_radam", "schedule_free_adamw", "schedule_free_sgd", "apollo_adamw",
        "apollo_adamw_layerwise", "stable_adamw", "adamw_hf",
    };

    public static readonly string[] Schedulers =
    {
        "linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup", "inverse_sqrt",
        "reduce_lr_on_plateau", "cosine_with_min_lr", "warmup_stable_decay",
    };

    public static readonly string[] Strategies = { "no", "steps", "epoch" };
    public static readonly string[] SaveStrategies = { "no", "steps", "epoch", "best" };

    private static readonly List<KeyInfo> _all = new();
    private static readonly Dictionary<Dialect, Dictionary<string, KeyInfo>> _byDialect = new();
    private static readonly Dictionary<string, KeyInfo> _byName = new(StringComparer.Ordinal);

    public static IReadOnlyList<KeyInfo> All => _all;

    static KeyTable()
    {
        // --- run length and batch -------------------------------------------------------------
        K("per_device_train_batch_size", KeyType.Integer, 8L, KeyGroup.Batch,
            "Examples per device (per process) in each forward/backward pass. Effective batch per optimizer step = this x gradient_accumulation_steps x world size.")
            .In(HfLike).In(Dialect.Axolotl, "micro_batch_size", 1L);
        K("per_device_eval_batch_size", KeyType.Integer, 8L, KeyGroup.Batch, "Examples per device in each evaluation pass.")
            .In(HfLike).In(Dialect.Axolotl, "eval_batch_size", null);
        K("gradient_accumulation_steps", KeyType.Integer, 1L, KeyGroup.Batch,
            "Micro-batches whose gradients are summed before each optimizer step. Raises the effective batch without raising memory.")
            .In(AllTrainer);
        K("batch_size", KeyType.Integer, null, KeyGroup.Batch,
            "axolotl: the total batch per optimizer step; gradient_accumulation_steps is derived from it (set one or the other).")
            .In(Dialect.Axolotl);
        K("num_train_epochs", KeyType.Float, 3.0, KeyGroup.Schedule,
            "Passes over the training set. Ignored when max_steps is greater than 0.")
            .In(HfLike).In(Dialect.Axolotl, "num_epochs", 1.0);
        K("max_steps", KeyType.Integer, -1L, KeyGroup.Schedule,
            "Total optimizer steps. When > 0 it fixes the run length and num_train_epochs is ignored, so the epochs trained follow the batch size.")
            .In(HfLike).In(Dialect.Axolotl, "max_steps", null);
        K("dataloader_drop_last", KeyType.Bool, false, KeyGroup.Batch,
            "Drop the last incomplete batch of each epoch (changes steps per epoch).").In(HfLike);
        K("auto_find_batch_size", KeyType.Bool, false, KeyGroup.Batch,
            "Halve the batch size on out-of-memory and retry (changes the run's arithmetic at run time).").In(HfLike).In(Dialect.Axolotl);

        // --- optimizer and schedule ---------------------------------------------------------
        K("learning_rate", KeyType.Float, 5e-5, KeyGroup.Optimizer, "Peak learning rate of the optimizer.").In(AllTrainer);
        K("lr_scheduler_type", KeyType.Enum, "linear", KeyGroup.Optimizer, "How the learning rate moves over the run after warmup.")
            .Vals(Schedulers).In(HfLike).In(Dialect.Axolotl, "lr_scheduler", "cosine");
        K("optim", KeyType.Enum, "adamw_torch", KeyGroup.Optimizer, "The optimizer implementation. 8-bit and paged variants come from bitsandbytes.")
            .Vals(Optimizers).In(HfLike).In(Dialect.Axolotl, "optimizer", "adamw_torch_fused");
        K("weight_decay", KeyType.Float, 0.0, KeyGroup.Optimizer, "Decoupled weight decay of AdamW.").In(AllTrainer);
        K("adam_beta1", KeyType.Float, 0.9, KeyGroup.Optimizer, "Adam's first-moment decay.").In(AllTrainer);
        K("adam_beta2", KeyType.Float, 0.999, KeyGroup.Optimizer, "Adam's second-moment decay.").In(AllTrainer);
        K("adam_epsilon", KeyType.Float, 1e-8, KeyGroup.Optimizer, "Adam's epsilon.").In(AllTrainer);
        K("max_grad_norm", KeyType.Float, 1.0, KeyGroup.Optimizer, "Gradients are clipped to this total norm (0 disables clipping).").In(AllTrainer);
        K("warmup_steps", KeyType.Float, 0L, KeyGroup.Schedule,
            "Steps of linear warmup. In transformers v5 a float in [0, 1) is a ratio of the total steps.").In(AllTrainer);
        K("warmup_ratio", KeyType.Float, 0.0, KeyGroup.Schedule,
            "Warmup as a fraction of the total steps (deprecated in transformers v5: use a float warmup_steps).").In(AllTrainer).Ratio();
        K("seed", KeyType.Integer, 42L, KeyGroup.Other, "Random seed for initialisation and data shuffling.").In(AllTrainer);

        // --- evaluation / saving / logging ----------------------------------------------------
        K("eval_strategy", KeyType.Enum, "no", KeyGroup.Evaluation, "When to evaluate: no, every eval_steps, or at each epoch's end.")
            .Vals(Strategies).In(AllTrainer);
        K("evaluation_strategy", KeyType.Enum, "no", KeyGroup.Evaluation,
            "The pre-4.41 name of eval_strategy; removed around transformers 4.51 (TypeError at start-up).")
            .Vals(Strategies).In(AllTrainer).Deprecated("eval_strategy", "deprecated in transformers 4.41, removed around 4.51");
        K("eval_steps", KeyType.Float, null, KeyGroup.Evaluation, "Steps between evaluations; below 1 a ratio of total steps; unset takes logging_steps.")
            .In(AllTrainer).Ratio();
        K("save_strategy", KeyType.Enum, "steps", KeyGroup.Checkpointing, "When to save a checkpoint: no, every save_steps, each epoch, or on a new best metric.")
            .Vals(SaveStrategies).In(AllTrainer);
        K("save_steps", KeyType.Float, 500L, KeyGroup.Checkpointing, "Steps between checkpoints; below 1 a ratio of total steps.").In(AllTrainer).Ratio();
        K("save_total_limit", KeyType.Integer, null, KeyGroup.Checkpointing,
            "Keep at most this many checkpoints (the best one is always kept with load_best_model_at_end).").In(AllTrainer);
        K("load_best_model_at_end", KeyType.Bool, false, KeyGroup.Checkpointing,
            "Reload the best checkpoint when training ends; needs matching eval and save strategies.").In(AllTrainer);
        K("metric_for_best_model", KeyType.String, null, KeyGroup.Checkpointing, "Metric that picks the best checkpoint (eval_loss by default).").In(AllTrainer);
        K("greater_is_better", KeyType.Bool, null, KeyGroup.Checkpointing, "Whether a larger metric_for_best_model is better.").In(AllTrainer);
        K("logging_strategy", KeyType.Enum, "steps", KeyGroup.Logging, "When to log.").Vals(Strategies).In(HfLike);
        K("logging_steps", KeyType.Float, 500L, KeyGroup.Logging, "Steps between logs; below 1 a ratio of total steps.").In(AllTrainer).Ratio();
        K("saves_per_epoch", KeyType.Integer, null, KeyGroup.Checkpointing,
            "axolotl: checkpoints per epoch, turned into a ratio of total steps.").In(Dialect.Axolotl);
        K("evals_per_epoch", KeyType.Integer, null, KeyGroup.Evaluation,
            "axolotl: evaluations per epoch, turned into a ratio of total steps.").In(Dialect.Axolotl);
        K("output_dir", KeyType.String, null, KeyGroup.Checkpointing, "Where checkpoints, the adapter and trainer_state.json are written.").In(AllTrainer);
        K("resume_from_checkpoint", KeyType.String, null, KeyGroup.Checkpointing, "A checkpoint folder to resume from, or true for the latest in output_dir.").In(AllTrainer);
        K("report_to", KeyType.Any, "all", KeyGroup.Logging, "Where to report metrics (v4 default all, v5 default none).").In(HfLike);

        // --- precision -------------------------------------------------------------------------
        K("fp16", KeyType.Bool, false, KeyGroup.Precision, "Mixed precision with float16.").In(AllTrainer);
        K("bf16", KeyType.Bool, false, KeyGroup.Precision, "Mixed precision with bfloat16 (Ampere or newer).").In(AllTrainer);
        K("tf32", KeyType.Bool, null, KeyGroup.Precision, "Allow TF32 matmuls on Ampere GPUs.").In(AllTrainer);
        K("gradient_checkpointing", KeyType.Bool, false, KeyGroup.Precision, "Recompute activations in the backward pass to save memory.").In(AllTrainer);

        // --- data ------------------------------------------------------------------------------
        K("dataset", KeyType.String, null, KeyGroup.Data, "LLaMA-Factory: dataset names from dataset_dir/dataset_info.json (comma separated).")
            .In(Dialect.LlamaFactory);
        K("eval_dataset", KeyType.String, null, KeyGroup.Data, "LLaMA-Factory: evaluation dataset names.").In(Dialect.LlamaFactory);
        K("dataset_dir", KeyType.String, "data", KeyGroup.Data, "LLaMA-Factory: the folder holding dataset_info.json.").In(Dialect.LlamaFactory);
        K("max_samples", KeyType.Integer, null, KeyGroup.Data, "LLaMA-Factory: cap on records taken from each dataset.").In(Dialect.LlamaFactory);
        K("val_size", KeyType.Float, 0.0, KeyGroup.Data, "LLaMA-Factory: evaluation split; a fraction, or a count when > 1.").In(Dialect.LlamaFactory);
        K("cutoff_len", KeyType.Integer, 2048L, KeyGroup.Data, "LLaMA-Factory: maximum tokens per example.").In(Dialect.LlamaFactory);
        K("datasets", KeyType.List, null, KeyGroup.Data, "axolotl: training datasets [{path, type, data_files, split, ...}].").In(Dialect.Axolotl);
        K("val_set_size", KeyType.Float, 0.0, KeyGroup.Data, "axolotl: evaluation split; a fraction, or a count when > 1.").In(Dialect.Axolotl);
        K("sequence_len", KeyType.Integer, 2048L, KeyGroup.Data, "axolotl: maximum tokens per example.").In(Dialect.Axolotl);
        K("sample_packing", KeyType.Bool, false, KeyGroup.Data, "axolotl: pack several examples into each sequence (changes N).").In(Dialect.Axolotl);
        K("streaming", KeyType.Bool, false, KeyGroup.Data, "Stream the dataset (no length known: max_steps is required).").In(Dialect.LlamaFactory).In(Dialect.Axolotl);
        K("dataset_name", KeyType.String, null, KeyGroup.Data, "A Hugging Face hub dataset name or a local path.").In(Dialect.Hf);
        K("dataset_path", KeyType.String, null, KeyGroup.Data, "A local dataset file or folder.").In(Dialect.Hf);
        K("train_file", KeyType.String, null, KeyGroup.Data, "A local training file (JSON/JSONL/CSV/Parquet).").In(Dialect.Hf);
        K("validation_file", KeyType.String, null, KeyGroup.Data, "A local evaluation file.").In(Dialect.Hf);
        K("max_seq_length", KeyType.Integer, null, KeyGroup.Data, "TRL (older): maximum tokens per example; now max_length.").In(Dialect.Hf)
            .Deprecated("max_length", "renamed to max_length in TRL 0.20");
        K("max_length", KeyType.Integer, 1024L, KeyGroup.Data, "TRL SFTConfig: maximum tokens per example.").In(Dialect.Hf);
        K("packing", KeyType.Bool, false, KeyGroup.Data, "TRL: pack several examples into each sequence (changes N).").In(Dialect.Hf);
        K("train_on_inputs", KeyType.Bool, false, KeyGroup.Data, "Compute the loss on the prompt too, not only on the response.").In(AllTrainer);

        // --- model / quantization --------------------------------------------------------------
        K("model_name_or_path", KeyType.String, null, KeyGroup.Model, "The base model: a local folder or a hub name.").In(HfLike).In(Dialect.Axolotl, "base_model", null);
        K("load_in_4bit", KeyType.Bool, false, KeyGroup.Quantization, "Load the base model quantized to 4 bits (bitsandbytes).").In(Dialect.Hf).In(Dialect.Axolotl);
        K("load_in_8bit", KeyType.Bool, false, KeyGroup.Quantization, "Load the base model quantized to 8 bits (bitsandbytes).").In(Dialect.Hf).In(Dialect.Axolotl);
        K("quantization_bit", KeyType.Integer, null, KeyGroup.Quantization, "LLaMA-Factory: 4 or 8 to quantize the base model.").In(Dialect.LlamaFactory);
        K("quantization_method", KeyType.Enum, "bnb", KeyGroup.Quantization, "LLaMA-Factory: quantization backend.")
            .Vals("bnb", "gptq", "awq", "aqlm", "quanto", "eetq", "hqq", "mxfp4", "fp8").In(Dialect.LlamaFactory);
        K("bnb_4bit_quant_type", KeyType.Enum, "fp4", KeyGroup.Quantization, "4-bit data type: nf4 (the QLoRA recipe) or fp4 (bitsandbytes' default).")
            .Vals("nf4", "fp4").In(Dialect.Hf).In(Dialect.Axolotl).In(Dialect.LlamaFactory, "quantization_type", "nf4");
        K("bnb_4bit_use_double_quant", KeyType.Bool, false, KeyGroup.Quantization, "Quantize the per-block scales too (0.37 bits/param saved).")
            .In(Dialect.Hf).In(Dialect.Axolotl).In(Dialect.LlamaFactory, "double_quantization", true);
        K("bnb_4bit_compute_dtype", KeyType.String, "float32", KeyGroup.Quantization, "Dtype the 4-bit weights are dequantized to for matmuls.")
            .Vals("float32", "float16", "bfloat16").In(Dialect.Hf).In(Dialect.Axolotl);
        K("bnb_4bit_quant_storage", KeyType.String, "uint8", KeyGroup.Quantization, "Storage dtype of packed 4-bit weights.")
            .Vals("uint8", "float16", "bfloat16", "float32", "int8").In(Dialect.Hf);

        // --- LoRA ------------------------------------------------------------------------------
        K("adapter", KeyType.Enum, null, KeyGroup.Lora, "axolotl: lora or qlora (empty = full fine-tuning).").Vals("lora", "qlora").In(Dialect.Axolotl);
        K("finetuning_type", KeyType.Enum, "lora", KeyGroup.Lora, "LLaMA-Factory: lora, oft, freeze or full.").Vals("lora", "oft", "freeze", "full").In(Dialect.LlamaFactory);
        K("r", KeyType.Integer, 8L, KeyGroup.Lora, "LoRA rank: inner dimension of the A/B adapter matrices.")
            .In(Dialect.Hf).In(Dialect.Axolotl, "lora_r", null).In(Dialect.LlamaFactory, "lora_rank", 8L);
        K("lora_alpha", KeyType.Float, 8L, KeyGroup.Lora, "LoRA scale numerator: the update is scaled by lora_alpha / r (or / sqrt(r) with rsLoRA).")
            .In(Dialect.Hf).In(Dialect.Axolotl).In(Dialect.LlamaFactory, "lora_alpha", null);
        K("lora_dropout", KeyType.Float, 0.0, KeyGroup.Lora, "Dropout on the LoRA branch input.").In(AllTrainer);
        K("target_modules", KeyType.Any, null, KeyGroup.Lora, "Which linear layers get adapters: names, or all-linear.")
            .In(Dialect.Hf).In(Dialect.Axolotl, "lora_target_modules", null).In(Dialect.LlamaFactory, "lora_target", "all");
        K("lora_target_linear", KeyType.Bool, false, KeyGroup.Lora, "axolotl: adapt all linear layers.").In(Dialect.Axolotl);
        K("bias", KeyType.Enum, "none", KeyGroup.Lora, "Which biases PEFT trains: none, all or lora_only.").Vals("none", "all", "lora_only").In(Dialect.Hf);
        K("use_rslora", KeyType.Bool, false, KeyGroup.Lora, "Rank-stabilised LoRA: scale by lora_alpha / sqrt(r).")
            .In(Dialect.Hf).In(Dialect.Axolotl, "peft_use_rslora", false).In(Dialect.LlamaFactory, "use_rslora", false);
        K("task_type", KeyType.Enum, null, KeyGroup.Lora, "PEFT task type.")
            .Vals("SEQ_CLS", "SEQ_2_SEQ_LM", "CAUSAL_LM", "TOKEN_CLS", "QUESTION_ANS", "FEATURE_EXTRACTION").In(Dialect.Hf);

        // --- distributed ----------------------------------------------------------------------
        K("deepspeed", KeyType.String, null, KeyGroup.Distributed, "A DeepSpeed JSON config; its batch values must agree with these settings.").In(AllTrainer);
        K("world_size", KeyType.Integer, 1L, KeyGroup.Distributed, "Data-parallel processes (a Stepwise setting: from accelerate/torchrun/DeepSpeed in real runs).");
        K("ddp_timeout", KeyType.Integer, 1800L, KeyGroup.Distributed, "Seconds before a distributed operation times out.").In(HfLike);

        // DeepSpeed JSON keys.
        K("train_batch_size", KeyType.Any, null, KeyGroup.Batch, "DeepSpeed: total batch per optimizer step = micro batch x accumulation x world size, or \"auto\".").In(Dialect.DeepSpeed);
        K("train_micro_batch_size_per_gpu", KeyType.Any, null, KeyGroup.Batch, "DeepSpeed: per-GPU micro batch, or \"auto\".").In(Dialect.DeepSpeed);
        _byName["gradient_accumulation_steps"]._spellings[Dialect.DeepSpeed] = "gradient_accumulation_steps";
        // accelerate YAML keys.
        K("num_processes", KeyType.Integer, 1L, KeyGroup.Distributed, "accelerate: total processes over all machines (the world size).").In(Dialect.Accelerate);
        K("num_machines", KeyType.Integer, 1L, KeyGroup.Distributed, "accelerate: machines taking part.").In(Dialect.Accelerate);
        K("distributed_type", KeyType.Enum, "NO", KeyGroup.Distributed, "accelerate: NO, MULTI_GPU, DEEPSPEED, FSDP, ...")
            .Vals("NO", "MULTI_CPU", "MULTI_GPU", "MULTI_NPU", "MULTI_XPU", "DEEPSPEED", "FSDP", "XLA", "MEGATRON_LM").In(Dialect.Accelerate);
        K("mixed_precision", KeyType.Enum, "no", KeyGroup.Precision, "accelerate: no, fp16, bf16 or fp8.").Vals("no", "fp16", "bf16", "fp8").In(Dialect.Accelerate);

        foreach (var k in _all)
            foreach (var kv in k._spellings)
            {
                if (!_byDialect.TryGetValue(kv.Key, out var map)) _byDialect[kv.Key] = map = new Dictionary<string, KeyInfo>(StringComparer.Ordinal);
                map[kv.Value] = k;
            }
    }

    private static KeyInfo K(string name, KeyType type, object? def, KeyGroup group, string description)
    {
        var k = new KeyInfo(name, type, def, group, description);
        _all.Add(k);
        _byName[name] = k;
        return k;
    }

    private static KeyInfo In(this KeyInfo k, params Dialect[] dialects)
    {
        foreach (var d in dialects) k._spellings[d] = k.Name;
        return k;
    }

    private static KeyInfo In(this KeyInfo k, Dialect d, string spelling, object? dialectDefault)
    {
        k._spellings[d] = spelling;
        k._dialectDefaults[d] = dialectDefault;
        return k;
    }

    private static KeyInfo Vals(this KeyInfo k, params string[] values) { k.Values = values; return k; }
    private static KeyInfo Ratio(this KeyInfo k) { k.RatioAllowed = true; return k; }
    private static KeyInfo Deprecated(this KeyInfo k, string replacement, string note) { k.ReplacedBy = replacement; k.DeprecationNote = note; return k; }

    /// <summary>The key info by canonical (Hugging Face) name.</summary>
    public static KeyInfo? Get(string canonicalName) => _byName.TryGetValue(canonicalName, out var k) ? k : null;

    /// <summary>The key a dialect spells as <paramref name="written"/>, if known.</summary>
    public static KeyInfo? Lookup(Dialect dialect, string written)
    {
        if (_byDialect.TryGetValue(dialect, out var map) && map.TryGetValue(written, out var k)) return k;
        return null;
    }

    /// <summary>How <paramref name="dialect"/> spells a canonical key (the canonical name when it has no own spelling).</summary>
    public static string Spelling(string canonical, Dialect dialect) => Get(canonical)?.SpellingIn(dialect) ?? canonical;

    public static IEnumerable<KeyInfo> KeysOf(Dialect dialect) => _all.Where(k => k.ExistsIn(dialect));

    public static IEnumerable<string> SpellingsOf(Dialect dialect) =>
        _byDialect.TryGetValue(dialect, out var map) ? map.Keys : Enumerable.Empty<string>();
}
