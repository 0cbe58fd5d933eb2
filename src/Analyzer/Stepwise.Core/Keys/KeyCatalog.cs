using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Stepwise.Core.Keys.Upstream;
using Stepwise.Core.Model;

namespace Stepwise.Core.Keys;

/// <summary>The keys a set of classes accepts at a set of releases: key -> the fields that declare it.</summary>
public sealed class KeySet
{
    internal KeySet(Dictionary<string, List<UpstreamField>> fields, IReadOnlyList<UpstreamClass> roots)
    {
        _fields = fields; Roots = roots;
        Names = fields.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
    }

    private readonly Dictionary<string, List<UpstreamField>> _fields;
    /// <summary>The classes whose fields (and their bases' fields) make up the set.</summary>
    public IReadOnlyList<UpstreamClass> Roots { get; }
    /// <summary>Every accepted key, sorted.</summary>
    public IReadOnlyList<string> Names { get; }
    public bool Contains(string key) => _fields.ContainsKey(key);
    /// <summary>The declarations of a key (first the most specific class: a TRL config's own field before TrainingArguments').</summary>
    public IReadOnlyList<UpstreamField> Declarations(string key) => _fields.TryGetValue(key, out var l) ? l : (IReadOnlyList<UpstreamField>)Array.Empty<UpstreamField>();
}

/// <summary>Where a key is declared in releases other than the assumed ones, for "added in" / "removed in" messages.</summary>
public sealed record KeyElsewhere(UpstreamField Field, UpstreamRelease Assumed, UpstreamRelease? AddedIn, UpstreamRelease? RemovedIn)
{
    /// <summary>"TrainingArguments declares it up to transformers 4.50.3, no longer in 4.51.3".</summary>
    public string Describe()
    {
        var lib = Field.Owner.Library;
        var name = lib.DisplayName;
        var present = Field.Owner.Library.Releases.Where(r => Field.Releases.Contains(r.Index)).ToList();
        if (RemovedIn is { } removed)
            // The data holds one release per minor: between the last release that declares it and the first that does
            // not, the key was removed; "not in X" stays true where "removed in X" could name a later patch.
            return removed.IsBranchHead
                ? $"{Field.Owner.Name} declares it up to {name} {present.Last().Version}, no longer on the main branch ({removed.Version} at {Short(removed.Commit)})"
                : $"{Field.Owner.Name} declares it up to {name} {present.Last().Version}, no longer in {removed.Version}";
        if (AddedIn is { } added)
            // A key only on the main branch the data also reads is in no release yet: say so, not "from 0.20.1.dev0 on".
            return added.IsBranchHead
                ? $"{Field.Owner.Name} declares it only on {name}'s main branch ({added.Version} at {Short(added.Commit)}), in no release yet"
                : $"{Field.Owner.Name} declares it from {name} {added.Version} on";
        return $"{Field.Owner.Name} declares it in {name} {string.Join(", ", present.Select(r => r.Version))}";
    }

    private static string Short(string commit) => commit.Length > 10 ? commit.Substring(0, 10) : commit;
}

/// <summary>
/// Which classes read each dialect's files, and the keys they accept at given releases (generated data, cached per
/// set of releases so a check pays for a dictionary look-up per key).
/// </summary>
public static class KeyCatalog
{
    private static readonly ConcurrentDictionary<string, KeySet> _cache = new(StringComparer.Ordinal);

    /// <summary>The data's root-class names for a Stepwise dialect: YAML/JSON files (<paramref name="python"/> false) or Python calls.</summary>
    public static IReadOnlyList<string> RootGroups(Dialect dialect, bool python) => dialect switch
    {
        // Python calls name their class; a call whose class is not known still takes any key of the family.
        Dialect.Hf => python ? new[] { "hf", "hf-python" } : new[] { "hf" },
        Dialect.Axolotl => new[] { "axolotl" },
        // LLaMA-Factory passes its TrainingArguments (a Seq2SeqTrainingArguments) through HfArgumentParser with its own
        // argument classes; TRL configs are not read from its YAML.
        Dialect.LlamaFactory => new[] { "llama-factory" },
        Dialect.DeepSpeed => new[] { "deepspeed" },
        Dialect.Accelerate => new[] { "accelerate" },
        _ => Array.Empty<string>(),
    };

    /// <summary>The root classes of some dialect groups that exist at the assumed releases.</summary>
    public static IReadOnlyList<UpstreamClass> Roots(IEnumerable<string> groups, VersionAssumptions versions, bool anyRelease = false)
    {
        var data = UpstreamData.Instance;
        var list = new List<UpstreamClass>();
        foreach (var g in groups)
        {
            if (!data.DialectRoots.TryGetValue(g, out var patterns)) continue;
            foreach (var pattern in patterns)
            {
                int colon = pattern.IndexOf(':');
                var lib = data.Library(pattern.Substring(0, colon));
                if (lib is null) continue;
                var glob = pattern.Substring(colon + 1);
                var rel = versions.Release(lib.Name);
                foreach (var c in lib.Classes)
                {
                    if (c.Style == "enum" || !Glob(glob, c.Name)) continue;
                    if (!anyRelease && (rel is null || !c.Releases.Contains(rel.Index))) continue;
                    if (!list.Contains(c)) list.Add(c);
                }
            }
        }
        return list;
    }

    private static bool Glob(string glob, string name)
    {
        if (glob == name) return true;
        int star = glob.IndexOf('*');
        if (star < 0) return false;
        var prefix = glob.Substring(0, star);
        var suffix = glob.Substring(star + 1);
        return name.Length >= prefix.Length + suffix.Length && name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(suffix, StringComparison.Ordinal)
            && !name.StartsWith("_", StringComparison.Ordinal);
    }

    /// <summary>The keys the dialect's classes accept at the assumed releases.</summary>
    public static KeySet For(Dialect dialect, VersionAssumptions versions, bool python = false)
    {
        var groups = RootGroups(dialect, python);
        return _cache.GetOrAdd("d:" + string.Join(",", groups) + "|" + versions.Key, _ => Build(Roots(groups, versions), versions));
    }

    /// <summary>The keys one class accepts (its own fields and its bases') at the assumed releases.</summary>
    public static KeySet ForClass(UpstreamClass cls, VersionAssumptions versions) =>
        _cache.GetOrAdd("c:" + cls.QualifiedName + "|" + versions.Key, _ => Build(new[] { cls }, versions));

    /// <summary>The keys of extra classes (a workspace's own dataclasses add theirs through <see cref="WorkspaceKeys"/>).</summary>
    private static KeySet Build(IReadOnlyList<UpstreamClass> roots, VersionAssumptions versions)
    {
        var fields = new Dictionary<string, List<UpstreamField>>(StringComparer.Ordinal);
        var seen = new HashSet<UpstreamClass>();
        foreach (var root in roots) Collect(root, versions, fields, seen, null);
        return new KeySet(fields, roots);
    }

    private static void Collect(UpstreamClass cls, VersionAssumptions versions, Dictionary<string, List<UpstreamField>> fields,
        HashSet<UpstreamClass> seen, int? sameLibraryRelease)
    {
        if (!seen.Add(cls)) return;
        var rel = sameLibraryRelease ?? versions.Release(cls.Library.Name)?.Index;
        if (rel is not int r || !cls.Releases.Contains(r)) return;
        foreach (var f in cls.Fields)
        {
            if (!f.Releases.Contains(r)) continue;
            Add(fields, f.Name, f);
            // pydantic models of axolotl accept the attribute name too (AxolotlInputConfig: populate_by_name=True)
            if (f.Attribute is { } attr && cls.Style == "pydantic") Add(fields, attr, f);
        }
        foreach (var b in cls.BasesIn(r))
        {
            var baseClass = UpstreamData.Instance.Class(b);
            if (baseClass is null) continue;
            Collect(baseClass, versions, fields, seen, baseClass.Library == cls.Library ? r : null);
        }
    }

    private static void Add(Dictionary<string, List<UpstreamField>> fields, string key, UpstreamField f)
    {
        if (!fields.TryGetValue(key, out var list)) fields[key] = list = new List<UpstreamField>(1);
        list.Add(f);
    }

    private static readonly ConcurrentDictionary<(Dialect, bool), IReadOnlyDictionary<string, UpstreamField>> _ever = new();

    /// <summary>
    /// Every key the dialect's classes declare in any release of the data, with its newest declaration (the most
    /// recent release; the root's own field before a base's). Built once per dialect and file kind.
    /// </summary>
    public static IReadOnlyDictionary<string, UpstreamField> EverDeclared(Dialect dialect, bool python) =>
        _ever.GetOrAdd((dialect, python), k => BuildEverDeclared(k.Item1, k.Item2));

    private static Dictionary<string, UpstreamField> BuildEverDeclared(Dialect dialect, bool python)
    {
        var result = new Dictionary<string, UpstreamField>(StringComparer.Ordinal);
        var seen = new HashSet<UpstreamClass>();
        var queue = new Queue<UpstreamClass>(Roots(RootGroups(dialect, python), VersionAssumptions.Newest, anyRelease: true));
        while (queue.Count > 0)
        {
            var c = queue.Dequeue();
            if (!seen.Add(c)) continue;
            foreach (var f in c.Fields)
            {
                Keep(f.Name, f);
                if (f.Attribute is { } attr && c.Style == "pydantic") Keep(attr, f);
            }
            foreach (var (_, bases) in c.Bases)
                foreach (var b in bases)
                    if (UpstreamData.Instance.Class(b.IndexOf(':') >= 0 ? b : c.Library.Name + ":" + b) is { } bc) queue.Enqueue(bc);
        }
        return result;

        // The home of a key shared by several libraries: transformers' (TrainingArguments, BitsAndBytesConfig) before
        // PEFT's before TRL's (ModelConfig repeats bnb_4bit_quant_type with its own default "nf4").
        static int Rank(UpstreamField f) => f.Owner.Library.Name switch { "transformers" => 0, "peft" => 1, "trl" => 2, _ => 3 };
        void Keep(string key, UpstreamField f)
        {
            if (!result.TryGetValue(key, out var old) || Rank(f) < Rank(old)
                || (old.Owner.Library == f.Owner.Library && f.Releases.Last > old.Releases.Last))
                result[key] = f;
        }
    }

    /// <summary>
    /// A key the classes of <paramref name="roots"/> declare in another release than the assumed one: the declaration
    /// nearest to the assumed release, with the release that added or removed it. Null when no release declares it.
    /// </summary>
    public static KeyElsewhere? Elsewhere(string key, IEnumerable<UpstreamClass> roots, VersionAssumptions versions)
    {
        KeyElsewhere? best = null;
        int bestDistance = int.MaxValue;
        var seen = new HashSet<UpstreamClass>();
        var stack = new Stack<UpstreamClass>(roots);
        while (stack.Count > 0)
        {
            var c = stack.Pop();
            if (!seen.Add(c)) continue;
            foreach (var (_, bases) in c.Bases)
                foreach (var b in bases)
                    if (UpstreamData.Instance.Class(b.IndexOf(':') >= 0 ? b : c.Library.Name + ":" + b) is { } bc) stack.Push(bc);
            var assumed = versions.Release(c.Library.Name);
            if (assumed is null) continue;
            foreach (var f in c.Fields)
            {
                if (f.Name != key && f.Attribute != key) continue;
                if (f.Releases.Contains(assumed.Index)) continue;
                var rels = c.Library.Releases;
                int last = f.Releases.Last, first = f.Releases.First;
                KeyElsewhere candidate;
                int distance;
                if (last < assumed.Index)
                {
                    candidate = new KeyElsewhere(f, assumed, null, rels[last + 1]);
                    distance = assumed.Index - last;
                }
                else if (first > assumed.Index)
                {
                    candidate = new KeyElsewhere(f, assumed, rels[first], null);
                    distance = first - assumed.Index;
                }
                else
                {
                    candidate = new KeyElsewhere(f, assumed, null, null);
                    distance = 1;
                }
                if (distance < bestDistance) { best = candidate; bestDistance = distance; }
            }
        }
        return best;
    }
}
