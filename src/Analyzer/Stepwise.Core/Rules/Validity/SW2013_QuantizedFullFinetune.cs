using FluentValidation;
using Stepwise.Core.Model;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2013: a quantized base model trained without an adapter.</summary>
public sealed class SW2013_QuantizedFullFinetune : ValidatorRule, IChecks<LlamaFactoryArgumentsView>, IChecks<AxolotlConfigView>, IChecks<ModelConfigView>
{
    public static readonly RuleDescriptor Rule = new("SW2013", "Quantized model trained without an adapter", Severity.Error, "Validity",
        "Reports a 4- or 8-bit base model (`load_in_4bit` / `load_in_8bit`; LLaMA-Factory `quantization_bit`) that is fine-tuned " +
        "in full: axolotl with no `adapter`, LLaMA-Factory with `finetuning_type` other than lora/oft, TRL-style configs with `use_peft: false`.",
        "Quantized weights cannot be trained directly. Trainer raises \"You cannot perform fine-tuning on purely quantized " +
        "models. Please attach trainable adapters\"; LLaMA-Factory stops with \"Quantization is only compatible with the LoRA or OFT method\".",
        "```yaml\n# axolotl\nload_in_4bit: true\n# no adapter\n```",
        "Train an adapter (axolotl `adapter: qlora`, LLaMA-Factory `finetuning_type: lora`), or load the model unquantized.");

    public override RuleDescriptor Descriptor => Rule;

    private const string Refused = "which Trainer refuses (\"cannot perform fine-tuning on purely quantized models\")";

    public void Define(ConfigValidator<LlamaFactoryArgumentsView> checks)
    {
        // LLaMA-Factory hparams/parser.py _verify_model_args (v0.9.5, lines 188-190): quantization_bit needs lora or oft.
        checks.RuleFor(v => v.QuantizationBit)
            .Must((v, bits) => !(bits.IsWritten && bits.Value is not null && !(v.FinetuningType.Value is null or "lora" or "oft")))
            .Reports(v => $"quantization_bit={F(v.QuantizationBit.Value)} with finetuning_type={v.FinetuningType.Value}: LLaMA-Factory trains quantized models only with LoRA or OFT adapters",
                (c, v, _) => Fixes.Of(v.FinetuningType.Entry is { } ft ? Fixes.Set(c, ft, "lora") : null),
                at: (v, bits) => v.FinetuningType.Entry?.ValueSpan ?? bits.Entry!.ValueSpan);
    }

    public void Define(ConfigValidator<AxolotlConfigView> checks)
    {
        // utils/schemas/peft.py validate_adapter (v0.18.0, lines 180-188): not for inference configs.
        checks.RuleFor(v => v.Adapter)
            .Must((v, adapter) => !(Quantized(v.LoadIn4bit, v.LoadIn8bit) is not null && adapter.Value is not { Length: > 0 }
                && v.Document.FindSet("inference")?.Value.AsBool() != true))
            .Reports(v => $"{Quantized(v.LoadIn4bit, v.LoadIn8bit)!.Key}: true with no adapter: the quantized model would be fine-tuned in full, {Refused}",
                (c, v, _) => new[] { Fixes.Add(c, Quantized(v.LoadIn4bit, v.LoadIn8bit)!, "adapter", v.LoadIn4bit.Value == true ? "qlora" : "lora") },
                at: (v, _) => Quantized(v.LoadIn4bit, v.LoadIn8bit)!.ValueSpan);
    }

    public void Define(ConfigValidator<ModelConfigView> checks)
    {
        // An HF-style file cannot tell whether the script attaches a LoraConfig; only TRL's explicit use_peft: false says no.
        checks.RuleFor(v => v.UsePeft)
            .Must((v, peft) => !(Quantized(v.LoadIn4bit, v.LoadIn8bit) is not null && peft.IsWritten && peft.Value == false))
            .Reports(v => $"{Quantized(v.LoadIn4bit, v.LoadIn8bit)!.Key}: true with use_peft: false: the quantized model would be fine-tuned in full, {Refused}",
                (c, _, peft) => new[] { Fixes.Set(c, peft.Entry!, true) });
    }

    /// <summary>The entry that loads the model quantized: load_in_4bit when it is true, else load_in_8bit when that is; null
    /// when the one that is true is not written in this document.</summary>
    private static ConfigEntry? Quantized(BoolField fourBit, BoolField eightBit) =>
        fourBit.Value == true ? fourBit.Entry : eightBit.Value == true ? eightBit.Entry : null;
}
