// Generated from Stepwise.Core.Rules.RuleSet.Descriptors by tests/Stepwise.Roslyn.Tests/DescriptorTableTests.cs.
// Do not edit: after a rule change run
//   STEPWISE_REGENERATE=1 dotnet test tests/Stepwise.Roslyn.Tests --filter DescriptorTable
// (checked in rather than built at run time because Roslyn's release tracking needs constant ids).
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace Stepwise.Roslyn;

/// <summary>One DiagnosticDescriptor per engine rule: same ids, titles, default severities and help links.</summary>
public static class StepwiseDescriptors
{
    public static readonly DiagnosticDescriptor SW0001 = new(
        id: "SW0001",
        title: "Internal error",
        messageFormat: "{0}",
        category: "Internal",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports that a rule crashed on this document. The other findings are still shown, but the crashed rule said nothing; this is a bug in Stepwise.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW0001.md");

    public static readonly DiagnosticDescriptor SW1001 = new(
        id: "SW1001",
        title: "max_steps implies more epochs than intended",
        messageFormat: "{0}",
        category: "Schedule",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Computes how many epochs `max_steps` actually trains (max_steps / steps per epoch, where steps per epoch = ceil(ceil(N / batch) / world size / accumulation)) and reports it when that is more than `num_train_epochs` says, or more than the epoch threshold (2.0 by default; setting `epochThreshold`, option `--epoch-threshold`). With `max_steps` fixed, every step carries per_device_train_batch_size x gradient_accumulation_steps x world size samples. Raising the batch size therefore multiplies the data processed and the wall time: batch 8 -> 128 at max_steps 1000 turns 0.15 epochs of 52,002 examples into 2.46, and the run takes 16 times longer. The Trainer only says so in an info log once the job runs.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW1001.md");

    public static readonly DiagnosticDescriptor SW1002 = new(
        id: "SW1002",
        title: "num_train_epochs is ignored because max_steps is set",
        messageFormat: "{0}",
        category: "Schedule",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Reports a written `num_train_epochs` (axolotl: `num_epochs`) in a config whose `max_steps` is greater than 0, with the epochs the run will really train (a warning). When `num_train_epochs` is not written, the default it would have (3.0 in HF and LLaMA-Factory, 1 in axolotl) is just as silently ignored: that is reported as information on `max_steps`. Hugging Face Trainer (and axolotl, where max_steps \"precedes num_epochs\") silently lets `max_steps` decide the run length; `num_train_epochs` only shows up in an info log. A reader of the config believes the run does the written number of epochs.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW1002.md");

    public static readonly DiagnosticDescriptor SW1003 = new(
        id: "SW1003",
        title: "Batch size changed while max_steps stayed",
        messageFormat: "{0}",
        category: "Schedule",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Compares the config with its last committed version (git HEAD). When the samples per optimizer step (per-device batch x accumulation x world size) changed but `max_steps` did not, reports the epochs before and after and the factor on training time. This is the seed scenario: someone raises the batch size to use a bigger GPU, keeps `max_steps`, and the run silently processes 16x the data and takes 16x longer.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW1003.md");

    public static readonly DiagnosticDescriptor SW1004 = new(
        id: "SW1004",
        title: "max_steps covers less than one epoch",
        messageFormat: "{0}",
        category: "Schedule",
        defaultSeverity: DiagnosticSeverity.Info,
        isEnabledByDefault: true,
        description: "Reports a `max_steps` that ends the run before the first epoch is over, with how many examples are never seen. Often intended (a smoke test, a budgeted run), sometimes not: the part of the dataset after the stopping point is never trained on, and which part that is depends on the shuffle.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW1004.md");

    public static readonly DiagnosticDescriptor SW1005 = new(
        id: "SW1005",
        title: "Dataset size unknown",
        messageFormat: "{0}",
        category: "Schedule",
        defaultSeverity: DiagnosticSeverity.Info,
        isEnabledByDefault: true,
        description: "Reports that the number of training examples could not be found (a hub dataset that is not in the local cache, a streaming dataset, a missing file), so steps per epoch and epochs cannot be computed. It is never guessed. Without N, nothing can tell how many epochs `max_steps` trains or how many steps `num_train_epochs` takes.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW1005.md");

    public static readonly DiagnosticDescriptor SW1006 = new(
        id: "SW1006",
        title: "Ratio or per-epoch setting measured against max_steps",
        messageFormat: "{0}",
        category: "Schedule",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Reports `save_steps`, `eval_steps` or `logging_steps` below 1, `warmup_ratio`, and axolotl's `saves_per_epoch` / `evals_per_epoch` in a config whose length is set by `max_steps`, with the absolute steps they turn into. These values are fractions of the total steps, not of an epoch. Once `max_steps` decides the run length, \"4 saves per epoch\" or \"warm up 3%\" follow max_steps: a batch-size change moves them in epochs, and axolotl's per-epoch counts no longer happen per epoch at all.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW1006.md");

    public static readonly DiagnosticDescriptor SW1007 = new(
        id: "SW1007",
        title: "DeepSpeed batch settings disagree",
        messageFormat: "{0}",
        category: "Schedule",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Checks the DeepSpeed JSON named by `deepspeed:`: `train_batch_size` must equal `train_micro_batch_size_per_gpu` x `gradient_accumulation_steps` x world size, and fixed (non-\"auto\") values must equal the trainer's per_device_train_batch_size and gradient_accumulation_steps. DeepSpeed asserts the identity at start-up and the HF integration refuses mismatching fixed values (\"Please correct the following DeepSpeed config values that mismatch TrainingArguments values\"), after the model has loaded.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW1007.md");

    public static readonly DiagnosticDescriptor SW9001 = new(
        id: "SW9001",
        title: "The file could not be read",
        messageFormat: "{0}",
        category: "File",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports YAML/JSON syntax errors, binary or non-UTF-8 content, and files too deeply nested or too large to analyse. The trainer would fail to load this config, and nothing else can be checked until it parses.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW9001.md");

    public static readonly DiagnosticDescriptor SW9002 = new(
        id: "SW9002",
        title: "Invalid value for a setting",
        messageFormat: "{0}",
        category: "File",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports values of the wrong type or out of range for settings the step arithmetic needs (batch size, accumulation, max_steps, epochs, world size). TrainingArguments would reject them at start-up (after the model has loaded), or worse, accept a string and fail later.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW9002.md");

    public static readonly DiagnosticDescriptor SW9004 = new(
        id: "SW9004",
        title: "A referenced file is missing or unreadable",
        messageFormat: "{0}",
        category: "File",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Reports a `deepspeed:` config, accelerate config or dataset file that the config names but that cannot be read. The run would stop at start-up; and the batch settings in that file cannot be checked.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW9004.md");

    public static readonly ImmutableArray<DiagnosticDescriptor> All = ImmutableArray.Create(SW0001, SW1001, SW1002, SW1003, SW1004, SW1005, SW1006, SW1007, SW9001, SW9002, SW9004);

    public static DiagnosticDescriptor? Find(string id) => id switch
    {
        "SW0001" => SW0001,
        "SW1001" => SW1001,
        "SW1002" => SW1002,
        "SW1003" => SW1003,
        "SW1004" => SW1004,
        "SW1005" => SW1005,
        "SW1006" => SW1006,
        "SW1007" => SW1007,
        "SW9001" => SW9001,
        "SW9002" => SW9002,
        "SW9004" => SW9004,
        _ => null,
    };
}
