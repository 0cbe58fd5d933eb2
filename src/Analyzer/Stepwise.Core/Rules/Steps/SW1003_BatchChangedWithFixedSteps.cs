using System;
using Stepwise.Core.Arithmetic;

namespace Stepwise.Core.Rules.Steps;

/// <summary>SW1003: the effective batch changed against the last committed version while max_steps stayed.</summary>
public sealed class SW1003_BatchChangedWithFixedSteps : Rule
{
    public static readonly RuleDescriptor Rule = new("SW1003", "Batch size changed while max_steps stayed", Severity.Warning, "Schedule",
        "Compares the config with its last committed version (git HEAD). When the samples per optimizer step " +
        "(per-device batch x accumulation x world size) changed but `max_steps` did not, reports the epochs before and " +
        "after and the factor on training time.",
        "This is the seed scenario: someone raises the batch size to use a bigger GPU, keeps `max_steps`, and the run " +
        "silently processes 16x the data and takes 16x longer.",
        "```yaml\n# committed: per_device_train_batch_size: 8\nper_device_train_batch_size: 128   # 0.15 -> 2.46 epochs, 16x the training time\nmax_steps: 1000\n```",
        "Rescale `max_steps` by old/new samples per step to keep the previous epochs, or replace it by `num_train_epochs`.");

    public override RuleDescriptor Descriptor => Rule;

    public override void Check(RuleContext c)
    {
        if (c.Schedule is not { MaxStepsSetsLength: true, EmptyDataloader: false } now || c.PreviousSchedule is not { MaxStepsSetsLength: true } before) return;
        if (now.Inputs.MaxSteps != before.Inputs.MaxSteps) return;
        if (now.SamplesPerStep == before.SamplesPerStep) return;

        double factor = (double)now.SamplesPerStep / before.SamplesPerStep;
        var changed = c.Setup.Get("per_device_train_batch_size");
        var span = (changed.Entry is not null && changed.Document == c.Document ? changed.Entry.ValueSpan : null)
                   ?? c.Setup.Get("gradient_accumulation_steps").Span ?? c.Setup.Get("max_steps").Span ?? c.Document.HeadSpan;

        string epochs = now.Epochs is double e && before.Epochs is double b
            ? $"{Schedules.Epochs(b)} -> {Schedules.Epochs(e)} epochs"
            : $"epochs unknown ({(now.PackedUnknown is not null || before.PackedUnknown is not null ? ScheduleSummary.Short(now.PackedUnknown is not null ? now : before) : "dataset size unknown")})";
        var message = $"samples per step changed from {Schedules.Num(before.SamplesPerStep)} to {Schedules.Num(now.SamplesPerStep)} " +
            $"(committed {before.Inputs.PerDeviceBatch} x {before.Inputs.GradientAccumulation} x {before.Inputs.WorldSize}, now " +
            $"{now.Inputs.PerDeviceBatch} x {now.Inputs.GradientAccumulation} x {now.Inputs.WorldSize}) while {c.Setup.Spell("max_steps")} stayed {now.Inputs.MaxSteps}: " +
            $"{epochs}, {Schedules.Epochs(factor)}x the training time";

        Fix? rescale = null;
        if (Fixes.MaxStepsWritten(c, out var ms))
        {
            long steps;
            if (before.Epochs is double oldEpochs && now.StepsPerEpoch is long u)
                steps = Math.Max(1, (long)Math.Round(oldEpochs * u));
            else
                steps = Math.Max(1, (long)Math.Round(now.Inputs.MaxSteps / factor));
            rescale = new Fix($"Set {ms.Key} to {steps} (keeps the committed amount of data)", new[] { RuleContext.Here(c.Editor.SetValue(ms, steps)) }, IsPreferred: true);
        }
        Fix? toEpochs = before.Epochs is double keepEpochs
            ? Fixes.ReplaceMaxStepsByEpochs(c, keepEpochs, $"Replace {c.Setup.Spell("max_steps")} by {c.Setup.Spell("num_train_epochs")}: {Schedules.Epochs(keepEpochs)}", preferred: false)
            : null;
        c.Report(Rule, span, message, Fixes.Of(rescale, toEpochs));
    }
}
