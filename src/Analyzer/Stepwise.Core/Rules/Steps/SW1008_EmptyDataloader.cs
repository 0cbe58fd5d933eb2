using Stepwise.Core.Arithmetic;
using Stepwise.Core.Model;

namespace Stepwise.Core.Rules.Steps;

/// <summary>SW1008: the training dataloader has no batch at all (drop_last with fewer examples than one batch per process).</summary>
public sealed class SW1008_EmptyDataloader : Rule
{
    public static readonly RuleDescriptor Rule = new("SW1008", "The training dataloader is empty", Severity.Error, "Schedule",
        "Reports a training set that gives no batch at all: with `dataloader_drop_last: true` and fewer examples than " +
        "per_device_train_batch_size x world size, every batch is incomplete and dropped (or the dataset has no examples).",
        "The Trainer plans one step per epoch anyway. With `max_steps` set it then finds no batch, logs the warning " +
        "\"There seems not to be a single sample in your epoch_iterator\" and stops at step 0: the job ends \"successfully\" " +
        "without training. Without `max_steps` it refuses to start (\"args.max_steps must be set to a positive value if " +
        "dataloader does not have a length\"). axolotl passes its own max_steps, so it takes the first path.",
        "```yaml\n# stepwise: dataset_size=6\nper_device_train_batch_size: 8\ndataloader_drop_last: true   # floor(6 / 8) = 0 batches\nmax_steps: 100\n```",
        "Turn `dataloader_drop_last` off (the fix), lower `per_device_train_batch_size` to at most N / world size, or add data.");

    public override RuleDescriptor Descriptor => Rule;

    public override void Check(RuleContext c)
    {
        if (c.Schedule is not { EmptyDataloader: true } s || s.Inputs.DatasetSize is not long n) return;
        var i = s.Inputs;
        var dropLast = Fixes.Written(c, "dataloader_drop_last");
        string why;
        if (n == 0) why = "the training set has no examples";
        else
        {
            var perProcess = i.WorldSize > 1 ? $" on each of {i.WorldSize} processes (floor({Schedules.Num(s.Batches ?? 0)} / {i.WorldSize}) = 0)" : "";
            why = $"{c.Setup.Spell("dataloader_drop_last")} drops every incomplete batch and {Schedules.Num(n)} examples do not fill one batch of {s.ProcessBatch}{perProcess}";
        }
        // transformers Trainer.set_initial_training_values: a dataloader of length 0 is treated like one without a length,
        // which needs max_steps > 0 (ValueError otherwise); with it, _inner_training_loop finds no batch (step stays -1),
        // warns and sets should_training_stop (trainer.py, 4.57 and the 5.x _run_epoch alike).
        bool stops = i.MaxSteps > 0 || i.Estimator == RunLengthEstimator.Axolotl;
        var outcome = stops
            ? "the Trainer warns \"There seems not to be a single sample in your epoch_iterator\" and stops at step 0 without training"
            : "the Trainer refuses to start (\"args.max_steps must be set to a positive value if dataloader does not have a length\")";
        var message = $"the training dataloader is empty: {why}; {outcome}";

        Fix? off = dropLast is null ? null : Fixes.Set(c, dropLast, false);
        Fix? smaller = null;
        var batch = Fixes.Written(c, "per_device_train_batch_size");
        long fits = n / (i.WorldSize * System.Math.Max(1, i.NGpu));
        if (n > 0 && batch is not null && fits >= 1)
            smaller = Fixes.Set(c, batch, fits, preferred: off is null);
        var span = dropLast?.ValueSpan ?? (c.Setup.Datasets.Count > 0 && c.Setup.Datasets[0].Span is { } d ? d : c.Document.HeadSpan);
        c.Report(Rule, span, message, Fixes.Of(off, smaller));
    }
}
