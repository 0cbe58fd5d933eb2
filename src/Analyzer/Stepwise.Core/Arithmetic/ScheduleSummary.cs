using System.Collections.Generic;
using Stepwise.Core.Model;

namespace Stepwise.Core.Arithmetic;

/// <summary>The run's arithmetic in words, one wording for the CLI, hover, code lens and the trainer's banner.</summary>
public static class ScheduleSummary
{
    /// <summary>"52,002 examples · 128 x 1 x 1 = 128 samples/step · 407 steps/epoch · 1,000 steps = 2.46 epochs (max_steps)".</summary>
    public static string Line(AnalysisResult r)
    {
        var parts = new List<string>();
        parts.Add(r.DatasetSize.Count is long n ? $"{Schedules.Num(n)} examples" : "dataset size unknown");
        if (r.Schedule is not { } s) { parts.Add(r.ScheduleNote ?? "batch settings invalid"); return string.Join(" · ", parts); }
        var i = s.Inputs;
        parts.Add($"{i.PerDeviceBatch}{(i.NGpu > 1 ? $"x{i.NGpu}" : "")} x {i.GradientAccumulation} x {i.WorldSize} = {Schedules.Num(s.SamplesPerStep)} samples/step");
        if (s.StepsPerEpoch is long u) parts.Add($"{Schedules.Num(u)} steps/epoch");
        if (s.EmptyDataloader)
            parts.Add("empty dataloader: 0 steps");
        else if (s.TotalSteps is long total)
        {
            var how = s.MaxStepsSetsLength ? "max_steps" : i.Estimator == RunLengthEstimator.Axolotl ? "axolotl estimate" : "num_train_epochs";
            parts.Add(s.Epochs is double e ? $"{Schedules.Num(total)} steps = {Schedules.Epochs(e)} epochs ({how})" : $"{Schedules.Num(total)} steps ({how})");
        }
        else if (r.ScheduleNote is { } note) parts.Add($"steps unknown: {note}");
        else parts.Add($"{Schedules.Epochs(i.NumTrainEpochs)} epochs, steps unknown");
        return string.Join(" · ", parts);
    }

    /// <summary>The full derivation, one fact per line (hover, `check --verbose`, the trainer's start banner).</summary>
    public static IReadOnlyList<string> Derivation(AnalysisResult r)
    {
        var lines = new List<string>();
        lines.Add(r.DatasetSize.Count is long n0 ? $"N = {Schedules.Num(n0)} training examples ({r.DatasetSize.Detail})" : $"N unknown: {r.DatasetSize.Detail}");
        if (r.Schedule is not { } s) { lines.Add((r.ScheduleNote ?? "batch settings are invalid") + "; see the findings"); return lines; }
        var i = s.Inputs;
        lines.Add($"b = per_device_train_batch_size {i.PerDeviceBatch}{(i.NGpu > 1 ? $" x n_gpu {i.NGpu}" : "")} = {s.ProcessBatch}");
        lines.Add($"samples per optimizer step = b {s.ProcessBatch} x accumulation {i.GradientAccumulation} x world size {i.WorldSize} = {Schedules.Num(s.SamplesPerStep)}");
        if (i.DatasetSize is long n && s.Batches is long nb && s.MicroBatchesPerEpoch is long l && s.StepsPerEpoch is long u)
        {
            lines.Add($"batches per epoch = {(i.DropLast ? "floor" : "ceil")}({Schedules.Num(n)} / {s.ProcessBatch}) = {Schedules.Num(nb)}");
            if (i.WorldSize > 1) lines.Add($"per process = {(i.DropLast ? "floor" : "ceil")}({Schedules.Num(nb)} / {i.WorldSize}) = {Schedules.Num(l)}");
            lines.Add($"steps per epoch = max({(i.Rounding == StepsPerEpochRounding.Ceil ? "ceil" : "floor")}({Schedules.Num(l)} / {i.GradientAccumulation}), 1) = {Schedules.Num(u)}"
                + (s.PartialWindowMicroBatches is > 0 && i.Rounding == StepsPerEpochRounding.Ceil ? $" (the last step of each epoch accumulates {s.PartialWindowMicroBatches} micro-batches)" : ""));
        }
        if (s.EmptyDataloader)
        {
            lines.Add(s.MaxStepsSetsLength
                ? $"the dataloader is empty: the Trainer finds no batch, warns and stops at step 0 of max_steps {Schedules.Num(i.MaxSteps)}"
                : "the dataloader is empty: the Trainer refuses to start (it needs max_steps when the dataloader has no length)");
            return lines;
        }
        if (s.MaxStepsSetsLength)
            lines.Add($"max_steps = {Schedules.Num(i.MaxSteps)} sets the run length; num_train_epochs is ignored (epoch loop runs {s.EpochLoopBound} times)");
        else if (s.TotalSteps is long total && s.StepsPerEpoch is long u3)
        {
            lines.Add(i.Estimator == RunLengthEstimator.Axolotl
                ? $"total steps (axolotl, passed as max_steps) = ceil({Schedules.Num(i.DatasetSize ?? 0)} x {Schedules.Epochs(i.NumTrainEpochs)} / ({i.PerDeviceBatch} x {i.GradientAccumulation} x {i.WorldSize})) = {Schedules.Num(total)}"
                : $"total steps = ceil({Schedules.Epochs(i.NumTrainEpochs)} x {Schedules.Num(u3)}) = {Schedules.Num(total)}");
        }
        else if (r.ScheduleNote is { } note) lines.Add($"total steps unknown: {note}; see the findings");
        if (s.Epochs is double e && s.TotalSteps is long steps && s.MicroBatchesPerEpoch is long lm && s.FinalEpochIndex is long k && s.FinalEpochMicroBatches is long m)
        {
            if (steps == 0)
                lines.Add("the transformers 4.46-4.51 loop makes no optimizer step here: each epoch's only window stops short of the epoch's end");
            lines.Add($"epoch in trainer_state.json = {k} + {Schedules.Num(m)} / {Schedules.Num(lm)} = {Schedules.EpochsPrecise(e)}: " +
                $"step {Schedules.Num(steps)} ends after {Schedules.Num(m)} of the {Schedules.Num(lm)} micro-batches of epoch {k + 1}" +
                (i.Loop == TrainerLoop.Current ? "" : i.Loop == TrainerLoop.PrefetchWindows ? " (transformers 4.46-4.51 loop)" : " (transformers < 4.46 loop: accumulation runs across epoch ends)"));
        }
        if (s.Samples is long samples) lines.Add($"samples processed = {Schedules.Num(samples)}");
        if (s.WarmupSteps is long w && w > 0) lines.Add($"warmup = {Schedules.Num(w)} steps");
        return lines;
    }
}
