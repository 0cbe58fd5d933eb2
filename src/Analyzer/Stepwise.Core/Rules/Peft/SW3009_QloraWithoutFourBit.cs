using FluentValidation;
using Stepwise.Core.Model;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Peft;

/// <summary>SW3009: axolotl adapter qlora without load_in_4bit.</summary>
public sealed class SW3009_QloraWithoutFourBit : ValidatorRule, IChecks<AxolotlConfigView>
{
    public static readonly RuleDescriptor Rule = new("SW3009", "adapter: qlora without load_in_4bit", Severity.Error, "LoRA",
        "Reports an axolotl config with `adapter: qlora` where `load_in_4bit` is not true.",
        "QLoRA means LoRA over a 4-bit base model. axolotl's config validation refuses `adapter: qlora` unless `load_in_4bit` is true, so the run stops before training.",
        "```yaml\nadapter: qlora\nload_in_8bit: true\n```",
        "Add `load_in_4bit: true` (the fix), or use `adapter: lora`.");

    public override RuleDescriptor Descriptor => Rule;

    public void Define(ConfigValidator<AxolotlConfigView> checks)
    {
        // utils/schemas/peft.py validate_qlora (v0.18.0, lines 222-223) asks for load_in_4bit only when not merging.
        checks.RuleFor(v => v.Adapter)
            .Must((v, adapter) => !(adapter.IsWritten && adapter.Value == "qlora" && v.LoadIn4bit.Value != true
                && v.Document.FindSet("merge_lora")?.Value.AsBool() != true && v.LoadIn4bit.Raw.Kind != ValueKind.Unknown))
            .Reports(v => $"adapter: qlora needs load_in_4bit: true{(v.LoadIn4bit.Entry is { } q4 ? $", not {q4.ValueText}" : " (not written)")}; axolotl refuses the config",
                (c, v, adapter) => new[] { v.LoadIn4bit.Entry is { } q4 ? Fixes.Set(c, q4, true) : Fixes.Add(c, adapter.Entry!, "load_in_4bit", true) });
    }
}
