using FluentValidation;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2001: fp16 and bf16 (or their *_full_eval forms) both true.</summary>
public sealed class SW2001_Fp16AndBf16 : ValidatorRule, IChecks<TrainingArgumentsView>, IChecks<AxolotlConfigView>
{
    public static readonly RuleDescriptor Rule = new("SW2001", "fp16 and bf16 are both true", Severity.Error, "Validity",
        "Reports `fp16` and `bf16` both set to true, and `fp16_full_eval` and `bf16_full_eval` both set to true. In axolotl, " +
        "which drops fp16 when bf16 is on, it is a warning.",
        "A run has one mixed-precision mode. TrainingArguments raises a ValueError in `__post_init__` when both are asked " +
        "for, so the job dies at start-up.",
        "```yaml\nfp16: true\nbf16: true\n```",
        "Keep one: `bf16` on Ampere or newer GPUs, `fp16` on older ones. The fix removes `fp16`.");

    public override RuleDescriptor Descriptor => Rule;

    public void Define(ConfigValidator<TrainingArgumentsView> checks)
    {
        // transformers training_args.py __post_init__ (4.57: lines 1512-1516; 5.x the same check).
        checks.RuleFor(v => v.Bf16).Must((v, bf16) => !(bf16.Value == true && v.Fp16.Value == true)).When(v => !v.IsAxolotl)
            .Reports(v => $"{v.Spell("fp16")} and {v.Spell("bf16")} are both true: only one mixed-precision mode can be used (TrainingArguments raises ValueError at start-up)",
                (c, v, _) => KeepBf16(c, v.Fp16));
        checks.RuleFor(v => v.Bf16FullEval).Must((v, bf16) => !(bf16.Value == true && v.Fp16FullEval.Value == true)).When(v => !v.IsAxolotl)
            .Reports(_ => "fp16_full_eval and bf16_full_eval are both true: evaluation can run in only one half precision (TrainingArguments raises ValueError)",
                (c, v, _) => KeepBf16(c, v.Fp16FullEval));
    }

    public void Define(ConfigValidator<AxolotlConfigView> checks)
    {
        // axolotl core/builders/base.py _configure_precision_settings (v0.18.0): fp16 = fp16 and not bf16, so the
        // Trainer never sees both; fp16 is silently dropped.
        checks.RuleFor(v => v.Bf16).Must((v, bf16) => !(bf16.Bool == true && v.Fp16.Value == true))
            .Reports(_ => "fp16 and bf16 are both true: axolotl passes fp16 only when bf16 is off, so this run trains in bf16 and fp16 is ignored",
                (c, v, _) => KeepBf16(c, v.Fp16), Severity.Warning);
    }

    private static Fix[] KeepBf16(RuleContext c, Field fp16) => Fixes.RemoveWritten(c, fp16, "keep bf16");
}
