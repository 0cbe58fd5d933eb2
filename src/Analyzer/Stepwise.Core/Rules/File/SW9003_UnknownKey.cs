using System;
using System.Collections.Generic;
using System.Linq;
using Stepwise.Core.Keys;
using Stepwise.Core.Keys.Upstream;
using Stepwise.Core.Model;

namespace Stepwise.Core.Rules.File;

/// <summary>SW9003: a key no class that reads the file declares at the assumed library versions.</summary>
public sealed class SW9003_UnknownKey : Rule
{
    public static readonly RuleDescriptor Rule = new("SW9003", "Unknown key", Severity.Warning, "File",
        "Once the dialect is certain (its tell-tale keys are present), reports top-level keys that no class reading that " +
        "file declares at the assumed library versions (the generated upstream key data: TrainingArguments and the TRL " +
        "configs, ModelConfig and ScriptArguments for Hugging Face YAML; axolotl's input schema and its plugins' " +
        "arguments; LLaMA-Factory's argument classes; in Python, the class of the call that holds the argument). Keys " +
        "declared by a `@dataclass` of the workspace that a script passes to `HfArgumentParser`/`TrlParser` are known too. " +
        "A key within a few letters of a known one is a warning with a \"did you mean\" fix; a key that exists in other " +
        "releases says which release added or removed it, or that only the library's main branch declares it so far (a " +
        "warning when the release is known, information when it is assumed); any other unknown key is information only. " +
        "A Python call's key its class does not declare is a warning (a dataclass raises TypeError, BitsAndBytesConfig " +
        "ignores it); in Python files without a known class only likely typos are reported, and the fields a subclass " +
        "defined in the file declares are its own. LLaMA-Factory v1 files (`model_class`, `train_dataset`), which feed a " +
        "trainer with keys of its own, are not judged.",
        "A misspelt key is silently dropped by some loaders (axolotl's pydantic schema ignores undeclared keys; " +
        "BitsAndBytesConfig ignores unused keyword arguments) and stops others at start-up (HfArgumentParser: \"Some keys " +
        "are not used by the HfArgumentParser\"; a dataclass call: TypeError). Either way the setting the user meant never takes effect.",
        "```yaml\nper_device_train_bach_size: 16   # did you mean per_device_train_batch_size?\n```",
        "Rename the key to the suggested spelling (the fix), remove it, or pin the release that declares it.");

    public override RuleDescriptor Descriptor => Rule;

    /// <summary>Libraries whose classes Python calls construct (an axolotl or LLaMA-Factory class of the same name is not meant).</summary>
    private static readonly string[] PythonLibraries = { "peft", "transformers", "trl" };

    /// <summary>Keys whose removal or rename a rule of its own reports (one finding per place and cause).</summary>
    private static readonly HashSet<string> OwnRule = new(StringComparer.Ordinal) { "evaluation_strategy", "max_seq_length", "warmup_ratio" };

    public override void Check(RuleContext c)
    {
        var doc = c.Document;
        if (!doc.DialectCertain) return;
        // LLaMA-Factory v1 files (model_class, train_dataset, dist_config) look HF-style but feed a trainer of their own
        // with its own keys: judging them against TrainingArguments would only produce noise.
        if (IsLlamaFactoryV1(doc)) return;
        if (doc.Dialect is not (Dialect.Hf or Dialect.Axolotl or Dialect.LlamaFactory)) return;
        var versions = c.Options.EffectiveVersions;
        bool python = doc.Syntax is ConfigSyntax.Python or ConfigSyntax.CSharp;
        var dialectKeys = KeyCatalog.For(doc.Dialect, versions, python);
        var workspace = WorkspaceKeys(c.Inputs.WorkspaceClasses, versions);

        foreach (var e in doc.Entries)
        {
            if (!e.IsTopLevel || !IsIdentifier(e.Key)) continue; // `**kwargs` splats known only at run time are the reader's to report
            if (OwnRule.Contains(e.Key)) continue; // SW4001 / SW4002 / SW4003
            // C# types name their keys with [HfName]: Stepwise's own typed views, not a Python class call.
            var owner = doc.Syntax == ConfigSyntax.Python ? OwnerClass(e) : null;
            // A Python key whose owner is no upstream class is a field that a subclass defined in the file declares
            // itself (or a class no key data describes, such as Unsloth's): that class accepts it, so it is not judged.
            if (owner is null && doc.Syntax == ConfigSyntax.Python && e.Owner is not null) continue;
            if (owner is not null)
            {
                var set = KeyCatalog.ForClass(owner, versions);
                if (set.Contains(e.Key)) continue;
                ReportUnknown(c, e, owner.Name, owner.Library, set.Names, new[] { owner }, versions, python: true,
                    consequence: owner.AcceptsExtraKeywords ? $"{owner.Name} ignores keyword arguments it does not declare" : $"{owner.Name}(...) raises TypeError on it");
                continue;
            }
            if (dialectKeys.Contains(e.Key) || workspace.Contains(e.Key)) continue;
            // Stepwise's own table where the data has no say: its settings, keys of tools the data does not cover such as
            // LLaMA-Factory's Megatron arguments, Hugging Face keys of classes that do not read this kind of file. A key
            // the dialect's classes declare in some release is judged by the data at the assumed release instead, even
            // when the table lists it too (logging_dir is gone from TrainingArguments in transformers 5.15.0), unless a
            // package the data does not read declares it as well (LLaMA-Factory's Megatron keys from mcore_adapter).
            if (KeyTable.Lookup(doc.Dialect, e.Key) is { Handwritten: true } own
                && (own.DeclaredOutsideData || !KeyCatalog.EverDeclared(doc.Dialect, python).ContainsKey(e.Key))) continue;
            if (doc.Dialect == Dialect.Unknown) continue;
            var roots = KeyCatalog.Roots(KeyCatalog.RootGroups(doc.Dialect, python), versions, anyRelease: true);
            var candidates = dialectKeys.Names.Concat(workspace).Concat(KeyTable.KeysOf(doc.Dialect).Where(k => k.Handwritten).Select(k => k.SpellingIn(doc.Dialect)));
            ReportUnknown(c, e, doc.Dialect.DisplayName(), null, candidates, roots, versions, python,
                consequence: doc.Dialect switch
                {
                    Dialect.Axolotl => "axolotl drops keys its schema does not declare (validate_config keeps only AxolotlInputConfig's fields)",
                    Dialect.LlamaFactory => "LLaMA-Factory's HfArgumentParser stops on keys no argument class declares",
                    _ => "HfArgumentParser/TrlParser stop on keys no argument class declares",
                });
        }
    }

    private static void ReportUnknown(RuleContext c, ConfigEntry e, string what, UpstreamLibrary? library, IEnumerable<string> candidates,
        IEnumerable<UpstreamClass> roots, VersionAssumptions versions, bool python, string consequence)
    {
        var assumed = Assumed(c, library, versions);
        var elsewhere = KeyCatalog.Elsewhere(e.Key, roots, versions);
        if (elsewhere is not null)
        {
            var rel = elsewhere.Assumed;
            // Real in another release: a warning when the version is known (installed, locked, pinned exactly, stated),
            // or when a range pin's newest release still lacks a key added later (no allowed release has it);
            // information when it is only the newest release assumed for want of anything better, or the newest of a
            // range whose older releases may still declare the key.
            var assumedVersion = versions[rel.Library.Name];
            bool known = assumedVersion is { IsExact: true } || (assumedVersion?.Range is not null && elsewhere.AddedIn is not null);
            c.Report(Rule, e.KeySpan,
                $"{e.Key} is not {A(what)} {what} setting in {ReleaseText(rel.Library.Name, versions)}{Why(c, rel.Library.Name, versions)}: {elsewhere.Describe()}",
                known ? Severity.Warning : Severity.Information);
            return;
        }
        var near = Suggest.Closest(e.Key, candidates);
        // A long key far from every known one is a retired setting, not a typo: Suggest's third-of-the-word bound would
        // offer sample_packing_sequentially for axolotl's old sample_packing_seq_len_multiplier. A rename fix must be a typo's.
        if (near is not null && Suggest.Distance(e.Key.ToLowerInvariant().Replace('-', '_'), near.ToLowerInvariant()) > Math.Max(2, e.Key.Length / 6)) near = null;
        if (near is null)
        {
            if (python && library is null) return;
            c.Report(Rule, e.KeySpan, $"{e.Key} is not a known {what} setting{assumed}; {consequence}",
                python ? Severity.Warning : Severity.Information);
            return;
        }
        // Renaming onto a key the same call or file already writes would give it twice (a Python SyntaxError, a
        // YAML key whose first value is silently dropped): the suggestion stays, the fix does not.
        if (c.Document.Entries.Any(o => o.IsTopLevel && o.Key == near && o.Section == e.Section))
        {
            c.Report(Rule, e.KeySpan, $"{e.Key} is not a known {what} setting{assumed}; did you mean {near}? ({near} is written too)");
            return;
        }
        var fix = new Fix($"Rename to {near}", new[] { RuleContext.Here(c.Editor.Rename(e, near)) }, true);
        c.Report(Rule, e.KeySpan, $"{e.Key} is not a known {what} setting{assumed}; did you mean {near}?", fix);
    }

    /// <summary>"an" before a vowel sound of the names used here (an axolotl setting, an AdaLoraConfig setting).</summary>
    private static string A(string word) => word.Length > 0 && "aeiouAEIO".IndexOf(word[0]) >= 0 ? "an" : "a";

    /// <summary>
    /// " (peft 0.20.0)" naming the release the judgement is about (for a class), or the dialect's main library.
    /// </summary>
    private static string Assumed(RuleContext c, UpstreamLibrary? library, VersionAssumptions versions)
    {
        var lib = library?.Name ?? c.Document.Dialect switch
        {
            Dialect.Axolotl => "axolotl",
            Dialect.LlamaFactory => "llamafactory",
            _ => "transformers",
        };
        return versions[lib] is null ? "" : $" ({ReleaseText(lib, versions)})";
    }

    /// <summary>
    /// "transformers 5.6.0": the assumed version as the user will recognise it (a pin's 5.6.0, not the data's 5.6.2 that
    /// stands for it); a version newer than the key data knows says which release of the data judged it, since a key
    /// added since cannot be known.
    /// </summary>
    private static string ReleaseText(string lib, VersionAssumptions versions)
    {
        var v = versions[lib]!;
        var name = UpstreamData.Instance.Library(lib)?.DisplayName ?? lib;
        if (v.Release is { } rel && (rel.Parsed.Major != v.Parsed.Major || rel.Parsed.Minor != v.Parsed.Minor) && v.Parsed > rel.Parsed)
            return $"{name} {v.Version}, judged by Stepwise's key data of {rel.Version}";
        // a stated "5.15" names the minor: the data's release of it is the full number
        var shown = v.Release is { } same && v.Version.Count(ch => ch == '.') < 2 ? same.Version : v.Version;
        return $"{name} {shown}";
    }

    private static string Why(RuleContext c, string library, VersionAssumptions versions) =>
        versions[library] is { } v ? $" (assumed: {v.Source})" : "";

    /// <summary>The upstream class of a Python call's entry: <see cref="ConfigEntry.Owner"/>, else a section naming a known class.</summary>
    private static UpstreamClass? OwnerClass(ConfigEntry e)
    {
        var name = e.Owner ?? e.Section;
        if (name is null) return null;
        foreach (var lib in PythonLibraries)
            if (UpstreamData.Instance.Library(lib)?.Class(name) is { Style: not "enum" } cls) return cls;
        return null;
    }

    /// <summary>Keys the workspace's own argument dataclasses declare (with those of the upstream classes they extend).</summary>
    private static HashSet<string> WorkspaceKeys(IReadOnlyList<WorkspaceDataclass> classes, VersionAssumptions versions)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var byName = classes.GroupBy(w => w.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(WorkspaceDataclass w)
        {
            if (!seen.Add(w.Name)) return;
            keys.UnionWith(w.Fields);
            foreach (var b in w.Bases)
            {
                if (byName.TryGetValue(b, out var local)) { Add(local); continue; }
                foreach (var lib in PythonLibraries)
                    if (UpstreamData.Instance.Library(lib)?.Class(b) is { Style: not "enum" } up)
                    {
                        keys.UnionWith(KeyCatalog.ForClass(up, versions).Names);
                        break;
                    }
            }
        }
        foreach (var w in classes) Add(w);
        return keys;
    }

    private static bool IsIdentifier(string key)
    {
        if (key.Length == 0 || !(char.IsLetter(key[0]) || key[0] == '_')) return false;
        foreach (var ch in key) if (!(char.IsLetterOrDigit(ch) || ch is '_' or '-' or '.')) return false;
        return true;
    }

    public static bool IsLlamaFactoryV1(ConfigDocument doc) =>
        doc.Find("model_class") is not null || doc.Find("train_dataset") is not null || doc.Find("dist_config") is not null;
}
