using Stepwise.Core.Arithmetic;

namespace Stepwise.Core.Rules.Steps;

/// <summary>SW1002: num_train_epochs (axolotl num_epochs) is ignored because max_steps &gt; 0.</summary>
public sealed class SW1002_EpochsIgnored : Rule
{
    public static readonly RuleDescriptor Rule = new("SW1002", "num_train_epochs is ignored because max_steps is set", Severity.Warning, "Schedule",
        "Reports a written `num_train_epochs` (axolotl: `num_epochs`) in a config whose `max_steps` is greater than 0, " +
        "with the epochs the run will really train (a warning). When `num_train_epochs` is not written, the default it " +
        "would have (3.0 in HF and LLaMA-Factory, 1 in axolotl) is just as silently ignored: that is reported as " +
        "information on `max_steps`.",
        "Hugging Face Trainer (and axolotl, where max_steps \"precedes num_epochs\") silently lets `max_steps` decide the " +
        "run length; `num_train_epochs` only shows up in an info log. A reader of the config believes the run does the " +
        "written number of epochs.",
        "```yaml\nmax_steps: 500\nnum_train_epochs: 3.0   # ignored: the run trains 4.0 epochs of 999 examples\n```",
        "Remove `max_steps` to train the written epochs, or remove `num_train_epochs` to make the step count the only truth.");

    public override RuleDescriptor Descriptor => Rule;

    /// <summary>Why the epochs of a max_steps run are not known: the dataset size, or packing.</summary>
    internal static string EpochsUnknown(Schedule s) =>
        s.PackedUnknown is not null ? $"{ScheduleSummary.Short(s)}, so epochs unknown"
        : s.Spread is { EpochsLow: double lo, EpochsHigh: double hi } ? $"{Schedules.Epochs(lo)}-{Schedules.Epochs(hi)} epochs, depending on the packing shuffle"
        : "dataset size unknown, so epochs unknown";

    public override void Check(RuleContext c)
    {
        if (c.Schedule is not { MaxStepsSetsLength: true, EmptyDataloader: false } s) return;
        var epochsSetting = c.Setup.Get("num_train_epochs");
        string trains = s.Epochs is double e
            ? $"the run trains {Schedules.Epochs(e)} epochs ({ScheduleText.Arithmetic(s, s.TotalSteps!.Value)})"
            : $"the run makes {Schedules.Num(s.TotalSteps!.Value)} steps of {Schedules.Num(s.SamplesPerStep)} samples ({EpochsUnknown(s)})";
        if (!epochsSetting.IsWritten || epochsSetting.Entry is null || epochsSetting.Document != c.Document)
        {
            if (epochsSetting.IsWritten || epochsSetting.Value.AsDouble() is not double defaultEpochs) return;
            var maxSteps = c.Setup.Get("max_steps");
            if (maxSteps.Span is null || maxSteps.Document != c.Document) return;
            var text = $"the default {c.Setup.Spell("num_train_epochs")}={Schedules.Epochs(defaultEpochs)} does not apply because {c.Setup.Spell("max_steps")}={s.TotalSteps} > 0: {trains}";
            c.Report(Rule, maxSteps.Span, text, Severity.Information, Fixes.Of(
                Fixes.ReplaceMaxStepsByEpochs(c, defaultEpochs, $"Replace {c.Setup.Spell("max_steps")} by {c.Setup.Spell("num_train_epochs")}: {Fixes.RoundEpochs(defaultEpochs)}", preferred: false)));
            return;
        }
        var message = $"{epochsSetting.Entry.Key}={epochsSetting.Entry.ValueText} is ignored because {c.Setup.Spell("max_steps")}={s.TotalSteps} > 0: {trains}";

        Fix? removeMaxSteps = null;
        if (Fixes.MaxStepsWritten(c, out var ms))
            removeMaxSteps = new Fix($"Remove {ms.Key} (train {epochsSetting.Entry.ValueText} epoch{(epochsSetting.Value.AsDouble() == 1 ? "" : "s")})", new[] { RuleContext.Here(c.Editor.Remove(ms)) }, IsPreferred: true);
        var removeEpochs = new Fix($"Remove {epochsSetting.Entry.Key} (keep {c.Setup.Spell("max_steps")}={s.TotalSteps})",
            new[] { RuleContext.Here(c.Editor.Remove(epochsSetting.Entry)) });
        c.Report(Rule, epochsSetting.Entry.KeySpan, message, Fixes.Of(removeMaxSteps, removeEpochs));
    }
}
