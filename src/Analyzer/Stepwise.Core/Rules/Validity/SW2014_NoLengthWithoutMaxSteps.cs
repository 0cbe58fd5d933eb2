using Stepwise.Core.Model;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2014: a streamed dataset (no length) with no max_steps.</summary>
public sealed class SW2014_NoLengthWithoutMaxSteps : Rule
{
    public static readonly RuleDescriptor Rule = new("SW2014", "Streamed dataset without max_steps", Severity.Error, "Validity",
        "Reports `streaming: true` (and axolotl's `pretraining_dataset`) in a config with no positive `max_steps`.",
        "A streamed dataset has no length, so epochs cannot be turned into steps. Trainer raises \"args.max_steps must be set " +
        "to a positive value if dataloader does not have a length\" (LLaMA-Factory: \"Please specify max_steps in streaming mode\").",
        "```yaml\nstreaming: true\nnum_train_epochs: 3\n```",
        "Write `max_steps` (steps = examples wanted / (per-device batch x accumulation x world size)).");

    public override RuleDescriptor Descriptor => Rule;

    public override void Check(RuleContext c)
    {
        if (c.Setup.Long("max_steps") is > 0) return;
        if (c.Setup.Get("max_steps").Value.Kind == ValueKind.Unknown) return;
        var streaming = Fixes.Written(c, "streaming");
        var pretraining = c.Setup.Dialect == Dialect.Axolotl ? c.Document.Find("pretraining_dataset") : null;
        var culprit = streaming?.Value.AsBool() == true ? streaming : pretraining is { Value.Kind: not ValueKind.Null } ? pretraining : null;
        if (culprit is null) return;
        c.Report(Rule, culprit.KeySpan,
            $"{culprit.Key} gives a dataset with no length, but {c.Setup.Spell("max_steps")} is not set: the trainer cannot tell when to stop and refuses to start");
    }
}
