using Stepwise.Core.Keys;
using Stepwise.Core.Model;

namespace Stepwise.Core.Rules.Deprecated;

/// <summary>SW4001: evaluation_strategy, renamed eval_strategy in transformers 4.41 and removed around 4.51.</summary>
public sealed class SW4001_EvaluationStrategy : Rule
{
    public static readonly RuleDescriptor Rule = new("SW4001", "evaluation_strategy was renamed eval_strategy", Severity.Error, "Deprecated",
        "Reports `evaluation_strategy`. For TrainingArguments (Python, Hugging Face / TRL YAML, LLaMA-Factory) it is an error " +
        "for transformers 4.51 and later (and v5), where the argument no longer exists, and a warning for 4.41 to 4.50, where " +
        "it still works but is deprecated; before 4.41 it is the right name. The release is the `transformers_version` " +
        "setting. axolotl still accepts the old key (it warns and copies it to `eval_strategy`), so there it is a warning " +
        "whatever the release, and a key left empty (null) says nothing.",
        "On current releases `TrainingArguments(evaluation_strategy=...)` raises \"unexpected keyword argument 'evaluation_strategy'\" " +
        "(and YAML-driven trainers reject the key), after the model has been loaded.",
        "```yaml\nevaluation_strategy: epoch\n```",
        "Rename it to `eval_strategy` (the fix; it removes the old key when `eval_strategy` is already written).");

    public override RuleDescriptor Descriptor => Rule;

    public override void Check(RuleContext c)
    {
        bool axolotl = c.Setup.Dialect == Dialect.Axolotl;
        // axolotl's schema (utils/schemas/deprecated.py, v0.18.0) declares `evaluation_strategy: str | None` and only
        // warns when it is not None; TrainingArguments rejects the keyword whatever its value.
        var old = axolotl ? c.Document.FindSet("evaluation_strategy") : c.Document.Find("evaluation_strategy");
        if (old is null) return;
        var newer = c.Document.FindSet("eval_strategy");
        var fix = newer is null
            ? Fixes.Rename(c, old, "eval_strategy")
            : Fixes.Remove(c, old, "eval_strategy is already written");
        if (axolotl)
        {
            // utils/schemas/validation.py check_eval_strategy (v0.18.0): copied to eval_strategy when that is unset.
            var effect = newer is null ? "copies it to eval_strategy" : "ignores it because eval_strategy is written";
            c.Report(Rule, old.KeySpan, $"evaluation_strategy is deprecated in axolotl: it warns \"evaluation_strategy is deprecated, use eval_strategy instead\" and {effect}; use eval_strategy", Severity.Warning, fix);
            return;
        }
        var (major, minor) = c.Options.Version;
        if (major == 4 && minor < 41 || major < 4) return;
        // TrainingArguments declares evaluation_strategy up to v4.50.3 and no longer in v4.51.0 (key data); the
        // boundary is the data's, 4.51 when the data holds no removal.
        var history = FieldHistory.Of("transformers", "TrainingArguments", "evaluation_strategy");
        var removedIn = history.RemovedIn?.Parsed ?? new LibraryVersion(4, 51, 0);
        bool removed = major > removedIn.Major || (major == removedIn.Major && minor >= removedIn.Minor);
        var release = $"transformers {major}.{minor}";
        // transformers PR #36946 (in 4.51) removed the field from TrainingArguments.
        var message = removed
            ? $"evaluation_strategy no longer exists in {release} (deprecated in 4.41, removed in {removedIn.Short}): the run fails with \"unexpected keyword argument 'evaluation_strategy'\"; use eval_strategy"
            : $"evaluation_strategy is deprecated in {release} (renamed eval_strategy in 4.41) and is gone from {removedIn.Short} on; use eval_strategy";
        c.Report(Rule, old.KeySpan, message, removed ? Severity.Error : Severity.Warning, fix);
    }
}
