using System;
using FluentValidation;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2009: warmup_ratio outside [0, 1], warmup_steps negative, or (before v5) not a whole number.</summary>
public sealed class SW2009_WarmupOutOfRange : Rule
{
    public static readonly RuleDescriptor Rule = new("SW2009", "Warmup value out of range", Severity.Error, "Validity",
        "Reports `warmup_ratio` outside [0, 1] and a negative `warmup_steps`; also a `warmup_steps` that is not a whole number " +
        "where the class reading it declares an int at the assumed release (transformers before v5, which reads a float below 1 " +
        "as a ratio of the total steps; axolotl's schema in every release).",
        "TrainingArguments checks the ratio range in `__post_init__` and raises ValueError; v4 declares warmup_steps an int, " +
        "so `warmup_steps: 0.03` (meant as a ratio) fails or warms up for a fraction of one step. axolotl validates its " +
        "config with pydantic before anything loads, and pydantic refuses a float with a fractional part for an int field.",
        "```yaml\nwarmup_ratio: 3      # meant 0.03\nwarmup_steps: 0.1   # transformers 4.x: not a step count\n```",
        "Write a ratio in [0, 1] or a whole, non-negative number of steps. Before v5 the fix turns a fractional " +
        "`warmup_steps` below 1 into `warmup_ratio`.");

    public override RuleDescriptor Descriptor => Rule;

    private sealed class Checks : SnapshotValidator
    {
        public Checks()
        {
            RuleFor(s => s.WarmupRatio).InclusiveBetween(0.0, 1.0)
                .WithMessage(s => $"{s.Spell("warmup_ratio")}={F(s.WarmupRatio)} must lie in [0, 1] (TrainingArguments raises ValueError)");
            RuleFor(s => s.WarmupSteps).GreaterThanOrEqualTo(0.0)
                .WithMessage(s => $"{s.Spell("warmup_steps")}={F(s.WarmupSteps)} must not be negative (TrainingArguments raises ValueError in {s.Release})");
            // Whether warmup_steps takes a float comes from the class that reads it at the assumed release (key data):
            // TrainingArguments declares `warmup_steps: int` up to 4.57 and `float` from 5.0; axolotl's
            // HyperparametersConfig declares `warmup_steps: int | None` whatever transformers it runs on.
            RuleFor(s => s.WarmupSteps).Must(v => v is not double d || d < 0 || Math.Abs(d - Math.Round(d)) < 1e-9).When(s => s.WarmupStepsMustBeWhole)
                // pydantic's lax int accepts 2.0 but refuses 0.1 with int_from_float, whose text is quoted (pydantic-core).
                .WithMessage(s => s.IsAxolotl && s.WarmupStepsInt is { } f
                    ? $"{s.Spell("warmup_steps")}={F(s.WarmupSteps)} is not a whole number: axolotl's config schema declares warmup_steps an int " +
                      $"(`warmup_steps: {f.Annotation}` in {f.Owner.Name}, axolotl {s.Versions["axolotl"]?.Version}), so pydantic refuses it when the config " +
                      "is validated (\"Input should be a valid integer, got a number with a fractional part\"); write a ratio as warmup_ratio"
                    : $"{s.Spell("warmup_steps")}={F(s.WarmupSteps)} is not a whole number of steps: {s.Release} takes an int here " +
                      "(a float ratio in warmup_steps is transformers v5 behaviour; use warmup_ratio)");
        }
    }

    private static readonly Checks Validator = new();

    public override void Check(RuleContext c)
    {
        var s = c.SnapshotCache();
        Validator.Report(c, Rule, (f, setting) =>
        {
            if (!setting.IsWritten || setting.Entry is not { } e || setting.Document != c.Document || setting.Value.AsDouble() is not double d) return Fixes.None;
            if (f.PropertyName == nameof(SetupSnapshot.WarmupSteps) && d >= 0 && s.WarmupStepsMustBeWhole)
            {
                if (d < 1 && !s.Has("warmup_ratio"))
                    return new[] { new Fix($"Replace by {c.Setup.Spell("warmup_ratio")}: {SnapshotValidator.F(d)}", new[] { RuleContext.Here(c.Editor.Replace(e, c.Setup.Spell("warmup_ratio"), d)) }, true) };
                return new[] { Fixes.Set(c, e, (long)Math.Round(d, MidpointRounding.AwayFromZero)) };
            }
            if (f.PropertyName == nameof(SetupSnapshot.WarmupRatio) && d > 1 && d < 100)
                return new[] { Fixes.Set(c, e, d / 100, preferred: false) };
            return Fixes.None;
        });
    }
}
