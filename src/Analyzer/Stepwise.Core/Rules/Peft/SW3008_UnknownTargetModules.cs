using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Stepwise.Core.Model;
using Stepwise.Core.Rules.Validity;

namespace Stepwise.Core.Rules.Peft;

/// <summary>SW3008: LoRA target module names that a Llama-style model does not have.</summary>
public sealed class SW3008_UnknownTargetModules : Rule
{
    public static readonly RuleDescriptor Rule = new("SW3008", "LoRA target module not in a Llama-style model", Severity.Error, "LoRA",
        "When the base model is Llama-style (Llama, Mistral, Qwen2/Qwen3 text models: the names in the checkpoint are " +
        "q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, embed_tokens, lm_head), reports LoRA target names " +
        "(`target_modules`; axolotl `lora_target_modules`, LLaMA-Factory `lora_target`) that match none of them. " +
        "`all-linear` and LLaMA-Factory's `all` are accepted; regular expressions are not judged.",
        "PEFT matches the names against the model's module names. When none matches it raises \"Target modules ... not found " +
        "in the base model\"; when only some match, the others are silently left without adapters (names from other " +
        "architectures such as `query_key_value` or `c_attn` are the usual cause).",
        "```yaml\nlora_target_modules: [q_proj, v_prj, query_key_value]\n```",
        "Use the Llama names; the fix replaces a misspelt name by the closest one.");

    public override RuleDescriptor Descriptor => Rule;

    internal static readonly string[] LlamaModules = { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "lm_head", "embed_tokens" };
    private static readonly string[] Keywords = { "all-linear", "all" };

    /// <summary>Llama-style checkpoints by name (multimodal and mixture-of-experts variants with other module names excluded).</summary>
    internal static bool IsLlamaLike(string? model, string? modelType)
    {
        if (modelType is "LlamaForCausalLM" or "MistralForCausalLM" or "Qwen2ForCausalLM" or "Qwen3ForCausalLM") return true;
        if (model is null) return false;
        var m = model.ToLowerInvariant();
        if (m.Contains("llava") || m.Contains("mixtral") || m.Contains("-vl") || m.Contains("vl-") || m.Contains("omni") || m.Contains("audio")) return false;
        return m.Contains("llama") || m.Contains("mistral") || Regex.IsMatch(m, @"qwen(2|2\.5|3)(?!\.5)");
    }

    public override void Check(RuleContext c)
    {
        var setting = c.Setup.Get("target_modules");
        if (!setting.IsWritten || setting.Entry is not { } e || setting.Document != c.Document) return;
        var modelType = c.Document.Find("model_type")?.Value.AsString();
        var model = c.Setup.String("model_name_or_path");
        if (!IsLlamaLike(model, modelType)) return;

        List<string> names;
        if (e.Value.Kind == ValueKind.Sequence) names = e.Value.Items.Select(i => i.AsString() ?? "").ToList();
        else if (e.Value.AsString() is { } text)
        {
            // PEFT reads a lone string as a regular expression; LLaMA-Factory's lora_target is a comma-separated list.
            if (c.Setup.Dialect != Dialect.LlamaFactory) return;
            names = text.Split(',').Select(n => n.Trim()).ToList();
        }
        else return;
        names = names.Where(n => n.Length > 0).ToList();
        if (names.Count == 0 || names.Any(n => Keywords.Contains(n))) return;

        static string Last(string n) => n.Contains('.') ? n.Substring(n.LastIndexOf('.') + 1) : n;
        static bool IsRegex(string n) => n.IndexOfAny(new[] { '*', '^', '$', '[', '(', '|', '\\', '+', '?' }) >= 0;
        var unknown = names.Where(n => !IsRegex(n) && !LlamaModules.Contains(Last(n))).ToList();
        if (unknown.Count == 0) return;

        bool none = unknown.Count == names.Count;
        var parts = unknown.Select(n => Suggest.Closest(Last(n), LlamaModules) is { } near ? $"{n} (did you mean {near}?)" : n);
        var message = $"{e.Key}: {string.Join(", ", parts)} {(unknown.Count == 1 ? "is not a module" : "are not modules")} of a Llama-style model like {model ?? modelType}" +
            (none ? ": PEFT raises \"Target modules not found in the base model\"" : ": those names get no adapter (PEFT skips them silently)") +
            $". Its linear layers: {string.Join(", ", LlamaModules)}";

        var edits = new List<FileEdit>();
        var text2 = c.Document.Text;
        foreach (var n in unknown)
        {
            if (Suggest.Closest(Last(n), LlamaModules) is not { } near) continue;
            // Edit the name in place inside the value's text (block list, flow list, JSON array or comma list alike).
            var m = Regex.Match(text2.Substring(e.ValueSpan.Start, e.ValueSpan.Length), @"(?<![\w.\-])" + Regex.Escape(n) + @"(?![\w\-])");
            if (!m.Success) continue;
            int at = e.ValueSpan.Start + m.Index + (n.Length - Last(n).Length);
            edits.Add(RuleContext.Here(c.Document.Lines.Edit(at, Last(n).Length, near)));
        }
        var fix = edits.Count > 0 ? new Fix(edits.Count == 1 ? "Use the closest Llama module name" : "Use the closest Llama module names", edits, true) : null;
        c.Report(Rule, e.ValueSpan, message, none ? Severity.Error : Severity.Warning, Fixes.Of(fix));
    }
}
