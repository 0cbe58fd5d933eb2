using System;
using System.Collections.Generic;
using System.Linq;
using Stepwise.Core.Keys.Upstream;
using Stepwise.Core.Model;

namespace Stepwise.Core.Keys;

/// <summary>
/// The table of settings Stepwise understands. Two layers:
/// <list type="bullet">
/// <item>the generated upstream data (<see cref="UpstreamData"/>, from tools/keygen/keygen.py): every key each config
/// class declares, with type, default and allowed values per release. It decides types, defaults and values, and adds
/// every upstream key this file does not list (described from the facts alone);</item>
/// <item>this file's overlay, in our own words: the canonical (Hugging Face) name a dialect's spelling stands for
/// (axolotl micro_batch_size = per_device_train_batch_size), descriptions, groups, ranges, deprecations, and the few
/// defaults that are behaviour rather than a field default (axolotl builds an nf4 + double-quant BitsAndBytesConfig).
/// Types and defaults written here are used only where the data has none (Stepwise's own settings, Megatron keys).</item>
/// </list>
/// </summary>
public static class KeyTable
{
    private static readonly Dialect[] HfLike = { Dialect.Hf, Dialect.LlamaFactory };
    private static readonly Dialect[] AllTrainer = { Dialect.Hf, Dialect.LlamaFactory, Dialect.Axolotl };

    /// <summary>Every optimizer name TrainingArguments accepted in any release of the key data (oldest first); see <see cref="KeyInfo.ValuesAt"/> for one release.</summary>
    public static readonly string[] Optimizers = UpstreamChoices("transformers", "TrainingArguments", "optim");

    /// <summary>Every scheduler name of TrainingArguments.lr_scheduler_type in any release of the key data.</summary>
    public static readonly string[] Schedulers = UpstreamChoices("transformers", "TrainingArguments", "lr_scheduler_type");

    public static readonly string[] Strategies = UpstreamChoices("transformers", "TrainingArguments", "eval_strategy");
    public static readonly string[] SaveStrategies = UpstreamChoices("transformers", "TrainingArguments", "save_strategy");

    private static string[] UpstreamChoices(string library, string cls, string field)
    {
        var c = UpstreamData.Instance.Library(library)?.Class(cls);
        var list = new List<string>();
        if (c is null) return list.ToArray();
        foreach (var f in c.Fields.Where(f => f.Name == field).OrderBy(f => f.Releases.First))
            foreach (var v in f.Choices)
                if (!list.Contains(v)) list.Add(v);
        return list.ToArray();
    }

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
        // Stepwise's trainer takes the same split from Hugging Face-style files (RunPlanner), as the engine counts it.
        K("val_size", KeyType.Float, 0.0, KeyGroup.Data, "Evaluation split taken from the training data; a fraction, or a count when > 1 (LLaMA-Factory; Stepwise's trainer in Hugging Face-style files).").In(HfLike);
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


        // --- more TrainingArguments (HF, and LLaMA-Factory which passes them through) -----------------------------
        var hf = HfLike;
        Many(hf, KeyGroup.Other,
            ("do_train", KeyType.Bool, false, "Run training (read by the example scripts and LLaMA-Factory)."),
            ("do_eval", KeyType.Bool, false, "Run evaluation; turned on by any eval_strategy other than no."),
            ("do_predict", KeyType.Bool, false, "Run prediction on the test set."),
            ("overwrite_output_dir", KeyType.Bool, false, "Write into output_dir even if it holds a previous run."),
            ("run_name", KeyType.String, null, "A name for the run shown by the logging integrations."),
            ("use_cpu", KeyType.Bool, false, "Train on the CPU even when a GPU is present."),
            ("data_seed", KeyType.Integer, null, "Seed for the data samplers alone (defaults to seed)."),
            ("full_determinism", KeyType.Bool, false, "Seed everything and force deterministic kernels (slower)."),
            ("local_rank", KeyType.Integer, -1L, "This process's rank on its machine (set by the launcher)."),
            ("push_to_hub", KeyType.Bool, false, "Upload checkpoints and the final model to the Hugging Face hub."),
            ("hub_model_id", KeyType.String, null, "Hub repository to push to."),
            ("hub_strategy", KeyType.Enum, "every_save", "What to push and when."),
            ("hub_token", KeyType.String, null, "Token for pushing (prefer the HF_TOKEN environment variable)."),
            ("hub_private_repo", KeyType.Bool, null, "Create the hub repository as private."),
            ("remove_unused_columns", KeyType.Bool, true, "Drop dataset columns the model's forward does not take."),
            ("label_names", KeyType.List, null, "Input keys that hold the labels."),
            ("label_smoothing_factor", KeyType.Float, 0.0, "Label smoothing for the loss (0 turns it off)."),
            ("group_by_length", KeyType.Bool, false, "Batch examples of similar length together (less padding)."),
            ("length_column_name", KeyType.String, "length", "Column with precomputed lengths for group_by_length."),
            ("ignore_data_skip", KeyType.Bool, false, "On resume, do not fast-forward the data to where the run stopped."),
            ("disable_tqdm", KeyType.Bool, null, "Hide the progress bars."),
            ("past_index", KeyType.Integer, -1L, "Output index holding past states (Transformer-XL style models)."),
            ("skip_memory_metrics", KeyType.Bool, true, "Skip the memory profiling metrics."),
            ("torch_compile", KeyType.Bool, false, "Compile the model with torch.compile."),
            ("torch_compile_backend", KeyType.String, null, "Backend for torch.compile."),
            ("torch_compile_mode", KeyType.String, null, "Mode for torch.compile."),
            ("neftune_noise_alpha", KeyType.Float, null, "NEFTune: noise added to embeddings during fine-tuning."),
            ("use_liger_kernel", KeyType.Bool, false, "Use the Liger Triton kernels for memory-efficient layers."),
            ("include_num_input_tokens_seen", KeyType.Bool, false, "Track the number of input tokens seen."),
            ("average_tokens_across_devices", KeyType.Bool, true, "Average the token count over devices for the loss."),
            ("restore_callback_states_from_checkpoint", KeyType.Bool, false, "Restore callback states when resuming."),
            ("torch_empty_cache_steps", KeyType.Integer, null, "Empty the CUDA cache every this many steps."),
            ("accelerator_config", KeyType.Any, null, "Options passed to accelerate's Accelerator."),
            ("optim_args", KeyType.String, null, "Extra optimizer arguments as a comma-separated key=value string."),
            ("optim_target_modules", KeyType.Any, null, "Modules that GaLore/APOLLO-style optimizers apply to."),
            ("lr_scheduler_kwargs", KeyType.Mapping, null, "Extra arguments of the learning-rate scheduler."),
            ("predict_with_generate", KeyType.Bool, false, "Seq2seq/LLaMA-Factory: evaluate by generating text."),
            ("generation_max_length", KeyType.Integer, null, "Seq2seq: maximum length when generating in evaluation."),
            ("generation_num_beams", KeyType.Integer, null, "Seq2seq: beams when generating in evaluation."),
            ("trust_remote_code", KeyType.Bool, false, "Allow model code from the hub repository to run."),
            ("torch_dtype", KeyType.String, null, "Dtype the model weights are loaded in (auto, bfloat16, float16, float32)."),
            ("attn_implementation", KeyType.String, null, "Attention kernel: eager, sdpa or flash_attention_2."),
            ("use_peft", KeyType.Bool, false, "TRL scripts: train a LoRA adapter instead of the full model."),
            ("dataset_text_field", KeyType.String, "text", "TRL: the column holding the text."),
            ("dataset_config", KeyType.String, null, "A hub dataset's configuration name."),
            ("dataset_config_name", KeyType.String, null, "A hub dataset's configuration name (example scripts)."),
            ("dataset_train_split", KeyType.String, "train", "TRL: split to train on."),
            ("dataset_test_split", KeyType.String, "test", "TRL: split to evaluate on."),
            ("eval_file", KeyType.String, null, "A local evaluation file."),
            ("validation_split_percentage", KeyType.Integer, null, "Example scripts: percent of the training data kept for validation."),
            ("completion_only_loss", KeyType.Bool, null, "TRL: compute the loss on completions only."),
            ("assistant_only_loss", KeyType.Bool, false, "TRL: compute the loss on assistant turns only."),
            ("max_new_tokens", KeyType.Integer, null, "Tokens generated per prompt when sampling or predicting."));
        Many(hf, KeyGroup.Evaluation,
            ("eval_delay", KeyType.Float, 0.0, "Epochs or steps to wait before the first evaluation."),
            ("eval_accumulation_steps", KeyType.Integer, null, "Move predictions to the CPU every this many evaluation steps."),
            ("eval_on_start", KeyType.Bool, false, "Run one evaluation before training as a sanity check."),
            ("batch_eval_metrics", KeyType.Bool, false, "Compute metrics batch by batch."),
            ("prediction_loss_only", KeyType.Bool, false, "Evaluation returns only the loss."),
            ("eval_do_concat_batches", KeyType.Bool, true, "Concatenate evaluation batches before computing metrics."));
        Many(hf, KeyGroup.Checkpointing,
            ("save_safetensors", KeyType.Bool, true, "Write checkpoints as safetensors rather than pickles."),
            ("save_on_each_node", KeyType.Bool, false, "Every machine writes its own checkpoint copy."),
            ("save_only_model", KeyType.Bool, false, "Checkpoints hold the weights only (no optimizer state: cannot resume)."));
        Many(hf, KeyGroup.Logging,
            ("log_level", KeyType.String, "passive", "Logging verbosity of the main process."),
            ("logging_dir", KeyType.String, null, "TensorBoard log folder."),
            ("logging_first_step", KeyType.Bool, false, "Log the very first step too."),
            ("logging_nan_inf_filter", KeyType.Bool, true, "Leave NaN/inf losses out of the logged average."));
        Many(hf, KeyGroup.Precision,
            ("fp16_full_eval", KeyType.Bool, false, "Evaluate in float16 throughout (not mixed)."),
            ("bf16_full_eval", KeyType.Bool, false, "Evaluate in bfloat16 throughout (not mixed)."),
            ("fp16_opt_level", KeyType.String, "O1", "Apex AMP level for fp16 (legacy)."),
            ("gradient_checkpointing_kwargs", KeyType.Mapping, null, "Options of gradient checkpointing (use_reentrant...)."),
            ("jit_mode_eval", KeyType.Bool, false, "Use PyTorch JIT tracing for inference."));
        Many(hf, KeyGroup.Data,
            ("dataloader_pin_memory", KeyType.Bool, true, "Pin host memory for faster copies to the GPU."),
            ("dataloader_persistent_workers", KeyType.Bool, false, "Keep data worker processes alive between epochs."));
        Many(hf, KeyGroup.Distributed,
            ("fsdp", KeyType.Any, null, "Fully Sharded Data Parallel options (full_shard, auto_wrap, offload...)."),
            ("fsdp_config", KeyType.Any, null, "FSDP settings: a mapping or a JSON file."),
            ("fsdp_transformer_layer_cls_to_wrap", KeyType.String, null, "Layer class FSDP wraps as a unit (deprecated: use fsdp_config)."),
            ("ddp_find_unused_parameters", KeyType.Bool, null, "DDP: look for parameters without gradients each step."),
            ("ddp_bucket_cap_mb", KeyType.Integer, null, "DDP: gradient bucket size in MB."),
            ("ddp_backend", KeyType.String, null, "Distributed backend: nccl, gloo, hccl..."));
        // Keys every trainer dialect shares.
        Many(AllTrainer, KeyGroup.Data,
            ("dataloader_num_workers", KeyType.Integer, 0L, "Worker processes loading data (0 loads in the main process)."),
            ("dataloader_prefetch_factor", KeyType.Integer, null, "Batches each worker prepares ahead; needs dataloader_num_workers above 0."));
        Get("dataloader_num_workers")!.Minimum = 0;
        Get("dataloader_prefetch_factor")!.Minimum = 1;

        // LoraConfig / BitsAndBytesConfig keys seen in Python and HF-style files.
        Many(new[] { Dialect.Hf }, KeyGroup.Lora,
            ("modules_to_save", KeyType.List, null, "Modules trained in full and saved beside the adapter (heads, embeddings)."),
            ("fan_in_fan_out", KeyType.Bool, false, "The base layer stores its weight transposed (GPT-2 Conv1D)."),
            ("init_lora_weights", KeyType.Any, true, "How the adapter starts: true (B = 0), gaussian, pissa, olora..."),
            ("layers_to_transform", KeyType.Any, null, "Only these layer indices get adapters."),
            ("use_dora", KeyType.Bool, false, "DoRA: learn a magnitude vector beside the LoRA direction."),
            ("rank_pattern", KeyType.Mapping, null, "Per-module ranks overriding r."),
            ("alpha_pattern", KeyType.Mapping, null, "Per-module alphas overriding lora_alpha."));
        Many(new[] { Dialect.Hf }, KeyGroup.Quantization,
            ("llm_int8_threshold", KeyType.Float, 6.0, "8-bit: outlier threshold above which activations stay in fp16."),
            ("llm_int8_skip_modules", KeyType.List, null, "Modules left unquantized."),
            ("llm_int8_enable_fp32_cpu_offload", KeyType.Bool, false, "Allow offloading unquantized parts to the CPU in float32."),
            ("llm_int8_has_fp16_weight", KeyType.Bool, false, "8-bit: keep fp16 main weights (for training without adapters)."));

        // --- LLaMA-Factory: its own arguments (model, data, finetuning, generation, export) ----------------------
        var lf = new[] { Dialect.LlamaFactory };
        Many(lf, KeyGroup.Other,
            ("stage", KeyType.Enum, "sft", "Training stage: pt (pre-training), sft, rm (reward model), ppo, dpo or kto."),
            ("template", KeyType.String, null, "Chat template used to format the examples (qwen3, llama3, ...)."),
            ("plot_loss", KeyType.Bool, false, "Save a loss curve image in output_dir after training."),
            ("infer_backend", KeyType.String, "huggingface", "Inference engine for chat/predict: huggingface, vllm or sglang."),
            ("adapter_name_or_path", KeyType.String, null, "Adapter(s) to load on top of the base model (comma separated)."),
            ("export_dir", KeyType.String, null, "Where the merged or quantized model is written."),
            ("export_size", KeyType.Integer, 5L, "Shard size in GB of the exported model."),
            ("export_device", KeyType.String, "cpu", "Device used to merge an adapter when exporting."),
            ("export_legacy_format", KeyType.Bool, false, "Export .bin files instead of safetensors."),
            ("export_quantization_bit", KeyType.Integer, null, "Bits for GPTQ quantization on export."),
            ("export_quantization_dataset", KeyType.String, null, "Calibration data for GPTQ export."),
            ("export_hf_on_finish", KeyType.Bool, false, "Export a Hugging Face checkpoint when training ends."),
            ("ray_num_workers", KeyType.Integer, 1L, "Ray: number of training workers."),
            ("use_kt", KeyType.Bool, false, "Use KTransformers for MoE offloading."),
            ("kt_config", KeyType.Any, null, "KTransformers settings: a rule file or a mapping (backend, weight format, threads)."),
            ("kt_cpu_activation", KeyType.String, null, "KTransformers: what happens to activations on the CPU (retain...)."),
            ("kt_weight_path", KeyType.String, null, "KTransformers: path of the expert weights."),
            ("kt_non_expert_weight_path", KeyType.String, null, "KTransformers: path of the non-expert weights."),
            ("use_v1_kernels", KeyType.Bool, false, "Use LLaMA-Factory's v1 fused kernels."),
            ("fp8", KeyType.Bool, false, "Train with FP8 matmuls (Hopper or newer)."),
            ("fp8_backend", KeyType.String, "auto", "FP8 implementation: auto, torchao, te or msamp."),
            ("fp8_enable_fsdp_float8_all_gather", KeyType.Bool, false, "FP8 all-gather under FSDP2."));
        Many(lf, KeyGroup.Model,
            ("flash_attn", KeyType.Enum, "auto", "Attention kernel: auto, disabled, sdpa or fa2."),
            ("disable_gradient_checkpointing", KeyType.Bool, false, "Turn off gradient checkpointing (on by default in LLaMA-Factory)."),
            ("use_reentrant_gc", KeyType.Bool, true, "Use the re-entrant form of gradient checkpointing."),
            ("image_max_pixels", KeyType.Integer, null, "Largest image size in pixels before resizing (multimodal)."),
            ("video_max_pixels", KeyType.Integer, null, "Largest video frame size in pixels (multimodal)."),
            ("video_fps", KeyType.Float, null, "Frames sampled per second of video."),
            ("video_maxlen", KeyType.Integer, null, "Most frames taken from one video."),
            ("freeze_vision_tower", KeyType.Bool, true, "Multimodal: do not train the vision encoder."),
            ("freeze_multi_modal_projector", KeyType.Bool, true, "Multimodal: do not train the projector."),
            ("freeze_language_model", KeyType.Bool, false, "Multimodal: do not train the language model."),
            ("mixture_of_depths", KeyType.String, null, "Convert the model to or load it as mixture-of-depths."));
        Many(lf, KeyGroup.Data,
            ("overwrite_cache", KeyType.Bool, false, "Re-run preprocessing instead of using the cached tokenized data."),
            ("preprocessing_num_workers", KeyType.Integer, null, "Processes used to tokenize the data."),
            ("tokenized_path", KeyType.String, null, "Save (or load) the tokenized dataset here."),
            ("use_packed_sequences", KeyType.Bool, false, "Feed packed sequences without cross-attention (neat packing)."));
        Get("packing")!._spellings[Dialect.LlamaFactory] = "packing";
        Get("streaming")!._spellings[Dialect.Hf] = "streaming";
        Many(lf, KeyGroup.Lora,
            ("pure_bf16", KeyType.Bool, false, "Train in pure bfloat16 (no float32 master weights)."),
            ("pref_beta", KeyType.Float, 0.1, "DPO/KTO: the beta of the preference loss."),
            ("pref_loss", KeyType.String, "sigmoid", "DPO loss variant: sigmoid, hinge, ipo, kto_pair, orpo, simpo."),
            ("loraplus_lr_ratio", KeyType.Float, null, "LoRA+: learning-rate ratio of B over A."),
            ("pissa_init", KeyType.Bool, false, "Initialise the adapter with PiSSA."),
            ("pissa_iter", KeyType.Integer, 16L, "Iterations of the fast SVD for PiSSA."),
            ("pissa_convert", KeyType.Bool, false, "Convert a PiSSA adapter into a plain LoRA one on save."),
            ("oft_target", KeyType.String, "all", "Modules that get OFT adapters."),
            ("oft_block_size", KeyType.Integer, 32L, "OFT block size."),
            ("freeze_trainable_layers", KeyType.Integer, 2L, "Freeze tuning: how many layers train (negative counts from the start)."),
            ("freeze_trainable_modules", KeyType.String, "all", "Freeze tuning: which modules of those layers train."),
            ("use_llama_pro", KeyType.Bool, false, "LLaMA Pro: train only the added blocks."),
            ("use_galore", KeyType.Bool, false, "Use the GaLore optimizer."),
            ("galore_target", KeyType.String, "all", "Modules GaLore projects."),
            ("galore_rank", KeyType.Integer, 16L, "GaLore projection rank."),
            ("galore_scale", KeyType.Float, 2.0, "GaLore scale."),
            ("galore_layerwise", KeyType.Bool, false, "Layer-wise GaLore updates (saves memory)."),
            ("use_apollo", KeyType.Bool, false, "Use the APOLLO optimizer."),
            ("apollo_target", KeyType.String, "all", "Modules APOLLO applies to."),
            ("apollo_rank", KeyType.Integer, 16L, "APOLLO rank."),
            ("apollo_scale", KeyType.Float, 32.0, "APOLLO scale."),
            ("apollo_scale_type", KeyType.String, "channel", "APOLLO scaling: channel or tensor."),
            ("apollo_layerwise", KeyType.Bool, false, "Layer-wise APOLLO updates."),
            ("use_badam", KeyType.Bool, false, "Use the BAdam block-coordinate optimizer."),
            ("badam_mode", KeyType.String, "layer", "BAdam: layer- or ratio-wise blocks."),
            ("badam_switch_mode", KeyType.String, "ascending", "BAdam: order in which blocks are updated."),
            ("badam_switch_interval", KeyType.Integer, 50L, "BAdam: steps between block switches."),
            ("badam_verbose", KeyType.Integer, 0L, "BAdam: verbosity."),
            ("use_adam_mini", KeyType.Bool, false, "Use the Adam-mini optimizer."),
            ("use_muon", KeyType.Bool, false, "Use the Muon optimizer."),
            ("use_dft_loss", KeyType.Bool, false, "Dynamic fine-tuning loss."),
            ("use_eaft_loss", KeyType.Bool, false, "EAFT loss."),
            ("use_asft_loss", KeyType.Bool, false, "ASFT loss."),
            ("asft_alpha", KeyType.Float, null, "ASFT loss weight."));
        Many(lf, KeyGroup.Distributed,
            ("tensor_model_parallel_size", KeyType.Integer, 1L, "Megatron: tensor-parallel degree."),
            ("pipeline_model_parallel_size", KeyType.Integer, 1L, "Megatron: pipeline-parallel degree."),
            ("expert_model_parallel_size", KeyType.Integer, 1L, "Megatron: expert-parallel degree."),
            ("context_parallel_size", KeyType.Integer, 1L, "Megatron: context-parallel degree."),
            ("sequence_parallel", KeyType.Bool, false, "Megatron: sequence parallelism."),
            ("use_distributed_optimizer", KeyType.Bool, false, "Megatron: shard the optimizer state."),
            ("overlap_param_gather", KeyType.Bool, false, "Megatron: overlap parameter all-gather with compute."),
            ("overlap_grad_reduce", KeyType.Bool, false, "Megatron: overlap gradient reduce with compute."),
            ("moe_grouped_gemm", KeyType.Bool, false, "Megatron: grouped GEMM for MoE experts."),
            ("moe_token_dispatcher_type", KeyType.String, null, "Megatron: MoE token dispatcher."),
            ("recompute_granularity", KeyType.String, null, "Megatron: activation recompute granularity."),
            ("bias_activation_fusion", KeyType.Bool, false, "Megatron: fuse bias and activation."),
            ("apply_rope_fusion", KeyType.Bool, false, "Megatron: fused rotary embeddings."),
            ("cp_size", KeyType.Integer, 1L, "Context-parallel degree."),
            ("cp_mode", KeyType.String, null, "Context-parallel mode (ring, ulysses...)."));
        // LLaMA-Factory parses these with mcore_adapter's TrainingArguments when USE_MCA=1 (v0.9.5
        // src/llamafactory/hparams/parser.py `from mcore_adapter import TrainingArguments`): a package the key data does
        // not read, so the data's MegatronBridgeArguments (main branch only) does not decide whether they exist.
        foreach (var k in new[] { "tensor_model_parallel_size", "pipeline_model_parallel_size", "expert_model_parallel_size", "context_parallel_size",
                     "sequence_parallel", "use_distributed_optimizer", "overlap_param_gather", "overlap_grad_reduce", "moe_grouped_gemm",
                     "moe_token_dispatcher_type", "recompute_granularity", "bias_activation_fusion", "apply_rope_fusion" })
            Get(k)!.DeclaredOutsideData = true;

        // --- axolotl ---------------------------------------------------------------------------------------------
        var ax = new[] { Dialect.Axolotl };
        Many(ax, KeyGroup.Model,
            ("base_model_config", KeyType.String, null, "Where the model config comes from when it differs from base_model."),
            ("model_type", KeyType.String, null, "Transformers class used to load the model (LlamaForCausalLM...)."),
            ("tokenizer_type", KeyType.String, null, "Transformers tokenizer class."),
            ("tokenizer_config", KeyType.String, null, "Where the tokenizer comes from when it differs from base_model."),
            ("trust_remote_code", KeyType.Bool, false, "Allow model code from the hub repository to run."),
            ("is_llama_derived_model", KeyType.Bool, null, "Treat the model as Llama-like."),
            ("is_mistral_derived_model", KeyType.Bool, null, "Treat the model as Mistral-like."),
            ("is_qwen_derived_model", KeyType.Bool, null, "Treat the model as Qwen-like."),
            ("strict", KeyType.Bool, false, "Fail on unknown config keys."),
            ("flash_attention", KeyType.Bool, false, "Use FlashAttention 2."),
            ("sdp_attention", KeyType.Bool, false, "Use PyTorch scaled-dot-product attention."),
            ("xformers_attention", KeyType.Bool, false, "Use xformers attention."),
            ("s2_attention", KeyType.Bool, false, "Shifted-sparse attention for long contexts."),
            ("special_tokens", KeyType.Mapping, null, "Special tokens to set on the tokenizer (pad_token...)."),
            ("tokens", KeyType.List, null, "Tokens to add to the vocabulary."),
            ("gptq", KeyType.Bool, false, "The base model is GPTQ-quantized."),
            ("bnb_config_kwargs", KeyType.Mapping, null, "Overrides of the BitsAndBytesConfig axolotl builds (nf4, double quant)."),
            ("plugins", KeyType.List, null, "axolotl plugins to load."),
            ("torch_compile", KeyType.Bool, false, "Compile the model with torch.compile."));
        Many(ax, KeyGroup.Data,
            ("test_datasets", KeyType.List, null, "Evaluation datasets, instead of splitting val_set_size off the training data."),
            ("pretraining_dataset", KeyType.Any, null, "A streamed pre-training dataset (no length: max_steps is required)."),
            ("dataset_prepared_path", KeyType.String, null, "Where the tokenized dataset is cached."),
            ("push_dataset_to_hub", KeyType.String, null, "Hub repository to push the prepared dataset to."),
            ("dataset_processes", KeyType.Integer, null, "Processes used to tokenize the data."),
            ("shuffle_merged_datasets", KeyType.Bool, true, "Shuffle after merging several datasets."),
            ("chat_template", KeyType.String, null, "Chat template to format conversations with."),
            ("default_system_message", KeyType.String, null, "System prompt used when an example has none."),
            ("pad_to_sequence_len", KeyType.Bool, false, "Pad every batch to sequence_len."),
            ("eval_sample_packing", KeyType.Bool, null, "Pack the evaluation data too."),
            ("group_by_length", KeyType.Bool, false, "Batch examples of similar length together."),
            ("rl", KeyType.String, null, "Preference training method: dpo, ipo, kto, orpo, grpo..."));
        Many(ax, KeyGroup.Lora,
            ("lora_model_dir", KeyType.String, null, "An existing adapter to continue from."),
            ("lora_fan_in_fan_out", KeyType.Bool, false, "The base layer stores its weight transposed."),
            ("lora_modules_to_save", KeyType.List, null, "Modules trained in full and saved beside the adapter."),
            ("peft_use_dora", KeyType.Bool, false, "DoRA adapters."));
        Many(ax, KeyGroup.Logging,
            ("wandb_project", KeyType.String, null, "Weights & Biases project (logging is off without it)."),
            ("wandb_entity", KeyType.String, null, "Weights & Biases team or user."),
            ("wandb_name", KeyType.String, null, "Weights & Biases run name."),
            ("wandb_watch", KeyType.String, null, "Weights & Biases gradient watching."),
            ("wandb_log_model", KeyType.String, null, "Upload checkpoints to Weights & Biases."),
            ("eval_table_size", KeyType.Integer, null, "Predictions logged to a table at each evaluation."),
            ("eval_max_new_tokens", KeyType.Integer, null, "Tokens generated for the evaluation table."),
            ("debug", KeyType.Bool, false, "Print tokenized examples and extra diagnostics."),
            ("loss_watchdog_threshold", KeyType.Float, null, "Stop when the loss rises above this."),
            ("loss_watchdog_patience", KeyType.Integer, null, "Steps above the threshold before stopping."));
        Many(ax, KeyGroup.Schedule,
            ("cosine_min_lr_ratio", KeyType.Float, null, "Cosine schedule floor as a fraction of the peak learning rate."),
            ("lr_quadratic_warmup", KeyType.Bool, false, "Quadratic instead of linear warmup."),
            ("early_stopping_patience", KeyType.Integer, null, "Evaluations without improvement before stopping."),
            ("auto_resume_from_checkpoints", KeyType.Bool, false, "Resume from the newest checkpoint in output_dir."),
            ("hub_model_id", KeyType.String, null, "Hub repository to push to."),
            ("save_safetensors", KeyType.Bool, true, "Write checkpoints as safetensors."),
            ("local_rank", KeyType.Integer, null, "This process's rank on its machine (set by the launcher)."),
            ("fsdp", KeyType.Any, null, "Fully Sharded Data Parallel options."),
            ("fsdp_config", KeyType.Any, null, "FSDP settings."));
        foreach (var k in new[] { "eval_strategy", "save_strategy", "load_best_model_at_end", "metric_for_best_model", "greater_is_better", "report_to",
                     "dataloader_drop_last", "logging_strategy", "do_eval", "per_device_eval_batch_size", "fp16_full_eval", "bf16_full_eval" })
            { var sp = Get(k)!._spellings; if (!sp.ContainsKey(Dialect.Axolotl)) sp[Dialect.Axolotl] = k; }
        // axolotl and LLaMA-Factory build a QLoRA BitsAndBytesConfig themselves (nf4 + double quant).
        Get("bnb_4bit_quant_type")!._dialectDefaults[Dialect.Axolotl] = "nf4";
        Get("bnb_4bit_use_double_quant")!._dialectDefaults[Dialect.Axolotl] = true;
        Get("bnb_4bit_compute_dtype")!._dialectDefaults[Dialect.Axolotl] = null;
        // axolotl accepts "auto" for the precision flags and strings such as "2e-4" for the learning rate.
        foreach (var k in new[] { "bf16", "fp16", "tf32", "learning_rate" }) Get(k)!.AcceptsString = true;

        // --- DeepSpeed JSON and accelerate YAML (for the published schemas) ---------------------------------------
        var ds = new[] { Dialect.DeepSpeed };
        Many(ds, KeyGroup.Distributed,
            ("zero_optimization", KeyType.Mapping, null, "DeepSpeed ZeRO settings: stage (0-3), offloading, bucket sizes."),
            ("gradient_clipping", KeyType.Any, null, "DeepSpeed: gradient norm clipping, or \"auto\" (from max_grad_norm)."),
            ("optimizer", KeyType.Mapping, null, "DeepSpeed: its own optimizer (type and params)."),
            ("scheduler", KeyType.Mapping, null, "DeepSpeed: its own learning-rate scheduler."),
            ("zero_allow_untested_optimizer", KeyType.Bool, false, "Let ZeRO run with an optimizer it has not been tested with."),
            ("steps_per_print", KeyType.Integer, 10L, "DeepSpeed: log every this many steps."),
            ("wall_clock_breakdown", KeyType.Bool, false, "DeepSpeed: time forward, backward and step."),
            ("activation_checkpointing", KeyType.Mapping, null, "DeepSpeed activation checkpointing settings."),
            ("communication_data_type", KeyType.String, null, "Dtype of gradient communication."),
            ("prescale_gradients", KeyType.Bool, false, "Scale gradients before the all-reduce."),
            ("flops_profiler", KeyType.Mapping, null, "DeepSpeed FLOPs profiler settings."),
            ("tensor_parallel", KeyType.Mapping, null, "DeepSpeed AutoTP settings."));
        // DeepSpeed's fp16/bf16 are sections ({"enabled": ...}), not the trainer's flags: keys of their own.
        K("deepspeed_fp16", KeyType.Mapping, null, KeyGroup.Precision, "DeepSpeed fp16 section: enabled (true/false/\"auto\"), loss scaling.").In(Dialect.DeepSpeed, "fp16", null);
        K("deepspeed_bf16", KeyType.Mapping, null, KeyGroup.Precision, "DeepSpeed bf16 section: enabled (true/false/\"auto\").").In(Dialect.DeepSpeed, "bf16", null);
        var acc = new[] { Dialect.Accelerate };
        Many(acc, KeyGroup.Distributed,
            ("compute_environment", KeyType.Enum, "LOCAL_MACHINE", "accelerate: LOCAL_MACHINE or AMAZON_SAGEMAKER."),
            ("machine_rank", KeyType.Integer, 0L, "accelerate: this machine's index."),
            ("main_process_ip", KeyType.String, null, "accelerate: address of machine 0."),
            ("main_process_port", KeyType.Integer, null, "accelerate: port of machine 0."),
            ("main_training_function", KeyType.String, "main", "accelerate: function launched in notebooks."),
            ("rdzv_backend", KeyType.String, "static", "accelerate: torchrun rendezvous backend."),
            ("same_network", KeyType.Bool, true, "accelerate: machines share a network."),
            ("use_cpu", KeyType.Bool, false, "accelerate: run on the CPU."),
            ("downcast_bf16", KeyType.Any, null, "accelerate (TPU): downcast to bf16."),
            ("debug", KeyType.Bool, false, "accelerate: extra distributed checks."),
            ("gpu_ids", KeyType.Any, "all", "accelerate: which GPUs to use."),
            ("deepspeed_config", KeyType.Mapping, null, "accelerate: DeepSpeed plugin settings."),
            ("fsdp_config", KeyType.Mapping, null, "accelerate: FSDP plugin settings."),
            ("dynamo_config", KeyType.Mapping, null, "accelerate: torch.compile settings."),
            ("enable_cpu_affinity", KeyType.Bool, false, "accelerate: pin processes to CPU cores."),
            ("tpu_env", KeyType.List, null, "accelerate (TPU): environment variables."),
            ("tpu_use_cluster", KeyType.Bool, false, "accelerate (TPU): use a TPU pod."),
            ("tpu_use_sudo", KeyType.Bool, false, "accelerate (TPU): run commands with sudo."));
        Get("compute_environment")!.Values = new[] { "LOCAL_MACHINE", "AMAZON_SAGEMAKER" };
        Get("stage")!.Values = new[] { "pt", "sft", "rm", "ppo", "dpo", "kto" };
        Get("flash_attn")!.Values = new[] { "auto", "disabled", "sdpa", "fa2", "fa3" };
        Get("hub_strategy")!.Values = new[] { "end", "every_save", "checkpoint", "all_checkpoints" };

        // Ranges published in the schemas (what the tools themselves refuse).
        foreach (var k in new[] { "per_device_train_batch_size", "per_device_eval_batch_size", "gradient_accumulation_steps", "batch_size", "num_processes", "num_machines" })
            Get(k)!.Minimum = 1;
        foreach (var k in new[] { "learning_rate", "weight_decay", "num_train_epochs", "lora_dropout", "max_grad_norm", "val_size", "val_set_size", "logging_steps", "save_steps", "eval_steps" })
            Get(k)!.Minimum = 0;
        Get("warmup_ratio")!.Minimum = 0; Get("warmup_ratio")!.Maximum = 1;
        Get("lora_dropout")!.Maximum = 1;
        Get("r")!.Minimum = 1;
        Get("max_steps")!.Minimum = -1;

        ApplyUpstream();

        foreach (var k in _all)
            foreach (var kv in k._spellings)
            {
                if (!_byDialect.TryGetValue(kv.Key, out var map)) _byDialect[kv.Key] = map = new Dictionary<string, KeyInfo>(StringComparer.Ordinal);
                map[kv.Value] = k;
            }
    }

    /// <summary>
    /// Lays the generated upstream data over the table: the declaring field (newest release) of each spelling decides
    /// type, default and values; every upstream key the overlay does not list joins the table under its own name.
    /// </summary>
    private static void ApplyUpstream()
    {
        var dialects = new[] { Dialect.Hf, Dialect.LlamaFactory, Dialect.Axolotl, Dialect.DeepSpeed, Dialect.Accelerate };
        foreach (var k in _all) k.Handwritten = true;
        var declared = dialects.ToDictionary(d => d, d => KeyCatalog.EverDeclared(d, python: d == Dialect.Hf));

        foreach (var k in _all)
        {
            foreach (var d in dialects)
                if (k._spellings.TryGetValue(d, out var spelling) && declared[d].TryGetValue(spelling, out var f))
                    k._declarations[d] = f;
            // The home declaration: TrainingArguments / PEFT / bitsandbytes for HF names, else the dialect's own.
            UpstreamField? home = null;
            foreach (var d in dialects)
                if (k._declarations.TryGetValue(d, out var f) && k.SpellingIn(d) == k.Name) { home = f; break; }
            if (home is not null)
            {
                // Any in the overlay is deliberate (accelerate writes downcast_bf16: 'no' for a bool field; report_to
                // takes a string or a list); a ratio key stays a float where a release declares an int.
                if (home.Type != KeyType.Any && k.Type != KeyType.Any && !(k.Type == KeyType.Float && home.Type == KeyType.Integer && k.RatioAllowed)) k.Type = home.Type;
                if (home.DefaultExpression is null && !(home.Default is null && k.Default is not null)) k.Default = home.Default;
                if (home.Choices.Count > 0) k.Values = home.Choices;
            }
            foreach (var kv in k._declarations)
            {
                var f = kv.Value;
                if (f == home || f.DefaultExpression is not null) continue;
                // a default the data states for this dialect's own spelling (axolotl micro_batch_size: 1)
                if (!k._dialectDefaults.ContainsKey(kv.Key) || k.SpellingIn(kv.Key) != k.Name) k._dialectDefaults[kv.Key] = f.Default;
            }
        }

        // Every other upstream key, under its own name (a name the table knows in another dialect gains this dialect).
        var spelled = dialects.ToDictionary(d => d, d => new HashSet<string>(_all.Where(k => k._spellings.ContainsKey(d)).Select(k => k._spellings[d]), StringComparer.Ordinal));
        foreach (var d in dialects)
            foreach (var kv in declared[d].OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                var (name, f) = (kv.Key, kv.Value);
                if (spelled[d].Contains(name)) continue;
                if (_byName.TryGetValue(name, out var existing))
                {
                    existing._spellings[d] = name;
                    existing._declarations[d] = f;
                    if (f.DefaultExpression is null && !Equals(f.Default, existing.Default)) existing._dialectDefaults[d] = f.Default;
                    continue;
                }
                var group = f.Owner.Name.IndexOf("BitsAndBytes", StringComparison.Ordinal) >= 0 ? KeyGroup.Quantization
                    : f.Owner.Library.Name == "peft" ? KeyGroup.Lora
                    : d is Dialect.DeepSpeed or Dialect.Accelerate ? KeyGroup.Distributed : KeyGroup.Other;
                var k = K(name, f.Type, f.DefaultExpression is null ? f.Default : null, group, "");
                if (f.Choices.Count > 0) k.Values = f.Choices;
                k._spellings[d] = name;
                k._declarations[d] = f;
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

    /// <summary>Several keys of one group in the same dialects: (name, type, default, description).</summary>
    private static void Many(Dialect[] dialects, KeyGroup group, params (string Name, KeyType Type, object? Default, string Description)[] keys)
    {
        foreach (var (name, type, def, description) in keys)
        {
            if (_byName.TryGetValue(name, out var existing)) { existing.In(dialects); continue; }
            K(name, type, def, group, description).In(dialects);
        }
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
