using Stepwise.Core.Model;

namespace Stepwise.Core.Rules.Deprecated;

/// <summary>SW4002: TRL's max_seq_length, renamed max_length.</summary>
public sealed class SW4002_MaxSeqLength : Rule
{
    public static readonly RuleDescriptor Rule = new("SW4002", "max_seq_length was renamed max_length", Severity.Warning, "Deprecated",
        "Reports `max_seq_length` in a Hugging Face / TRL style config.",
        "TRL's SFTConfig renamed `max_seq_length` to `max_length` (deprecated in 0.16, removed in 0.20); newer TRL releases reject the old keyword, older scripts silently " +
        "keep a different default (1024) for the new one.",
        "```yaml\nmax_seq_length: 2048\n```",
        "Rename it to `max_length` (the fix; it removes the old key when `max_length` is already written).");

    public override RuleDescriptor Descriptor => Rule;

    public override void Check(RuleContext c)
    {
        if (c.Setup.Dialect != Dialect.Hf) return;
        var old = c.Document.Find("max_seq_length");
        if (old is null) return;
        var newer = c.Document.Find("max_length");
        var fix = newer is null
            ? Fixes.Rename(c, old, "max_length")
            : Fixes.Remove(c, old, "max_length is already written");
        c.Report(Rule, old.KeySpan, "max_seq_length is TRL's old name (renamed max_length in TRL 0.20): newer SFTConfig releases reject it", fix);
    }
}
