using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Stepwise.Core.Model;

namespace Stepwise.Core.Rules.Peft;

/// <summary>SW3008: LoRA target module names that the base model does not have, judged only when its architecture is known.</summary>
public sealed class SW3008_UnknownTargetModules : Rule
{
    public static readonly RuleDescriptor Rule = new("SW3008", "LoRA target module not in the base model", Severity.Error, "LoRA",
        "Reports LoRA target names (`target_modules`; axolotl `lora_target_modules`, LLaMA-Factory `lora_target`) that match " +
        "no module of the base model, only when the model's modules are known: from its weights (model.safetensors or its " +
        "index) or its config.json when they are on disk (the model folder, the Hugging Face hub cache, or a config.json " +
        "beside the training config), or from a model id of a family whose modules are known (Llama 2/3, Mistral 7B, " +
        "Qwen2/2.5/3 dense text models: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, embed_tokens, lm_head). " +
        "Any other model says nothing. `all-linear` and LLaMA-Factory's `all` are accepted; regular expressions are not judged.",
        "PEFT matches each name against the model's module names (equal, or ending in `.name`). When none matches it raises " +
        "\"Target modules ... not found in the base model\"; when only some match, the others are silently left without " +
        "adapters (names from other architectures such as `query_key_value` or `c_attn` are the usual cause).",
        "```yaml\nbase_model: meta-llama/Llama-3.1-8B\nlora_target_modules: [q_proj, v_prj, query_key_value]\n```",
        "Use the model's names; the fix replaces a misspelt name by the closest one.");

    public override RuleDescriptor Descriptor => Rule;

    internal static readonly string[] LlamaModules = { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "lm_head", "embed_tokens" };
    private static readonly string[] Keywords = { "all-linear", "all" };

    /// <summary>config.json model_type values whose checkpoints use the Llama module names (transformers models/llama,
    /// mistral, qwen2, qwen3: dense decoder-only text models).</summary>
    private static readonly string[] LlamaModelTypes = { "llama", "mistral", "qwen2", "qwen3" };
    /// <summary>axolotl's model_type (the model class) for the same families.</summary>
    private static readonly string[] LlamaClasses = { "LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM" };

    /// <summary>
    /// Model ids of the dense text families named above, by their published names: Llama 2 / 3 / 3.1 / 3.2 / 3.3 (not the
    /// Vision models), Code Llama, TinyLlama, OpenLLaMA, Mistral 7B, Qwen2 / Qwen2.5 / Qwen3 text models (not VL, Omni,
    /// Audio, the Next or mixture-of-experts -A3B/-A22B models). Anything else (Llama 4, Qwen3-Next, a local path) is unknown.
    /// </summary>
    internal static bool IsKnownLlamaFamily(string? model)
    {
        if (model is null) return false;
        var name = model.ToLowerInvariant();
        if (name.Contains('/')) name = name.Substring(name.LastIndexOf('/') + 1);
        if (Regex.IsMatch(name, @"vision|-vl\b|vl-|omni|audio|llava|next|-a\d+(\.\d+)?b\b|moe|mixtral")) return false;
        return Regex.IsMatch(name, @"^(meta-)?llama-?(2|3)(\.[0-3])?-\d") || Regex.IsMatch(name, @"^(codellama|tinyllama|open_llama)")
            || Regex.IsMatch(name, @"^mistral-7b") || Regex.IsMatch(name, @"^qwen(2|2\.5|3)-(coder-|math-)?\d");
    }

    public override void Check(RuleContext c)
    {
        var setting = c.Setup.Get("target_modules");
        if (!setting.IsWritten || setting.Entry is not { } e || setting.Document != c.Document) return;

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
        static bool IsRegex(string n) => n.IndexOfAny(new[] { '*', '^', '$', '[', '(', '|', '\\', '+', '?' }) >= 0;
        static string Last(string n) => n.Contains('.') ? n.Substring(n.LastIndexOf('.') + 1) : n;

        // What is known about the model, best first: its module names from the weights; else its family from config.json;
        // else its family from the model id. Nothing known: nothing said.
        var model = c.Setup.String("model_name_or_path");
        var arch = c.Inputs.Model;
        Func<string, bool> exists;
        IReadOnlyList<string> vocabulary;
        string what;
        if (arch?.Modules is { Count: > 0 } modules)
        {
            // peft tuners_utils.py check_target_module_exists (v0.19.1): a name matches a module equal to it or ending in "." + it.
            var set = new HashSet<string>(modules, StringComparer.Ordinal);
            exists = n => set.Contains(n) || modules.Any(m => m.EndsWith("." + n, StringComparison.Ordinal));
            vocabulary = modules.Select(Last).Distinct(StringComparer.Ordinal).OrderBy(x => x, StringComparer.Ordinal).ToList();
            what = $"modules of {model ?? "the base model"} (its weights, {arch.Source})";
        }
        else
        {
            bool llama = arch?.ModelType is { } mt
                ? LlamaModelTypes.Contains(mt)
                : LlamaClasses.Contains(c.Document.FindSet("model_type")?.Value.AsString() ?? "") || IsKnownLlamaFamily(model);
            if (!llama) return;
            exists = n => LlamaModules.Contains(Last(n));
            vocabulary = LlamaModules;
            what = arch?.ModelType is { } t
                ? $"modules of a {t} model like {model ?? "the base model"} ({arch.Source})"
                : $"modules of a Llama-style model like {model}";
        }

        var unknown = names.Where(n => !IsRegex(n) && !exists(n)).ToList();
        if (unknown.Count == 0) return;
        bool none = unknown.Count == names.Count;
        var parts = unknown.Select(n => Suggest.Closest(Last(n), vocabulary) is { } near ? $"{n} (did you mean {near}?)" : n);
        var listed = vocabulary.Count <= 24 ? $". Its modules: {string.Join(", ", vocabulary)}" : "";
        var message = $"{e.Key}: {string.Join(", ", parts)} {(unknown.Count == 1 ? "is not among the" : "are not among the")} {what}" +
            (none ? ": PEFT raises \"Target modules ... not found in the base model\"" : ": those names get no adapter (PEFT skips them silently)") + listed;

        var edits = new List<FileEdit>();
        var text2 = c.Document.Text;
        foreach (var n in unknown)
        {
            if (Suggest.Closest(Last(n), vocabulary) is not { } near) continue;
            // Edit the name in place inside the value's text (block list, flow list, JSON array or comma list alike).
            var m = Regex.Match(text2.Substring(e.ValueSpan.Start, e.ValueSpan.Length), @"(?<![\w.\-])" + Regex.Escape(n) + @"(?![\w\-])");
            if (!m.Success) continue;
            int at = e.ValueSpan.Start + m.Index + (n.Length - Last(n).Length);
            edits.Add(RuleContext.Here(c.Document.Lines.Edit(at, Last(n).Length, near)));
        }
        var fix = edits.Count > 0 ? new Fix(edits.Count == 1 ? "Use the closest module name" : "Use the closest module names", edits, true) : null;
        c.Report(Rule, e.ValueSpan, message, none ? Severity.Error : Severity.Warning, Fixes.Of(fix));
    }
}
