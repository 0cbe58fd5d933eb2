using System;
using System.Collections.Generic;
using Stepwise.Core.Arithmetic;
using Stepwise.Core.Model;
using Stepwise.Core.Text;

namespace Stepwise.Core.Rules;

/// <summary>What a rule sees: the setup, its schedule, N, the options, and where to report.</summary>
public sealed class RuleContext
{
    private readonly List<Finding> _findings;

    internal RuleContext(TrainingSetup setup, Schedule? schedule, DatasetSize datasetSize, AnalysisOptions options, AnalysisInputs inputs,
        TrainingSetup? previousSetup, Schedule? previousSchedule, List<Finding> findings)
    {
        Setup = setup; Schedule = schedule; DatasetSize = datasetSize; Options = options; Inputs = inputs;
        PreviousSetup = previousSetup; PreviousSchedule = previousSchedule; _findings = findings;
    }

    public TrainingSetup Setup { get; }
    public ConfigDocument Document => Setup.Document;
    public IConfigEditor Editor => Setup.Document.Editor;
    public Schedule? Schedule { get; }
    public DatasetSize DatasetSize { get; }
    public AnalysisOptions Options { get; }
    public AnalysisInputs Inputs { get; }
    public TrainingSetup? PreviousSetup { get; }
    public Schedule? PreviousSchedule { get; }

    private Model.Views.ConfigViews? _views;
    /// <summary>The typed views of the setup's upstream classes (built on first use, shared by the rules).</summary>
    public Model.Views.ConfigViews Views => _views ??= new Model.Views.ConfigViews(Setup, Options);

    public void Report(RuleDescriptor rule, SourceSpan span, string message, params Fix[] fixes) =>
        _findings.Add(new Finding(rule.Id, rule.DefaultSeverity, message, span, fixes) { Title = rule.Title, HelpUri = rule.HelpUri });

    /// <summary>Reports at a severity other than the rule's default (a milder case of the same rule).</summary>
    public void Report(RuleDescriptor rule, SourceSpan span, string message, Severity severity, params Fix[] fixes) =>
        _findings.Add(new Finding(rule.Id, severity, message, span, fixes) { Title = rule.Title, HelpUri = rule.HelpUri });

    internal void Report(string id, SourceSpan span, string message, Severity severity)
    {
        var d = RuleSet.Descriptor(id);
        _findings.Add(new Finding(id, severity, message, span, Array.Empty<Fix>()) { Title = d?.Title ?? "", HelpUri = d?.HelpUri });
    }

    /// <summary>An edit in this document.</summary>
    public static FileEdit Here(TextEdit e) => new(null, e);
}
