using Stepwise.Core.Model;

namespace Stepwise.Core.Rules.Deprecated;

/// <summary>SW4004: report_to not written, and its default changed between v4 ("all") and v5 ("none").</summary>
public sealed class SW4004_ReportToDefault : Rule
{
    public static readonly RuleDescriptor Rule = new("SW4004", "report_to is left to a default that changed in v5", Severity.Information, "Deprecated",
        "When the transformers release in use is 5 or later (installed or pinned in the workspace, pinned by LLaMA-Factory, " +
        "or stated by the setting; not when v5 is only the newest release assumed for want of anything else), reports a Hugging Face or LLaMA-Factory training config " +
        "(LLaMA-Factory: `do_train: true`) that does not write `report_to`: its default changed from `all` (v4) to `none` (v5). " +
        "Silent for v4 targets, where the unwritten default has always meant `all`.",
        "transformers v4 defaults to `all`: every installed integration (wandb, tensorboard, mlflow...) logs, and wandb may stop " +
        "a headless job to ask for a login. v5 defaults to `none`: nothing is logged unless asked. The same config behaves differently across the upgrade.",
        "```yaml\n# no report_to\nlogging_steps: 10\n```",
        "Write `report_to` explicitly (`none`, `wandb`, `tensorboard`, ...); the fix adds `report_to: none`.");

    public override RuleDescriptor Descriptor => Rule;

    /// <summary>Python files: only a TrainingArguments-like call (TrainingArguments, SFTConfig, DPOConfig...) has report_to,
    /// not a LoraConfig or BitsAndBytesConfig. YAML/JSON entries carry no section.</summary>
    public static bool HasTrainerSection(ConfigDocument doc)
    {
        if (!doc.HasTrainingArguments) return false;
        bool any = false;
        foreach (var e in doc.Entries)
        {
            if (e.Section is not { } s) return true;
            any = true;
            if (s.EndsWith("TrainingArguments", System.StringComparison.Ordinal)) return true;
            if (s.EndsWith("Config", System.StringComparison.Ordinal) && !s.EndsWith("LoraConfig", System.StringComparison.Ordinal)
                && s is not ("BitsAndBytesConfig" or "PeftConfig" or "GPTQConfig" or "AwqConfig")) return true;
        }
        return !any;
    }

    public override void Check(RuleContext c)
    {
        if (c.Setup.Dialect is not (Dialect.Hf or Dialect.LlamaFactory)) return;
        // Only for v5 targets: there the default silently differs from what the config was written against. Under v4
        // an unwritten report_to has meant "all" for years; saying so on every file would bury the findings that matter.
        if (!c.Options.IsV5) return;
        // Nor when v5 is only the newest release assumed for want of anything else: the note is about what the user's
        // own release does, so it needs that release (installed, pinned by the project or the tool, or stated).
        if (c.Options.EffectiveVersions["transformers"]?.Source == Stepwise.Core.Keys.VersionAssumptions.NewestKnown) return;
        if (c.Setup.IsStated("report_to") || c.Document.FindSet("report_to") is not null) return;
        // Only runs that train build TrainingArguments: LLaMA-Factory inference/export configs do not, and
        // LLaMA-Factory v1 files (model_class, train_dataset) run a trainer of their own.
        if (c.Setup.Dialect == Dialect.LlamaFactory && c.Document.Find("do_train")?.Value.AsBool() != true) return;
        if (Stepwise.Core.Rules.File.SW9003_UnknownKey.IsLlamaFactoryV1(c.Document)) return;
        if (!HasTrainerSection(c.Document)) return;
        var (major, minor) = c.Options.Version;
        // A range pin (LLaMA-Factory's transformers>=4.55.0,<=5.6.0) allows both: say which release the note is about.
        var range = c.Options.EffectiveVersions["transformers"] is { Range: { } spec } t ? $" ({t.Version}, the newest release transformers{spec} allows)" : "";
        var message = $"report_to is not written: in transformers {major}.{minor}{range} it defaults to none (no metrics logged anywhere), where v4 releases logged to every installed integration (all)";
        var last = Fixes.Last(c);
        // Not preferred: which integration to log to is the user's choice, not one `check --fix` makes.
        c.Report(Rule, c.Document.HeadSpan, message, Fixes.Of(last is null ? null : Fixes.Add(c, last, "report_to", "none", preferred: false)));
    }
}
