using System.Collections.Generic;
using System.Linq;
using FluentValidation;
using Stepwise.Core.Keys;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2008: a value of optim, lr_scheduler_type or an eval/save/logging strategy that the release does not know.</summary>
public sealed class SW2008_UnknownChoice : ValidatorRule, IChecks<TrainingArgumentsView>
{
    public static readonly RuleDescriptor Rule = new("SW2008", "Unknown optimizer, scheduler or strategy", Severity.Error, "Validity",
        "Reports values of `optim`, `lr_scheduler_type`, `eval_strategy`, `save_strategy` and `logging_strategy` that are not " +
        "among the names the selected transformers release accepts, with the valid names and the closest one as a fix. " +
        "The names are those of the assumed release in the generated key data (`adamw_hf` is gone from 4.50). axolotl's own optimizer names are not judged.",
        "TrainingArguments turns these strings into enums in `__post_init__`; an unknown one raises " +
        "\"X is not a valid OptimizerNames, please select one of [...]\" after the job has started.",
        "```yaml\noptim: paged_adamw_8bits\nlr_scheduler_type: cosin\n```",
        "Use a listed name; the fix picks the closest (`paged_adamw_8bit`, `cosine`).");

    public override RuleDescriptor Descriptor => Rule;

    // The names TrainingArguments accepts at the assumed transformers release, from the key data (OptimizerNames,
    // SchedulerType): adamw_hf is gone from v4.50.0 on and stable_adamw arrived within 4.5x, not at v5.
    private static IReadOnlyList<string> OptimizersFor(ConfigView v) => ChoicesAt(v, "optim", KeyTable.Optimizers);

    private static IReadOnlyList<string> SchedulersFor(ConfigView v)
    {
        var hf = ChoicesAt(v, "lr_scheduler_type", KeyTable.Schedulers);
        return v.IsAxolotl ? hf.Concat(new[] { "one_cycle", "rex" }).ToList() : hf;
    }

    private static IReadOnlyList<string> ChoicesAt(ConfigView v, string field, IReadOnlyList<string> fallback)
    {
        var release = v.Versions.Release("transformers");
        var f = release is null ? null : Stepwise.Core.Keys.Upstream.UpstreamData.Instance.Library("transformers")?.Class("TrainingArguments")?.Fields
            .FirstOrDefault(x => x.Name == field && x.Releases.Contains(release.Index));
        return f is { Choices.Count: > 0 } ? f.Choices : fallback;
    }

    public void Define(ConfigValidator<TrainingArgumentsView> checks)
    {
        checks.RuleFor(v => v.Optim).Must((v, f) => OptimizersFor(v).Contains(f.Value!)).When(v => v.Optim.Value is not null && !v.IsAxolotl)
            .Reports(v => Message(v, "optim", v.Optim.Value!, "OptimizerNames", OptimizersFor(v)), (c, v, f) => Closest(c, f, OptimizersFor(v)));
        checks.RuleFor(v => v.LrSchedulerType).Must((v, f) => SchedulersFor(v).Contains(f.Value!)).When(v => v.LrSchedulerType.Value is not null)
            .Reports(v => Message(v, "lr_scheduler_type", v.LrSchedulerType.Value!, "SchedulerType", SchedulersFor(v)), (c, v, f) => Closest(c, f, SchedulersFor(v)));
        checks.RuleFor(v => v.EvalStrategy).Must(f => KeyTable.Strategies.Contains(f.Value!)).When(v => v.EvalStrategy.Value is not null)
            .Reports(v => Message(v, "eval_strategy", v.EvalStrategy.Value!, "IntervalStrategy", KeyTable.Strategies), (c, _, f) => Closest(c, f, KeyTable.Strategies));
        checks.RuleFor(v => v.SaveStrategy).Must(f => KeyTable.SaveStrategies.Contains(f.Value!)).When(v => v.SaveStrategy.Value is not null)
            .Reports(v => Message(v, "save_strategy", v.SaveStrategy.Value!, "SaveStrategy", KeyTable.SaveStrategies), (c, _, f) => Closest(c, f, KeyTable.SaveStrategies));
        checks.RuleFor(v => v.LoggingStrategy).Must(f => KeyTable.Strategies.Contains(f.Value!)).When(v => v.LoggingStrategy.Value is not null)
            .Reports(v => Message(v, "logging_strategy", v.LoggingStrategy.Value!, "IntervalStrategy", KeyTable.Strategies), (c, _, f) => Closest(c, f, KeyTable.Strategies));
    }

    private static string Message(ConfigView v, string key, string value, string enumName, IReadOnlyList<string> valid)
    {
        var near = Suggest.Closest(value, valid);
        return $"{v.Spell(key)}={value} is not a valid {enumName} in {v.Release}" +
               (near is null ? "" : $"; did you mean {near}?") + $" Valid: {string.Join(", ", valid)}";
    }

    private static Fix[] Closest(RuleContext c, Field f, IReadOnlyList<string> valid) =>
        f.Entry is { } e && f.Raw.AsString() is { } v && Suggest.Closest(v, valid) is { } near ? new[] { Fixes.Set(c, e, near) } : Fixes.None;
}
