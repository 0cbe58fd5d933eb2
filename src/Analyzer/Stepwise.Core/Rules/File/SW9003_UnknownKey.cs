using System.Collections.Generic;
using System.Linq;
using Stepwise.Core.Keys;
using Stepwise.Core.Model;

namespace Stepwise.Core.Rules.File;

/// <summary>SW9003: a top-level key the (certain) dialect does not have.</summary>
public sealed class SW9003_UnknownKey : Rule
{
    public static readonly RuleDescriptor Rule = new("SW9003", "Unknown key", Severity.Warning, "File",
        "Once the dialect is certain (its tell-tale keys are present), reports top-level keys that are not settings of that " +
        "dialect. A key within a few letters of a known one is a warning with a \"did you mean\" fix; any other unknown key " +
        "is information only (our key table may lag behind a new release). In Python files only likely typos are reported, " +
        "each key compared with the keys of its own call's class (TrainingArguments or a TRL config, LoraConfig, BitsAndBytesConfig); " +
        "LLaMA-Factory v1 files (`model_class`, `train_dataset`), which feed a trainer with keys of its own, are not judged.",
        "A misspelt key is silently dropped by some loaders and stops others at start-up (LLaMA-Factory and TRL's " +
        "HfArgumentParser: \"Some keys are not used by the HfArgumentParser\"). Either way the setting the user meant never takes effect.",
        "```yaml\nper_device_train_bach_size: 16   # did you mean per_device_train_batch_size?\n```",
        "Rename the key to the suggested spelling (the fix), or remove it.");

    public override RuleDescriptor Descriptor => Rule;

    public override void Check(RuleContext c)
    {
        var doc = c.Document;
        if (!doc.DialectCertain) return;
        // LLaMA-Factory v1 files (model_class, train_dataset, dist_config) look HF-style but feed a trainer of their own
        // with its own keys: judging them against TrainingArguments would only produce noise.
        if (IsLlamaFactoryV1(doc)) return;
        var known = KnownSpellings(doc.Dialect);
        bool python = doc.Syntax is ConfigSyntax.Python or ConfigSyntax.CSharp;
        foreach (var e in c.Setup.UnknownEntries)
        {
            if (!e.IsTopLevel) continue;
            var candidates = known;
            var where = doc.Dialect.DisplayName();
            if (e.Owner is { } owner)
            {
                // A Python call's key is judged against its own class, never against another class of the same file.
                if (!OwnerKeys.TryGetValue(owner, out var ownKeys)) continue;
                candidates = ownKeys;
                where = owner;
            }
            var near = Suggest.Closest(e.Key, candidates);
            if (near is null)
            {
                if (python) continue;
                c.Report(Rule, e.KeySpan, $"{e.Key} is not a known {where} setting (if it is new, Stepwise's key table may lag behind)", Severity.Information);
                continue;
            }
            // Renaming onto a key the same call or file already writes would give it twice (a Python SyntaxError, a
            // YAML key whose first value is silently dropped): the suggestion stays, the fix does not.
            if (doc.Entries.Any(o => o.IsTopLevel && o.Key == near && o.Section == e.Section))
            {
                c.Report(Rule, e.KeySpan, $"{e.Key} is not a known {doc.Dialect.DisplayName()} setting; did you mean {near}? ({near} is written too)");
                continue;
            }
            var fix = new Fix($"Rename to {near}", new[] { RuleContext.Here(c.Editor.Rename(e, near)) }, true);
            c.Report(Rule, e.KeySpan, $"{e.Key} is not a known {where} setting; did you mean {near}?", fix);
        }
    }

    /// <summary>
    /// The classes the hand-kept key table describes, with the spellings a key of each may be compared with: LoRA keys
    /// for LoraConfig, quantization keys for BitsAndBytesConfig, the other Hugging Face keys for TrainingArguments and the
    /// TRL configs. A class not listed (a subclass's own fields, a class the table does not describe) is not judged.
    /// </summary>
    private static readonly Dictionary<string, IReadOnlyList<string>> OwnerKeys = BuildOwnerKeys();

    private static Dictionary<string, IReadOnlyList<string>> BuildOwnerKeys()
    {
        List<string> Of(System.Func<KeyGroup, bool> group) => KeyTable.KeysOf(Dialect.Hf).Where(k => group(k.Group))
            .Select(k => k.SpellingIn(Dialect.Hf)).OrderBy(s => s, System.StringComparer.Ordinal).ToList();
        var training = Of(g => g is not (KeyGroup.Lora or KeyGroup.Quantization));
        var map = new Dictionary<string, IReadOnlyList<string>>(System.StringComparer.Ordinal)
        {
            ["LoraConfig"] = Of(g => g == KeyGroup.Lora),
            ["BitsAndBytesConfig"] = Of(g => g == KeyGroup.Quantization),
        };
        foreach (var cls in new[] { "TrainingArguments", "Seq2SeqTrainingArguments", "SFTConfig", "DPOConfig", "ORPOConfig", "KTOConfig",
                     "CPOConfig", "GRPOConfig", "RewardConfig", "PPOConfig" })
            map[cls] = training;
        return map;
    }

    public static bool IsLlamaFactoryV1(ConfigDocument doc) =>
        doc.FindSet("model_class") is not null || doc.FindSet("train_dataset") is not null || doc.FindSet("dist_config") is not null;

    /// <summary>Spellings a dialect accepts: its own, and for LLaMA-Factory every TrainingArguments name it passes through.</summary>
    internal static IReadOnlyList<string> KnownSpellings(Dialect d) => Known.GetOrAdd(d, BuildKnownSpellings);

    // The key table is fixed for the life of the process: the sorted list is built once per dialect, not per document.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Dialect, IReadOnlyList<string>> Known = new();

    private static IReadOnlyList<string> BuildKnownSpellings(Dialect d)
    {
        var set = new HashSet<string>(KeyTable.SpellingsOf(d));
        if (d == Dialect.LlamaFactory) set.UnionWith(KeyTable.SpellingsOf(Dialect.Hf));
        return set.OrderBy(s => s, System.StringComparer.Ordinal).ToList();
    }
}
