using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;

namespace Stepwise.Core.Model;

/// <summary>Names the Hugging Face key a C# property stands for (read by the Roslyn analyzer and the mapping below).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class HfNameAttribute : Attribute
{
    public HfNameAttribute(string name) => Name = name;
    public string Name { get; }
}

/// <summary>
/// The typed C# view of a training setup, with PascalCase Hugging Face names. C# users configure the bundled trainer
/// with it (<c>new TrainingArguments { PerDeviceTrainBatchSize = 128, MaxSteps = 1000 }</c>); the trainer reads its
/// settings through it. Defaults are the Hugging Face ones; <see cref="FromSetup"/> fills it from any dialect.
/// </summary>
public sealed record TrainingArguments
{
    [HfName("output_dir")] public string? OutputDir { get; init; }
    [HfName("model_name_or_path")] public string? ModelNameOrPath { get; init; }
    [HfName("per_device_train_batch_size")] public int PerDeviceTrainBatchSize { get; init; } = 8;
    [HfName("per_device_eval_batch_size")] public int PerDeviceEvalBatchSize { get; init; } = 8;
    [HfName("gradient_accumulation_steps")] public int GradientAccumulationSteps { get; init; } = 1;
    [HfName("num_train_epochs")] public double NumTrainEpochs { get; init; } = 3.0;
    [HfName("max_steps")] public int MaxSteps { get; init; } = -1;
    [HfName("dataloader_drop_last")] public bool DataloaderDropLast { get; init; }
    [HfName("learning_rate")] public double LearningRate { get; init; } = 5e-5;
    [HfName("lr_scheduler_type")] public string LrSchedulerType { get; init; } = "linear";
    [HfName("optim")] public string Optim { get; init; } = "adamw_torch";
    [HfName("weight_decay")] public double WeightDecay { get; init; }
    [HfName("adam_beta1")] public double AdamBeta1 { get; init; } = 0.9;
    [HfName("adam_beta2")] public double AdamBeta2 { get; init; } = 0.999;
    [HfName("adam_epsilon")] public double AdamEpsilon { get; init; } = 1e-8;
    [HfName("max_grad_norm")] public double MaxGradNorm { get; init; } = 1.0;
    [HfName("warmup_steps")] public double WarmupSteps { get; init; }
    [HfName("warmup_ratio")] public double WarmupRatio { get; init; }
    [HfName("seed")] public int Seed { get; init; } = 42;
    [HfName("eval_strategy")] public string EvalStrategy { get; init; } = "no";
    [HfName("eval_steps")] public double? EvalSteps { get; init; }
    [HfName("save_strategy")] public string SaveStrategy { get; init; } = "steps";
    [HfName("save_steps")] public double SaveSteps { get; init; } = 500;
    [HfName("save_total_limit")] public int? SaveTotalLimit { get; init; }
    [HfName("load_best_model_at_end")] public bool LoadBestModelAtEnd { get; init; }
    [HfName("metric_for_best_model")] public string? MetricForBestModel { get; init; }
    [HfName("greater_is_better")] public bool? GreaterIsBetter { get; init; }
    [HfName("logging_strategy")] public string LoggingStrategy { get; init; } = "steps";
    [HfName("logging_steps")] public double LoggingSteps { get; init; } = 500;
    [HfName("resume_from_checkpoint")] public string? ResumeFromCheckpoint { get; init; }
    [HfName("fp16")] public bool Fp16 { get; init; }
    [HfName("bf16")] public bool Bf16 { get; init; }
    [HfName("gradient_checkpointing")] public bool GradientCheckpointing { get; init; }

    // Data
    [HfName("train_file")] public string? TrainFile { get; init; }
    [HfName("validation_file")] public string? ValidationFile { get; init; }
    [HfName("max_length")] public int MaxLength { get; init; } = 1024;
    [HfName("val_size")] public double ValSize { get; init; }
    [HfName("packing")] public bool Packing { get; init; }
    [HfName("train_on_inputs")] public bool TrainOnInputs { get; init; }

    // Quantization (BitsAndBytesConfig)
    [HfName("load_in_4bit")] public bool LoadIn4Bit { get; init; }
    [HfName("load_in_8bit")] public bool LoadIn8Bit { get; init; }
    [HfName("bnb_4bit_quant_type")] public string Bnb4BitQuantType { get; init; } = "fp4";
    [HfName("bnb_4bit_use_double_quant")] public bool Bnb4BitUseDoubleQuant { get; init; }
    [HfName("bnb_4bit_compute_dtype")] public string Bnb4BitComputeDtype { get; init; } = "float32";

    // LoRA (LoraConfig)
    [HfName("r")] public int LoraR { get; init; } = 8;
    [HfName("lora_alpha")] public double LoraAlpha { get; init; } = 8;
    [HfName("lora_dropout")] public double LoraDropout { get; init; }
    [HfName("target_modules")] public IReadOnlyList<string>? TargetModules { get; init; }
    [HfName("use_rslora")] public bool UseRslora { get; init; }

    // Distributed (a Stepwise setting; real launchers decide it)
    [HfName("world_size")] public int WorldSize { get; init; } = 1;

    private static readonly IReadOnlyList<(PropertyInfo Property, string HfName)> Map =
        typeof(TrainingArguments).GetProperties()
            .Select(p => (p, p.GetCustomAttribute<HfNameAttribute>()?.Name))
            .Where(t => t.Item2 is not null)
            .Select(t => (t.p, t.Item2!))
            .ToList();

    /// <summary>The property for a Hugging Face key (null when this view has none).</summary>
    public static string? PropertyFor(string hfName) => Map.FirstOrDefault(m => m.HfName == hfName).Property?.Name;

    /// <summary>The Hugging Face key of a property name (null when unknown).</summary>
    public static string? HfNameOf(string propertyName) => Map.FirstOrDefault(m => m.Property.Name == propertyName).HfName;

    public static IEnumerable<(string Property, string HfName)> Properties => Map.Select(m => (m.Property.Name, m.HfName));

    /// <summary>Fills the typed view from a setup: stated values win, the rest keep the Hugging Face defaults above.
    /// Values that cannot be converted are left at their defaults and listed in <paramref name="problems"/>.</summary>
    public static TrainingArguments FromSetup(TrainingSetup setup, List<string>? problems = null)
    {
        object boxed = new TrainingArguments();
        foreach (var (prop, hf) in Map)
        {
            var stated = setup.Find(hf);
            if (stated is null || stated.Value.Kind is ValueKind.Null) continue;
            var v = stated.Value;
            object? converted = null;
            var t = Nullable.GetUnderlyingType(prop.PropertyType) ?? prop.PropertyType;
            if (t == typeof(int)) converted = v.AsLong() is long l && l >= int.MinValue && l <= int.MaxValue ? (int)l : null;
            else if (t == typeof(double)) converted = v.AsDouble();
            else if (t == typeof(bool)) converted = v.AsBool();
            else if (t == typeof(string)) converted = v.AsString();
            else if (t == typeof(IReadOnlyList<string>))
                converted = v.Kind == ValueKind.Sequence ? v.Items.Select(i => i.AsString() ?? "").ToList()
                    : v.AsString() is { } s ? s.Split(',').Select(x => x.Trim()).Where(x => x.Length > 0).ToList() : null;
            if (converted is null)
            {
                problems?.Add($"{stated.Entry?.Key ?? hf}: cannot use {v} as {t.Name}");
                continue;
            }
            prop.SetValue(boxed, converted);
        }
        return (TrainingArguments)boxed;
    }

    public override string ToString() =>
        string.Join(", ", Map.Select(m => $"{m.HfName}={Convert.ToString(m.Property.GetValue(this), CultureInfo.InvariantCulture)}"));
}
