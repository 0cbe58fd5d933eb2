using System.Collections.Generic;
using Stepwise.Core.Arithmetic;
using Stepwise.Core.Model;

namespace Stepwise.Core.Rules.Steps;

/// <summary>Shared wording and fixes of the step/epoch rules, so every rule says the arithmetic the same way.</summary>
internal static class ScheduleText
{
    /// <summary>"1000 steps x 128 x 1 x 1 = 128,000 samples = 2.46 epochs of 52,002".</summary>
    public static string Arithmetic(Schedule s, long steps)
    {
        var i = s.Inputs;
        long nominal = steps * s.SamplesPerStep;
        var text = $"{Schedules.Num(steps)} steps x {i.PerDeviceBatch}{(i.NGpu > 1 ? $" x {i.NGpu} GPUs" : "")} x {i.GradientAccumulation} x {i.WorldSize} = {Schedules.Num(nominal)} samples";
        if (i.DatasetSize is long n && s.EpochsAt(steps) is double e)
            text += s.Packing is { Packed: true } ? $" = {Schedules.Epochs(e)} epochs of the packed data" : $" = {Schedules.Epochs(e)} epochs of {Schedules.Num(n)}";
        return text;
    }

    /// <summary>"407 steps per epoch (52,002 / 128 = 407 batches; / 1 accumulation)".</summary>
    public static string StepsPerEpoch(Schedule s)
    {
        var i = s.Inputs;
        if (s.PackedUnknown is not null) return $"steps per epoch unknown ({ScheduleSummary.Short(s)})";
        if (s.StepsPerEpoch is not long u || i.DatasetSize is not long n) return "steps per epoch unknown (dataset size unknown)";
        if (i.SamplerBatches is long sb)
            return $"{Schedules.Num(u)} steps per epoch ({Schedules.Num(sb)} packed batches{(i.WorldSize > 1 ? $", / {i.WorldSize} processes = {Schedules.Num(s.MicroBatchesPerEpoch!.Value)}" : "")}{(i.GradientAccumulation > 1 ? $", / {i.GradientAccumulation} accumulation" : "")})";
        var text = $"{Schedules.Num(u)} steps per epoch (ceil({Schedules.Num(n)} / {s.ProcessBatch}) = {Schedules.Num(s.Batches!.Value)} batches";
        if (i.WorldSize > 1) text += $", / {i.WorldSize} processes = {Schedules.Num(s.MicroBatchesPerEpoch!.Value)}";
        if (i.GradientAccumulation > 1) text += $", / {i.GradientAccumulation} accumulation";
        return text + ")";
    }

    public static bool MaxStepsWritten(RuleContext c, out ConfigEntry entry)
    {
        entry = null!;
        var s = c.Setup.Get("max_steps");
        if (s.Entry is null || s.Document != c.Document || !s.IsWritten) return false;
        entry = s.Entry;
        return true;
    }

    /// <summary>Replace max_steps by num_train_epochs = <paramref name="epochs"/> in the file's dialect.</summary>
    public static Fix? ReplaceMaxStepsByEpochs(RuleContext c, double epochs, string title, bool preferred)
    {
        if (!MaxStepsWritten(c, out var maxSteps)) return null;
        var epochsSetting = c.Setup.Get("num_train_epochs");
        // A written num_train_epochs whose value is unknown (a variable) is the user's to keep, not ours to overwrite.
        if (epochsSetting.IsWritten && !epochsSetting.Value.IsKnown) return null;
        object value = RoundEpochs(epochs);
        var edits = new List<FileEdit>();
        if (epochsSetting.IsWritten && epochsSetting.Entry is { } e && epochsSetting.Document == c.Document)
        {
            edits.Add(RuleContext.Here(c.Editor.Remove(maxSteps)));
            if (epochsSetting.Value.AsDouble() is not double current || System.Math.Abs(current - epochs) > 1e-9)
                edits.Add(RuleContext.Here(c.Editor.SetValue(e, value)));
        }
        else
        {
            edits.Add(RuleContext.Here(c.Editor.Replace(maxSteps, c.Setup.Spell("num_train_epochs"), value)));
        }
        return new Fix(title, edits, preferred);
    }

    /// <summary>Epoch values written by fixes: whole numbers as integers, else two decimals.</summary>
    public static object RoundEpochs(double epochs)
    {
        var r = System.Math.Round(epochs, 2);
        if (System.Math.Abs(r - System.Math.Round(r)) < 1e-9) return (long)System.Math.Round(r);
        return r;
    }

    /// <summary>Split per-device batch B into B/k x accumulation A*k (same effective batch, less memory): the seed's second remedy.</summary>
    public static Fix? SplitBatch(RuleContext c)
    {
        var bSetting = c.Setup.Get("per_device_train_batch_size");
        if (!bSetting.IsWritten || bSetting.Entry is null || bSetting.Document != c.Document) return null;
        if (bSetting.Value.AsLong() is not long b || b < 64) return null;
        long k = 1;
        while (b / k > 32 && b % (k * 2) == 0) k *= 2;
        if (k == 1) return null;
        var aSetting = c.Setup.Get("gradient_accumulation_steps");
        long a = aSetting.Value.AsLong() ?? 1;
        var edits = new List<FileEdit> { RuleContext.Here(c.Editor.SetValue(bSetting.Entry, b / k)) };
        if (aSetting.IsWritten && aSetting.Entry is { } ae && aSetting.Document == c.Document)
            edits.Add(RuleContext.Here(c.Editor.SetValue(ae, a * k)));
        else
            edits.Add(RuleContext.Here(c.Editor.AddAfter(bSetting.Entry, c.Setup.Spell("gradient_accumulation_steps"), a * k)));
        return new Fix($"Use {c.Setup.Spell("per_device_train_batch_size")} {b / k} x {c.Setup.Spell("gradient_accumulation_steps")} {a * k} (same {b * a} samples per device per step, less memory)", edits);
    }

    public static Fix[] Fixes(params Fix?[] fixes)
    {
        var list = new List<Fix>();
        foreach (var f in fixes) if (f is not null) list.Add(f);
        return list.ToArray();
    }
}
