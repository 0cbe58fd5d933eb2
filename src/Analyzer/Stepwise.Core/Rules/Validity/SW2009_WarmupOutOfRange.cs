using System;
using System.Linq;
using FluentValidation;
using Stepwise.Core.Keys;
using Stepwise.Core.Keys.Upstream;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2009: warmup_ratio outside [0, 1], warmup_steps negative, or (before v5) not a whole number.</summary>
public sealed class SW2009_WarmupOutOfRange : ValidatorRule, IChecks<TrainingArgumentsView>, IChecks<AxolotlConfigView>
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

    /// <summary>
    /// The field that reads warmup_steps in this dialect at the assumed release when it declares an int (transformers v4
    /// TrainingArguments; axolotl's HyperparametersConfig in every release), null when it takes a float (v5); whether
    /// any class declares it at all (an unknown dialect: the transformers major decides).
    /// </summary>
    private static (UpstreamField? Int, bool Known) Declaration(ConfigView v)
    {
        var warmup = KeyTable.Get("warmup_steps")?.DeclaredAt(v.Dialect, v.Versions).FirstOrDefault();
        return (warmup is not null && warmup.Type == KeyType.Integer ? warmup : null, warmup is not null);
    }

    /// <summary>Whether warmup_steps must be a whole number here (the declaring field's type, else before v5).</summary>
    private static bool MustBeWhole(ConfigView v) => Declaration(v) is var (i, known) && (known ? i is not null : !v.IsV5);

    private static bool Whole(NumberField steps) => steps.Value is not double d || d < 0 || Math.Abs(d - Math.Round(d)) < 1e-9;

    public void Define(ConfigValidator<TrainingArgumentsView> checks)
    {
        checks.RuleFor(v => v.WarmupRatio).Must(f => f.Value is not double d || (d >= 0.0 && d <= 1.0))
            .Reports(v => $"{v.Spell("warmup_ratio")}={F(v.WarmupRatio.Value)} must lie in [0, 1] (TrainingArguments raises ValueError)",
                (c, _, ratio) => ratio.Entry is { } e && ratio.Raw.AsDouble() is double d && d > 1 && d < 100 ? new[] { Fixes.Set(c, e, d / 100, preferred: false) } : Fixes.None);
        checks.RuleFor(v => v.WarmupSteps).Must(f => f.Value is not double d || d >= 0.0)
            .Reports(v => $"{v.Spell("warmup_steps")}={F(v.WarmupSteps.Value)} must not be negative (TrainingArguments raises ValueError in {v.Release})",
                (c, v, steps) => WholeFix(c, v, steps, v.WarmupRatio));
        // Whether warmup_steps takes a float comes from the class that reads it at the assumed release (key data):
        // TrainingArguments declares `warmup_steps: int` up to 4.57 and `float` from 5.0; axolotl's own schema is below.
        checks.RuleFor(v => v.WarmupSteps).Must(Whole).When(v => MustBeWhole(v) && !(v.IsAxolotl && Declaration(v).Int is not null))
            .Reports(v => $"{v.Spell("warmup_steps")}={F(v.WarmupSteps.Value)} is not a whole number of steps: {v.Release} takes an int here " +
                      "(a float ratio in warmup_steps is transformers v5 behaviour; use warmup_ratio)",
                (c, v, steps) => WholeFix(c, v, steps, v.WarmupRatio));
    }

    public void Define(ConfigValidator<AxolotlConfigView> checks)
    {
        // axolotl's HyperparametersConfig declares `warmup_steps: int | None` whatever transformers it runs on.
        // pydantic's lax int accepts 2.0 but refuses 0.1 with int_from_float, whose text is quoted (pydantic-core).
        checks.RuleFor(v => v.WarmupSteps).Must(Whole).When(v => MustBeWhole(v) && Declaration(v).Int is not null)
            .Reports(v => Declaration(v).Int is { } f
                    ? $"{v.Spell("warmup_steps")}={F(v.WarmupSteps.Value)} is not a whole number: axolotl's config schema declares warmup_steps an int " +
                      $"(`warmup_steps: {f.Annotation}` in {f.Owner.Name}, axolotl {v.Versions["axolotl"]?.Version}), so pydantic refuses it when the config " +
                      "is validated (\"Input should be a valid integer, got a number with a fractional part\"); write a ratio as warmup_ratio"
                    : "",
                (c, v, steps) => WholeFix(c, v, steps, v.WarmupRatio));
    }

    /// <summary>Where warmup_steps must be whole: below 1 it was meant as a ratio (warmup_ratio), else round it.</summary>
    private static Fix[] WholeFix(RuleContext c, ConfigView v, NumberField steps, Field ratio)
    {
        if (steps.Entry is not { } e || steps.Raw.AsDouble() is not double d || d < 0 || !MustBeWhole(v)) return Fixes.None;
        if (d < 1 && !ratio.IsWritten) return new[] { Fixes.Replace(c, e, "warmup_ratio", d) };
        return new[] { Fixes.Set(c, e, (long)Math.Round(d, MidpointRounding.AwayFromZero)) };
    }
}
