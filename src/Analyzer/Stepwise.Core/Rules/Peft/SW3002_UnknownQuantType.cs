using FluentValidation;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Peft;

/// <summary>SW3002: bnb_4bit_quant_type other than nf4/fp4.</summary>
public sealed class SW3002_UnknownQuantType : ValidatorRule, IChecks<BitsAndBytesConfigView>
{
    public static readonly RuleDescriptor Rule = new("SW3002", "Unknown 4-bit quantization type", Severity.Error, "Quantization",
        "Reports `bnb_4bit_quant_type` (LLaMA-Factory `quantization_type`) other than `nf4` or `fp4`, spelled exactly so.",
        "bitsandbytes only has these two 4-bit data types. The config is accepted at first and the run fails deep inside " +
        "`quantize_4bit` (\"4-bit quantization data type ... is not implemented\") while the weights are being loaded.",
        "```yaml\nbnb_4bit_quant_type: NF4\n```",
        "Write `nf4` (the QLoRA choice) or `fp4`; the fix picks the closest.");

    public override RuleDescriptor Descriptor => Rule;

    private static readonly string[] Types = { "nf4", "fp4" };

    public void Define(ConfigValidator<BitsAndBytesConfigView> checks)
    {
        checks.RuleFor(v => v.Bnb4bitQuantType).Must(f => f.Value is null || System.Array.IndexOf(Types, f.Value) >= 0)
            .Reports(v => $"{v.Spell("bnb_4bit_quant_type")}={v.Bnb4bitQuantType.Value} is not a 4-bit type bitsandbytes has" +
                    (Suggest.Closest(v.Bnb4bitQuantType.Value!, Types) is { } n ? $"; did you mean {n}?" : "") + " Valid: nf4, fp4",
                (c, _, f) => f.Entry is { } e && Suggest.Closest(f.Raw.AsString() ?? "", Types) is { } n ? new[] { Fixes.Set(c, e, n) } : Fixes.None);
    }
}
