using FluentValidation;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2015: save_total_limit 1 with load_best_model_at_end keeps two checkpoints.</summary>
public sealed class SW2015_SaveTotalLimitWithBest : ValidatorRule, IChecks<TrainingArgumentsView>
{
    public static readonly RuleDescriptor Rule = new("SW2015", "save_total_limit 1 keeps two checkpoints with load_best_model_at_end", Severity.Information, "Validity",
        "Reports `save_total_limit: 1` together with `load_best_model_at_end: true`.",
        "Trainer never deletes the best checkpoint; when the newest is not the best it keeps both (`_sorted_checkpoints` " +
        "raises the limit to 2), so the disk holds twice what the limit suggests.",
        "```yaml\nsave_total_limit: 1\nload_best_model_at_end: true\n```",
        "Plan disk space for two checkpoints (the fix writes `save_total_limit: 2` to say so).");

    public override RuleDescriptor Descriptor => Rule;

    public void Define(ConfigValidator<TrainingArgumentsView> checks)
    {
        checks.RuleFor(v => v.SaveTotalLimit).Must((v, limit) => !(limit.Value == 1 && v.LoadBestModelAtEnd.Value == true))
            .Reports(v => $"{v.Spell("save_total_limit")}=1 with {v.Spell("load_best_model_at_end")}: the best checkpoint is always kept besides the newest, so up to 2 checkpoints stay on disk",
                (c, _, limit) => Fixes.SetWritten(c, limit, 2L));
    }
}
