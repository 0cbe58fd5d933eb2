using System;
using System.Collections.Generic;
using FluentValidation;
using Stepwise.Core.Model;
using Stepwise.Core.Model.Views;
using Stepwise.Core.Text;

namespace Stepwise.Core.Rules;

/// <summary>
/// A rule made of value and combination checks of upstream config classes. It implements
/// <see cref="IChecks{TView}"/> for each class it checks; its checks join that class's <see cref="ConfigValidator{TView}"/>
/// as a FluentValidation rule set named by the rule's id, so running the rule runs only its own checks.
/// </summary>
public abstract class ValidatorRule : Rule
{
    public sealed override void Check(RuleContext context)
    {
        foreach (var validator in ConfigValidators.All) validator.Report(context, this);
    }
}

/// <summary>The checks a <see cref="ValidatorRule"/> adds to the validator of one upstream class.</summary>
public interface IChecks<TView> where TView : ConfigView
{
    /// <summary>Adds the rule's checks: <c>checks.RuleFor(v =&gt; v.Field).Must(...).When(...).Reports(...)</c>.</summary>
    void Define(ConfigValidator<TView> checks);
}

/// <summary>What a failed check reports beyond the rule's defaults: its message, and optionally a milder severity, a
/// span other than the checked field's value, and fixes.</summary>
public sealed class Outcome
{
    internal Outcome(string message, Severity? severity, SourceSpan? span, Func<RuleContext, Fix[]>? fixes)
    {
        Message = message; Severity = severity; Span = span; Fixes = fixes;
    }

    public string Message { get; }
    public Severity? Severity { get; }
    public SourceSpan? Span { get; }
    internal Func<RuleContext, Fix[]>? Fixes { get; }
}

public static class ConfigValidatorExtensions
{
    /// <summary>
    /// What the check reports when it fails: the message (taken as it is: no FluentValidation placeholders, so a value
    /// written in the config is never rewritten), a severity when milder than the rule's default, the span when it is
    /// not the checked field's written value (else the document's head), and the fixes, spelled through
    /// <see cref="Rules.Fixes"/>.
    /// </summary>
    public static IRuleBuilderOptions<TView, TField> Reports<TView, TField>(this IRuleBuilderOptions<TView, TField> rule,
        Func<TView, string> message, Func<RuleContext, TView, TField, Fix[]>? fix = null, Severity? severity = null,
        Func<TView, TField, SourceSpan?>? at = null)
        where TView : ConfigView =>
        rule.WithState((view, field) => new Outcome(message(view), severity, at?.Invoke(view, field),
            fix is null ? null : c => fix(c, view, field)));
}

/// <summary>The validator of one upstream config class: which dialects build that class, and how it is reported.</summary>
public interface IConfigValidator
{
    /// <summary>The ids of the rules with checks here.</summary>
    IReadOnlyCollection<string> RuleIds { get; }

    /// <summary>Runs the checks <paramref name="rule"/> added here, when this class reads the document's dialect.</summary>
    void Report(RuleContext context, ValidatorRule rule);
}

/// <summary>
/// The FluentValidation validator of one upstream config class over its generated view: every registered rule that
/// implements <see cref="IChecks{TView}"/> adds its checks as a rule set named by its id. A failure is reported at the
/// checked field's written value (the property a check names is the anchor), else at the document's head.
/// </summary>
public abstract class ConfigValidator<TView> : AbstractValidator<TView>, IConfigValidator where TView : ConfigView
{
    private readonly Func<ConfigViews, TView> _view;
    private readonly Func<Dialect, bool> _reads;
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);

    /// <param name="view">The view of this class among a setup's views.</param>
    /// <param name="reads">Whether a config of the dialect is read into this class.</param>
    /// <param name="rules">The rules whose checks this validator holds (those implementing IChecks of this view).</param>
    protected ConfigValidator(Func<ConfigViews, TView> view, Func<Dialect, bool> reads, IEnumerable<Rule> rules)
    {
        _view = view; _reads = reads;
        foreach (var rule in rules)
        {
            if (rule is not IChecks<TView> checks) continue;
            _ids.Add(rule.Descriptor.Id);
            RuleSet(rule.Descriptor.Id, () => checks.Define(this));
        }
    }

    /// <summary>The ids of the rules with checks here.</summary>
    public IReadOnlyCollection<string> RuleIds => _ids;

    public void Report(RuleContext context, ValidatorRule rule)
    {
        var id = rule.Descriptor.Id;
        if (!_ids.Contains(id) || !_reads(context.Setup.Dialect)) return;
        var result = this.Validate(_view(context.Views), o => o.IncludeRuleSets(id));
        foreach (var failure in result.Errors)
        {
            var outcome = failure.CustomState as Outcome
                ?? throw new InvalidOperationException($"a check of {id} has no Reports(...)");
            var span = outcome.Span ?? (failure.AttemptedValue as Field)?.Entry?.ValueSpan ?? context.Document.HeadSpan;
            var fixes = outcome.Fixes?.Invoke(context) ?? Fixes.None;
            if (outcome.Severity is Severity severity) context.Report(rule.Descriptor, span, outcome.Message, severity, fixes);
            else context.Report(rule.Descriptor, span, outcome.Message, fixes);
        }
    }
}
