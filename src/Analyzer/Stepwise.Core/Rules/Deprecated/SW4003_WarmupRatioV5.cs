using Stepwise.Core.Keys;
using Stepwise.Core.Model;

namespace Stepwise.Core.Rules.Deprecated;

/// <summary>SW4003: warmup_ratio is deprecated in transformers v5 (a float warmup_steps replaces it).</summary>
public sealed class SW4003_WarmupRatioV5 : Rule
{
    public static readonly RuleDescriptor Rule = new("SW4003", "warmup_ratio is deprecated in transformers v5", Severity.Warning, "Deprecated",
        "When the transformers release in use (detected, pinned, stated, else the newest known) is 5 or later, reports " +
        "`warmup_ratio` in Hugging Face and LLaMA-Factory configs. From 5.0 to 5.14 transformers only warns and uses it as " +
        "`warmup_steps`: a warning when the release is known (installed, locked, pinned exactly, stated), information when it " +
        "is the newest release a range pin allows. From 5.15.0, where the field is gone, the message says so: an error when " +
        "the release is known, a warning when it is only assumed.",
        "transformers v5 folds the ratio into `warmup_steps`: a float below 1 is read as a ratio of the total steps. " +
        "`warmup_ratio` still works for now but is slated for removal.",
        "```yaml\nwarmup_ratio: 0.03\n```",
        "Write `warmup_steps: 0.03` instead (the fix).");

    public override RuleDescriptor Descriptor => Rule;

    public override void Check(RuleContext c)
    {
        if (!c.Options.IsV5 || c.Setup.Dialect == Dialect.Axolotl) return;
        // C# ([HfName] types for Stepwise's own trainer) runs no transformers release: only a stated one is judged.
        if (c.Document.Syntax == ConfigSyntax.CSharp && c.Options.EffectiveVersions["transformers"]?.Source == VersionAssumptions.NewestKnown) return;
        var ratio = Fixes.Written(c, "warmup_ratio");
        if (ratio is null) return;
        var steps = Fixes.Written(c, "warmup_steps");
        Fix? fix = null;
        if (steps is null && ratio.Value.AsDouble() is double r && r >= 0 && r < 1)
            fix = Fixes.Replace(c, ratio, "warmup_steps", r);
        else if (steps is not null)
            fix = Fixes.Remove(c, ratio, "warmup_steps is written");
        var (major, minor) = c.Options.Version;
        // TrainingArguments.warmup_ratio is deprecated from v5.0.0 (training_args.py __post_init__: "warmup_ratio is
        // deprecated and will be removed in v5.2", then `self.warmup_steps = self.warmup_ratio`: the run goes on with the
        // same warmup) and gone in v5.15.0 ("Remove deprecated training args", PR #46917), where the call raises
        // TypeError and HfArgumentParser refuses the key. The removal release comes from the key data. LLaMA-Factory hands
        // its YAML to HfArgumentParser with its TrainingArguments (a Seq2SeqTrainingArguments), so the same holds there.
        var versions = c.Options.EffectiveVersions;
        var transformers = versions["transformers"];
        // Installed, locked, pinned exactly or stated: the release is known. A range pin (LLaMA-Factory's
        // transformers>=4.55.0,<=5.6.0) allows v4 releases too, and the newest known is only a guess.
        bool exact = transformers is { IsExact: true };
        var history = FieldHistory.Of("transformers", "TrainingArguments", "warmup_ratio");
        if (history.RemovedIn is { } removed && versions.Release("transformers") is { } assumed && assumed.Index >= removed.Index)
        {
            c.Report(Rule, ratio.KeySpan,
                $"warmup_ratio no longer exists in transformers {major}.{minor} (removed in {removed.Version}; assumed: {transformers?.Source}): " +
                "the run stops on it; write the ratio as a float warmup_steps (below 1 means a fraction of the total steps)",
                exact ? Severity.Error : Severity.Warning, Fixes.Of(fix));
            return;
        }
        // Deprecated, not gone: transformers only logs a warning and uses the ratio as warmup_steps. At most a warning
        // (upstream itself only warns), and information where the release is not known to be a v5 one.
        var range = transformers is { Range: { } spec } ? $" ({transformers.Version} is the newest release transformers{spec} allows; a v4 release there takes the key without a warning)" : "";
        var gone = history.RemovedIn is { } removal ? $", and {removal.Version} removes it" : "";
        c.Report(Rule, ratio.KeySpan,
            $"warmup_ratio is deprecated in transformers {major}.{minor}{range}: it logs a warning and is used as warmup_steps{gone}; " +
            "write the ratio as a float warmup_steps (below 1 means a fraction of the total steps)",
            exact ? Severity.Warning : Severity.Information, Fixes.Of(fix));
    }
}
