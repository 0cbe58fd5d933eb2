namespace Stepwise.Core.Rules.Steps;

/// <summary>SW1005: the dataset size is unknown, so epochs cannot be computed.</summary>
public sealed class SW1005_DatasetSizeUnknown : Rule
{
    public static readonly RuleDescriptor Rule = new("SW1005", "Dataset size unknown", Severity.Information, "Schedule",
        "Reports that the number of training examples could not be found (a hub dataset that is not in the local " +
        "cache, a streaming dataset, a missing file), so steps per epoch and epochs cannot be computed. It is never guessed.",
        "Without N, nothing can tell how many epochs `max_steps` trains or how many steps `num_train_epochs` takes.",
        "```yaml\ndataset_name: someone/private-set   # not in ~/.cache/huggingface/datasets\n```",
        "State it: a comment `# stepwise: dataset_size=52002` in the config, `--dataset-size` on the command line, or the " +
        "editor setting `stepwise.datasetSize`.");

    public override RuleDescriptor Descriptor => Rule;

    public override void Check(RuleContext c)
    {
        if (c.DatasetSize.Known || c.Schedule is null) return;
        var span = c.Setup.Datasets.Count > 0 && c.Setup.Datasets[0].Span is { } s ? s : c.Document.HeadSpan;
        var comment = c.Document.Syntax switch
        {
            Model.ConfigSyntax.Json => "a comment '// stepwise: dataset_size=N', ",
            Model.ConfigSyntax.CSharp => "the .editorconfig option stepwise.dataset_size = N, ",
            _ => "a comment '# stepwise: dataset_size=N', ",
        };
        c.Report(Rule, span,
            $"dataset size unknown ({c.DatasetSize.Detail}), so epochs cannot be computed; state it with {comment}--dataset-size N, or the editor setting stepwise.datasetSize");
    }
}
