using Stepwise.Core.Model;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2013: a quantized base model trained without an adapter.</summary>
public sealed class SW2013_QuantizedFullFinetune : Rule
{
    public static readonly RuleDescriptor Rule = new("SW2013", "Quantized model trained without an adapter", Severity.Error, "Validity",
        "Reports a 4- or 8-bit base model (`load_in_4bit` / `load_in_8bit`; LLaMA-Factory `quantization_bit`) that is fine-tuned " +
        "in full: axolotl with no `adapter`, LLaMA-Factory with `finetuning_type` other than lora/oft, TRL-style configs with `use_peft: false`.",
        "Quantized weights cannot be trained directly. Trainer raises \"You cannot perform fine-tuning on purely quantized " +
        "models. Please attach trainable adapters\"; LLaMA-Factory stops with \"Quantization is only compatible with the LoRA or OFT method\".",
        "```yaml\n# axolotl\nload_in_4bit: true\n# no adapter\n```",
        "Train an adapter (axolotl `adapter: qlora`, LLaMA-Factory `finetuning_type: lora`), or load the model unquantized.");

    public override RuleDescriptor Descriptor => Rule;

    public override void Check(RuleContext c)
    {
        var s = c.SnapshotCache();
        var q4 = Fixes.Written(c, "load_in_4bit");
        var q8 = Fixes.Written(c, "load_in_8bit");
        switch (s.Dialect)
        {
            case Dialect.LlamaFactory:
            {
                var qb = Fixes.Written(c, "quantization_bit");
                if (qb is null || s.QuantizationBit is null || s.FinetuningType is null or "lora" or "oft") return;
                var ft = Fixes.Written(c, "finetuning_type");
                c.Report(Rule, ft?.ValueSpan ?? qb.ValueSpan,
                    $"quantization_bit={SnapshotValidator.F(s.QuantizationBit)} with finetuning_type={s.FinetuningType}: LLaMA-Factory trains quantized models only with LoRA or OFT adapters",
                    Fixes.Of(ft is null ? null : Fixes.Set(c, ft, "lora")));
                return;
            }
            case Dialect.Axolotl:
            {
                var q = s.LoadIn4Bit == true ? q4 : s.LoadIn8Bit == true ? q8 : null;
                // utils/schemas/peft.py validate_adapter (v0.18.0, lines 180-188): not for inference configs.
                if (q is null || s.Adapter is { Length: > 0 } || c.Document.FindSet("inference")?.Value.AsBool() == true) return;
                var adapter = s.LoadIn4Bit == true ? "qlora" : "lora";
                c.Report(Rule, q.ValueSpan, $"{q.Key}: true with no adapter: the quantized model would be fine-tuned in full, which Trainer refuses (\"cannot perform fine-tuning on purely quantized models\")",
                    Fixes.Add(c, q, "adapter", adapter));
                return;
            }
            default:
            {
                var q = s.LoadIn4Bit == true ? q4 : s.LoadIn8Bit == true ? q8 : null;
                var peft = Fixes.Written(c, "use_peft");
                // An HF-style file cannot tell whether the script attaches a LoraConfig; only TRL's explicit use_peft: false says no.
                if (q is null || peft is null || s.UsePeft != false) return;
                c.Report(Rule, peft.ValueSpan, $"{q.Key}: true with use_peft: false: the quantized model would be fine-tuned in full, which Trainer refuses (\"cannot perform fine-tuning on purely quantized models\")",
                    Fixes.Set(c, peft, true));
                return;
            }
        }
    }
}
