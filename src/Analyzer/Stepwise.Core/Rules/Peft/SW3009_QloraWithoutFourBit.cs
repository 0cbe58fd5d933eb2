using Stepwise.Core.Model;
using Stepwise.Core.Rules.Validity;

namespace Stepwise.Core.Rules.Peft;

/// <summary>SW3009: axolotl adapter qlora without load_in_4bit.</summary>
public sealed class SW3009_QloraWithoutFourBit : Rule
{
    public static readonly RuleDescriptor Rule = new("SW3009", "adapter: qlora without load_in_4bit", Severity.Error, "LoRA",
        "Reports an axolotl config with `adapter: qlora` where `load_in_4bit` is not true.",
        "QLoRA means LoRA over a 4-bit base model. axolotl's config validation refuses `adapter: qlora` unless `load_in_4bit` is true, so the run stops before training.",
        "```yaml\nadapter: qlora\nload_in_8bit: true\n```",
        "Add `load_in_4bit: true` (the fix), or use `adapter: lora`.");

    public override RuleDescriptor Descriptor => Rule;

    public override void Check(RuleContext c)
    {
        if (c.Setup.Dialect != Dialect.Axolotl) return;
        var s = c.SnapshotCache();
        var adapter = Fixes.Written(c, "adapter");
        if (adapter is null || s.Adapter != "qlora" || s.LoadIn4Bit == true) return;
        // utils/schemas/peft.py validate_qlora (v0.18.0, lines 222-223) asks for load_in_4bit only when not merging.
        if (c.Document.FindSet("merge_lora")?.Value.AsBool() == true) return;
        if (c.Setup.Get("load_in_4bit").Value.Kind == ValueKind.Unknown) return;
        var q4 = Fixes.Written(c, "load_in_4bit");
        var fix = q4 is null ? Fixes.Add(c, adapter, "load_in_4bit", true) : Fixes.Set(c, q4, true);
        c.Report(Rule, adapter.ValueSpan, $"adapter: qlora needs load_in_4bit: true{(q4 is null ? " (not written)" : $", not {q4.ValueText}")}; axolotl refuses the config", fix);
    }
}
