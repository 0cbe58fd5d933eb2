using FluentValidation;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2015: save_total_limit 1 with load_best_model_at_end keeps two checkpoints.</summary>
public sealed class SW2015_SaveTotalLimitWithBest : Rule
{
    public static readonly RuleDescriptor Rule = new("SW2015", "save_total_limit 1 keeps two checkpoints with load_best_model_at_end", Severity.Information, "Validity",
        "Reports `save_total_limit: 1` together with `load_best_model_at_end: true`.",
        "Trainer never deletes the best checkpoint; when the newest is not the best it keeps both (`_sorted_checkpoints` " +
        "raises the limit to 2), so the disk holds twice what the limit suggests.",
        "```yaml\nsave_total_limit: 1\nload_best_model_at_end: true\n```",
        "Plan disk space for two checkpoints (the fix writes `save_total_limit: 2` to say so).");

    public override RuleDescriptor Descriptor => Rule;

    private sealed class Checks : SnapshotValidator
    {
        public Checks()
        {
            RuleFor(s => s.SaveTotalLimit).Must((s, v) => !(v == 1 && s.LoadBestModelAtEnd == true))
                .WithMessage(s => $"{s.Spell("save_total_limit")}=1 with {s.Spell("load_best_model_at_end")}: the best checkpoint is always kept besides the newest, so up to 2 checkpoints stay on disk");
        }
    }

    private static readonly Checks Validator = new();

    public override void Check(RuleContext c) => Validator.Report(c, Rule, (_, setting) =>
        setting.IsWritten && setting.Entry is { } e && setting.Document == c.Document ? new[] { Fixes.Set(c, e, 2L) } : Fixes.None);
}
