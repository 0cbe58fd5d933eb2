using Stepwise.Core.Arithmetic;

namespace Stepwise.Core.Rules.Steps;

/// <summary>SW1004: max_steps covers less than one epoch.</summary>
public sealed class SW1004_LessThanOneEpoch : Rule
{
    public static readonly RuleDescriptor Rule = new("SW1004", "max_steps covers less than one epoch", Severity.Information, "Schedule",
        "Reports a `max_steps` that ends the run before the first epoch is over, with how many examples are never seen.",
        "Often intended (a smoke test, a budgeted run), sometimes not: the part of the dataset after the stopping point " +
        "is never trained on, and which part that is depends on the shuffle.",
        "```yaml\nper_device_train_batch_size: 8\nmax_steps: 1000   # 8,000 of 52,002 examples = 0.15 epochs\n```",
        "Nothing to do if intended; otherwise replace `max_steps` by `num_train_epochs: 1`.");

    public override RuleDescriptor Descriptor => Rule;

    public override void Check(RuleContext c)
    {
        if (c.Schedule is not { MaxStepsSetsLength: true, EmptyDataloader: false, Epochs: double epochs, Samples: long samples } s || epochs >= 1) return;
        long n = s.Inputs.DatasetSize!.Value;
        string unit = s.Packing is { Packed: true } ? "packed sequences" : "examples";
        var message = $"{c.Setup.Spell("max_steps")}={s.TotalSteps} covers {Schedules.Epochs(epochs)} of an epoch " +
            $"({s.TotalSteps} of {Schedules.Num(s.StepsPerEpoch!.Value)} steps per epoch): {Schedules.Num(samples)} of {Schedules.Num(n)} {unit} are seen, " +
            $"{Schedules.Num(System.Math.Max(0, n - samples))} never";
        c.Report(Rule, c.Setup.Get("max_steps").Span ?? c.Document.HeadSpan, message, Fixes.Of(
            Fixes.ReplaceMaxStepsByEpochs(c, 1, $"Replace {c.Setup.Spell("max_steps")} by {c.Setup.Spell("num_train_epochs")}: 1", preferred: false)));
    }
}
