using FluentValidation;
using Stepwise.Core.Rules.Validity;

namespace Stepwise.Core.Rules.Peft;

/// <summary>SW3001: load_in_4bit and load_in_8bit both true.</summary>
public sealed class SW3001_FourAndEightBit : Rule
{
    public static readonly RuleDescriptor Rule = new("SW3001", "load_in_4bit and load_in_8bit are both true", Severity.Error, "Quantization",
        "Reports `load_in_4bit: true` together with `load_in_8bit: true`.",
        "A model is loaded at one bit width. BitsAndBytesConfig raises \"load_in_4bit and load_in_8bit are both True, but only one can be used at the same time\".",
        "```yaml\nload_in_4bit: true\nload_in_8bit: true\n```",
        "Keep one; the fix removes `load_in_8bit` (QLoRA is 4-bit).");

    public override RuleDescriptor Descriptor => Rule;

    private sealed class Checks : SnapshotValidator
    {
        public Checks()
        {
            RuleFor(s => s.LoadIn8Bit).Must((s, b8) => !(b8 == true && s.LoadIn4Bit == true))
                .WithMessage("load_in_4bit and load_in_8bit are both true: BitsAndBytesConfig accepts only one bit width");
        }
    }

    private static readonly Checks Validator = new();

    public override void Check(RuleContext c) => Validator.Report(c, Rule, (_, setting) =>
        setting.IsWritten && setting.Entry is { } e && setting.Document == c.Document ? new[] { Fixes.Remove(c, e, "keep 4-bit") } : Fixes.None);
}
