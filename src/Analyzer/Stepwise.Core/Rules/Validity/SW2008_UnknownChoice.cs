using System.Collections.Generic;
using System.Linq;
using FluentValidation;
using Stepwise.Core.Keys;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2008: a value of optim, lr_scheduler_type or an eval/save/logging strategy that the release does not know.</summary>
public sealed class SW2008_UnknownChoice : Rule
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
    internal static IReadOnlyList<string> OptimizersFor(SetupSnapshot s) => ChoicesAt(s, "optim", KeyTable.Optimizers);

    internal static IReadOnlyList<string> SchedulersFor(SetupSnapshot s)
    {
        var hf = ChoicesAt(s, "lr_scheduler_type", KeyTable.Schedulers);
        return s.IsAxolotl ? hf.Concat(new[] { "one_cycle", "rex" }).ToList() : hf;
    }

    private static IReadOnlyList<string> ChoicesAt(SetupSnapshot s, string field, IReadOnlyList<string> fallback)
    {
        var release = s.Versions.Release("transformers");
        var f = release is null ? null : Stepwise.Core.Keys.Upstream.UpstreamData.Instance.Library("transformers")?.Class("TrainingArguments")?.Fields
            .FirstOrDefault(x => x.Name == field && x.Releases.Contains(release.Index));
        return f is { Choices.Count: > 0 } ? f.Choices : fallback;
    }

    private sealed class Checks : SnapshotValidator
    {
        public Checks()
        {
            RuleFor(s => s.Optim).Must((s, v) => OptimizersFor(s).Contains(v!)).When(s => s.Optim is not null && !s.IsAxolotl)
                .WithMessage(s => Message(s, "optim", s.Optim!, "OptimizerNames", OptimizersFor(s)));
            RuleFor(s => s.LrSchedulerType).Must((s, v) => SchedulersFor(s).Contains(v!)).When(s => s.LrSchedulerType is not null)
                .WithMessage(s => Message(s, "lr_scheduler_type", s.LrSchedulerType!, "SchedulerType", SchedulersFor(s)));
            RuleFor(s => s.EvalStrategy).Must(v => KeyTable.Strategies.Contains(v!)).When(s => s.EvalStrategy is not null)
                .WithMessage(s => Message(s, "eval_strategy", s.EvalStrategy!, "IntervalStrategy", KeyTable.Strategies));
            RuleFor(s => s.SaveStrategy).Must(v => KeyTable.SaveStrategies.Contains(v!)).When(s => s.SaveStrategy is not null)
                .WithMessage(s => Message(s, "save_strategy", s.SaveStrategy!, "SaveStrategy", KeyTable.SaveStrategies));
            RuleFor(s => s.LoggingStrategy).Must(v => KeyTable.Strategies.Contains(v!)).When(s => s.LoggingStrategy is not null)
                .WithMessage(s => Message(s, "logging_strategy", s.LoggingStrategy!, "IntervalStrategy", KeyTable.Strategies));
        }

        private static string Message(SetupSnapshot s, string key, string value, string enumName, IReadOnlyList<string> valid)
        {
            var near = Suggest.Closest(value, valid);
            return $"{s.Spell(key)}={value} is not a valid {enumName} in {s.Release}" +
                   (near is null ? "" : $"; did you mean {near}?") + $" Valid: {string.Join(", ", valid)}";
        }
    }

    private static readonly Checks Validator = new();

    public override void Check(RuleContext c)
    {
        var s = c.SnapshotCache();
        Validator.Report(c, Rule, (f, setting) =>
        {
            if (!setting.IsWritten || setting.Entry is not { } e || setting.Document != c.Document || setting.Value.AsString() is not { } v) return Fixes.None;
            IReadOnlyList<string> valid = f.PropertyName switch
            {
                nameof(SetupSnapshot.Optim) => OptimizersFor(s),
                nameof(SetupSnapshot.LrSchedulerType) => SchedulersFor(s),
                nameof(SetupSnapshot.SaveStrategy) => KeyTable.SaveStrategies,
                _ => KeyTable.Strategies,
            };
            return Suggest.Closest(v, valid) is { } near ? new[] { Fixes.Set(c, e, near) } : Fixes.None;
        });
    }
}
