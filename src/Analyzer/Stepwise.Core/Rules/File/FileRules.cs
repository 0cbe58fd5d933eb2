namespace Stepwise.Core.Rules.File;

/// <summary>Descriptors of what the engine and the readers report themselves (no Rule class: they come from reading).</summary>
public static class FileRules
{
    public static readonly RuleDescriptor InternalError = new("SW0001", "Internal error", Severity.Error, "Internal",
        "Reports that a rule crashed on this document.",
        "The other findings are still shown, but the crashed rule said nothing; this is a bug in Stepwise.",
        "Any config that makes a rule throw.",
        "Report the file to the Stepwise maintainers; rule severities can switch the rule off meanwhile.");

    public static readonly RuleDescriptor ReadError = new("SW9001", "The file could not be read", Severity.Error, "File",
        "Reports YAML/JSON syntax errors, binary or non-UTF-8 content, and files too deeply nested or too large to analyse.",
        "The trainer would fail to load this config, and nothing else can be checked until it parses.",
        "```yaml\nper_device_train_batch_size: [8\n```",
        "Correct the syntax at the position shown.");

    public static readonly RuleDescriptor InvalidValue = new("SW9002", "Invalid value for a setting", Severity.Error, "File",
        "Reports values of the wrong type or out of range for settings the step arithmetic needs (batch size, accumulation, max_steps, epochs, world size), " +
        "numbers that are not finite (`.inf`, `.nan`, `1e309`, Python's `1e999`: an error where the step arithmetic needs them, a warning elsewhere), " +
        "and counts too large for 64 bits (a run of more steps or samples than a 64-bit integer holds).",
        "TrainingArguments would reject them at start-up (after the model has loaded), or worse, accept a string and fail later; " +
        "transformers turns `num_train_epochs: .inf` into `math.ceil(inf)` and stops with an OverflowError. Stepwise leaves such a value " +
        "out of every check and reports what it could not compute as unknown.",
        "```yaml\nmax_steps: \"abc\"\nper_device_train_batch_size: 0\nnum_train_epochs: .inf\n```",
        "Write a positive integer (a finite float for num_train_epochs).");

    public static readonly RuleDescriptor ReferenceMissing = new("SW9004", "A referenced file is missing or unreadable", Severity.Warning, "File",
        "Reports a `deepspeed:` config, accelerate config or dataset file that the config names but that cannot be read.",
        "The run would stop at start-up; and the batch settings in that file cannot be checked.",
        "```yaml\ndeepspeed: ds_config.json   # no such file\n```",
        "Fix the path (relative paths are taken from the config's folder and from the current folder).");

    /// <summary>An SW9002 finding (the one way to make one): a value the step arithmetic cannot use, at its span.</summary>
    public static Finding Invalid(string message, Stepwise.Core.Text.SourceSpan span, Severity severity = Severity.Error) =>
        new(InvalidValue.Id, severity, message, span, System.Array.Empty<Fix>()) { Title = "Invalid value", HelpUri = InvalidValue.HelpUri };
}
