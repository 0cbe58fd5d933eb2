using Stepwise.Core.Model;

namespace Stepwise.Core.Keys;

// The overlay in our own words (see KeyTable.cs): one data table of every key Stepwise describes, in groups. Types and
// defaults come from the key data; an entry states one only where the data does not decide it (KeyTableOverlayTests).
public static partial class KeyTable
{
    private static void Overlay()
    {
        // --- run length and batch -------------------------------------------------------------
        K("per_device_train_batch_size", KeyGroup.Batch,
            "Examples per device (per process) in each forward/backward pass. Effective batch per optimizer step = this x gradient_accumulation_steps x world size.")
            .In(HfLike).In(Dialect.Axolotl, "micro_batch_size");
        K("per_device_eval_batch_size", KeyGroup.Batch, "Examples per device in each evaluation pass.")
            .In(HfLike).In(Dialect.Axolotl, "eval_batch_size");
        K("gradient_accumulation_steps", KeyGroup.Batch,
            "Micro-batches whose gradients are summed before each optimizer step. Raises the effective batch without raising memory.")
            .In(AllTrainer);
        K("batch_size", KeyGroup.Batch,
            "axolotl: the total batch per optimizer step; gradient_accumulation_steps is derived from it (set one or the other).")
            .In(Dialect.Axolotl);
        K("num_train_epochs", KeyGroup.Schedule,
            "Passes over the training set. Ignored when max_steps is greater than 0.")
            .In(HfLike).In(Dialect.Axolotl, "num_epochs");
        K("max_steps", KeyGroup.Schedule,
            "Total optimizer steps. When > 0 it fixes the run length and num_train_epochs is ignored, so the epochs trained follow the batch size.")
            .In(AllTrainer);
        K("dataloader_drop_last", KeyGroup.Batch,
            "Drop the last incomplete batch of each epoch (changes steps per epoch).").In(HfLike);
        K("auto_find_batch_size", KeyGroup.Batch,
            "Halve the batch size on out-of-memory and retry (changes the run's arithmetic at run time).").In(HfLike).In(Dialect.Axolotl);

        // --- optimizer and schedule ---------------------------------------------------------
        K("learning_rate", KeyGroup.Optimizer, "Peak learning rate of the optimizer.").In(AllTrainer);
        K("lr_scheduler_type", KeyGroup.Optimizer, "How the learning rate moves over the run after warmup.")
            .Vals(Schedulers).In(HfLike).In(Dialect.Axolotl, "lr_scheduler");
        K("optim", KeyGroup.Optimizer, "The optimizer implementation. 8-bit and paged variants come from bitsandbytes.")
            .Vals(Optimizers).In(HfLike).In(Dialect.Axolotl, "optimizer");
        K("weight_decay", KeyGroup.Optimizer, "Decoupled weight decay of AdamW.").In(AllTrainer);
        K("adam_beta1", KeyGroup.Optimizer, "Adam's first-moment decay.").In(AllTrainer);
        K("adam_beta2", KeyGroup.Optimizer, "Adam's second-moment decay.").In(AllTrainer);
        K("adam_epsilon", KeyGroup.Optimizer, "Adam's epsilon.").In(AllTrainer);
        K("max_grad_norm", KeyGroup.Optimizer, "Gradients are clipped to this total norm (0 disables clipping).").In(AllTrainer);
        K("warmup_steps", KeyGroup.Schedule,
            "Steps of linear warmup. In transformers v5 a float in [0, 1) is a ratio of the total steps.").In(AllTrainer);
        K("warmup_ratio", KeyGroup.Schedule,
            "Warmup as a fraction of the total steps (deprecated in transformers v5: use a float warmup_steps).").Defaults(0.0).In(AllTrainer).Ratio();
        K("seed", KeyGroup.Other, "Random seed for initialisation and data shuffling.").In(AllTrainer);

        // --- evaluation / saving / logging ----------------------------------------------------
        K("eval_strategy", KeyGroup.Evaluation, "When to evaluate: no, every eval_steps, or at each epoch's end.")
            .Vals(Strategies).In(AllTrainer);
        K("evaluation_strategy", KeyGroup.Evaluation,
            "The pre-4.41 name of eval_strategy; removed around transformers 4.51 (TypeError at start-up).").Defaults("no")
            .Vals(Strategies).In(AllTrainer).Deprecated("eval_strategy", "deprecated in transformers 4.41, removed around 4.51");
        K("eval_steps", KeyGroup.Evaluation, "Steps between evaluations; below 1 a ratio of total steps; unset takes logging_steps.")
            .In(AllTrainer).Ratio();
        K("save_strategy", KeyGroup.Checkpointing, "When to save a checkpoint: no, every save_steps, each epoch, or on a new best metric.")
            .Vals(SaveStrategies).In(AllTrainer);
        K("save_steps", KeyGroup.Checkpointing, "Steps between checkpoints; below 1 a ratio of total steps.").In(AllTrainer).Ratio();
        K("save_total_limit", KeyGroup.Checkpointing,
            "Keep at most this many checkpoints (the best one is always kept with load_best_model_at_end).").In(AllTrainer);
        K("load_best_model_at_end", KeyGroup.Checkpointing,
            "Reload the best checkpoint when training ends; needs matching eval and save strategies.").In(AllTrainer);
        K("metric_for_best_model", KeyGroup.Checkpointing, "Metric that picks the best checkpoint (eval_loss by default).").In(AllTrainer);
        K("greater_is_better", KeyGroup.Checkpointing, "Whether a larger metric_for_best_model is better.").In(AllTrainer);
        K("logging_strategy", KeyGroup.Logging, "When to log.").Vals(Strategies).In(HfLike);
        K("logging_steps", KeyGroup.Logging, "Steps between logs; below 1 a ratio of total steps.").In(AllTrainer).Ratio();
        K("saves_per_epoch", KeyGroup.Checkpointing,
            "axolotl: checkpoints per epoch, turned into a ratio of total steps.").In(Dialect.Axolotl);
        K("evals_per_epoch", KeyGroup.Evaluation,
            "axolotl: evaluations per epoch, turned into a ratio of total steps.").In(Dialect.Axolotl);
        K("output_dir", KeyGroup.Checkpointing, "Where checkpoints, the adapter and trainer_state.json are written.").In(AllTrainer);
        K("resume_from_checkpoint", KeyGroup.Checkpointing, "A checkpoint folder to resume from, or true for the latest in output_dir.").In(AllTrainer);
        K("report_to", KeyGroup.Logging, "Where to report metrics (v4 default all, v5 default none).").Typed(KeyType.Any).In(HfLike);

        // --- precision -------------------------------------------------------------------------
        K("fp16", KeyGroup.Precision, "Mixed precision with float16.").In(AllTrainer);
        K("bf16", KeyGroup.Precision, "Mixed precision with bfloat16 (Ampere or newer).").In(AllTrainer);
        K("tf32", KeyGroup.Precision, "Allow TF32 matmuls on Ampere GPUs.").In(AllTrainer);
        K("gradient_checkpointing", KeyGroup.Precision, "Recompute activations in the backward pass to save memory.").In(AllTrainer);

        // --- data ------------------------------------------------------------------------------
        K("dataset", KeyGroup.Data, "LLaMA-Factory: dataset names from dataset_dir/dataset_info.json (comma separated).")
            .In(Dialect.LlamaFactory);
        K("eval_dataset", KeyGroup.Data, "LLaMA-Factory: evaluation dataset names.").In(Dialect.LlamaFactory);
        K("dataset_dir", KeyGroup.Data, "LLaMA-Factory: the folder holding dataset_info.json.").In(Dialect.LlamaFactory);
        K("max_samples", KeyGroup.Data, "LLaMA-Factory: cap on records taken from each dataset.").In(Dialect.LlamaFactory);
        // Stepwise's trainer takes the same split from Hugging Face-style files (RunPlanner), as the engine counts it.
        K("val_size", KeyGroup.Data, "Evaluation split taken from the training data; a fraction, or a count when > 1 (LLaMA-Factory; Stepwise's trainer in Hugging Face-style files).").In(HfLike);
        K("cutoff_len", KeyGroup.Data, "LLaMA-Factory: maximum tokens per example.").In(Dialect.LlamaFactory);
        K("datasets", KeyGroup.Data, "axolotl: training datasets [{path, type, data_files, split, ...}].").In(Dialect.Axolotl);
        K("val_set_size", KeyGroup.Data, "axolotl: evaluation split; a fraction, or a count when > 1.").In(Dialect.Axolotl);
        K("sequence_len", KeyGroup.Data, "axolotl: maximum tokens per example.").In(Dialect.Axolotl);
        K("sample_packing", KeyGroup.Data, "axolotl: pack several examples into each sequence (changes N).").Defaults(false).In(Dialect.Axolotl);
        K("streaming", KeyGroup.Data, "Stream the dataset (no length known: max_steps is required).").In(Dialect.LlamaFactory).In(Dialect.Axolotl);
        K("dataset_name", KeyGroup.Data, "A Hugging Face hub dataset name or a local path.").In(Dialect.Hf);
        K("dataset_path", KeyType.String, null, KeyGroup.Data, "A local dataset file or folder.").In(Dialect.Hf);
        K("train_file", KeyType.String, null, KeyGroup.Data, "A local training file (JSON/JSONL/CSV/Parquet).").In(Dialect.Hf);
        K("validation_file", KeyType.String, null, KeyGroup.Data, "A local evaluation file.").In(Dialect.Hf);
        K("max_seq_length", KeyGroup.Data, "TRL (older): maximum tokens per example; now max_length.").In(Dialect.Hf)
            .Deprecated("max_length", "renamed to max_length in TRL 0.20");
        K("max_length", KeyGroup.Data, "TRL SFTConfig: maximum tokens per example.").In(Dialect.Hf);
        K("packing", KeyGroup.Data, "TRL: pack several examples into each sequence (changes N).").In(Dialect.Hf);
        K("train_on_inputs", KeyGroup.Data, "Compute the loss on the prompt too, not only on the response.").In(AllTrainer);

        // --- model / quantization --------------------------------------------------------------
        K("model_name_or_path", KeyGroup.Model, "The base model: a local folder or a hub name.").In(HfLike).In(Dialect.Axolotl, "base_model", null);
        K("load_in_4bit", KeyGroup.Quantization, "Load the base model quantized to 4 bits (bitsandbytes).").In(Dialect.Hf).In(Dialect.Axolotl);
        K("load_in_8bit", KeyGroup.Quantization, "Load the base model quantized to 8 bits (bitsandbytes).").In(Dialect.Hf).In(Dialect.Axolotl);
        K("quantization_bit", KeyGroup.Quantization, "LLaMA-Factory: 4 or 8 to quantize the base model.").In(Dialect.LlamaFactory);
        K("quantization_method", KeyGroup.Quantization, "LLaMA-Factory: quantization backend.")
            .Vals("bnb", "gptq", "awq", "aqlm", "quanto", "eetq", "hqq", "mxfp4", "fp8").In(Dialect.LlamaFactory);
        K("bnb_4bit_quant_type", KeyGroup.Quantization, "4-bit data type: nf4 (the QLoRA recipe) or fp4 (bitsandbytes' default).")
            .Vals("nf4", "fp4").In(Dialect.Hf).In(Dialect.Axolotl).In(Dialect.LlamaFactory, "quantization_type");
        K("bnb_4bit_use_double_quant", KeyGroup.Quantization, "Quantize the per-block scales too (0.37 bits/param saved).")
            .In(Dialect.Hf).In(Dialect.Axolotl).In(Dialect.LlamaFactory, "double_quantization");
        K("bnb_4bit_compute_dtype", KeyType.String, "float32", KeyGroup.Quantization, "Dtype the 4-bit weights are dequantized to for matmuls.")
            .Vals("float32", "float16", "bfloat16").In(Dialect.Hf).In(Dialect.Axolotl);
        K("bnb_4bit_quant_storage", KeyType.String, "uint8", KeyGroup.Quantization, "Storage dtype of packed 4-bit weights.")
            .Vals("uint8", "float16", "bfloat16", "float32", "int8").In(Dialect.Hf);

        // --- LoRA ------------------------------------------------------------------------------
        K("adapter", KeyGroup.Lora, "axolotl: lora or qlora (empty = full fine-tuning).").Vals("lora", "qlora").In(Dialect.Axolotl);
        K("finetuning_type", KeyGroup.Lora, "LLaMA-Factory: lora, oft, freeze or full.").Vals("lora", "oft", "freeze", "full").In(Dialect.LlamaFactory);
        K("r", KeyGroup.Lora, "LoRA rank: inner dimension of the A/B adapter matrices.")
            .In(Dialect.Hf).In(Dialect.Axolotl, "lora_r").In(Dialect.LlamaFactory, "lora_rank");
        K("lora_alpha", KeyGroup.Lora, "LoRA scale numerator: the update is scaled by lora_alpha / r (or / sqrt(r) with rsLoRA).")
            .In(Dialect.Hf).In(Dialect.Axolotl).In(Dialect.LlamaFactory);
        K("lora_dropout", KeyGroup.Lora, "Dropout on the LoRA branch input.").In(AllTrainer);
        K("target_modules", KeyGroup.Lora, "Which linear layers get adapters: names, or all-linear.").Typed(KeyType.Any)
            .In(Dialect.Hf).In(Dialect.Axolotl, "lora_target_modules").In(Dialect.LlamaFactory, "lora_target");
        K("lora_target_linear", KeyGroup.Lora, "axolotl: adapt all linear layers.").Defaults(false).In(Dialect.Axolotl);
        K("bias", KeyGroup.Lora, "Which biases PEFT trains: none, all or lora_only.").Vals("none", "all", "lora_only").In(Dialect.Hf);
        K("use_rslora", KeyGroup.Lora, "Rank-stabilised LoRA: scale by lora_alpha / sqrt(r).")
            .In(Dialect.Hf).In(Dialect.Axolotl, "peft_use_rslora").In(Dialect.LlamaFactory);
        K("task_type", KeyGroup.Lora, "PEFT task type.")
            .Vals("SEQ_CLS", "SEQ_2_SEQ_LM", "CAUSAL_LM", "TOKEN_CLS", "QUESTION_ANS", "FEATURE_EXTRACTION").In(Dialect.Hf);

        // --- distributed ----------------------------------------------------------------------
        K("deepspeed", KeyGroup.Distributed, "A DeepSpeed JSON config; its batch values must agree with these settings.").Typed(KeyType.String).In(AllTrainer);
        K("world_size", KeyType.Integer, 1L, KeyGroup.Distributed, "Data-parallel processes (a Stepwise setting: from accelerate/torchrun/DeepSpeed in real runs).");
        K("ddp_timeout", KeyGroup.Distributed, "Seconds before a distributed operation times out.").In(HfLike);

        // DeepSpeed JSON keys.
        K("train_batch_size", KeyGroup.Batch, "DeepSpeed: total batch per optimizer step = micro batch x accumulation x world size, or \"auto\".").Typed(KeyType.Any).In(Dialect.DeepSpeed);
        K("train_micro_batch_size_per_gpu", KeyGroup.Batch, "DeepSpeed: per-GPU micro batch, or \"auto\".").Typed(KeyType.Any).In(Dialect.DeepSpeed);
        _byName["gradient_accumulation_steps"]._spellings[Dialect.DeepSpeed] = "gradient_accumulation_steps";
        // accelerate YAML keys.
        K("num_processes", KeyGroup.Distributed, "accelerate: total processes over all machines (the world size).").In(Dialect.Accelerate);
        K("num_machines", KeyGroup.Distributed, "accelerate: machines taking part.").In(Dialect.Accelerate);
        K("distributed_type", KeyGroup.Distributed, "accelerate: NO, MULTI_GPU, DEEPSPEED, FSDP, ...").Defaults("NO")
            .Vals("NO", "MULTI_CPU", "MULTI_GPU", "MULTI_NPU", "MULTI_XPU", "DEEPSPEED", "FSDP", "XLA", "MEGATRON_LM").In(Dialect.Accelerate);
        K("mixed_precision", KeyGroup.Precision, "accelerate: no, fp16, bf16 or fp8.").Defaults("no").Vals("no", "fp16", "bf16", "fp8").In(Dialect.Accelerate);


        // --- more TrainingArguments (HF, and LLaMA-Factory which passes them through) -----------------------------
        var hf = HfLike;
        Many(hf, KeyGroup.Other,
            Key("do_train", "Run training (read by the example scripts and LLaMA-Factory)."),
            Key("do_eval", "Run evaluation; turned on by any eval_strategy other than no."),
            Key("do_predict", "Run prediction on the test set."),
            Key("overwrite_output_dir", "Write into output_dir even if it holds a previous run."),
            Key("run_name", "A name for the run shown by the logging integrations."),
            Key("use_cpu", "Train on the CPU even when a GPU is present."),
            Key("data_seed", "Seed for the data samplers alone (defaults to seed)."),
            Key("full_determinism", "Seed everything and force deterministic kernels (slower)."),
            Key("local_rank", "This process's rank on its machine (set by the launcher)."),
            Key("push_to_hub", "Upload checkpoints and the final model to the Hugging Face hub."),
            Key("hub_model_id", "Hub repository to push to."),
            Key("hub_strategy", "What to push and when."),
            Key("hub_token", "Token for pushing (prefer the HF_TOKEN environment variable)."),
            Key("hub_private_repo", "Create the hub repository as private."),
            Key("remove_unused_columns", "Drop dataset columns the model's forward does not take."),
            Key("label_names", "Input keys that hold the labels."),
            Key("label_smoothing_factor", "Label smoothing for the loss (0 turns it off)."),
            Key("group_by_length", "Batch examples of similar length together (less padding)."),
            Key("length_column_name", "Column with precomputed lengths for group_by_length."),
            Key("ignore_data_skip", "On resume, do not fast-forward the data to where the run stopped."),
            Key("disable_tqdm", "Hide the progress bars."),
            Key("past_index", "Output index holding past states (Transformer-XL style models)."),
            Key("skip_memory_metrics", "Skip the memory profiling metrics."),
            Key("torch_compile", "Compile the model with torch.compile."),
            Key("torch_compile_backend", "Backend for torch.compile."),
            Key("torch_compile_mode", "Mode for torch.compile."),
            Key("neftune_noise_alpha", "NEFTune: noise added to embeddings during fine-tuning."),
            Key("use_liger_kernel", "Use the Liger Triton kernels for memory-efficient layers."),
            OwnType("include_num_input_tokens_seen", KeyType.Bool, "Track the number of input tokens seen."),
            Key("average_tokens_across_devices", "Average the token count over devices for the loss."),
            Key("restore_callback_states_from_checkpoint", "Restore callback states when resuming."),
            Key("torch_empty_cache_steps", "Empty the CUDA cache every this many steps."),
            OwnType("accelerator_config", KeyType.Any, "Options passed to accelerate's Accelerator."),
            Key("optim_args", "Extra optimizer arguments as a comma-separated key=value string."),
            OwnType("optim_target_modules", KeyType.Any, "Modules that GaLore/APOLLO-style optimizers apply to."),
            OwnType("lr_scheduler_kwargs", KeyType.Mapping, "Extra arguments of the learning-rate scheduler."),
            Key("predict_with_generate", "Seq2seq/LLaMA-Factory: evaluate by generating text."),
            Key("generation_max_length", "Seq2seq: maximum length when generating in evaluation."),
            Key("generation_num_beams", "Seq2seq: beams when generating in evaluation."),
            Key("trust_remote_code", "Allow model code from the hub repository to run."),
            Key("torch_dtype", "Dtype the model weights are loaded in (auto, bfloat16, float16, float32)."),
            Key("attn_implementation", "Attention kernel: eager, sdpa or flash_attention_2."),
            Key("use_peft", "TRL scripts: train a LoRA adapter instead of the full model."),
            Key("dataset_text_field", "TRL: the column holding the text."),
            Key("dataset_config", "A hub dataset's configuration name."),
            Own("dataset_config_name", KeyType.String, null, "A hub dataset's configuration name (example scripts)."),
            Key("dataset_train_split", "TRL: split to train on."),
            Key("dataset_test_split", "TRL: split to evaluate on."),
            Own("eval_file", KeyType.String, null, "A local evaluation file."),
            Own("validation_split_percentage", KeyType.Integer, null, "Example scripts: percent of the training data kept for validation."),
            Key("completion_only_loss", "TRL: compute the loss on completions only."),
            Key("assistant_only_loss", "TRL: compute the loss on assistant turns only."),
            Key("max_new_tokens", "Tokens generated per prompt when sampling or predicting."));
        Many(hf, KeyGroup.Evaluation,
            Key("eval_delay", "Epochs or steps to wait before the first evaluation."),
            Key("eval_accumulation_steps", "Move predictions to the CPU every this many evaluation steps."),
            Key("eval_on_start", "Run one evaluation before training as a sanity check."),
            Key("batch_eval_metrics", "Compute metrics batch by batch."),
            Key("prediction_loss_only", "Evaluation returns only the loss."),
            Key("eval_do_concat_batches", "Concatenate evaluation batches before computing metrics."));
        Many(hf, KeyGroup.Checkpointing,
            Key("save_safetensors", "Write checkpoints as safetensors rather than pickles."),
            Key("save_on_each_node", "Every machine writes its own checkpoint copy."),
            Key("save_only_model", "Checkpoints hold the weights only (no optimizer state: cannot resume)."));
        Many(hf, KeyGroup.Logging,
            Key("log_level", "Logging verbosity of the main process."),
            Key("logging_dir", "TensorBoard log folder."),
            Key("logging_first_step", "Log the very first step too."),
            Key("logging_nan_inf_filter", "Leave NaN/inf losses out of the logged average."));
        Many(hf, KeyGroup.Precision,
            Key("fp16_full_eval", "Evaluate in float16 throughout (not mixed)."),
            Key("bf16_full_eval", "Evaluate in bfloat16 throughout (not mixed)."),
            Key("fp16_opt_level", "Apex AMP level for fp16 (legacy)."),
            OwnType("gradient_checkpointing_kwargs", KeyType.Mapping, "Options of gradient checkpointing (use_reentrant...)."),
            Key("jit_mode_eval", "Use PyTorch JIT tracing for inference."));
        Many(hf, KeyGroup.Data,
            Key("dataloader_pin_memory", "Pin host memory for faster copies to the GPU."),
            Key("dataloader_persistent_workers", "Keep data worker processes alive between epochs."));
        Many(hf, KeyGroup.Distributed,
            OwnType("fsdp", KeyType.Any, "Fully Sharded Data Parallel options (full_shard, auto_wrap, offload...)."),
            OwnType("fsdp_config", KeyType.Any, "FSDP settings: a mapping or a JSON file."),
            Key("fsdp_transformer_layer_cls_to_wrap", "Layer class FSDP wraps as a unit (deprecated: use fsdp_config)."),
            Key("ddp_find_unused_parameters", "DDP: look for parameters without gradients each step."),
            Key("ddp_bucket_cap_mb", "DDP: gradient bucket size in MB."),
            Key("ddp_backend", "Distributed backend: nccl, gloo, hccl..."));
        // Keys every trainer dialect shares.
        Many(AllTrainer, KeyGroup.Data,
            Key("dataloader_num_workers", "Worker processes loading data (0 loads in the main process)."),
            Key("dataloader_prefetch_factor", "Batches each worker prepares ahead; needs dataloader_num_workers above 0."));
        Get("dataloader_num_workers")!.Minimum = 0;
        Get("dataloader_prefetch_factor")!.Minimum = 1;

        // LoraConfig / BitsAndBytesConfig keys seen in Python and HF-style files.
        Many(new[] { Dialect.Hf }, KeyGroup.Lora,
            Key("modules_to_save", "Modules trained in full and saved beside the adapter (heads, embeddings)."),
            Key("fan_in_fan_out", "The base layer stores its weight transposed (GPT-2 Conv1D)."),
            OwnType("init_lora_weights", KeyType.Any, "How the adapter starts: true (B = 0), gaussian, pissa, olora..."),
            OwnType("layers_to_transform", KeyType.Any, "Only these layer indices get adapters."),
            Key("use_dora", "DoRA: learn a magnitude vector beside the LoRA direction."),
            Key("rank_pattern", "Per-module ranks overriding r."),
            Key("alpha_pattern", "Per-module alphas overriding lora_alpha."));
        Many(new[] { Dialect.Hf }, KeyGroup.Quantization,
            Key("llm_int8_threshold", "8-bit: outlier threshold above which activations stay in fp16."),
            OwnType("llm_int8_skip_modules", KeyType.List, "Modules left unquantized."),
            Key("llm_int8_enable_fp32_cpu_offload", "Allow offloading unquantized parts to the CPU in float32."),
            Key("llm_int8_has_fp16_weight", "8-bit: keep fp16 main weights (for training without adapters)."));

        // --- LLaMA-Factory: its own arguments (model, data, finetuning, generation, export) ----------------------
        var lf = new[] { Dialect.LlamaFactory };
        Many(lf, KeyGroup.Other,
            Key("stage", "Training stage: pt (pre-training), sft, rm (reward model), ppo, dpo or kto."),
            Key("template", "Chat template used to format the examples (qwen3, llama3, ...)."),
            Key("plot_loss", "Save a loss curve image in output_dir after training."),
            Key("infer_backend", "Inference engine for chat/predict: huggingface, vllm or sglang."),
            Key("adapter_name_or_path", "Adapter(s) to load on top of the base model (comma separated)."),
            Key("export_dir", "Where the merged or quantized model is written."),
            Key("export_size", "Shard size in GB of the exported model."),
            Key("export_device", "Device used to merge an adapter when exporting."),
            Key("export_legacy_format", "Export .bin files instead of safetensors."),
            Key("export_quantization_bit", "Bits for GPTQ quantization on export."),
            Key("export_quantization_dataset", "Calibration data for GPTQ export."),
            Key("export_hf_on_finish", "Export a Hugging Face checkpoint when training ends."),
            Key("ray_num_workers", "Ray: number of training workers."),
            Key("use_kt", "Use KTransformers for MoE offloading."),
            OwnType("kt_config", KeyType.Any, "KTransformers settings: a rule file or a mapping (backend, weight format, threads)."),
            Key("kt_cpu_activation", "KTransformers: what happens to activations on the CPU (retain...)."),
            Key("kt_weight_path", "KTransformers: path of the expert weights."),
            Key("kt_non_expert_weight_path", "KTransformers: path of the non-expert weights."),
            Key("use_v1_kernels", "Use LLaMA-Factory's v1 fused kernels."),
            Key("fp8", "Train with FP8 matmuls (Hopper or newer)."),
            Key("fp8_backend", "FP8 implementation: auto, torchao, te or msamp."),
            Key("fp8_enable_fsdp_float8_all_gather", "FP8 all-gather under FSDP2."));
        Many(lf, KeyGroup.Model,
            Key("flash_attn", "Attention kernel: auto, disabled, sdpa or fa2."),
            Key("disable_gradient_checkpointing", "Turn off gradient checkpointing (on by default in LLaMA-Factory)."),
            Key("use_reentrant_gc", "Use the re-entrant form of gradient checkpointing."),
            OwnDefault("image_max_pixels", null, "Largest image size in pixels before resizing (multimodal)."),
            OwnDefault("video_max_pixels", null, "Largest video frame size in pixels (multimodal)."),
            Key("video_fps", "Frames sampled per second of video."),
            Key("video_maxlen", "Most frames taken from one video."),
            Key("freeze_vision_tower", "Multimodal: do not train the vision encoder."),
            Key("freeze_multi_modal_projector", "Multimodal: do not train the projector."),
            Key("freeze_language_model", "Multimodal: do not train the language model."),
            Key("mixture_of_depths", "Convert the model to or load it as mixture-of-depths."));
        Many(lf, KeyGroup.Data,
            Key("overwrite_cache", "Re-run preprocessing instead of using the cached tokenized data."),
            Key("preprocessing_num_workers", "Processes used to tokenize the data."),
            Key("tokenized_path", "Save (or load) the tokenized dataset here."),
            Key("use_packed_sequences", "Feed packed sequences without cross-attention (neat packing)."));
        Get("packing")!._spellings[Dialect.LlamaFactory] = "packing";
        Get("streaming")!._spellings[Dialect.Hf] = "streaming";
        Many(lf, KeyGroup.Lora,
            Key("pure_bf16", "Train in pure bfloat16 (no float32 master weights)."),
            Key("pref_beta", "DPO/KTO: the beta of the preference loss."),
            Key("pref_loss", "DPO loss variant: sigmoid, hinge, ipo, kto_pair, orpo, simpo."),
            Key("loraplus_lr_ratio", "LoRA+: learning-rate ratio of B over A."),
            Key("pissa_init", "Initialise the adapter with PiSSA."),
            Key("pissa_iter", "Iterations of the fast SVD for PiSSA."),
            Key("pissa_convert", "Convert a PiSSA adapter into a plain LoRA one on save."),
            Key("oft_target", "Modules that get OFT adapters."),
            Key("oft_block_size", "OFT block size."),
            Key("freeze_trainable_layers", "Freeze tuning: how many layers train (negative counts from the start)."),
            Key("freeze_trainable_modules", "Freeze tuning: which modules of those layers train."),
            Key("use_llama_pro", "LLaMA Pro: train only the added blocks."),
            Key("use_galore", "Use the GaLore optimizer."),
            Key("galore_target", "Modules GaLore projects."),
            Key("galore_rank", "GaLore projection rank."),
            Key("galore_scale", "GaLore scale."),
            Key("galore_layerwise", "Layer-wise GaLore updates (saves memory)."),
            Key("use_apollo", "Use the APOLLO optimizer."),
            Key("apollo_target", "Modules APOLLO applies to."),
            Key("apollo_rank", "APOLLO rank."),
            Key("apollo_scale", "APOLLO scale."),
            Key("apollo_scale_type", "APOLLO scaling: channel or tensor."),
            Key("apollo_layerwise", "Layer-wise APOLLO updates."),
            Key("use_badam", "Use the BAdam block-coordinate optimizer."),
            Key("badam_mode", "BAdam: layer- or ratio-wise blocks."),
            Key("badam_switch_mode", "BAdam: order in which blocks are updated."),
            Key("badam_switch_interval", "BAdam: steps between block switches."),
            Key("badam_verbose", "BAdam: verbosity."),
            Key("use_adam_mini", "Use the Adam-mini optimizer."),
            Key("use_muon", "Use the Muon optimizer."),
            Key("use_dft_loss", "Dynamic fine-tuning loss."),
            Key("use_eaft_loss", "EAFT loss."),
            Key("use_asft_loss", "ASFT loss."),
            Key("asft_alpha", "ASFT loss weight."));
        Many(lf, KeyGroup.Distributed,
            Key("tensor_model_parallel_size", "Megatron: tensor-parallel degree."),
            Key("pipeline_model_parallel_size", "Megatron: pipeline-parallel degree."),
            Key("expert_model_parallel_size", "Megatron: expert-parallel degree."),
            Key("context_parallel_size", "Megatron: context-parallel degree."),
            Key("sequence_parallel", "Megatron: sequence parallelism."),
            Key("use_distributed_optimizer", "Megatron: shard the optimizer state."),
            Key("overlap_param_gather", "Megatron: overlap parameter all-gather with compute."),
            Key("overlap_grad_reduce", "Megatron: overlap gradient reduce with compute."),
            OwnDefault("moe_grouped_gemm", false, "Megatron: grouped GEMM for MoE experts."),
            Key("moe_token_dispatcher_type", "Megatron: MoE token dispatcher."),
            Key("recompute_granularity", "Megatron: activation recompute granularity."),
            OwnDefault("bias_activation_fusion", false, "Megatron: fuse bias and activation."),
            OwnDefault("apply_rope_fusion", false, "Megatron: fused rotary embeddings."),
            Own("cp_size", KeyType.Integer, 1L, "Context-parallel degree."),
            Own("cp_mode", KeyType.String, null, "Context-parallel mode (ring, ulysses...)."));
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
            Key("base_model_config", "Where the model config comes from when it differs from base_model."),
            Key("model_type", "Transformers class used to load the model (LlamaForCausalLM...)."),
            Key("tokenizer_type", "Transformers tokenizer class."),
            Key("tokenizer_config", "Where the tokenizer comes from when it differs from base_model."),
            Also("trust_remote_code"),
            Key("is_llama_derived_model", "Treat the model as Llama-like."),
            Key("is_mistral_derived_model", "Treat the model as Mistral-like."),
            Key("is_qwen_derived_model", "Treat the model as Qwen-like."),
            Key("strict", "Fail on unknown config keys."),
            OwnDefault("flash_attention", false, "Use FlashAttention 2."),
            OwnDefault("sdp_attention", false, "Use PyTorch scaled-dot-product attention."),
            OwnDefault("xformers_attention", false, "Use xformers attention."),
            OwnDefault("s2_attention", false, "Shifted-sparse attention for long contexts."),
            OwnType("special_tokens", KeyType.Mapping, "Special tokens to set on the tokenizer (pad_token...)."),
            Key("tokens", "Tokens to add to the vocabulary."),
            OwnDefault("gptq", false, "The base model is GPTQ-quantized."),
            Key("bnb_config_kwargs", "Overrides of the BitsAndBytesConfig axolotl builds (nf4, double quant)."),
            Key("plugins", "axolotl plugins to load."),
            Also("torch_compile"));
        Many(ax, KeyGroup.Data,
            Key("test_datasets", "Evaluation datasets, instead of splitting val_set_size off the training data."),
            OwnType("pretraining_dataset", KeyType.Any, "A streamed pre-training dataset (no length: max_steps is required)."),
            Key("dataset_prepared_path", "Where the tokenized dataset is cached."),
            Key("push_dataset_to_hub", "Hub repository to push the prepared dataset to."),
            Key("dataset_processes", "Processes used to tokenize the data."),
            Key("shuffle_merged_datasets", "Shuffle after merging several datasets."),
            Key("chat_template", "Chat template to format conversations with."),
            Key("default_system_message", "System prompt used when an example has none."),
            OwnDefault("pad_to_sequence_len", false, "Pad every batch to sequence_len."),
            Key("eval_sample_packing", "Pack the evaluation data too."),
            Also("group_by_length"),
            Key("rl", "Preference training method: dpo, ipo, kto, orpo, grpo..."));
        Many(ax, KeyGroup.Lora,
            Key("lora_model_dir", "An existing adapter to continue from."),
            OwnDefault("lora_fan_in_fan_out", false, "The base layer stores its weight transposed."),
            Key("lora_modules_to_save", "Modules trained in full and saved beside the adapter."),
            OwnDefault("peft_use_dora", false, "DoRA adapters."));
        Many(ax, KeyGroup.Logging,
            Key("wandb_project", "Weights & Biases project (logging is off without it)."),
            Key("wandb_entity", "Weights & Biases team or user."),
            Key("wandb_name", "Weights & Biases run name."),
            Key("wandb_watch", "Weights & Biases gradient watching."),
            Key("wandb_log_model", "Upload checkpoints to Weights & Biases."),
            Key("eval_table_size", "Predictions logged to a table at each evaluation."),
            Key("eval_max_new_tokens", "Tokens generated for the evaluation table."),
            OwnDefault("debug", false, "Print tokenized examples and extra diagnostics."),
            Key("loss_watchdog_threshold", "Stop when the loss rises above this."),
            Key("loss_watchdog_patience", "Steps above the threshold before stopping."));
        Many(ax, KeyGroup.Schedule,
            Key("cosine_min_lr_ratio", "Cosine schedule floor as a fraction of the peak learning rate."),
            OwnDefault("lr_quadratic_warmup", false, "Quadratic instead of linear warmup."),
            Key("early_stopping_patience", "Evaluations without improvement before stopping."),
            OwnDefault("auto_resume_from_checkpoints", false, "Resume from the newest checkpoint in output_dir."),
            Also("hub_model_id"),
            Also("save_safetensors"),
            Also("local_rank"),
            Also("fsdp"),
            Also("fsdp_config"));
        foreach (var k in new[] { "eval_strategy", "save_strategy", "load_best_model_at_end", "metric_for_best_model", "greater_is_better", "report_to",
                     "dataloader_drop_last", "logging_strategy", "do_eval", "per_device_eval_batch_size", "fp16_full_eval", "bf16_full_eval" })
            { var sp = Get(k)!._spellings; if (!sp.ContainsKey(Dialect.Axolotl)) sp[Dialect.Axolotl] = k; }
        // axolotl and LLaMA-Factory build a QLoRA BitsAndBytesConfig themselves (nf4 + double quant).
        DialectDefault("bnb_4bit_quant_type", Dialect.Axolotl, "nf4");
        DialectDefault("bnb_4bit_use_double_quant", Dialect.Axolotl, true);
        DialectDefault("bnb_4bit_compute_dtype", Dialect.Axolotl, null);
        // axolotl accepts "auto" for the precision flags and strings such as "2e-4" for the learning rate.
        foreach (var k in new[] { "bf16", "fp16", "tf32", "learning_rate" }) Get(k)!.AcceptsString = true;

        // --- DeepSpeed JSON and accelerate YAML (for the published schemas) ---------------------------------------
        var ds = new[] { Dialect.DeepSpeed };
        Many(ds, KeyGroup.Distributed,
            OwnType("zero_optimization", KeyType.Mapping, "DeepSpeed ZeRO settings: stage (0-3), offloading, bucket sizes."),
            OwnType("gradient_clipping", KeyType.Any, "DeepSpeed: gradient norm clipping, or \"auto\" (from max_grad_norm)."),
            OwnType("optimizer", KeyType.Mapping, "DeepSpeed: its own optimizer (type and params)."),
            OwnType("scheduler", KeyType.Mapping, "DeepSpeed: its own learning-rate scheduler."),
            Key("zero_allow_untested_optimizer", "Let ZeRO run with an optimizer it has not been tested with."),
            Own("steps_per_print", KeyType.Integer, 10L, "DeepSpeed: log every this many steps."),
            Key("wall_clock_breakdown", "DeepSpeed: time forward, backward and step."),
            Own("activation_checkpointing", KeyType.Mapping, null, "DeepSpeed activation checkpointing settings."),
            Own("communication_data_type", KeyType.String, null, "Dtype of gradient communication."),
            Key("prescale_gradients", "Scale gradients before the all-reduce."),
            Own("flops_profiler", KeyType.Mapping, null, "DeepSpeed FLOPs profiler settings."),
            Own("tensor_parallel", KeyType.Mapping, null, "DeepSpeed AutoTP settings."));
        // DeepSpeed's fp16/bf16 are sections ({"enabled": ...}), not the trainer's flags: keys of their own.
        K("deepspeed_fp16", KeyType.Mapping, null, KeyGroup.Precision, "DeepSpeed fp16 section: enabled (true/false/\"auto\"), loss scaling.").In(Dialect.DeepSpeed, "fp16");
        K("deepspeed_bf16", KeyType.Mapping, null, KeyGroup.Precision, "DeepSpeed bf16 section: enabled (true/false/\"auto\").").In(Dialect.DeepSpeed, "bf16");
        var acc = new[] { Dialect.Accelerate };
        Many(acc, KeyGroup.Distributed,
            OwnDefault("compute_environment", "LOCAL_MACHINE", "accelerate: LOCAL_MACHINE or AMAZON_SAGEMAKER."),
            Key("machine_rank", "accelerate: this machine's index."),
            Key("main_process_ip", "accelerate: address of machine 0."),
            Key("main_process_port", "accelerate: port of machine 0."),
            Key("main_training_function", "accelerate: function launched in notebooks."),
            Key("rdzv_backend", "accelerate: torchrun rendezvous backend."),
            Key("same_network", "accelerate: machines share a network."),
            Also("use_cpu"),
            OwnType("downcast_bf16", KeyType.Any, "accelerate (TPU): downcast to bf16."),
            Also("debug"),
            Own("gpu_ids", KeyType.Any, "all", "accelerate: which GPUs to use."),
            Key("deepspeed_config", "accelerate: DeepSpeed plugin settings."),
            Also("fsdp_config"),
            Key("dynamo_config", "accelerate: torch.compile settings."),
            Key("enable_cpu_affinity", "accelerate: pin processes to CPU cores."),
            Key("tpu_env", "accelerate (TPU): environment variables."),
            Key("tpu_use_cluster", "accelerate (TPU): use a TPU pod."),
            Key("tpu_use_sudo", "accelerate (TPU): run commands with sudo."));
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
    }
}
