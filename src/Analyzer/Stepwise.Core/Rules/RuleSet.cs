using System.Collections.Generic;
using System.Linq;
using Stepwise.Core.Rules.File;
using Stepwise.Core.Rules.Steps;

namespace Stepwise.Core.Rules;

/// <summary>Every rule, in id order. The Roslyn descriptor table, docs/rules and --explain are generated from here.</summary>
public static class RuleSet
{
    public static readonly IReadOnlyList<Rule> All = new Rule[]
    {
        new SW1001_MaxStepsImpliesEpochs(),
        new SW1002_EpochsIgnored(),
        new SW1003_BatchChangedWithFixedSteps(),
        new SW1004_LessThanOneEpoch(),
        new SW1005_DatasetSizeUnknown(),
        new SW1006_RatiosWithMaxSteps(),
        new SW1007_DeepSpeedBatchMismatch(),
    };

    /// <summary>Ids reported by the engine and readers themselves rather than by a Rule class.</summary>
    public static readonly IReadOnlyList<RuleDescriptor> EngineDescriptors = new[]
    {
        FileRules.InternalError, FileRules.ReadError, FileRules.InvalidValue, FileRules.ReferenceMissing,
    };

    public static IEnumerable<RuleDescriptor> Descriptors =>
        All.Select(r => r.Descriptor).Concat(EngineDescriptors).OrderBy(d => d.Id, System.StringComparer.Ordinal);

    public static RuleDescriptor? Descriptor(string id) => Descriptors.FirstOrDefault(d => d.Id == id);
}
