using System.Linq;

namespace Stepwise.Core.Rules.Trainer;

/// <summary>SW5001: a setting the bundled Stepwise trainer would not do as written (only when the run goes to it).</summary>
public sealed class SW5001_NotDoneByBundledTrainer : Rule
{
    public static readonly RuleDescriptor Rule = new("SW5001", "Setting the bundled Stepwise trainer does not do", Severity.Error, "Trainer",
        "Only when the config is trained by the bundled Stepwise trainer (`stepwise train`, `stepwise check --for-trainer stepwise`, " +
        "the editor's Train command): reports each setting the trainer would not do as written: optimizers, schedulers, LoRA " +
        "initialisations, tuner types, packing modes, multi-process and DeepSpeed runs it does not implement, keys it does not read " +
        "that ask for something, and keys it does not know. What it does implement (LoRA and QLoRA with PEFT's rules: DoRA, " +
        "rank_pattern / alpha_pattern, layers_to_transform, modules_to_save; AdamW and bitsandbytes' 8-bit AdamW; the linear, cosine " +
        "and constant schedules; HF's step arithmetic and checkpoints) passes. Plain `stepwise check` and the editor's diagnostics " +
        "never report it: the same settings are right for Hugging Face, axolotl or LLaMA-Factory.",
        "A trainer that skips a setting trains something other than what the config says, and the run looks fine. The bundled trainer " +
        "refuses such a config before it loads a model, and this finding says which settings to change.",
        "```yaml\n# stepwise check --for-trainer stepwise\noptim: adafactor\nlr_scheduler_type: cosine_with_restarts\nsample_packing: true\n```",
        "Change or remove the setting (the message names the values the trainer does), or train with the stack the config was written for.");

    public override RuleDescriptor Descriptor => Rule;

    public override void Check(RuleContext c)
    {
        if (!c.Options.ForBundledTrainer) return;
        foreach (var (entry, key, reason) in BundledTrainerSupport.Refusals(c.Setup))
        {
            string value = entry is null ? "" : $" = {entry.Value}";
            c.Report(Rule, entry?.KeySpan ?? c.Document.HeadSpan, $"{key}{value}: {reason}");
        }
    }
}
