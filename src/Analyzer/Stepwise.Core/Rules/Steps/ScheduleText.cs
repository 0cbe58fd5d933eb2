using Stepwise.Core.Arithmetic;

namespace Stepwise.Core.Rules.Steps;

/// <summary>Shared wording of the step/epoch rules, so every rule says the arithmetic the same way (their fixes are in
/// <see cref="Fixes"/>).</summary>
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
}
