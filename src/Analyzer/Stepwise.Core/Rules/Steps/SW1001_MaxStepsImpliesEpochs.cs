using Stepwise.Core.Arithmetic;

namespace Stepwise.Core.Rules.Steps;

/// <summary>SW1001: max_steps implies a number of epochs the user did not ask for.</summary>
public sealed class SW1001_MaxStepsImpliesEpochs : Rule
{
    public static readonly RuleDescriptor Rule = new("SW1001", "max_steps implies more epochs than intended", Severity.Warning, "Schedule",
        "Computes how many epochs `max_steps` actually trains (max_steps / steps per epoch, where steps per epoch = " +
        "ceil(ceil(N / batch) / world size / accumulation)) and reports it when that is more than `num_train_epochs` says, " +
        "or more than the epoch threshold (2.0 by default; setting `epochThreshold`, option `--epoch-threshold`).",
        "With `max_steps` fixed, every step carries per_device_train_batch_size x gradient_accumulation_steps x world size " +
        "samples. Raising the batch size therefore multiplies the data processed and the wall time: batch 8 -> 128 at " +
        "max_steps 1000 turns 0.15 epochs of 52,002 examples into 2.46, and the run takes 16 times longer. The Trainer " +
        "only says so in an info log once the job runs.",
        "```yaml\nper_device_train_batch_size: 128\nmax_steps: 1000      # 1000 x 128 = 128,000 samples = 2.46 epochs of 52,002\nnum_train_epochs: 3  # ignored\n```",
        "Replace `max_steps` by `num_train_epochs` (keeps the data processed constant when the batch changes), with the " +
        "value `num_train_epochs` already says or the epochs `max_steps` gives now; or split the per-device batch into " +
        "per-device x gradient accumulation (same samples per step, less memory).");

    public override RuleDescriptor Descriptor => Rule;

    public override void Check(RuleContext c)
    {
        if (c.Schedule is not { MaxStepsSetsLength: true, EmptyDataloader: false, Epochs: double epochs } s) return;
        var epochsSetting = c.Setup.Get("num_train_epochs");
        double asked = epochsSetting.Value.AsDouble() ?? 0;
        // An unknown num_train_epochs (a variable) asks for nothing we can compare with.
        bool moreThanAsked = epochsSetting.IsWritten && epochsSetting.Value.AsDouble() is not null && epochs > asked + 1e-9;
        bool overThreshold = epochs > c.Options.EpochThreshold + 1e-9;
        if (!moreThanAsked && !overThreshold) return;

        var maxSteps = c.Setup.Get("max_steps");
        var span = maxSteps.Span ?? c.Document.HeadSpan;
        var why = moreThanAsked
            ? $"more than the {Schedules.Epochs(asked)} {c.Setup.Spell("num_train_epochs")} asks for"
            : $"above the {Schedules.Epochs(c.Options.EpochThreshold)}-epoch threshold";
        var message = $"{c.Setup.Spell("max_steps")}={s.TotalSteps} trains {Schedules.Epochs(epochs)} epochs, {why}: " +
            $"{ScheduleText.Arithmetic(s, s.TotalSteps!.Value)} ({ScheduleText.StepsPerEpoch(s)})";

        var keep = epochsSetting.Value.AsDouble() ?? 3.0;
        c.Report(Rule, span, message, Fixes.Of(
            Fixes.ReplaceMaxStepsByEpochs(c, keep, $"Replace {c.Setup.Spell("max_steps")} by {c.Setup.Spell("num_train_epochs")}: {Fixes.RoundEpochs(keep)}", preferred: true),
            System.Math.Abs(keep - epochs) > 0.005
                ? Fixes.ReplaceMaxStepsByEpochs(c, epochs, $"Replace {c.Setup.Spell("max_steps")} by {c.Setup.Spell("num_train_epochs")}: {Schedules.Epochs(epochs)} (what max_steps trains now)", preferred: false)
                : null,
            Fixes.SplitBatch(c)));
    }
}
