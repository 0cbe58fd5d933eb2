using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Stepwise.Core.Arithmetic;
using Stepwise.Core.Keys;
using Stepwise.Core.Rules.File;
using Stepwise.Core.Model;
using Stepwise.Core.Packing;
using Stepwise.Core.Rules;

namespace Stepwise.Core;
/// <summary>The engine: config document in, schedule and findings out. Pure: no I/O.</summary>
public static class Engine
{
    public static AnalysisResult Analyze(AnalysisInputs inputs, AnalysisOptions? options = null)
    {
        options ??= new AnalysisOptions();
        var doc = inputs.Document;
        var setup = SetupBuilder.Build(doc, inputs.DeepSpeed, inputs.Accelerate, options.WorldSize, options.WorldSize is null ? null : "--world-size / setting");
        var findings = new List<Finding>();
        var notes = new List<string>();
        NumberBounds.Mask(setup, findings, notes);

        // Rules judge training configs; a DeepSpeed or accelerate file checked on its own only gets its read problems
        // (its "auto" batch values are not trainer settings to validate).
        bool training = doc.Dialect is Dialect.Hf or Dialect.Axolotl or Dialect.LlamaFactory;
        var size = DatasetSizeOf(setup, inputs.Datasets, options);
        // A quantization or adapter config on its own has no training arguments: no schedule from their defaults.
        var (scheduleInputs, inputProblems) = training && doc.HasTrainingArguments ? ScheduleInputsOf(setup, size, options) : (null, new List<Finding>());
        findings.AddRange(inputProblems);
        var packing = scheduleInputs is null ? null : PackingSettings.Read(setup);
        Schedule? schedule = scheduleInputs is null ? null
            : NumberBounds.Bound(packing is null ? Schedules.Compute(scheduleInputs)
                : PackedSchedule(scheduleInputs, LengthPlanner.Plan(packing, inputs.TokenLengths, size.RowsBeforeSplit ?? size.Count, PlanBatchOf(setup, scheduleInputs), inputs.TokenLengthsNote, inputs.TokenLengthsStatus)),
                setup, findings, notes);
        if (schedule is null && notes.Count == 0 && inputProblems.Count > 0) notes.Add("the batch settings are invalid (see the SW9002 findings)");

        Schedule? previous = null;
        TrainingSetup? previousSetup = null;
        if (inputs.Previous is { } prevDoc && prevDoc.Problems.Count == 0 && prevDoc.HasTrainingArguments && doc.HasTrainingArguments)
        {
            previousSetup = SetupBuilder.Build(prevDoc, inputs.DeepSpeed, inputs.Accelerate, options.WorldSize);
            NumberBounds.Mask(previousSetup, new List<Finding>(), new List<string>());
            var (prevInputs, _) = ScheduleInputsOf(previousSetup, size, options);
            if (prevInputs is not null)
            {
                // Same N and W as now: the question is what the edit to this file changed.
                var w = scheduleInputs?.WorldSize ?? prevInputs.WorldSize;
                prevInputs = prevInputs with { DatasetSize = size.Count, WorldSize = w };
                var prevPacking = PackingSettings.Read(previousSetup);
                previous = NumberBounds.Bound(prevPacking is null ? Schedules.Compute(prevInputs)
                    : PackedSchedule(prevInputs, LengthPlanner.Plan(prevPacking, inputs.TokenLengths, size.RowsBeforeSplit ?? size.Count, PlanBatchOf(previousSetup, prevInputs), inputs.TokenLengthsNote, inputs.TokenLengthsStatus)),
                    previousSetup, null, null);
            }
        }

        var context = new RuleContext(setup, schedule, size, options, inputs, previousSetup, previous, findings);
        foreach (var p in doc.Problems) context.Report(p.Id, p.Span, p.Message, p.Severity);
        foreach (var p in inputs.ReferenceProblems) context.Report(p.Id, p.Span, p.Message, p.Severity);

        foreach (var rule in training ? RuleSet.All : Array.Empty<Rule>())
        {
            if (options.Severities.TryGetValue(rule.Descriptor.Id, out var sev) && sev is null) continue;
            try { rule.Check(context); }
            catch (Exception ex)
            {
                // A crashing rule must not take the rest down: report it where the user sees it.
                findings.Add(new Finding(FileRules.InternalError.Id, Severity.Error,
                    $"internal error in rule {rule.Descriptor.Id}: {ex.GetType().Name}: {ex.Message} (please report it)",
                    doc.HeadSpan, Array.Empty<Fix>()) { Title = "Internal error" });
            }
        }

        var final = findings
            .Select(f => options.Severities.TryGetValue(f.Id, out var s) ? (s is null ? null : f with { Severity = s.Value }) : f)
            .Where(f => f is not null)
            .Select(f => f!)
            .OrderBy(f => f.Span.File == doc.Path ? 0 : 1).ThenBy(f => f.Span.Start).ThenBy(f => f.Id, StringComparer.Ordinal)
            .ToList();
        return new AnalysisResult(setup, size, schedule, previous, final)
        {
            Versions = options.EffectiveVersions,
            ScheduleNote = notes.Count == 0 ? null : string.Join("; ", notes),
        };
    }

    /// <summary>What the tools' own step formulas read from the batch settings.</summary>
    private static PlanBatch PlanBatchOf(TrainingSetup setup, ScheduleInputs i) => new()
    {
        MicroBatch = i.PerDeviceBatch * Math.Max(1, i.NGpu),
        Accumulation = i.GradientAccumulation,
        WorldSize = i.WorldSize,
        NumEpochs = i.NumTrainEpochs,
        DropLast = i.DropLast,
        BatchSizeWritten = setup.Dialect == Dialect.Axolotl && !setup.IsWritten("gradient_accumulation_steps") ? setup.Find("batch_size")?.Value.AsLong() : null,
        ValSplit = setup.Double(setup.Dialect == Dialect.Axolotl ? "val_set_size" : "val_size") ?? 0,
    };

    /// <summary>
    /// The schedule of a config whose tool has a length model: its kept examples replace the record count; when it packs,
    /// the packed rows (TRL, LLaMA-Factory) or the packing sampler's batches and the tool's own max_steps (axolotl) replace
    /// the unpacked arithmetic, and when those are unknown nothing per epoch is computed at all.
    /// </summary>
    public static Schedule PackedSchedule(ScheduleInputs i, PackingPlan plan)
    {
        if (!plan.Packed)
        {
            var unpacked = plan.Examples is long e ? i with { DatasetSize = e } : i;
            return Schedules.Compute(unpacked) with { Packing = plan };
        }
        if (plan.Unknown is { } why || (plan.Sequences is null && plan.SamplerBatches is null))
            return Schedules.Compute(i with { StepsUnknown = plan.Unknown ?? "packed: the packed rows are unknown" }) with { Packing = plan };
        var outcomes = new List<Schedule>();
        if (plan.Sequences is CountRange rows)
        {
            foreach (var n in rows.IsExact ? new[] { rows.Low } : new[] { rows.Low, rows.High })
                outcomes.Add(Schedules.Compute(i with { DatasetSize = n }));
        }
        else if (plan.SamplerBatches is CountRange nb)
        {
            var tool = plan.ToolSteps ?? CountRange.Exact(-1);
            foreach (var b in nb.IsExact ? new[] { nb.Low } : new[] { nb.Low, nb.High })
            foreach (var t in tool.IsExact ? new[] { tool.Low } : new[] { tool.Low, tool.High })
                outcomes.Add(Schedules.Compute(i with { DatasetSize = plan.Examples ?? i.DatasetSize, SamplerBatches = b, ToolSteps = t > 0 ? t : null }));
        }
        return Schedules.Combine(outcomes) with { Packing = plan };
    }

    /// <summary>N: override, directive, or the resolved datasets (max_samples cap per dataset, then the validation split).</summary>
    public static DatasetSize DatasetSizeOf(TrainingSetup setup, IReadOnlyList<ResolvedDataset> datasets, AnalysisOptions options)
    {
        if (options.DatasetSize is long o) return new DatasetSize(o, $"{Schedules.Num(o)} examples (stated by --dataset-size / setting)", ValueOrigin.Override);
        if (setup.Find("dataset_size") is { } d && d.Value.AsLong() is long dn)
            return dn >= 0
                ? new DatasetSize(dn, $"{Schedules.Num(dn)} examples (stated by # stepwise: dataset_size)", ValueOrigin.Directive)
                : new DatasetSize(null, $"# stepwise: dataset_size={dn} is not a number of examples", ValueOrigin.Directive);
        if (datasets.Count == 0)
            return new DatasetSize(null, setup.Datasets.Count == 0 ? "no training dataset named in this config" : "dataset not resolved", ValueOrigin.Defaulted);

        var unknown = datasets.Where(r => r.Rows is null).ToList();
        if (unknown.Count > 0)
            return new DatasetSize(null, string.Join("; ", unknown.Select(u => $"{u.Reference.Name}: {u.Problem ?? u.Detail}")), ValueOrigin.Defaulted);

        long? cap = setup.Dialect == Dialect.LlamaFactory ? setup.Long("max_samples") : null;
        long total = 0;
        var parts = new List<string>();
        foreach (var r in datasets)
        {
            long rows = r.Rows!.Value;
            if (cap is long c && c > 0 && rows > c) { parts.Add($"{r.Reference.Name}: {Schedules.Num(rows)} capped at max_samples {Schedules.Num(c)}"); rows = c; }
            else parts.Add($"{r.Reference.Name}: {r.Detail}");
            total += rows;
        }

        // Validation split taken out of the training rows: HF datasets train_test_split gives
        // ceil(test_size x n) test rows for a fraction, the count itself for an integer > 1.
        string splitKey = setup.Dialect == Dialect.Axolotl ? "val_set_size" : "val_size";
        if (setup.Get(splitKey) is { IsWritten: true, Value.IsKnown: false } unknownSplit)
            return new DatasetSize(null, $"{setup.Spell(splitKey)} is {unknownSplit.Value.UnknownReason ?? "unknown"}: the rows it takes out of the training data are unknown", ValueOrigin.Defaulted, total);
        double split = setup.Double(splitKey) ?? 0;
        long val = 0;
        if (split > 0 && split < 1) val = (long)Math.Ceiling(split * total - 1e-9);
        else if (split >= 1) val = (long)split;
        val = Math.Min(val, total);
        var detail = string.Join(" + ", parts);
        if (val > 0) detail += $" - {Schedules.Num(val)} for {setup.Spell(splitKey)} {split.ToString(CultureInfo.InvariantCulture)}";
        return new DatasetSize(total - val, detail, ValueOrigin.Written, total, val);
    }

    private static (ScheduleInputs?, List<Finding>) ScheduleInputsOf(TrainingSetup setup, DatasetSize size, AnalysisOptions options)
    {
        var problems = new List<Finding>();
        long? Positive(string key)
        {
            var s = setup.Get(key);
            if (s.Value.Kind == ValueKind.Null && !s.IsWritten) return null;
            var v = s.Value.AsLong();
            if (s.Value.Kind == ValueKind.Unknown) return null;
            if (v is null || v <= 0)
            {
                if (s.Entry is { } e)
                    problems.Add(FileRules.Invalid(
                        v is null
                            ? $"{e.Key} must be a positive integer, not {e.ValuePreview()}"
                            : $"{e.Key} must be at least 1, not {v}",
                        e.ValueSpan));
                return -1;
            }
            return v;
        }

        long? B = Positive("per_device_train_batch_size");
        long? A = Positive("gradient_accumulation_steps");
        long? W = Positive("world_size");
        long? G = setup.Find("n_gpu")?.Value.AsLong();

        // axolotl utils/config normalize_config (v0.18.0): gradient_accumulation_steps = batch_size // micro_batch_size when
        // accumulation is not written; batch_size is per process there (it is multiplied by the world size afterwards).
        if (setup.Dialect == Dialect.Axolotl && !setup.IsWritten("gradient_accumulation_steps") && setup.Find("batch_size")?.Value.AsLong() is long total && B is > 0)
            A = Math.Max(1, total / B.Value);

        var maxStepsSetting = setup.Get("max_steps");
        long maxSteps = -1;
        if (maxStepsSetting.Value.Kind is ValueKind.Integer or ValueKind.Float or ValueKind.String or ValueKind.Sequence or ValueKind.Mapping)
        {
            var ms = maxStepsSetting.Value.AsLong();
            if (ms is null && maxStepsSetting.Entry is { } e)
                problems.Add(FileRules.Invalid($"max_steps must be an integer, not {e.ValuePreview()}", e.ValueSpan));
            maxSteps = ms ?? -1;
        }

        var epochsSetting = setup.Get("num_train_epochs");
        // A non-finite value was taken out by NumberBounds.Mask: NaN marks "no usable epoch count", and Bound
        // turns the run length it would give into null (never a default of 3 standing in for it).
        double epochs = NumberBounds.WasMasked(epochsSetting) ? double.NaN : epochsSetting.Value.AsDouble() ?? 3.0;
        if (epochsSetting.IsWritten && epochsSetting.Value.AsDouble() is null && epochsSetting.Value.IsKnown && epochsSetting.Entry is { } ee)
            problems.Add(FileRules.Invalid($"{ee.Key} must be a number, not {ee.ValuePreview()}", ee.ValueSpan));

        if (B is null or <= 0 || A is null or <= 0 || W is <= 0) return (null, problems);

        var inputs = new ScheduleInputs
        {
            DatasetSize = size.Count,
            PerDeviceBatch = B.Value,
            GradientAccumulation = A.Value,
            WorldSize = W ?? 1,
            NGpu = G ?? 1,
            DropLast = setup.Bool("dataloader_drop_last"),
            MaxSteps = maxSteps,
            NumTrainEpochs = epochs,
            Loop = options.Loop,
            Estimator = setup.Dialect == Dialect.Axolotl ? RunLengthEstimator.Axolotl : RunLengthEstimator.HuggingFace,
            WarmupSteps = WarmupStepsAfterPostInit(setup, options),
            WarmupRatio = setup.Double("warmup_ratio") ?? 0,
            V5 = options.IsV5,
            StatedWarmupSteps = setup.Dialect == Dialect.Axolotl ? Stated(setup, "warmup_steps") : null,
            StatedWarmupRatio = setup.Dialect == Dialect.Axolotl ? Stated(setup, "warmup_ratio") : null,
        };
        return (inputs, problems);
    }

    /// <summary>
    /// warmup_steps as TrainingArguments holds it after __post_init__. From 5.0 through 5.14 a set warmup_ratio
    /// replaces it there (training_args.py __post_init__, `if self.warmup_ratio is not None: self.warmup_steps =
    /// self.warmup_ratio`, v5.0.0 to v5.14.1), and get_warmup_steps reads a value below 1 as a fraction; v4 keeps both
    /// fields and picks in get_warmup_steps (Schedule does that); 5.15.0 has no warmup_ratio field at all (SW4003 says
    /// the run stops on it). axolotl computes its own warm-up (core/builders/base.py): Schedule.AxolotlWarmup.
    /// </summary>
    /// <summary>A number the config writes for <paramref name="name"/> (null when unwritten, null or not a number).</summary>
    private static double? Stated(TrainingSetup setup, string name) =>
        setup.Find(name) is { IsWritten: true } s ? s.Value.AsDouble() : null;

    private static double WarmupStepsAfterPostInit(TrainingSetup setup, AnalysisOptions options)
    {
        var steps = setup.Double("warmup_steps") ?? 0;
        // Only a ratio the config states: the table's dialect default (0.0, v4's field default) is not v5's None.
        if (!options.IsV5 || setup.Dialect == Dialect.Axolotl || setup.Find("warmup_ratio")?.Value.AsDouble() is not double ratio) return steps;
        // The bundled trainer reads warmup_ratio in every release, as 5.0-5.14 do (SW4003 still says what 5.15 would do).
        if (options.ForBundledTrainer) return ratio;
        var args = Keys.Upstream.UpstreamData.Instance.Library("transformers")?.Class("TrainingArguments");
        return args is not null && KeyCatalog.ForClass(args, options.EffectiveVersions).Contains("warmup_ratio") ? ratio : steps;
    }
}
