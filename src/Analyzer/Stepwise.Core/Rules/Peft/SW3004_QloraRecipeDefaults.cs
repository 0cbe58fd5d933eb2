using System.Collections.Generic;
using Stepwise.Core.Model;
using Stepwise.Core.Rules.Validity;

namespace Stepwise.Core.Rules.Peft;

/// <summary>SW3004: 4-bit loading left at BitsAndBytesConfig's defaults (fp4, no double quant, float32 compute).</summary>
public sealed class SW3004_QloraRecipeDefaults : Rule
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

    public override void Check(RuleContext c)
    {
        // The recipe is a training recipe: a quantization config checked on its own is not known to train anything.
        if (!c.Document.HasTrainingArguments) return;
        var s = c.SnapshotCache();
        ConfigEntry? anchor;
        if (s.Dialect == Dialect.LlamaFactory)
        {
            anchor = Fixes.Written(c, "quantization_bit");
            if (anchor is null || s.QuantizationBit != 4 || s.QuantizationMethod is not (null or "bnb")) return;
        }
        else
        {
            anchor = Fixes.Written(c, "load_in_4bit");
            if (anchor is null || s.LoadIn4Bit != true) return;
        }

        // axolotl and LLaMA-Factory build their BitsAndBytesConfig with nf4 + double quant and the training dtype:
        // only what is written departs from the recipe there.
        bool defaultsAreRecipe = s.Dialect is Dialect.Axolotl or Dialect.LlamaFactory;
        var problems = new List<(string Key, object Value, string Why)>();
        if (s.Bnb4BitQuantType == "fp4" && (!defaultsAreRecipe || s.Has("bnb_4bit_quant_type")))
            problems.Add(("bnb_4bit_quant_type", "nf4", "fp4 (BitsAndBytesConfig's default) instead of the QLoRA recipe's nf4"));
        if (s.Bnb4BitUseDoubleQuant == false && (!defaultsAreRecipe || s.Has("bnb_4bit_use_double_quant")))
            problems.Add(("bnb_4bit_use_double_quant", true, "no double quantization (about 0.37 bits per parameter more than the QLoRA recipe)"));
        if (s.Dialect != Dialect.LlamaFactory && s.Bnb4BitComputeDtype is "float32" or "torch.float32" or "float" && (!defaultsAreRecipe || s.Has("bnb_4bit_compute_dtype")))
            problems.Add(("bnb_4bit_compute_dtype", s.Fp16 == true ? "float16" : "bfloat16", "float32 compute (slower matmuls; the QLoRA recipe computes in bfloat16)"));

        foreach (var (key, value, why) in problems)
        {
            var written = Fixes.Written(c, key);
            var spelled = c.Setup.Spell(key);
            var state = written is null ? $"{spelled} is not written, so it is {why}" : $"{spelled}={written.ValueText} gives {why}";
            var fix = written is null ? Fixes.Add(c, anchor, key, value) : Fixes.Set(c, written, value);
            c.Report(Rule, written?.ValueSpan ?? anchor.KeySpan, $"4-bit loading with {state}", fix);
        }
    }
}
