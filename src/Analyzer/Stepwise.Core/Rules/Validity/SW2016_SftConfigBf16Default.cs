using Stepwise.Core.Model;

namespace Stepwise.Core.Rules.Validity;

/// <summary>SW2016: TRL's SFTConfig turns bf16 on when neither bf16 nor fp16 is written.</summary>
public sealed class SW2016_SftConfigBf16Default : Rule
{
    public static readonly RuleDescriptor Rule = new("SW2016", "SFTConfig trains in bf16 unless told otherwise", Severity.Information, "Validity",
        "Reports an `SFTConfig(...)` call (TRL) that writes neither `bf16` nor `fp16`.",
        "Unlike TrainingArguments (bf16 off by default), TRL's SFTConfig sets `bf16` to true when it is left unset and fp16 is off. " +
        "On GPUs without bfloat16 (V100, T4) the run then stops at start-up, although the same arguments in TrainingArguments would not.",
        "```python\nSFTConfig(output_dir=\"out\", per_device_train_batch_size=8)\n```",
        "Write `bf16=True` to keep it, or `fp16=True` / `bf16=False` for GPUs without bfloat16.");

    public override RuleDescriptor Descriptor => Rule;

    public override void Check(RuleContext c)
    {
        ConfigEntry? first = null;
        foreach (var e in c.Document.Entries)
            if (e.Section == "SFTConfig") { first = e; break; }
        if (first is null) return;
        // TRL SFTConfig.__post_init__: bf16=None (also written as None) becomes `not fp16`.
        if (c.Document.FindSet("bf16") is not null || c.Document.FindSet("fp16") is not null) return;
        var span = c.Document.ConfigSpan is { } s ? c.Document.HeadSpan : first.KeySpan;
        c.Report(Rule, span, "SFTConfig writes neither bf16 nor fp16, so TRL turns bf16 on: this run needs a GPU with bfloat16 (Ampere or newer)");
    }
}
