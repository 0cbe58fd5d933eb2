using System.Globalization;

namespace Stepwise.Core.Rules;

/// <summary>
/// One check, in its own file named after its id, with its docs in the <see cref="Descriptor"/>. Arithmetic and
/// cross-file rules (the Schedule, DeepSpeed, datasets, model files) and checks of the keys themselves (unknown,
/// renamed, removed at a release) override <see cref="Check"/>; value and combination checks of one upstream config
/// class derive from <see cref="ValidatorRule"/> instead and join that class's validator.
/// </summary>
public abstract class Rule
{
    public abstract RuleDescriptor Descriptor { get; }
    public abstract void Check(RuleContext context);

    /// <summary>A number as a config writes it (500, 0.1); "unset" for null.</summary>
    public static string F(double? d) => d is double x ? x.ToString("R", CultureInfo.InvariantCulture) : "unset";
}
