using System;
using Stepwise.Core.Arithmetic;

namespace Stepwise.Core.Rules.Steps;

/// <summary>SW1006: ratio or per-epoch settings mean something else once max_steps sets the run length.</summary>
public sealed class SW1006_RatiosWithMaxSteps : Rule
{
    public static readonly RuleDescriptor Rule = new("SW1006", "Ratio or per-epoch setting measured against max_steps", Severity.Warning, "Schedule",
        "Reports `save_steps`, `eval_steps` or `logging_steps` below 1, `warmup_ratio`, and axolotl's `saves_per_epoch` / " +
        "`evals_per_epoch` in a config whose length is set by `max_steps`, with the absolute steps they turn into.",
        "These values are fractions of the total steps, not of an epoch. Once `max_steps` decides the run length, " +
        "\"4 saves per epoch\" or \"warm up 3%\" follow max_steps: a batch-size change moves them in epochs, and " +
        "axolotl's per-epoch counts no longer happen per epoch at all.",
        "```yaml\nmax_steps: 1000\nsaves_per_epoch: 4   # becomes save_steps 0.25 of 1000 = every 250 steps = every 0.61 epochs\n```",
        "Write absolute steps (`save_steps: 102` for 4 saves per epoch of 407 steps), or drop `max_steps`.");

    public override RuleDescriptor Descriptor => Rule;

    public override void Check(RuleContext c)
    {
        if (c.Schedule is not { MaxStepsSetsLength: true, EmptyDataloader: false, TotalSteps: long total } s) return;
        foreach (var key in new[] { "save_steps", "eval_steps", "logging_steps" })
        {
            var st = c.Setup.Get(key);
            if (!st.IsWritten || st.Entry is null || st.Document != c.Document) continue;
            if (st.Value.AsDouble() is not double v || v <= 0 || v >= 1) continue;
            long steps = (long)Math.Ceiling(total * v - 1e-9);
            var perEpoch = s.EpochsAt(steps) is double at ? $" = every {Schedules.Epochs(at)} epochs" : "";
            Fix? fix = null;
            if (s.StepsPerEpoch is long u2)
            {
                long abs = Math.Max(1, (long)Math.Round(v * u2));
                fix = new Fix($"Use {st.Entry.Key}: {abs} ({v.ToString(System.Globalization.CultureInfo.InvariantCulture)} of an epoch)", new[] { RuleContext.Here(c.Editor.SetValue(st.Entry, abs)) });
            }
            c.Report(Rule, st.Entry.ValueSpan,
                $"{st.Entry.Key}={st.Entry.ValueText} is a ratio of the {Schedules.Num(total)} steps max_steps sets: every {Schedules.Num(steps)} steps{perEpoch}",
                Fixes.Of(fix));
        }

        var ratio = c.Setup.Get("warmup_ratio");
        if (ratio.IsWritten && ratio.Entry is { } re && ratio.Document == c.Document && ratio.Value.AsDouble() is double r && r > 0 && c.Setup.Get("warmup_steps").Value.AsDouble() is not > 0)
        {
            if (c.Document.Dialect == Stepwise.Core.Model.Dialect.Axolotl)
            {
                // axolotl turns the ratio into steps itself: int(ratio x its own total), the total capped by max_steps
                // (core/builders/base.py, utils/data/sft.py), so the batch size can still change it. Said only when known.
                if (s.WarmupSteps is long w)
                {
                    var at = s.EpochsAt(w) is double e ? $" ({Schedules.Epochs(e)} epochs)" : "";
                    c.Report(Rule, re.ValueSpan, $"{re.Key}={re.ValueText} warms up for {Schedules.Num(w)} steps{at}: axolotl takes int(ratio x its total steps), and max_steps={Schedules.Num(total)} caps that total");
                }
            }
            else
            {
                long steps = (long)Math.Ceiling(total * r - 1e-9);
                var epochs = s.EpochsAt(steps) is double at ? $" ({Schedules.Epochs(at)} epochs)" : "";
                c.Report(Rule, re.ValueSpan, $"{re.Key}={re.ValueText} warms up for ceil({Schedules.Num(total)} x {re.ValueText}) = {Schedules.Num(steps)} steps of max_steps{epochs}, whatever the batch size");
            }
        }

        foreach (var (key, target) in new[] { ("saves_per_epoch", "save_steps"), ("evals_per_epoch", "eval_steps") })
        {
            var st = c.Setup.Get(key);
            if (!st.IsWritten || st.Entry is null || st.Document != c.Document || st.Value.AsDouble() is not double k || k <= 0) continue;
            // axolotl: save_steps = 1 / (saves_per_epoch x num_epochs) as a ratio of the total steps it passes.
            double epochsWritten = c.Setup.Double("num_train_epochs") ?? 1;
            double ratioOfTotal = 1.0 / (k * epochsWritten);
            long every = Math.Max(1, (long)Math.Ceiling(total * ratioOfTotal - 1e-9));
            var perEpoch = s.EpochsAt(every) is double at ? $" = every {Schedules.Epochs(at)} epochs, not {st.Entry.ValueText} per epoch" : "";
            Fix? fix = null;
            if (s.StepsPerEpoch is long u2)
            {
                long abs = Math.Max(1, (long)Math.Round(u2 / k));
                fix = new Fix($"Use {target}: {abs} ({st.Entry.ValueText} per epoch of {u2} steps)", new[] { RuleContext.Here(c.Editor.Replace(st.Entry, target, abs)) });
            }
            c.Report(Rule, st.Entry.ValueSpan,
                $"{key}={st.Entry.ValueText} becomes a ratio 1/({st.Entry.ValueText} x {Schedules.Epochs(epochsWritten)}) of max_steps {Schedules.Num(total)}: every {Schedules.Num(every)} steps{perEpoch}",
                Fixes.Of(fix));
        }
    }
}
