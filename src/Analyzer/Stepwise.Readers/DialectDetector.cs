using Stepwise.Core.Keys;
using Stepwise.Core.Model;

namespace Stepwise.Readers;

/// <summary>
/// Tells which tool a config is written for from its top-level keys: axolotl has base_model with
/// micro_batch_size/num_epochs/adapter (fields of axolotl v0.18.0's config schema, src/axolotl/utils/schemas/
/// config.py, training.py, peft.py); LLaMA-Factory has model_name_or_path with stage/finetuning_type/template (v0.9.5,
/// src/llamafactory/hparams/model_args.py, finetuning_args.py, data_args.py); DeepSpeed files have the keys of
/// deepspeed/runtime/constants.py (v0.19.5: train_micro_batch_size_per_gpu, train_batch_size, ...) and
/// zero_optimization; accelerate files the fields of accelerate v1.14.0's BaseConfig / ClusterConfig
/// (src/accelerate/commands/config/config_args.py); anything using TrainingArguments names is HF-style. Files with
/// none of these are not training configs (Unknown).
/// </summary>
public static class DialectDetector
{
    private static readonly string[] AxolotlTells = { "micro_batch_size", "num_epochs", "adapter", "sequence_len", "sample_packing", "lora_r", "datasets", "val_set_size", "lora_target_linear" };
    private static readonly string[] LlamaFactoryTells = { "stage", "finetuning_type", "template", "cutoff_len", "lora_target", "dataset_dir", "quantization_bit" };
    private static readonly string[] DeepSpeedTells = { "train_micro_batch_size_per_gpu", "zero_optimization", "train_batch_size", "zero_allow_untested_optimizer", "fp16", "bf16" };
    private static readonly string[] AccelerateTells = { "compute_environment", "distributed_type", "num_processes", "machine_rank", "num_machines", "main_training_function", "mixed_precision" };

    public static (Dialect Dialect, bool Certain) Detect(IReadOnlyCollection<string> keys)
    {
        var set = new HashSet<string>(keys, StringComparer.Ordinal);
        int Count(string[] tells) => tells.Count(set.Contains);

        if (set.Contains("base_model") && Count(AxolotlTells) >= 1) return (Dialect.Axolotl, true);
        if (Count(AxolotlTells) >= 3) return (Dialect.Axolotl, false);
        if (set.Contains("model_name_or_path") && Count(LlamaFactoryTells) >= 1) return (Dialect.LlamaFactory, Count(LlamaFactoryTells) >= 2 || set.Contains("stage"));
        if (Count(LlamaFactoryTells) >= 3) return (Dialect.LlamaFactory, false);
        if (set.Contains("train_micro_batch_size_per_gpu") || set.Contains("zero_optimization") ||
            (set.Contains("train_batch_size") && Count(DeepSpeedTells) >= 2))
            return (Dialect.DeepSpeed, set.Contains("zero_optimization") || set.Contains("train_micro_batch_size_per_gpu"));
        if (set.Contains("compute_environment") || (set.Contains("distributed_type") && Count(AccelerateTells) >= 2))
            return (Dialect.Accelerate, set.Contains("compute_environment"));

        int hf = keys.Count(k => KeyTable.Lookup(Dialect.Hf, k) is { } info && info.Group != KeyGroup.Distributed);
        if (hf >= 1 && keys.Any(IsTrainingKey)) return (Dialect.Hf, hf >= 3);
        return (Dialect.Unknown, false);
    }

    /// <summary>Keys that make a file a training config rather than any YAML/JSON that happens to share a name.</summary>
    private static bool IsTrainingKey(string k) => k is "per_device_train_batch_size" or "max_steps" or "num_train_epochs"
        or "gradient_accumulation_steps" or "learning_rate" or "output_dir" or "lr_scheduler_type" or "optim"
        or "eval_strategy" or "evaluation_strategy" or "save_strategy" or "warmup_ratio" or "warmup_steps"
        or "load_in_4bit" or "bnb_4bit_quant_type" or "lora_alpha" or "target_modules" or "r";
}
