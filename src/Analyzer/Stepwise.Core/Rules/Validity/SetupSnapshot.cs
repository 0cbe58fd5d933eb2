using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Stepwise.Core.Model;

namespace Stepwise.Core.Rules.Validity;

/// <summary>
/// A typed snapshot of one setup for the FluentValidation checks: each property is the effective value of one
/// Hugging Face key (written, else the dialect's default), or null when the value is not known (a Python variable,
/// a value of the wrong type: SW9002 and the readers speak about those). Failures name a property; its
/// <see cref="HfNameAttribute"/> maps it back to the key and from there to the span in the document.
/// </summary>
public sealed class SetupSnapshot
{
    public Dialect Dialect { get; private set; }
    public bool V5 { get; private set; }
    public (int Major, int Minor) Version { get; private set; }
    /// <summary>
    /// The class that reads warmup_steps in this dialect at the assumed release, when it declares an int (transformers
    /// v4 TrainingArguments; axolotl's HyperparametersConfig in every release); null when a float is accepted (v5).
    /// </summary>
    public Stepwise.Core.Keys.Upstream.UpstreamField? WarmupStepsInt { get; private set; }
    /// <summary>The library versions the analysis assumes (the key data's releases for them).</summary>
    public Stepwise.Core.Keys.VersionAssumptions Versions { get; private set; } = Stepwise.Core.Keys.VersionAssumptions.Newest;
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);
    private bool _warmupKnown;
    /// <summary>Whether warmup_steps must be a whole number here (the declaring field's type, else before v5).</summary>
    public bool WarmupStepsMustBeWhole => _warmupKnown ? WarmupStepsInt is not null : !V5;

    /// <summary>"transformers 4.57": the release a message is about.</summary>
    public string Release => $"transformers {Version.Major}.{Version.Minor}";
    /// <summary>The key as this dialect spells it.</summary>
    public string Spell(string hfName) => Stepwise.Core.Keys.KeyTable.Spelling(hfName, Dialect);
    public bool IsAxolotl => Dialect == Dialect.Axolotl;
    public bool IsLlamaFactory => Dialect == Dialect.LlamaFactory;

    /// <summary>Whether the key is written in the config (a default does not count; a null is not written).</summary>
    public bool Has(string hfName) => _written.Contains(hfName);

    private readonly HashSet<string> _truthy = new(StringComparer.Ordinal);
    /// <summary>Whether the written value is true in Python's sense (not 0, false, "" or an empty list): axolotl's
    /// validators test <c>data.get(key)</c>, so `eval_steps: 0` is as unset there as `eval_steps:`.</summary>
    public bool IsTruthy(string hfName) => _truthy.Contains(hfName);

    // Precision
    [HfName("fp16")] public bool? Fp16 { get; private set; }
    [HfName("bf16")] public bool? Bf16 { get; private set; }
    [HfName("fp16_full_eval")] public bool? Fp16FullEval { get; private set; }
    [HfName("bf16_full_eval")] public bool? Bf16FullEval { get; private set; }

    // Evaluation, saving, logging
    [HfName("eval_strategy")] public string? EvalStrategy { get; private set; }
    [HfName("save_strategy")] public string? SaveStrategy { get; private set; }
    [HfName("logging_strategy")] public string? LoggingStrategy { get; private set; }
    [HfName("eval_steps")] public double? EvalSteps { get; private set; }
    [HfName("save_steps")] public double? SaveSteps { get; private set; }
    [HfName("logging_steps")] public double? LoggingSteps { get; private set; }
    [HfName("load_best_model_at_end")] public bool? LoadBestModelAtEnd { get; private set; }
    [HfName("metric_for_best_model")] public string? MetricForBestModel { get; private set; }
    [HfName("save_total_limit")] public double? SaveTotalLimit { get; private set; }

    // Optimizer and schedule
    [HfName("optim")] public string? Optim { get; private set; }
    [HfName("lr_scheduler_type")] public string? LrSchedulerType { get; private set; }
    [HfName("warmup_ratio")] public double? WarmupRatio { get; private set; }
    [HfName("warmup_steps")] public double? WarmupSteps { get; private set; }
    [HfName("max_steps")] public double? MaxSteps { get; private set; }

    // Data
    [HfName("dataloader_num_workers")] public double? DataloaderNumWorkers { get; private set; }
    [HfName("dataloader_prefetch_factor")] public double? DataloaderPrefetchFactor { get; private set; }
    [HfName("streaming")] public bool? Streaming { get; private set; }
    [HfName("val_size")] public double? ValSize { get; private set; }
    [HfName("val_set_size")] public double? ValSetSize { get; private set; }

    // Quantization
    [HfName("load_in_4bit")] public bool? LoadIn4Bit { get; private set; }
    [HfName("load_in_8bit")] public bool? LoadIn8Bit { get; private set; }
    [HfName("quantization_bit")] public double? QuantizationBit { get; private set; }
    [HfName("quantization_method")] public string? QuantizationMethod { get; private set; }
    [HfName("bnb_4bit_quant_type")] public string? Bnb4BitQuantType { get; private set; }
    [HfName("bnb_4bit_use_double_quant")] public bool? Bnb4BitUseDoubleQuant { get; private set; }
    [HfName("bnb_4bit_compute_dtype")] public string? Bnb4BitComputeDtype { get; private set; }
    [HfName("bnb_4bit_quant_storage")] public string? Bnb4BitQuantStorage { get; private set; }

    // LoRA / PEFT
    [HfName("adapter")] public string? Adapter { get; private set; }
    [HfName("finetuning_type")] public string? FinetuningType { get; private set; }
    [HfName("use_peft")] public bool? UsePeft { get; private set; }
    [HfName("r")] public double? R { get; private set; }
    [HfName("bias")] public string? Bias { get; private set; }
    [HfName("task_type")] public string? TaskType { get; private set; }

    // axolotl pairs that exclude each other
    [HfName("batch_size")] public double? BatchSize { get; private set; }
    [HfName("gradient_accumulation_steps")] public double? GradientAccumulationSteps { get; private set; }
    [HfName("saves_per_epoch")] public double? SavesPerEpoch { get; private set; }
    [HfName("evals_per_epoch")] public double? EvalsPerEpoch { get; private set; }

    private static readonly IReadOnlyList<(PropertyInfo Property, string HfName)> Map =
        typeof(SetupSnapshot).GetProperties()
            .Select(p => (p, p.GetCustomAttribute<HfNameAttribute>()?.Name))
            .Where(t => t.Item2 is not null)
            .Select(t => (t.p, t.Item2!))
            .ToList();

    /// <summary>The Hugging Face key behind a property name (FluentValidation's PropertyName).</summary>
    public static string? HfNameOf(string propertyName) => Map.FirstOrDefault(m => m.Property.Name == propertyName).HfName;

    private static bool Truthy(ConfigValue v) => v.Kind switch
    {
        ValueKind.Bool => v.AsBool() == true,
        ValueKind.Integer or ValueKind.Float => v.AsDouble() is double d && d != 0,
        ValueKind.String => (v.AsString() ?? "").Length > 0,
        ValueKind.Sequence => v.Items.Count > 0,
        ValueKind.Mapping => v.Entries.Count > 0,
        ValueKind.Unknown => true, // a variable: assume it is set, as the reader cannot tell
        _ => false,
    };

    public static SetupSnapshot Of(TrainingSetup setup, AnalysisOptions options)
    {
        var s = new SetupSnapshot { Dialect = setup.Dialect, V5 = options.IsV5, Version = options.Version, Versions = options.EffectiveVersions };
        var warmup = Stepwise.Core.Keys.KeyTable.Get("warmup_steps")?.DeclaredAt(setup.Dialect, s.Versions).FirstOrDefault();
        // no declaration at all (an unknown dialect): the transformers major decides, as before
        s.WarmupStepsInt = warmup is null ? null : warmup.Type == Stepwise.Core.Keys.KeyType.Integer ? warmup : null;
        s._warmupKnown = warmup is not null;
        foreach (var (prop, hf) in Map)
        {
            var setting = setup.Get(hf);
            // Only values written in this document count as written: a key from a referenced file has its own checks.
            if (setting.IsWritten && setting.Document == setup.Document) s._written.Add(hf);
            var v = setting.Value;
            if (setting.IsWritten && setting.Document == setup.Document && Truthy(v)) s._truthy.Add(hf);
            if (v.Kind is ValueKind.Null or ValueKind.Unknown) continue;
            var t = Nullable.GetUnderlyingType(prop.PropertyType) ?? prop.PropertyType;
            object? converted =
                t == typeof(bool) ? v.AsBool() :
                t == typeof(double) ? v.AsDouble() :
                t == typeof(string) ? v.AsString() : null;
            if (converted is not null) prop.SetValue(s, converted);
        }
        return s;
    }
}
