namespace Stepwise.Core.Rules;

/// <summary>One check. Each rule lives in its own file named after its id.</summary>
public abstract class Rule
{
    public abstract RuleDescriptor Descriptor { get; }
    public abstract void Check(RuleContext context);
}
