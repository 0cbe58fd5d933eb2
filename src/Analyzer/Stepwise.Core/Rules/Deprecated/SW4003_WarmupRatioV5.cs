using Stepwise.Core.Keys;
using Stepwise.Core.Model;
using Stepwise.Core.Rules.Validity;

namespace Stepwise.Core.Rules.Deprecated;

/// <summary>SW4003: warmup_ratio is deprecated in transformers v5 (a float warmup_steps replaces it).</summary>
public sealed class SW4003_WarmupRatioV5 : Rule
{
    public static readonly RuleDescriptor Rule = new("SW4003", "warmup_ratio is deprecated in transformers v5", Severity.Warning, "Deprecated",
        "When the transformers release in use (detected, pinned, stated, else the newest known) is 5 or later, reports " +
        "`warmup_ratio` in Hugging Face and LLaMA-Factory configs; from 5.15.0, where the field is gone, the message says so " +
        "(an error when the release is known, a warning when it is only assumed).",
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
            fix = new Fix($"Replace by warmup_steps: {SnapshotValidator.F(r)}", new[] { RuleContext.Here(c.Editor.Replace(ratio, c.Setup.Spell("warmup_steps"), r)) }, true);
        else if (steps is not null)
            fix = Fixes.Remove(c, ratio, "warmup_steps is written");
        var (major, minor) = c.Options.Version;
        // TrainingArguments.warmup_ratio is deprecated from v5.0.0 (training_args.py __post_init__: "warmup_ratio is
        // deprecated and will be removed in v5.2") and gone in v5.15.0 ("Remove deprecated training args"), where the
        // call raises TypeError and HfArgumentParser refuses the key. The release comes from the key data.
        var versions = c.Options.EffectiveVersions;
        var history = FieldHistory.Of("transformers", "TrainingArguments", "warmup_ratio");
        if (history.RemovedIn is { } removed && versions.Release("transformers") is { } assumed && assumed.Index >= removed.Index)
        {
            // An error only when the version is known (installed, pinned, stated); assumed as the newest, a warning.
            bool known = versions["transformers"]?.Source != VersionAssumptions.NewestKnown;
            c.Report(Rule, ratio.KeySpan,
                $"warmup_ratio no longer exists in transformers {major}.{minor} (removed in {removed.Version}; assumed: {versions["transformers"]?.Source}): " +
                "the run stops on it; write the ratio as a float warmup_steps (below 1 means a fraction of the total steps)",
                known ? Severity.Error : Severity.Warning, Fixes.Of(fix));
            return;
        }
        c.Report(Rule, ratio.KeySpan, $"warmup_ratio is deprecated in transformers {major}.{minor}: write the ratio as a float warmup_steps (below 1 means a fraction of the total steps)", Fixes.Of(fix));
    }
}
