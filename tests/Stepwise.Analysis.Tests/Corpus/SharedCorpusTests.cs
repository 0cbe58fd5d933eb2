using Stepwise.Cli.Commands;
using Stepwise.Core;
using Stepwise.Core.Keys;
using Stepwise.Core.Keys.Upstream;
using Stepwise.Core.Model;
using Stepwise.Workspace;
using Xunit.Abstractions;

namespace Stepwise.Analysis.Tests.Corpus;

/// <summary>
/// Every file of ../shared/corpus (LLaMA-Factory, axolotl from its own folder, TRL/PEFT), checked as `check .` does.
/// Fails on: a crash or read error; an unknown-key finding (SW9003) on a key that the classes reading it declare at the
/// releases the analysis assumed (the generated key data: the Python call's own class, else the dialect's classes), or
/// on a key they declare only in other releases without the message saying so ("declares it from/up to/only on");
/// a duplicate finding (same id, span and message); an error-level
/// finding that Corpus/expected-errors.txt does not list, each entry naming the upstream line that raises it (and an
/// entry that no longer matches, so the list stays reviewed). Prints the counts per corpus.
/// </summary>
public class SharedCorpusTests
{
    private readonly ITestOutputHelper _out;
    public SharedCorpusTests(ITestOutputHelper output) => _out = output;

    public static TheoryData<string> Corpora()
    {
        var data = new TheoryData<string>();
        foreach (var n in SharedCorpus.Names) data.Add(n);
        return data;
    }

    private static string ExpectationsPath => Path.Combine(TestPaths.RepoRoot, "tests", "Stepwise.Analysis.Tests", "Corpus", "expected-errors.txt");

    /// <summary>"corpus/relative/path:line SWnnnn" -> the entry's justification.</summary>
    private static Dictionary<string, string> Expectations()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in File.ReadAllLines(ExpectationsPath))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split('|', 2);
            Assert.True(parts.Length == 2 && parts[1].Trim().Length > 0, $"expected-errors.txt: '{raw}' needs 'path:line SWnnnn | upstream file:line at a release: why'");
            Assert.Matches(@"^\S+:\d+ SW\d{4}$", parts[0].Trim());
            Assert.Matches(@"\S+\.\w+:\d+", parts[1]); // names an upstream file and line
            Assert.True(map.TryAdd(parts[0].Trim(), parts[1].Trim()), $"expected-errors.txt lists '{parts[0].Trim()}' twice");
        }
        return map;
    }

    [Theory]
    [MemberData(nameof(Corpora))]
    public void Corpus_checks_cleanly(string name)
    {
        var dir = Path.Combine(TestPaths.Shared, "corpus");
        var corpus = Assert.Single(SharedCorpus.Find(dir), c => c.Name == name);
        var results = SharedCorpus.Check(corpus);
        var stats = SharedCorpus.Stats(name, results.Select(r => r.Analysis).ToList());
        _out.WriteLine(stats.Summary());
        Assert.True(results.Count > 40, $"{name}: only {results.Count} files found under {corpus.Root}");

        var expected = Expectations().Where(e => e.Key.StartsWith(name + "/", StringComparison.Ordinal)).ToDictionary(e => e.Key, e => e.Value);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var (relative, file) in results.Select(r => (r.Relative, r.Analysis)))
        {
            if (file.Error is not null) { problems.Add($"{relative}: cannot be read: {file.Error}"); continue; }
            var duplicates = new HashSet<string>(StringComparer.Ordinal);
            foreach (var config in file.Configs)
            {
                foreach (var p in config.Document.Problems.Where(p => p.Severity == Severity.Error))
                    problems.Add($"{relative}:{p.Span.Range.Start.Line + 1}: read error {p.Id}: {p.Message}");
                foreach (var f in config.Result.Findings)
                {
                    var where = $"{relative}:{f.Span.Range.Start.Line + 1}";
                    if (f.Id is "SW0001" or "SW9001") problems.Add($"{where}: {f.Id} {f.Message}");
                    if (!duplicates.Add($"{f.Id}|{f.Span.File}|{f.Span.Start}|{f.Span.Length}|{f.Message}"))
                        problems.Add($"{where}: duplicate {f.Id}: {f.Message}");
                    if (f.Id == "SW9003" && KeyAt(config.Document, f) is { } key && UnknownKeyProblem(config, f, key) is { } why)
                        problems.Add($"{where}: SW9003 on '{key}', {why}: {f.Message}");
                    if (f.Severity == Severity.Error)
                    {
                        var id = $"{name}/{relative}:{f.Span.Range.Start.Line + 1} {f.Id}";
                        if (expected.ContainsKey(id)) seen.Add(id);
                        else problems.Add($"{where}: error {f.Id} not in expected-errors.txt: {f.Message}");
                    }
                }
            }
        }
        foreach (var stale in expected.Keys.Where(k => !seen.Contains(k)))
            problems.Add($"expected-errors.txt: '{stale}' no longer reported: remove it (or find out why it went)");
        Assert.True(problems.Count == 0, $"{stats.Summary()}\n{problems.Count} problems:\n" + string.Join("\n", problems.Take(80)));
    }

    /// <summary>Why an SW9003 finding on <paramref name="key"/> is wrong, or null when it is right.</summary>
    private static string? UnknownKeyProblem(ConfigAnalysis config, Finding f, string key)
    {
        var doc = config.Document;
        var versions = config.Result.Versions;
        bool python = doc.Syntax is ConfigSyntax.Python;
        var owner = python ? doc.Entries.FirstOrDefault(e => e.KeySpan.Start == f.Span.Start && e.Key == key)?.Owner : null;
        var cls = owner is null ? null : new[] { "transformers", "trl", "peft" }
            .Select(l => UpstreamData.Instance.Library(l)?.Class(owner)).FirstOrDefault(c => c is not null && c.Style != "enum");
        if (cls is not null)
        {
            if (KeyCatalog.ForClass(cls, versions).Contains(key)) return $"which {cls.Name} declares at {versions.Describe(doc.Dialect)}";
            if (EverDeclares(cls, key) && !SaysWhere(f)) return $"which {cls.Name} declares in other releases, not named in the message";
            return null;
        }
        if (owner is not null) return $"a field of {owner}, which no key data describes";
        if (KeyCatalog.For(doc.Dialect, versions, python).Contains(key)) return $"which the {doc.Dialect.DisplayName()} classes declare at {versions.Describe(doc.Dialect)}";
        var ever = KeyCatalog.EverDeclared(doc.Dialect, python).ContainsKey(key);
        if (KeyTable.Lookup(doc.Dialect, key) is { Handwritten: true } own && (own.DeclaredOutsideData || !ever)) return "one of Stepwise's own keys";
        if (ever && !SaysWhere(f)) return "declared in other releases, not named in the message";
        return null;
    }

    /// <summary>The message names where the key does exist (SW9003's "added in / removed in" forms).</summary>
    private static bool SaysWhere(Finding f) =>
        f.Message.Contains(" declares it from ", StringComparison.Ordinal) || f.Message.Contains(" declares it up to ", StringComparison.Ordinal)
        || f.Message.Contains(" declares it only on ", StringComparison.Ordinal) || f.Message.Contains(" declares it in ", StringComparison.Ordinal);

    /// <summary>Whether the class or one of its bases declares the key in any release of the data.</summary>
    private static bool EverDeclares(UpstreamClass cls, string key)
    {
        var seen = new HashSet<UpstreamClass>();
        var stack = new Stack<UpstreamClass>(new[] { cls });
        while (stack.Count > 0)
        {
            var c = stack.Pop();
            if (!seen.Add(c)) continue;
            if (c.Fields.Any(x => x.Name == key || x.Attribute == key)) return true;
            foreach (var (_, bases) in c.Bases)
                foreach (var b in bases)
                    if (UpstreamData.Instance.Class(b.Contains(':') ? b : c.Library.Name + ":" + b) is { } bc) stack.Push(bc);
        }
        return false;
    }

    private static string? KeyAt(Stepwise.Core.Model.ConfigDocument doc, Finding f)
    {
        if (f.Span.File is not null && f.Span.File != doc.Path) return null;
        if (f.Span.Start < 0 || f.Span.Start + f.Span.Length > doc.Text.Length) return null;
        return doc.Text.Substring(f.Span.Start, f.Span.Length).Trim('"', '\'');
    }

    [Fact]
    public void Axolotl_deepspeed_references_resolve_from_its_folder()
    {
        var corpus = SharedCorpus.Find(Path.Combine(TestPaths.Shared, "corpus")).Single(c => c.Name == "axolotl");
        var results = SharedCorpus.Check(corpus);
        var withDeepSpeed = results.Where(r => r.Analysis.Configs.Any(c => c.Document.FindSet("deepspeed")?.Value.AsString() is { Length: > 0 })).ToList();
        Assert.NotEmpty(withDeepSpeed);
        Assert.DoesNotContain(withDeepSpeed.SelectMany(r => r.Analysis.Configs).SelectMany(c => c.Result.Findings), f => f.Id == "SW9004");
    }

    [Fact]
    public void Real_typos_in_the_corpus_are_still_reported()
    {
        // Both are silently ignored upstream: PEFT's tests pass bnb_4bit_compute_type to BitsAndBytesConfig (it lands in
        // **kwargs), axolotl's falcon-h1 example writes context_parapllel_size.
        var dir = Path.Combine(TestPaths.Shared, "corpus");
        var peft = SharedCorpus.Check(SharedCorpus.Find(dir).Single(c => c.Name == "trl-peft"))
            .Single(r => r.Relative == "peft_tests_training_training.py").Analysis.Configs.SelectMany(c => c.Result.Findings);
        Assert.Contains(peft, f => f.Id == "SW9003" && f.Message.Contains("bnb_4bit_compute_type") && f.Message.Contains("did you mean bnb_4bit_compute_dtype"));
        var axolotl = SharedCorpus.Check(SharedCorpus.Find(dir).Single(c => c.Name == "axolotl"))
            .Single(r => r.Relative == "examples/falcon-h1/falcon-h1-1b-qlora-cp.yaml").Analysis.Configs.SelectMany(c => c.Result.Findings);
        Assert.Contains(axolotl, f => f.Id == "SW9003" && f.Message.StartsWith("context_parapllel_size", StringComparison.Ordinal));
    }
}
