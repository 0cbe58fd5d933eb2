using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Stepwise.Core.Keys;
using Stepwise.Core.Model;

namespace Stepwise.Core.Rules.Trainer;

/// <summary>How the bundled trainer treats a key.</summary>
public enum TrainerUse
{
    /// <summary>Read and done as the training stacks do it (some values may still be refused).</summary>
    Honoured,
    /// <summary>Accepted without changing what is trained (logging targets, worker counts, kernels, precision on a CPU).</summary>
    NoEffect,
    /// <summary>Not read: accepted only while it asks for nothing (its default, false, empty, null).</summary>
    NotRead,
}

/// <summary>One key as the bundled trainer sees it: what it does with it, and which values it refuses.</summary>
public sealed class TrainerKey
{
    internal TrainerKey(string name, TrainerUse use, Func<ConfigValue, string?>? refusal, string? note)
    {
        Name = name; Use = use; _refusal = refusal; Note = note;
    }

    private readonly Func<ConfigValue, string?>? _refusal;

    /// <summary>The canonical (Hugging Face) name.</summary>
    public string Name { get; }
    public TrainerUse Use { get; }
    /// <summary>What the trainer does with it, for NoEffect keys (shown by `stepwise train`).</summary>
    public string? Note { get; }

    /// <summary>Null when the trainer does what <paramref name="value"/> asks; else why not.</summary>
    public string? Refusal(ConfigValue value, KeyInfo? info, Dialect dialect)
    {
        if (Use == TrainerUse.NoEffect) return null;
        if (Use == TrainerUse.NotRead)
            return BundledTrainerSupport.IsNeutral(value, info, dialect) ? null : "the bundled trainer does not read this setting";
        if (value.Kind == ValueKind.Unknown) return "its value cannot be read from the file, so the bundled trainer cannot apply it";
        return _refusal?.Invoke(value);
    }
}

/// <summary>
/// What the bundled Stepwise trainer (src/Trainer) does with each setting: the one table the rule SW5001, `stepwise
/// train` and the language server's Train command consult, so the trainer refuses before loading a model exactly what
/// the editor reports. Keys not listed are not read by the trainer, and refused when they ask for anything.
/// </summary>
public static class BundledTrainerSupport
{
    /// <summary>HF `optim` names the trainer implements (torch AdamW, bitsandbytes' 8-bit / paged AdamW).</summary>
    public static readonly IReadOnlyList<string> Optimizers = new[]
    {
        "adamw_torch", "adamw_torch_fused", "adamw_hf", "paged_adamw_32bit", "adamw_bnb_8bit", "adamw_8bit", "paged_adamw_8bit",
    };

    /// <summary>HF `lr_scheduler_type` names the trainer implements (transformers optimization.py's lambdas).</summary>
    public static readonly IReadOnlyList<string> Schedulers = new[] { "linear", "cosine", "constant", "constant_with_warmup" };

    private static readonly Dictionary<string, TrainerKey> _keys = new(StringComparer.Ordinal);

    /// <summary>Dialect spellings of keys the trainer reads, mapped to the HF / PEFT name they are passed on as.</summary>
    private static readonly Dictionary<(Dialect, string), string> _aliases = new()
    {
        [(Dialect.Axolotl, "lora_rank_pattern")] = "rank_pattern",
        [(Dialect.Axolotl, "lora_alpha_pattern")] = "alpha_pattern",
        [(Dialect.Axolotl, "peft_layers_to_transform")] = "layers_to_transform",
        [(Dialect.Axolotl, "peft_layers_pattern")] = "layers_pattern",
        [(Dialect.Axolotl, "peft_init_lora_weights")] = "init_lora_weights",
        [(Dialect.Axolotl, "peft_exclude_modules")] = "exclude_modules",
        [(Dialect.Hf, "layers_pattern")] = "layers_pattern",
        [(Dialect.Hf, "exclude_modules")] = "exclude_modules",
        [(Dialect.LlamaFactory, "additional_target")] = "modules_to_save",
        [(Dialect.Hf, "inference_mode")] = "inference_mode",
        [(Dialect.Hf, "chat_template_jinja")] = "chat_template_jinja",
        [(Dialect.Axolotl, "chat_template_jinja")] = "chat_template_jinja",
        [(Dialect.LlamaFactory, "chat_template_jinja")] = "chat_template_jinja",
        [(Dialect.Hf, "dataset_format")] = "dataset_format",
        [(Dialect.Axolotl, "dataset_format")] = "dataset_format",
        [(Dialect.LlamaFactory, "dataset_format")] = "dataset_format",
    };

    /// <summary>axolotl's kernel and memory switches (fused Liger / LoRA kernels, activation offloading): the same arithmetic.</summary>
    private static readonly string[] AxolotlKernels =
    {
        "liger_rope", "liger_rms_norm", "liger_glu_activation", "liger_layer_norm", "liger_fused_linear_cross_entropy", "liger_cross_entropy",
        "lora_mlp_kernel", "lora_qkv_kernel", "lora_o_kernel", "use_kernels", "activation_offloading", "torchdistx_path",
    };

    public static IReadOnlyCollection<TrainerKey> Keys => _keys.Values;

    static BundledTrainerSupport()
    {
        // Run length, batch and schedule: the engine's arithmetic, which the trainer runs (Schedules.Compute).
        Honoured("per_device_train_batch_size", "per_device_eval_batch_size", "gradient_accumulation_steps", "batch_size",
            "num_train_epochs", "max_steps", "dataloader_drop_last", "warmup_steps", "warmup_ratio", "seed");
        // AdamW and clipping.
        Honoured("learning_rate", "weight_decay", "adam_beta1", "adam_beta2", "adam_epsilon", "max_grad_norm");
        Values("optim", Optimizers, v => $"optim '{v}' is not available in the bundled trainer; use one of: {string.Join(", ", Optimizers)}");
        Values("lr_scheduler_type", Schedulers, v => $"lr_scheduler_type '{v}' is not available in the bundled trainer; use one of: {string.Join(", ", Schedulers)}");
        // Evaluation, checkpoints, logging.
        foreach (var k in new[] { "eval_strategy", "evaluation_strategy", "logging_strategy" })
            Values(k, new[] { "no", "steps", "epoch" }, v => $"'{v}': the bundled trainer evaluates and logs by no, steps or epoch");
        Values("save_strategy", new[] { "no", "steps", "epoch", "best" }, v => $"'{v}': use no, steps, epoch or best");
        Honoured("eval_steps", "save_steps", "save_total_limit", "load_best_model_at_end", "greater_is_better", "logging_steps", "output_dir", "resume_from_checkpoint");
        Values("metric_for_best_model", new[] { "eval_loss", "loss" }, v => $"'{v}': the bundled trainer computes eval_loss only");
        Values("save_safetensors", null, v => v.AsBool() == false ? "the bundled trainer writes safetensors only" : null);
        // Model and quantization.
        Honoured("model_name_or_path", "load_in_4bit", "bnb_4bit_use_double_quant");
        Values("bnb_4bit_quant_type", new[] { "nf4", "fp4" }, v => $"'{v}': use nf4 or fp4");
        Values("load_in_8bit", null, v => v.AsBool() == true ? "8-bit base models are not supported by the bundled trainer; use load_in_4bit (QLoRA) or a float base" : null);
        Values("quantization_bit", null, v => v.AsLong() is 4 || v.Kind == ValueKind.Null ? null : $"quantization_bit {v}: the bundled trainer quantizes to 4 bits only (QLoRA)");
        Values("quantization_method", new[] { "bnb" }, v => $"'{v}': the bundled trainer quantizes with bitsandbytes' NF4/FP4 only");
        // LoRA as PEFT 0.19.1 does it.
        Honoured("r", "lora_alpha", "lora_dropout", "target_modules", "lora_target_linear", "use_rslora", "use_dora", "peft_use_dora",
            "rank_pattern", "alpha_pattern", "layers_to_transform", "layers_pattern", "modules_to_save", "lora_modules_to_save", "exclude_modules");
        Values("adapter", new[] { "lora", "qlora" }, v => $"adapter '{v}': the bundled trainer trains LoRA adapters only (lora or qlora)");
        Values("finetuning_type", new[] { "lora" }, v => $"finetuning_type '{v}': the bundled trainer trains LoRA adapters only");
        Values("stage", new[] { "sft" }, v => $"stage '{v}': the bundled trainer does supervised fine-tuning (sft) only");
        Values("task_type", new[] { "CAUSAL_LM" }, v => $"task_type '{v}': the bundled trainer trains causal language models only");
        Values("bias", new[] { "none" }, v => $"bias '{v}': the bundled trainer trains no biases (Llama has none)");
        Values("init_lora_weights", null, v => v.AsBool() == true ? null
            : $"init_lora_weights {v}: the bundled trainer starts adapters as PEFT's default (true: Kaiming-uniform A, zero B) only");
        Values("fan_in_fan_out", null, v => v.AsBool() == true ? "fan_in_fan_out: Llama's linear layers are not transposed; the bundled trainer does not do it" : null);
        Values("lora_fan_in_fan_out", null, v => v.AsBool() == true ? "Llama's linear layers are not transposed; the bundled trainer does not do it" : null);
        Values("inference_mode", null, v => v.AsBool() == true ? "inference_mode: true freezes the adapter; the bundled trainer trains it" : null);
        Values("use_peft", null, v => v.AsBool() == false ? "use_peft: false asks for full fine-tuning; the bundled trainer trains LoRA adapters only" : null);
        // Data.
        Honoured("val_size", "val_set_size", "cutoff_len", "sequence_len", "max_length", "max_seq_length", "train_on_inputs", "train_file",
            "validation_file", "dataset_name", "dataset_path", "dataset_dir", "max_samples", "chat_template", "chat_template_jinja", "dataset_format");
        Values("dataset", null, v => v.AsString() is { } s && s.Contains(',') ? "the bundled trainer reads one dataset" : null);
        Values("datasets", null, v => v.Kind == ValueKind.Sequence && v.Items.Count > 1 ? "the bundled trainer reads one dataset" : null);
        Values("packing", null, v => v.AsBool() == true
            ? "the bundled trainer does not pack like TRL (its default packing_strategy bfd keeps examples apart): turn packing off" : null);
        Values("sample_packing", null, v => v.AsBool() == true
            ? "axolotl's multipack keeps packed examples from attending to each other; the bundled trainer does not: turn sample_packing off" : null);
        Values("streaming", null, v => v.AsBool() == true ? "the bundled trainer reads local files whole, not streamed" : null);
        Values("world_size", null, v => v.AsLong() is null or 1 ? null : $"world_size {v}: the bundled trainer runs one process");
        Values("deepspeed", null, v => v.Kind == ValueKind.Null || v.AsString() is "" ? null : "the bundled trainer does not run DeepSpeed");

        // Settings that change nothing the trainer computes.
        foreach (var k in AxolotlKernels) _aliases[(Dialect.Axolotl, k)] = k;
        NoEffect("a fused kernel or memory switch: the bundled trainer computes the same with its own", AxolotlKernels);
        const string cpu = "the bundled trainer computes in float32 on a CPU (noted when it starts)";
        NoEffect(cpu, "fp16", "bf16", "tf32", "bnb_4bit_compute_dtype", "torch_dtype", "pure_bf16", "fp16_full_eval", "bf16_full_eval", "fp16_opt_level");
        NoEffect("it changes which kernels run or how much memory they use, not what is computed",
            "gradient_checkpointing", "gradient_checkpointing_kwargs", "disable_gradient_checkpointing", "use_reentrant_gc", "attn_implementation",
            "flash_attention", "sdp_attention", "xformers_attention", "flash_attn", "use_liger_kernel", "torch_compile", "torch_compile_backend",
            "torch_compile_mode", "jit_mode_eval", "bnb_4bit_quant_storage", "torch_empty_cache_steps", "use_v1_kernels");
        NoEffect("it is about logging, reporting or processes, not what is trained",
            "report_to", "run_name", "logging_dir", "logging_first_step", "logging_nan_inf_filter", "log_level", "disable_tqdm", "skip_memory_metrics",
            "include_num_input_tokens_seen", "do_train", "do_eval", "overwrite_output_dir", "use_cpu", "dataloader_num_workers", "dataloader_pin_memory",
            "dataloader_persistent_workers", "dataloader_prefetch_factor", "ddp_timeout", "ddp_find_unused_parameters", "ddp_bucket_cap_mb", "ddp_backend",
            "local_rank", "trust_remote_code", "wandb_project", "wandb_entity", "wandb_name", "wandb_watch", "wandb_log_model", "hub_model_id",
            "hub_strategy", "hub_token", "hub_private_repo", "save_on_each_node", "eval_accumulation_steps", "prediction_loss_only", "batch_eval_metrics",
            "eval_do_concat_batches", "remove_unused_columns", "average_tokens_across_devices", "restore_callback_states_from_checkpoint",
            "generation_max_length", "generation_num_beams", "max_new_tokens", "full_determinism", "is_llama_derived_model", "is_mistral_derived_model",
            "is_qwen_derived_model", "strict", "model_type", "tokenizer_type", "dataset_prepared_path", "dataset_processes", "preprocessing_num_workers",
            "overwrite_cache", "shuffle_merged_datasets", "push_dataset_to_hub", "eval_table_size", "eval_max_new_tokens", "debug", "plot_loss",
            "infer_backend", "pad_to_sequence_len", "llm_int8_threshold", "llm_int8_skip_modules", "llm_int8_enable_fp32_cpu_offload",
            "llm_int8_has_fp16_weight");
    }

    private static void Honoured(params string[] names)
    {
        foreach (var n in names) _keys[n] = new TrainerKey(n, TrainerUse.Honoured, null, null);
    }

    private static void NoEffect(string note, params string[] names)
    {
        foreach (var n in names) _keys[n] = new TrainerKey(n, TrainerUse.NoEffect, null, note);
    }

    /// <summary>A read key with refused values: outside <paramref name="allowed"/> (when given), or where <paramref name="why"/> says so.</summary>
    private static void Values(string name, IReadOnlyList<string>? allowed, Func<ConfigValue, string?> why)
    {
        _keys[name] = new TrainerKey(name, TrainerUse.Honoured, v =>
        {
            if (allowed is null) return why(v);
            if (v.Kind == ValueKind.Null) return null;
            var s = v.AsString();
            return s is not null && allowed.Contains(s) ? null : why(v);
        }, null);
    }

    /// <summary>The trainer's view of a canonical key (null: not read).</summary>
    public static TrainerKey? Get(string canonical) => _keys.TryGetValue(canonical, out var k) ? k : null;

    /// <summary>
    /// The canonical name of a key written in <paramref name="dialect"/>: the trainer's own aliases first, else the key
    /// table's. The aliases come first because the key table also lists each dialect's own upstream keys under their
    /// written names (axolotl's lora_rank_pattern is an axolotl key of its own there), while the trainer reads them as
    /// the PEFT setting they are passed on to (rank_pattern).
    /// </summary>
    public static string? CanonicalOf(Dialect dialect, string written)
    {
        if (_aliases.TryGetValue((dialect, written), out var a)) return a;
        return (KeyTable.Lookup(dialect, written) ?? KeyTable.Get(written))?.Name;
    }

    /// <summary>The entry stating a canonical key in the document, in any spelling the trainer reads (the last one wins).</summary>
    public static ConfigEntry? Entry(ConfigDocument doc, string canonical)
    {
        ConfigEntry? found = null;
        foreach (var e in doc.Entries)
            if (CanonicalOf(doc.Dialect, e.Key) == canonical) found = e;
        return found;
    }

    /// <summary>Whether a value asks for nothing: null, false, empty, or the key's default in this dialect.</summary>
    public static bool IsNeutral(ConfigValue v, KeyInfo? info, Dialect dialect)
    {
        switch (v.Kind)
        {
            case ValueKind.Null: return true;
            case ValueKind.Bool when !(bool)v.Raw!: return info?.DefaultIn(dialect) is null or false;
            case ValueKind.Sequence: return v.Items.Count == 0;
            case ValueKind.Mapping: return v.Entries.Count == 0;
            case ValueKind.String when ((string)v.Raw!).Length == 0: return true;
            case ValueKind.Unknown: return false;
        }
        var d = info?.DefaultIn(dialect);
        if (d is null) return false;
        var dv = ConfigValue.From(d);
        if (dv.AsDouble() is double x && v.AsDouble() is double y) return x == y;
        return v.AsBool() is bool b && dv.AsBool() is bool db ? b == db : string.Equals(v.AsString(), dv.AsString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// Every setting of the document the bundled trainer would not do as written, with the entry to point at (null: the
    /// whole file) and the reason. The rule SW5001 reports these; `stepwise train` refuses on them before loading a model.
    /// </summary>
    public static List<(ConfigEntry? Entry, string Key, string Reason)> Refusals(TrainingSetup setup)
    {
        var doc = setup.Document;
        var list = new List<(ConfigEntry?, string, string)>();
        var last = new Dictionary<string, ConfigEntry>(StringComparer.Ordinal);
        foreach (var e in doc.Entries) last[e.Key] = e; // a key written twice: the last one counts
        foreach (var e in last.Values.OrderBy(e => e.KeySpan.Start))
        {
            string? canonical = CanonicalOf(doc.Dialect, e.Key);
            if (canonical is null)
            {
                list.Add((e, e.Key, "not a setting the bundled trainer knows, so it would be ignored"));
                continue;
            }
            var info = KeyTable.Get(canonical);
            var key = Get(canonical) ?? new TrainerKey(canonical, TrainerUse.NotRead, null, null);
            if (key.Refusal(e.Value, info, doc.Dialect) is { } why) list.Add((e, e.Key, why));
        }

        // Settings that only mean something together.
        if (doc.Dialect == Dialect.Axolotl && Entry(doc, "adapter") is null)
            list.Add((null, "adapter", "no adapter means full fine-tuning in axolotl; the bundled trainer trains LoRA adapters only: set adapter: lora or qlora"));
        if (doc.Dialect == Dialect.Hf && Entry(doc, "target_modules") is { } t && t.Value.AsString() is "all-linear"
            && Entry(doc, "layers_to_transform") is { } lt && !IsNeutral(lt.Value, null, doc.Dialect))
            list.Add((lt, lt.Key, "with target_modules all-linear, PEFT (>= 0.15) expands to full module names, which skip the layer filter, " +
                                  "so layers_to_transform would be ignored: list the module names (q_proj, k_proj, ...) instead"));
        return list;
    }

    /// <summary>The NoEffect settings the document writes with a non-neutral value, and what the trainer does with each.</summary>
    public static List<(ConfigEntry Entry, string Note)> Notes(TrainingSetup setup)
    {
        var doc = setup.Document;
        var list = new List<(ConfigEntry, string)>();
        foreach (var e in doc.Entries)
            if (CanonicalOf(doc.Dialect, e.Key) is { } c && Get(c) is { Use: TrainerUse.NoEffect, Note: { } note }
                && !IsNeutral(e.Value, KeyTable.Get(c), doc.Dialect))
                list.Add((e, note));
        return list;
    }

    internal static string Show(ConfigValue v) => v.AsString() ?? v.Kind.ToString().ToLower(CultureInfo.InvariantCulture);
}
