using Stepwise.Core.Arithmetic;
using Stepwise.Core.Model;
using Stepwise.Core.Packing;

namespace Stepwise.Core.Rules.Steps;

/// <summary>
/// SW1009: the run packs examples, and its steps depend on token lengths that are not known (or on a shuffle).
/// A rule of its own rather than SW1005: the remedy differs (a tokenizer, not a dataset size: stating N does not help
/// a packed run), and a user who silenced SW1005 for a hub dataset still needs to hear that packing hides the steps.
/// </summary>
public sealed class SW1009_PackedStepsNeedLengths : Rule
{
    public static readonly RuleDescriptor Rule = new("SW1009", "Packed run: steps depend on token lengths", Severity.Information, "Schedule",
        "Reports a config that packs several examples into each sequence (axolotl `sample_packing`, TRL `packing`, " +
        "LLaMA-Factory `packing` / `neat_packing`) when the token length of every example is not known, so the rows the " +
        "packer makes, the steps per epoch and the epochs are left unknown instead of computed from the unpacked count. " +
        "Also reports when the packer works on a shuffled order (axolotl's multipack sampler, a shuffled split before " +
        "packing) and simulated shuffles give different step counts, and when axolotl would refuse an over-long example.",
        "Packing concatenates short examples into sequences of `sequence_len` / `max_length` tokens: 5,000 examples of about " +
        "30 tokens fit in a few dozen sequences of 2,048, so the run makes a few dozen steps, not the 1,875 the unpacked " +
        "count gives. Every number derived from the steps (max_steps epochs, warmup, eval/save cadence, time) is then wrong too.",
        "```yaml\nbase_model: NousResearch/Llama-3.2-1B   # tokenizer not in the local Hugging Face cache\nsample_packing: true\nsequence_len: 2048\n```",
        "Make the base model's tokenizer available locally (a model folder, or `huggingface-cli download ORG/NAME tokenizer.json " +
        "tokenizer_config.json` into the Hugging Face cache): Stepwise then renders and tokenizes every example as the tool " +
        "does and reproduces its packer (the editor counts in the background and shows \"packed: counting tokens\" meanwhile). " +
        "When the count fails (\"packed: token count failed\"), the message says what failed: a tokenizer file that does not load, " +
        "a record the tool would refuse (with its file and line); fix it and Stepwise counts again. " +
        "With `max_steps` the step count is known, but the epochs it covers stay unknown.");

    public override RuleDescriptor Descriptor => Rule;

    public override void Check(RuleContext c)
    {
        if (c.Schedule is not { Packing: { Packed: true } plan } s) return;
        var span = SwitchSpan(c, plan.Settings) ?? (c.Setup.Datasets.Count > 0 && c.Setup.Datasets[0].Span is { } d ? d : c.Document.HeadSpan);
        if (plan.Refusal is { } refusal)
        {
            c.Report(Rule, span, refusal, Severity.Warning);
            return;
        }
        if (s.PackedUnknown is { } why)
        {
            var model = c.Setup.String("model_name_or_path");
            var known = plan.KnownBy is { } by ? $"; known with {by}" : "";
            if (model is { Length: > 0 } && plan.Settings.NotModelled is null && plan.Settings.PackedUnknown is null)
                known += $" (base model {model})";
            var steps = s.MaxStepsSetsLength
                ? $"{c.Setup.Spell("max_steps")}={Schedules.Num(s.Inputs.MaxSteps)} fixes the steps, but how many epochs they cover is unknown"
                : "steps per epoch, total steps and epochs are unknown";
            c.Report(Rule, span, $"{why}: {steps}{known}");
            return;
        }
        if (s.Spread is { } spread && plan.Simulations > 0)
        {
            var parts = new System.Collections.Generic.List<string>();
            if (spread.TotalSteps is { IsExact: false } t) parts.Add($"{t} steps");
            else if (s.TotalSteps is long total) parts.Add($"{Schedules.Num(total)} steps");
            if (spread.StepsPerEpoch is { IsExact: false } u) parts.Add($"{u} steps per epoch");
            if (spread.EpochsLow is double lo && spread.EpochsHigh is double hi && hi - lo > 1e-12) parts.Add($"{Schedules.Epochs(lo)}-{Schedules.Epochs(hi)} epochs");
            c.Report(Rule, span,
                $"{plan.Settings.Describe()} packs a shuffled order, so its count varies from run to run: {plan.Simulations} simulated shuffles give {string.Join(", ", parts)}");
        }
    }

    private static Text.SourceSpan? SwitchSpan(RuleContext c, PackingSettings s)
    {
        string key = s.Tool switch
        {
            PackingTool.Axolotl => "sample_packing",
            PackingTool.LlamaFactory => s.Neat ? "neat_packing" : "packing",
            _ => "packing",
        };
        var e = c.Document.FindSet(key);
        return e?.ValueSpan;
    }
}
