using System.Collections.Generic;
using Stepwise.Core.Model;
using Stepwise.Core.Packing;

namespace Stepwise.Core.Arithmetic;

/// <summary>The run's arithmetic in words, one wording for the CLI, hover, code lens and the trainer's banner.</summary>
public static class ScheduleSummary
{
    /// <summary>What the editor shows instead of a step count when a packed run's rows are unknown.</summary>
    public const string NeedsTokenizer = "packed: needs the tokenizer";

    /// <summary>"52,002 examples · 128 x 1 x 1 = 128 samples/step · 407 steps/epoch · 1,000 steps = 2.46 epochs (max_steps)".</summary>
    public static string Line(AnalysisResult r)
    {
        var parts = new List<string>();
        var plan = r.Schedule?.Packing;
        parts.Add(Examples(r));
        if (r.Schedule is not { } s) { parts.Add(r.ScheduleNote ?? "batch settings invalid"); return string.Join(" · ", parts); }
        var i = s.Inputs;
        string unit = plan is { Packed: true, Settings.Tool: not PackingTool.Axolotl } && s.PackedUnknown is null ? "sequences" : "samples";
        parts.Add($"{i.PerDeviceBatch}{(i.NGpu > 1 ? $"x{i.NGpu}" : "")} x {i.GradientAccumulation} x {i.WorldSize} = {Schedules.Num(s.SamplesPerStep)} {unit}/step");
        if (s.StepsPerEpoch is long u) parts.Add($"{Schedules.Num(u)} steps/epoch");
        else if (s.Spread?.StepsPerEpoch is { } ur) parts.Add($"{ur} steps/epoch");
        if (s.EmptyDataloader)
            parts.Add("empty dataloader: 0 steps");
        else if (s.TotalSteps is long total)
        {
            var how = How(s);
            string? epochs = s.Epochs is double e ? Schedules.Epochs(e) : EpochsRange(s);
            parts.Add(epochs is not null ? $"{Schedules.Num(total)} steps = {epochs} epochs ({how})"
                : s.PackedUnknown is not null ? $"{Schedules.Num(total)} steps ({how}) · epochs unknown ({Short(s)})"
                : $"{Schedules.Num(total)} steps ({how})");
        }
        else if (s.Spread?.TotalSteps is { } tr)
            parts.Add($"{tr} steps = {EpochsRange(s) ?? "?"} epochs ({How(s)}, shuffled packing)");
        else if (s.PackedUnknown is not null)
            parts.Add($"{Schedules.Epochs(i.NumTrainEpochs)} epochs, steps unknown ({Short(s)})");
        else if (r.ScheduleNote is { } note) parts.Add($"steps unknown: {note}");
        else parts.Add($"{Schedules.Epochs(i.NumTrainEpochs)} epochs, steps unknown");
        return string.Join(" · ", parts);
    }

    private static string How(Schedule s) =>
        s.MaxStepsSetsLength ? "max_steps" : s.Inputs.Estimator == RunLengthEstimator.Axolotl ? "axolotl estimate" : "num_train_epochs";

    /// <summary>"packed: needs the tokenizer", or the packer's own reason it cannot be reproduced.</summary>
    public static string Short(Schedule s) => s.Packing is { Unknown: { } why } ? why : NeedsTokenizer;

    private static string? EpochsRange(Schedule s) => s.Spread is { EpochsLow: double lo, EpochsHigh: double hi }
        ? $"{Schedules.Epochs(lo)}-{Schedules.Epochs(hi)}" : null;

    /// <summary>"5,000 examples", "5,000 examples packed into 74 sequences", "dataset size unknown".</summary>
    private static string Examples(AnalysisResult r)
    {
        var plan = r.Schedule?.Packing;
        string records = r.DatasetSize.Count is long n ? $"{Schedules.Num(n)} examples" : "dataset size unknown";
        if (plan is null) return records;
        if (plan.Examples is long kept && r.DatasetSize.Count is long n2 && kept != n2 && !plan.Packed)
            return $"{Schedules.Num(kept)} examples (of {Schedules.Num(n2)} records, after {plan.Settings.ToolName}'s length filter)";
        if (!plan.Packed) return records;
        string kept2 = plan.Examples is long k && r.DatasetSize.Count is long n3 && k != n3 ? $" ({Schedules.Num(k)} kept)" : "";
        if (plan.Sequences is { } seqs) return $"{records}{kept2} packed into {seqs} sequences ({plan.Settings.Describe()})";
        if (plan.SamplerBatches is { } nb) return $"{records}{kept2} packed into {nb} batches per epoch ({plan.Settings.Describe()})";
        return $"{records}, packed by {plan.Settings.Describe()}";
    }

    /// <summary>The full derivation, one fact per line (hover, `check --verbose`, the trainer's start banner).</summary>
    public static IReadOnlyList<string> Derivation(AnalysisResult r)
    {
        var lines = new List<string>();
        lines.Add(r.DatasetSize.Count is long n0 ? $"N = {Schedules.Num(n0)} training examples ({r.DatasetSize.Detail})" : $"N unknown: {r.DatasetSize.Detail}");
        if (r.Schedule is not { } s) { lines.Add((r.ScheduleNote ?? "batch settings are invalid") + "; see the findings"); return lines; }
        var plan = s.Packing;
        if (plan is not null)
        {
            if (plan.LengthsSource is { } src) lines.Add($"token lengths: {src}");
            lines.AddRange(plan.Notes);
            if (plan.Refusal is { } refusal) lines.Add(refusal);
            if (plan.Packed && s.PackedUnknown is { } why)
                lines.Add($"{why}: steps per epoch and epochs unknown{(plan.KnownBy is { } by ? $" (known with {by})" : "")}");
        }
        var i = s.Inputs;
        bool sampler = i.SamplerBatches is not null || s.Spread is not null && plan?.SamplerBatches is not null;
        if (sampler && plan is { Settings: var ps })
        {
            var binTokens = ps.Strategy == PackingStrategy.MultipackRealBatches ? $"{i.PerDeviceBatch} bins of {Schedules.Num(ps.SequenceLength ?? 0)} tokens" : $"one bin of {Schedules.Num(i.PerDeviceBatch * (ps.SequenceLength ?? 0))} tokens";
            lines.Add($"each micro-batch is {binTokens}; per optimizer step {i.GradientAccumulation} micro-batch{(i.GradientAccumulation == 1 ? "" : "es")} x {i.WorldSize} process{(i.WorldSize == 1 ? "" : "es")}");
        }
        else
        {
            lines.Add($"b = per_device_train_batch_size {i.PerDeviceBatch}{(i.NGpu > 1 ? $" x n_gpu {i.NGpu}" : "")} = {s.ProcessBatch}");
            lines.Add($"samples per optimizer step = b {s.ProcessBatch} x accumulation {i.GradientAccumulation} x world size {i.WorldSize} = {Schedules.Num(s.SamplesPerStep)}");
        }
        if (i.SamplerBatches is long sb && s.MicroBatchesPerEpoch is long lsb && s.StepsPerEpoch is long usb)
        {
            if (i.WorldSize > 1) lines.Add($"per process = floor({Schedules.Num(sb)} / {i.WorldSize}) = {Schedules.Num(lsb)} (the sampler drops the remainder)");
            lines.Add($"steps per epoch = max({(i.Rounding == StepsPerEpochRounding.Ceil ? "ceil" : "floor")}({Schedules.Num(lsb)} / {i.GradientAccumulation}), 1) = {Schedules.Num(usb)}");
        }
        else if (i.DatasetSize is long n && s.Batches is long nb && s.MicroBatchesPerEpoch is long l && s.StepsPerEpoch is long u)
        {
            lines.Add($"batches per epoch = {(i.DropLast ? "floor" : "ceil")}({Schedules.Num(n)} / {s.ProcessBatch}) = {Schedules.Num(nb)}");
            if (i.WorldSize > 1) lines.Add($"per process = {(i.DropLast ? "floor" : "ceil")}({Schedules.Num(nb)} / {i.WorldSize}) = {Schedules.Num(l)}");
            lines.Add($"steps per epoch = max({(i.Rounding == StepsPerEpochRounding.Ceil ? "ceil" : "floor")}({Schedules.Num(l)} / {i.GradientAccumulation}), 1) = {Schedules.Num(u)}"
                + (s.PartialWindowMicroBatches is > 0 && i.Rounding == StepsPerEpochRounding.Ceil ? $" (the last step of each epoch accumulates {s.PartialWindowMicroBatches} micro-batches)" : ""));
        }
        else if (s.Spread is { } spread)
        {
            if (spread.MicroBatchesPerEpoch is { } lr) lines.Add($"micro-batches per epoch per process = {lr}");
            if (spread.StepsPerEpoch is { } ur) lines.Add($"steps per epoch = {ur}");
        }
        if (s.EmptyDataloader)
        {
            lines.Add(s.MaxStepsSetsLength
                ? $"the dataloader is empty: the Trainer finds no batch, warns and stops at step 0 of max_steps {Schedules.Num(i.MaxSteps)}"
                : "the dataloader is empty: the Trainer refuses to start (it needs max_steps when the dataloader has no length)");
            return lines;
        }
        if (s.MaxStepsSetsLength)
            lines.Add($"max_steps = {Schedules.Num(i.MaxSteps)} sets the run length; num_train_epochs is ignored" + (s.EpochLoopBound is long lb ? $" (epoch loop runs {lb} times)" : ""));
        else if (s.TotalSteps is long total && s.StepsPerEpoch is long u3 && i.ToolSteps is null)
        {
            lines.Add(i.Estimator == RunLengthEstimator.Axolotl
                ? $"total steps (axolotl, passed as max_steps) = ceil({Schedules.Num(i.DatasetSize ?? 0)} x {Schedules.Epochs(i.NumTrainEpochs)} / ({i.PerDeviceBatch} x {i.GradientAccumulation} x {i.WorldSize})) = {Schedules.Num(total)}"
                : $"total steps = ceil({Schedules.Epochs(i.NumTrainEpochs)} x {Schedules.Num(u3)}) = {Schedules.Num(total)}");
        }
        else if (s.Spread?.TotalSteps is { } tr)
            lines.Add($"total steps = {tr}");
        else if (r.ScheduleNote is { } note) lines.Add($"total steps unknown: {note}; see the findings");
        if (s.Epochs is double e && s.TotalSteps is long steps && s.MicroBatchesPerEpoch is long lm && s.FinalEpochIndex is long k && s.FinalEpochMicroBatches is long m)
        {
            if (steps == 0)
                lines.Add("the transformers 4.46-4.51 loop makes no optimizer step here: each epoch's only window stops short of the epoch's end");
            lines.Add($"epoch in trainer_state.json = {k} + {Schedules.Num(m)} / {Schedules.Num(lm)} = {Schedules.EpochsPrecise(e)}: " +
                $"step {Schedules.Num(steps)} ends after {Schedules.Num(m)} of the {Schedules.Num(lm)} micro-batches of epoch {k + 1}" +
                (i.Loop == TrainerLoop.Current ? "" : i.Loop == TrainerLoop.PrefetchWindows ? " (transformers 4.46-4.51 loop)" : " (transformers < 4.46 loop: accumulation runs across epoch ends)"));
        }
        else if (s.Spread is { EpochsLow: double lo, EpochsHigh: double hi })
            lines.Add($"epoch in trainer_state.json = {Schedules.EpochsPrecise(lo)} to {Schedules.EpochsPrecise(hi)} (the packed batches per epoch depend on the shuffle)");
        if (s.Samples is long samples) lines.Add($"{(plan is { Packed: true } ? "packed sequences" : "samples")} processed = {Schedules.Num(samples)}");
        if (s.WarmupSteps is long w && w > 0) lines.Add($"warmup = {Schedules.Num(w)} steps");
        return lines;
    }
}
