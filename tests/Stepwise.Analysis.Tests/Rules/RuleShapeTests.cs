using Stepwise.Core.Model.Views;
using Stepwise.Core.Rules;

namespace Stepwise.Analysis.Tests.Rules;

/// <summary>
/// The two ways a rule is written: a plain <see cref="Rule"/> (arithmetic, other files, the keys themselves) or a
/// <see cref="ValidatorRule"/> whose checks join the validator of each upstream class it checks. Nothing is lost between
/// the rule classes, <see cref="RuleSet"/> and the validators.
/// </summary>
public class RuleShapeTests
{
    private static readonly Type[] RuleTypes = typeof(Rule).Assembly.GetTypes()
        .Where(t => typeof(Rule).IsAssignableFrom(t) && !t.IsAbstract).ToArray();

    [Fact]
    public void Every_rule_class_in_Core_is_registered_in_RuleSet_once()
    {
        Assert.NotEmpty(RuleTypes);
        var registered = RuleSet.All.Select(r => r.GetType()).ToList();
        foreach (var t in RuleTypes)
            Assert.True(registered.Count(r => r == t) == 1, $"{t.Name} is not in RuleSet.All (or is there twice): its checks would never run");
        Assert.Equal(RuleTypes.Length, registered.Count);
    }

    [Fact]
    public void Every_validator_rule_has_checks_in_a_class_validator_and_only_validator_rules_add_checks()
    {
        var checkers = typeof(Rule).Assembly.GetTypes()
            .Where(t => t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IChecks<>))).ToList();
        foreach (var t in checkers)
            Assert.True(typeof(ValidatorRule).IsAssignableFrom(t), $"{t.Name} adds checks to a validator but is not a ValidatorRule, so they would never be reported");

        var inValidators = ConfigValidators.All.SelectMany(v => v.RuleIds).ToHashSet();
        foreach (var rule in RuleSet.All.OfType<ValidatorRule>())
            Assert.True(inValidators.Contains(rule.Descriptor.Id), $"{rule.GetType().Name} is a ValidatorRule with no checks in any class validator");
        var validatorIds = RuleSet.All.OfType<ValidatorRule>().Select(r => r.Descriptor.Id).ToHashSet();
        Assert.Subset(validatorIds, inValidators);
    }

    [Fact]
    public void Each_class_validator_holds_the_rules_that_check_its_view()
    {
        // One validator per upstream class: a rule's checks are where its IChecks<TView> says.
        var expected = new (Type View, string[] Ids)[]
        {
            (typeof(TrainingArgumentsView), new[] { "SW2001", "SW2002", "SW2003", "SW2004", "SW2005", "SW2006", "SW2007", "SW2008", "SW2009", "SW2010", "SW2012", "SW2015", "SW3011" }),
            (typeof(AxolotlConfigView), new[] { "SW2001", "SW2002", "SW2009", "SW2012", "SW2013", "SW3009", "SW3010", "SW3011", "SW3012" }),
            (typeof(LlamaFactoryArgumentsView), new[] { "SW2013", "SW3004" }),
            (typeof(ModelConfigView), new[] { "SW2013" }),
            (typeof(BitsAndBytesConfigView), new[] { "SW3001", "SW3002", "SW3003", "SW3004" }),
            (typeof(LoraConfigView), new[] { "SW3005", "SW3006", "SW3007" }),
        };
        Assert.Equal(expected.Length, ConfigValidators.All.Count);
        foreach (var (view, ids) in expected)
        {
            var validator = Assert.Single(ConfigValidators.All, v => v.GetType().BaseType!.GetGenericArguments()[0] == view);
            Assert.Equal(ids, validator.RuleIds.OrderBy(x => x, StringComparer.Ordinal));
        }
    }
}
