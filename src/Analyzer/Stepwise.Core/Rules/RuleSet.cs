using System.Collections.Generic;
using System.Linq;
using Stepwise.Core.Rules.Deprecated;
using Stepwise.Core.Rules.File;
using Stepwise.Core.Rules.Peft;
using Stepwise.Core.Rules.Steps;
using Stepwise.Core.Rules.Trainer;
using Stepwise.Core.Rules.Validity;

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
        new SW1008_EmptyDataloader(),
        new SW1009_PackedStepsNeedLengths(),
        new SW2001_Fp16AndBf16(),
        new SW2002_LoadBestStrategiesDiffer(),
        new SW2003_SaveStepsNotMultipleOfEvalSteps(),
        new SW2004_EvalStepsMissing(),
        new SW2005_LoggingStepsZero(),
        new SW2006_FractionalSteps(),
        new SW2007_PlateauWithoutEval(),
        new SW2008_UnknownChoice(),
        new SW2009_WarmupOutOfRange(),
        new SW2010_PrefetchWithoutWorkers(),
        new SW2011_EvalWithoutDataset(),
        new SW2012_BestWithoutMetric(),
        new SW2013_QuantizedFullFinetune(),
        new SW2014_NoLengthWithoutMaxSteps(),
        new SW2015_SaveTotalLimitWithBest(),
        new SW2016_SftConfigBf16Default(),
        new SW3001_FourAndEightBit(),
        new SW3002_UnknownQuantType(),
        new SW3003_UnknownQuantDtype(),
        new SW3004_QloraRecipeDefaults(),
        new SW3005_LoraRankNotPositive(),
        new SW3006_UnknownLoraBias(),
        new SW3007_UnknownTaskType(),
        new SW3008_UnknownTargetModules(),
        new SW3009_QloraWithoutFourBit(),
        new SW3010_AccumulationAndBatchSize(),
        new SW3011_WarmupStepsAndRatio(),
        new SW3012_PerEpochAndSteps(),
        new SW4001_EvaluationStrategy(),
        new SW4002_MaxSeqLength(),
        new SW4003_WarmupRatioV5(),
        new SW4004_ReportToDefault(),
        new SW5001_NotDoneByBundledTrainer(),
        new SW9003_UnknownKey(),
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
