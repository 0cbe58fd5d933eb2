namespace Stepwise.Trainer.LearningRate;

/// <summary>
/// The learning-rate multipliers of transformers' optimization.py (get_scheduler): a LambdaLR whose factor is a
/// function of the number of optimizer steps taken. The lr used by step k+1 (k steps done) is base x Factor(k); HF
/// logs the lr after the scheduler stepped, i.e. Factor(global_step).
/// </summary>
public sealed class LrSchedule
{
    /// <summary>The names the engine's table of the bundled trainer lists (SW5001 refuses the others before any model loads).</summary>
    public static IReadOnlyList<string> Supported => Stepwise.Core.Rules.Trainer.BundledTrainerSupport.Schedulers;

    public string Type { get; }
    public double BaseLr { get; }
    public long WarmupSteps { get; }
    public long TotalSteps { get; }

    public LrSchedule(string type, double baseLr, long warmupSteps, long totalSteps)
    {
        if (!Supported.Contains(type)) throw new ArgumentException(Refusal(type));
        Type = type; BaseLr = baseLr; WarmupSteps = warmupSteps; TotalSteps = totalSteps;
    }

    public static string? Refusal(string type) => Supported.Contains(type)
        ? null
        : $"lr_scheduler_type '{type}' is not available in the bundled trainer; use one of: {string.Join(", ", Supported)}";

    public double LearningRate(long stepsDone) => BaseLr * Factor(stepsDone);

    public double Factor(long step)
    {
        long w = WarmupSteps, t = TotalSteps;
        switch (Type)
        {
            case "constant":
                return 1.0;
            case "constant_with_warmup": // get_constant_schedule_with_warmup
                return step < w ? (double)step / Math.Max(1.0, w) : 1.0;
            case "linear": // get_linear_schedule_with_warmup
                if (step < w) return (double)step / Math.Max(1, w);
                return Math.Max(0.0, (double)(t - step) / Math.Max(1, t - w));
            case "cosine": // get_cosine_schedule_with_warmup, num_cycles = 0.5
            {
                if (step < w) return (double)step / Math.Max(1, w);
                double progress = (double)(step - w) / Math.Max(1, t - w);
                return Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * 0.5 * 2.0 * progress)));
            }
            default:
                throw new InvalidOperationException(Type);
        }
    }
}
