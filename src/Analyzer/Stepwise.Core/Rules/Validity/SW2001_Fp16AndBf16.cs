using FluentValidation;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2001: fp16 and bf16 (or their *_full_eval forms) both true.</summary>
public sealed class SW2001_Fp16AndBf16 : Rule
{
    public static readonly RuleDescriptor Rule = new("SW2001", "fp16 and bf16 are both true", Severity.Error, "Validity",
        "Reports `fp16` and `bf16` both set to true, and `fp16_full_eval` and `bf16_full_eval` both set to true. In axolotl, " +
        "which drops fp16 when bf16 is on, it is a warning.",
        "A run has one mixed-precision mode. TrainingArguments raises a ValueError in `__post_init__` when both are asked " +
        "for, so the job dies at start-up.",
        "```yaml\nfp16: true\nbf16: true\n```",
        "Keep one: `bf16` on Ampere or newer GPUs, `fp16` on older ones. The fix removes `fp16`.");

    public override RuleDescriptor Descriptor => Rule;

    private sealed class Checks : SnapshotValidator
    {
        public Checks()
        {
            // transformers training_args.py __post_init__ (4.57: lines 1512-1516; 5.x the same check).
            RuleFor(s => s.Bf16).Must((s, bf16) => !(bf16 == true && s.Fp16 == true)).When(s => !s.IsAxolotl)
                .WithMessage(s => $"{s.Spell("fp16")} and {s.Spell("bf16")} are both true: only one mixed-precision mode can be used (TrainingArguments raises ValueError at start-up)");
            RuleFor(s => s.Bf16FullEval).Must((s, bf16) => !(bf16 == true && s.Fp16FullEval == true)).When(s => !s.IsAxolotl)
                .WithMessage("fp16_full_eval and bf16_full_eval are both true: evaluation can run in only one half precision (TrainingArguments raises ValueError)");
            // axolotl core/builders/base.py _configure_precision_settings (v0.18.0): fp16 = fp16 and not bf16, so the
            // Trainer never sees both; fp16 is silently dropped.
            RuleFor(s => s.Bf16).Must((s, bf16) => !(bf16 == true && s.Fp16 == true)).When(s => s.IsAxolotl)
                .WithMessage("fp16 and bf16 are both true: axolotl passes fp16 only when bf16 is off, so this run trains in bf16 and fp16 is ignored")
                .WithState(_ => Mild.Warning);
        }
    }

    private static readonly Checks Validator = new();

    public override void Check(RuleContext c) => Validator.Report(c, Rule, (f, _) =>
    {
        var other = Fixes.Written(c, f.PropertyName == nameof(SetupSnapshot.Bf16) ? "fp16" : "fp16_full_eval");
        return other is null ? Fixes.None : new[] { Fixes.Remove(c, other, "keep bf16") };
    });
}
