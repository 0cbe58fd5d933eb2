using FluentValidation;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Peft;

/// <summary>SW3001: load_in_4bit and load_in_8bit both true.</summary>
public sealed class SW3001_FourAndEightBit : ValidatorRule, IChecks<BitsAndBytesConfigView>
{
    public static readonly RuleDescriptor Rule = new("SW3001", "load_in_4bit and load_in_8bit are both true", Severity.Error, "Quantization",
        "Reports `load_in_4bit: true` together with `load_in_8bit: true`.",
        "A model is loaded at one bit width. BitsAndBytesConfig raises \"load_in_4bit and load_in_8bit are both True, but only one can be used at the same time\".",
        "```yaml\nload_in_4bit: true\nload_in_8bit: true\n```",
        "Keep one; the fix removes `load_in_8bit` (QLoRA is 4-bit).");

    public override RuleDescriptor Descriptor => Rule;

    public void Define(ConfigValidator<BitsAndBytesConfigView> checks)
    {
        checks.RuleFor(v => v.LoadIn8bit).Must((v, eight) => !(eight.Value == true && v.LoadIn4bit.Value == true))
            .Reports(_ => "load_in_4bit and load_in_8bit are both true: BitsAndBytesConfig accepts only one bit width",
                (c, _, eight) => Fixes.RemoveWritten(c, eight, "keep 4-bit"));
    }
}
