using System.Text;
using CsCheck;
using Stepwise.Core.Text;
using Stepwise.Readers.Yaml;

namespace Stepwise.Analysis.Tests.Readers;

/// <summary>
/// The fast YAML parser against YamlDotNet as the oracle: wherever the fast one accepts a text, every node
/// (kind, offsets, scalar value, style) must be what YamlDotNet's events give.
/// </summary>
public class FastYamlParserTests
{
    private static string Dump(YamlNode? n)
    {
        var sb = new StringBuilder();
        void Walk(YamlNode? x, int depth)
        {
            if (x is null) { sb.Append("null\n"); return; }
            sb.Append(' ', depth * 2).Append($"{x.Kind} {x.Start}-{x.End} {(x.Kind == YamlNodeKind.Scalar ? $"{x.Style} [{x.Scalar}]" : x.Flow ? "flow" : "block")}\n");
            foreach (var c in x.Children) Walk(c, depth + 1);
        }
        Walk(n, 0);
        return sb.ToString();
    }

    private static string Oracle(string text)
    {
        int last = 0;
        var problems = new List<Stepwise.Core.Model.ReadProblem>();
        var root = YamlConfigReader.Parse(text, problems, new LineIndex(text), ref last);
        Assert.Empty(problems);
        return Dump(root);
    }

    private static void AgreesOrGivesUp(string text, bool mustAccept)
    {
        bool ok = FastYamlParser.TryParse(text, YamlConfigReader.MaxDepth, out var root);
        if (mustAccept) Assert.True(ok, "fast parser gave up on:\n" + text);
        LazyAgreesWithEager(text, ok, root);
        if (ok) Assert.Equal(Oracle(text), Dump(root));
    }

    /// <summary>Skimming nested collections must accept and refuse exactly what a full parse does, and build the same
    /// nodes when they are read. Called before anything reads the lazy tree.</summary>
    private static void LazyAgreesWithEager(string text, bool lazyOk, YamlNode? lazyRoot)
    {
        bool eagerOk = FastYamlParser.TryParse(text, YamlConfigReader.MaxDepth, lazy: false, out var eagerRoot);
        Assert.True(lazyOk == eagerOk, $"lazy {lazyOk}, eager {eagerOk} on:\n{text}");
        if (eagerOk) Assert.True(Dump(eagerRoot) == Dump(lazyRoot), text);
    }

    [Theory]
    [InlineData("a: 1\nb: two\n")]
    [InlineData("# c\nper_device_train_batch_size: 128   # raised\nmax_steps: 1000\n\n\nlr: 2.0e-4\n")]
    [InlineData("datasets:\n  - path: data/a.jsonl\n    type: alpaca\n  - path: b\n")]
    [InlineData("datasets:\n- path: a\n- b\nnext: 1\n")]
    [InlineData("m: {a: 1, b: [1, 2, 3], c: \"x\", d: 'it''s'}\n")]
    [InlineData("m: [a, b,\n  c]\nn: 1\n")]
    [InlineData("x:\n  y:\n    z: 1\n  w: 2\nv: 3\n")]
    [InlineData("q: \"a\\\"b\\n\\u00e9\"\nr: 'single'\n\"quoted key\": 1\n")]
    [InlineData("e:\nf: ~\ng: null\n")]
    [InlineData("---\na: 1\n...\n")]
    [InlineData("a: 1\r\nb:\r\n  - 1\r\n  - 2\r\n")]
    [InlineData("url: http://x.y/z\ntime: 12:30\nneg: -1\n")]
    [InlineData("a: &anc 16\nb: *anc\n")]
    [InlineData("list:\n  -\n  - 2\n")]
    [InlineData("b:\n  - \n  -    # note: x\nfed:\n")]
    [InlineData("k: v # trailing\n# only comment\n")]
    [InlineData("emoji: \"é😀\"\n")]
    [InlineData("d: &d 1\nlist:\n  - *d\n  - &e {a: 2}\n  - *e\n")] // anchors inside a nested collection: parsed without skimming
    [InlineData("- a: 1\n  b: [1, 2]\n- x\n")]
    [InlineData("top:\n  - name: s0\n    path: \"p\\t0\"\n  - name: s1\n    inner:\n      deep: [1, {x: y}]\nafter: 1\n")]
    public void Common_config_yaml_is_parsed_exactly_as_yamldotnet_does(string text) => AgreesOrGivesUp(text, mustAccept: true);

    [Theory]
    [InlineData("a: |\n  literal\n  block\n")]
    [InlineData("a: >\n  folded\n")]
    [InlineData("a: !!str 1\n")]
    [InlineData("? complex\n: value\n")]
    [InlineData("a: multi\n  line plain\n")]
    [InlineData("%YAML 1.2\n---\na: 1\n")]
    [InlineData("a:\n\t- tab\n")]
    [InlineData("a: [1, 2\n")]
    [InlineData("a: b: c\n")]
    [InlineData("ok: 1\nmix:\n  - name: a\n  - q: \"bad \\q escape\"\n")] // refused deep inside a skimmed list
    [InlineData("ok: 1\nmix:\n  - name: a\n    more: x\n   bad: y\n")]
    public void Anything_else_is_left_to_yamldotnet(string text) =>
        Assert.False(FastYamlParser.TryParse(text, YamlConfigReader.MaxDepth, out _));

    [Fact]
    public void Every_yaml_file_in_the_corpus_and_examples_agrees()
    {
        var files = Directory.EnumerateFiles(TestPaths.Corpus, "*.y*ml", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot, "examples"), "*.y*ml", SearchOption.AllDirectories)).ToList();
        Assert.NotEmpty(files);
        int accepted = 0;
        foreach (var f in files)
        {
            var text = File.ReadAllText(f);
            bool ok = FastYamlParser.TryParse(text, YamlConfigReader.MaxDepth, out var root);
            LazyAgreesWithEager(text, ok, root);
            if (ok)
            {
                accepted++;
                Assert.True(Oracle(text) == Dump(root), f);
            }
        }
        Assert.True(accepted >= files.Count * 9 / 10, $"fast parser accepted only {accepted} of {files.Count}");
    }

    [Fact]
    public void Random_configs_agree()
    {
        var scalar = Gen.OneOf(
            Gen.Int[-100000, 100000].Select(i => i.ToString()),
            Gen.Double[-1e3, 1e3].Select(d => d.ToString("0.0###", System.Globalization.CultureInfo.InvariantCulture)),
            Gen.String[Gen.Char["abcxyz_/.-"], 1, 12].Where(s => !s.StartsWith('-') && !s.StartsWith('.') || s.Length > 1).Select(s => s.TrimStart('-')),
            Gen.String[Gen.Char["ab c:#\"'\\é"], 0, 10].Select(s => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\""),
            Gen.Const("true"), Gen.Const("~"), Gen.Const("[1, 2, 3]"), Gen.Const("{a: 1, b: x}"));
        var key = Gen.String[Gen.Char["abcdefgh_"], 1, 10];
        var entries = Gen.Select(key, scalar, Gen.Int[0, 3], Gen.Bool).Array[1, 15];
        entries.Sample(items =>
        {
            var sb = new StringBuilder();
            foreach (var (k, v, kind, comment) in items)
            {
                switch (kind)
                {
                    case 0: sb.Append($"{k}: {v}"); break;
                    case 1: sb.Append($"{k}:\n  - {v}\n  - {v}"); break;
                    case 2: sb.Append($"{k}:\n  inner_{k}: {v}\n  other: {v}"); break;
                    default: sb.Append($"{k}:"); break;
                }
                if (comment) sb.Append("   # note: x");
                sb.Append('\n');
            }
            var text = sb.ToString();
            string oracle;
            try { oracle = Oracle(text); } catch (Xunit.Sdk.XunitException) { return; } // not valid YAML: nothing to compare
            bool ok = FastYamlParser.TryParse(text, YamlConfigReader.MaxDepth, out var root);
            LazyAgreesWithEager(text, ok, root);
            if (ok) Assert.True(oracle == Dump(root), text);
        }, iter: 400);
    }

    [Fact]
    public void Nested_collections_are_parsed_only_when_read()
    {
        var text = "a: 1\nmix:\n  - name: s0\n    w: 0.1\n  - name: s1\n    w: 0.2\nm:\n  k: v\n";
        Assert.True(FastYamlParser.TryParse(text, YamlConfigReader.MaxDepth, out var root));
        var mix = root!.Children[3];
        var m = root.Children[5];
        Assert.True(mix.IsLazy);
        Assert.True(m.IsLazy);
        Assert.Equal((12, 57), (mix.Start, mix.End)); // known from the skim, before any child is built
        Assert.Equal(2, mix.Children.Count);
        Assert.False(mix.IsLazy);
        Assert.True(m.IsLazy); // reading one collection leaves the others alone
        Assert.Equal("v", m.Children[1].Scalar);
    }

    [Fact]
    public void Threads_reading_one_lazy_collection_at_once_see_the_same_children()
    {
        var sb = new StringBuilder("a: 1\nmix:\n");
        for (int i = 0; i < 2000; i++) sb.Append($"  - name: s{i}\n    w: {i}\n");
        var text = sb.ToString();
        for (int round = 0; round < 20; round++)
        {
            Assert.True(FastYamlParser.TryParse(text, YamlConfigReader.MaxDepth, out var root));
            var mix = root!.Children[3];
            var seen = new List<YamlNode>[4];
            Parallel.For(0, seen.Length, i => seen[i] = mix.Children);
            Assert.All(seen, s => Assert.Same(seen[0], s));
            Assert.Equal(2000, seen[0].Count);
        }
    }
}
