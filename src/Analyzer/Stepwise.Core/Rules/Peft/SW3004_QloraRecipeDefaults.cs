using FluentValidation;
using Stepwise.Core.Model;
using Stepwise.Core.Model.Views;
using Stepwise.Core.Text;

namespace Stepwise.Core.Rules.Peft;

/// <summary>SW3004: 4-bit loading left at BitsAndBytesConfig's defaults (fp4, no double quant, float32 compute).</summary>
public sealed class SW3004_QloraRecipeDefaults : ValidatorRule, IChecks<BitsAndBytesConfigView>, IChecks<LlamaFactoryArgumentsView>
{
    public static readonly RuleDescriptor Rule = new("SW3004", "4-bit setup is not the QLoRA recipe", Severity.Warning, "Quantization",
        "In a config that loads the model in 4 bits, reports a quantization type of `fp4`, double quantization off, and a " +
        "`float32` compute dtype, whether written or left at the default. BitsAndBytesConfig defaults to all three; " +
        "axolotl and LLaMA-Factory default to the recipe, so there only written values are reported. In Python, only a " +
        "BitsAndBytesConfig that a training call's run uses (the model passed to the trainer is loaded with it) is judged: " +
        "one no training call is connected to may load a model for inference or a test.",
        "The QLoRA recipe is NF4 + double quantization + bfloat16 compute. fp4 loses accuracy against nf4 at the same size, " +
        "no double quantization costs about 0.37 bits per parameter, and float32 compute makes every matmul slower with no quality gain.",
        "```yaml\nload_in_4bit: true\n# bnb_4bit_quant_type left at fp4, no double quant, float32 compute\n```",
        "Write `bnb_4bit_quant_type: nf4`, `bnb_4bit_use_double_quant: true`, `bnb_4bit_compute_dtype: bfloat16` (float16 on GPUs without bf16); the fixes add them.");

    public override RuleDescriptor Descriptor => Rule;

    private const string Fp4 = "fp4 (BitsAndBytesConfig's default) instead of the QLoRA recipe's nf4";
    private const string NoDoubleQuant = "no double quantization (about 0.37 bits per parameter more than the QLoRA recipe)";
    private const string Float32Compute = "float32 compute (slower matmuls; the QLoRA recipe computes in bfloat16)";

    // The recipe is a training recipe: a quantization config checked on its own is not known to train anything.
    // axolotl and LLaMA-Factory build their BitsAndBytesConfig with nf4 + double quant and the training dtype: only
    // what is written departs from the recipe there.
    public void Define(ConfigValidator<BitsAndBytesConfigView> checks)
    {
        static bool Applies(BitsAndBytesConfigView v) => v.Document.HasTrainingArguments && !v.IsLlamaFactory && v.LoadIn4bit.Entry is not null && v.LoadIn4bit.Value == true;
        static ConfigEntry Anchor(BitsAndBytesConfigView v) => v.LoadIn4bit.Entry!;
        checks.RuleFor(v => v.Bnb4bitQuantType).Must((v, f) => !(f.Value == "fp4" && (!v.IsAxolotl || f.IsWritten))).When(Applies)
            .Reports(v => Say(v, v.Bnb4bitQuantType, "bnb_4bit_quant_type", Fp4), (c, v, f) => Mend(c, f, Anchor(v), "bnb_4bit_quant_type", "nf4"), at: (v, f) => At(f, Anchor(v)));
        checks.RuleFor(v => v.Bnb4bitUseDoubleQuant).Must((v, f) => !(f.Value == false && (!v.IsAxolotl || f.IsWritten))).When(Applies)
            .Reports(v => Say(v, v.Bnb4bitUseDoubleQuant, "bnb_4bit_use_double_quant", NoDoubleQuant), (c, v, f) => Mend(c, f, Anchor(v), "bnb_4bit_use_double_quant", true), at: (v, f) => At(f, Anchor(v)));
        checks.RuleFor(v => v.Bnb4bitComputeDtype).Must((v, f) => !(f.Text is "float32" or "torch.float32" or "float" && (!v.IsAxolotl || f.IsWritten))).When(Applies)
            .Reports(v => Say(v, v.Bnb4bitComputeDtype, "bnb_4bit_compute_dtype", Float32Compute),
                (c, v, f) => Mend(c, f, Anchor(v), "bnb_4bit_compute_dtype", c.Views.TrainingArguments.Fp16.Value == true ? "float16" : "bfloat16"), at: (v, f) => At(f, Anchor(v)));
    }

    public void Define(ConfigValidator<LlamaFactoryArgumentsView> checks)
    {
        // LLaMA-Factory computes in its training dtype: only the type and the double quantization are judged.
        static bool Applies(LlamaFactoryArgumentsView v) => v.Document.HasTrainingArguments && v.QuantizationBit.Entry is not null
            && v.QuantizationBit.Value == 4 && v.QuantizationMethod.Value is null or "bnb";
        static ConfigEntry Anchor(LlamaFactoryArgumentsView v) => v.QuantizationBit.Entry!;
        checks.RuleFor(v => v.QuantizationType).Must((v, f) => !(f.Value == "fp4" && f.IsWritten)).When(Applies)
            .Reports(v => Say(v, v.QuantizationType, "bnb_4bit_quant_type", Fp4), (c, v, f) => Mend(c, f, Anchor(v), "bnb_4bit_quant_type", "nf4"), at: (v, f) => At(f, Anchor(v)));
        checks.RuleFor(v => v.DoubleQuantization).Must((v, f) => !(f.Value == false && f.IsWritten)).When(Applies)
            .Reports(v => Say(v, v.DoubleQuantization, "bnb_4bit_use_double_quant", NoDoubleQuant), (c, v, f) => Mend(c, f, Anchor(v), "bnb_4bit_use_double_quant", true), at: (v, f) => At(f, Anchor(v)));
    }

    private static string Say(ConfigView v, Field f, string key, string why)
    {
        var spelled = v.Spell(key);
        return "4-bit loading with " + (f.Entry is { } written ? $"{spelled}={written.ValueText} gives {why}" : $"{spelled} is not written, so it is {why}");
    }

    private static Fix[] Mend(RuleContext c, Field f, ConfigEntry anchor, string key, object value) =>
        new[] { f.Entry is { } written ? Fixes.Set(c, written, value) : Fixes.Add(c, anchor, key, value) };

    private static SourceSpan At(Field f, ConfigEntry anchor) => f.Entry?.ValueSpan ?? anchor.KeySpan;
}
