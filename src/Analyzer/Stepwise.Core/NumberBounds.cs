using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using Stepwise.Core.Arithmetic;
using Stepwise.Core.Keys;
using Stepwise.Core.Rules.File;
using Stepwise.Core.Model;
using Stepwise.Core.Rules;

namespace Stepwise.Core;

/// <summary>
/// Keeps numbers that no count can hold away from the arithmetic and the report writers, at the engine's input side:
/// a non-finite value (<c>.inf</c>, <c>.nan</c>, <c>1e309</c>, Python's <c>1e999</c>) becomes an Unknown value with
/// an SW9002 finding, and a schedule whose counts do not fit in 64 bits loses its run length (null, with a note)
/// instead of printing int64.MaxValue steps or "Infinity epochs".
/// </summary>
internal static class NumberBounds
{
    private const string NotFinite = "not a finite number";
    private const double TwoPow62 = 4611686018427387904.0, TwoPow63 = 9223372036854775808.0;

    /// <summary>Settings the step arithmetic reads (or that transformers turns into a step count at start-up): a
    /// non-finite value there is an error. Elsewhere it is a warning (the value is left out of every check).</summary>
    private static readonly HashSet<string> ScheduleKeys = new(StringComparer.Ordinal)
    {
        "per_device_train_batch_size", "gradient_accumulation_steps", "world_size", "n_gpu", "max_steps", "num_train_epochs",
        "warmup_steps", "warmup_ratio", "val_size", "val_set_size", "batch_size", "dataset_size",
        "deepspeed.train_batch_size", "deepspeed.train_micro_batch_size_per_gpu", "deepspeed.gradient_accumulation_steps",
    };

    public static bool WasMasked(Setting s) => s.Value.Kind == ValueKind.Unknown && s.Value.UnknownReason?.StartsWith(NotFinite, StringComparison.Ordinal) == true;

    /// <summary>Replaces every stated number that is NaN or infinite by an Unknown value, reporting each once.</summary>
    public static void Mask(TrainingSetup setup, List<Finding> findings, List<string> notes)
    {
        long? maxSteps = setup.Get("max_steps").Value.AsLong();
        foreach (var s in setup.Stated.ToList())
        {
            if (!IsNumberSetting(s) || s.Value.AsDouble() is not double d || IsFinite(d)) continue;
            setup.Set(new Setting(s.Name, ConfigValue.Unknown($"{NotFinite} ({Describe(d)})"), s.Origin, s.Entry, s.Document, s.Note));
            if (s.Entry is not { } e) continue;
            bool ignored = s.Name == "num_train_epochs" && maxSteps > 0;
            var severity = ScheduleKeys.Contains(s.Name) && !ignored ? Severity.Error : Severity.Warning;
            string why = s.Name switch
            {
                // transformers trainer.py set_initial_training_values: max_steps = math.ceil(num_train_epochs x
                // steps per epoch); math.ceil raises OverflowError on inf and ValueError on nan.
                "num_train_epochs" when ignored => $": transformers ignores it while max_steps={maxSteps} sets the run length, but the run length cannot be read from it",
                "num_train_epochs" => ": transformers takes ceil(num_train_epochs x steps per epoch) as the run length and fails on it (OverflowError / ValueError); total steps and epochs are unknown",
                "evals_per_epoch" or "saves_per_epoch" => ": axolotl divides the run by it (1 / (per-epoch count x epochs) of the total steps), which gives no usable step interval; write a whole number of times per epoch",
                _ when severity == Severity.Error => ": the step arithmetic needs a number here; what depends on it is unknown",
                _ => ": Stepwise leaves it out of every check",
            };
            findings.Add(Invalid(e, $"{e.Key} must be a finite number, not {e.ValuePreview(40)} ({Describe(d)}){why}", severity));
            if (severity == Severity.Error) notes.Add($"{e.Key} is {e.ValuePreview(40)}, not a finite number");
        }
    }

    /// <summary>
    /// Null for the parts of <paramref name="s"/> that do not fit: a run length from a masked or astronomically large
    /// num_train_epochs, counts that overflow 64 bits (samples per step, N + one batch, steps x samples per step),
    /// warm-up from a masked or over-range value. Findings and notes are added when the lists are given.
    /// </summary>
    public static Schedule? Bound(Schedule s, TrainingSetup setup, List<Finding>? findings, List<string>? notes)
    {
        var i = s.Inputs;
        void Report(string key, string message, string note)
        {
            notes?.Add(note);
            if (findings is not null && setup.Get(key).Entry is { } e) findings.Add(Invalid(e, message, Severity.Error));
        }

        var spp = (BigInteger)i.PerDeviceBatch * Math.Max(1, i.NGpu) * i.GradientAccumulation * i.WorldSize;
        if (spp > long.MaxValue)
        {
            Report("per_device_train_batch_size",
                $"{setup.Spell("per_device_train_batch_size")} x n_gpu x {setup.Spell("gradient_accumulation_steps")} x world size = {spp.ToString(CultureInfo.InvariantCulture)} samples per step, more than a 64-bit count holds",
                "samples per step do not fit in 64 bits");
            return null;
        }
        if (i.DatasetSize is long n && (BigInteger)n + s.ProcessBatch * (BigInteger)i.WorldSize > long.MaxValue)
        {
            notes?.Add($"the dataset size {Schedules.Num(n)} is too large to count batches of");
            return null;
        }

        bool dropRunLength = false;
        if (!s.MaxStepsSetsLength && double.IsNaN(i.NumTrainEpochs)) dropRunLength = true; // masked: Mask said why
        else if (!s.MaxStepsSetsLength && s.StepsPerEpoch is long u && i.NumTrainEpochs * u >= TwoPow62)
        {
            var text = setup.Get("num_train_epochs").Entry?.ValuePreview(40) ?? Schedules.Epochs(i.NumTrainEpochs);
            Report("num_train_epochs",
                $"{setup.Spell("num_train_epochs")}={text} makes ceil({text} x {Schedules.Num(u)} steps per epoch) steps, more than a 64-bit count holds: the run would never end",
                $"num_train_epochs {text} gives more steps than a 64-bit count holds");
            dropRunLength = true;
        }
        else if (s.TotalSteps is long total && (BigInteger)total * spp > long.MaxValue)
        {
            Report(s.MaxStepsSetsLength ? "max_steps" : "num_train_epochs",
                $"{Schedules.Num(total)} steps x {Schedules.Num((long)spp)} samples per step is more samples than a 64-bit count holds",
                "the samples of the run do not fit in 64 bits");
            // The rules take a run set by max_steps to have its steps: no schedule at all rather than one without them.
            if (s.MaxStepsSetsLength) return null;
            dropRunLength = true;
        }
        if (dropRunLength)
            return s with { TotalSteps = null, Epochs = null, EpochLoopBound = null, Samples = null, WarmupSteps = null };

        // A negative ratio or step count far out of range gives no warm-up count (SW2009 reports the range).
        if (s.WarmupSteps is < 0) return s with { WarmupSteps = null };
        bool warmupMasked = WasMasked(setup.Get("warmup_steps")) || WasMasked(setup.Get("warmup_ratio"));
        if (warmupMasked || i.WarmupSteps >= TwoPow63)
        {
            if (!warmupMasked)
                Report("warmup_steps", $"{setup.Spell("warmup_steps")}={setup.Get("warmup_steps").Entry?.ValuePreview(40)} is more steps than a 64-bit count holds", "warmup_steps does not fit in 64 bits");
            return s with { WarmupSteps = null };
        }
        return s;
    }

    private static bool IsNumberSetting(Setting s)
    {
        if (s.Value.Kind == ValueKind.Float) return true;
        if (s.Value.Kind != ValueKind.String) return false;
        // A string counts only where a number is expected ("1e309" in YAML is a string for PyYAML, a number for axolotl).
        var name = s.Name.StartsWith("deepspeed.", StringComparison.Ordinal) ? null : s.Name;
        return name is null ? true : KeyTable.Get(name)?.Type is KeyType.Integer or KeyType.Float;
    }

    private static bool IsFinite(double d) => !double.IsNaN(d) && !double.IsInfinity(d);

    private static string Describe(double d) => double.IsNaN(d) ? "NaN" : d > 0 ? "+infinity" : "-infinity";

    private static Finding Invalid(ConfigEntry e, string message, Severity severity) => FileRules.Invalid(message, e.ValueSpan, severity);
}
