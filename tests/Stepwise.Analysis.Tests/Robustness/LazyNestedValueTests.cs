using System.Text;
using System.Text.Json;
using Stepwise.Core;
using Stepwise.Core.Model;
using Stepwise.Readers;
using Stepwise.Readers.Yaml;

namespace Stepwise.Analysis.Tests.Robustness;

/// <summary>
/// Issue 14, failure 3 (memory): `max_steps: [1, 1, ...]` (60 MB YAML) peaked at 3.1 GB and `{"max_steps": 10, "x":
/// [1, 1, ...]}` (60 MB JSON) at 3.4 GB: flow collections in YAML and every nested JSON value were built whole. They are
/// now skimmed and built on first read. The peak memory itself is measured by bench/huge-configs.sh (not a unit
/// test); these tests pin the behaviour: laziness, and that a lazily built value is exactly the eager one.
/// </summary>
public class LazyNestedValueTests
{
    [Fact]
    public void A_yaml_flow_collection_under_a_top_level_key_is_built_only_when_read()
    {
        var text = "max_steps: [1, 2, 3]\nx: {a: 1, b: [2]}\ny: 5\n";
        Assert.True(FastYamlParser.TryParse(text, YamlConfigReader.MaxDepth, out var root));
        var list = root!.Children[1];
        var map = root.Children[3];
        Assert.True(list.IsLazy);
        Assert.True(map.IsLazy);
        Assert.Equal((11, 20), (list.Start, list.End));
        Assert.Equal(new[] { "1", "2", "3" }, list.Children.Select(c => c.Scalar));
        Assert.False(list.IsLazy);
        Assert.True(map.IsLazy);
        Assert.Equal(4, map.Children.Count);
    }

    /// <summary>Every JSON file of the corpus, and generated nested values: what the lazy reader builds on first read is
    /// what System.Text.Json reads (an independent parser).</summary>
    [Fact]
    public void Json_values_built_lazily_equal_what_system_text_json_reads()
    {
        var files = Directory.EnumerateFiles(TestPaths.Shared + "/corpus", "*.json", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(files);
        var texts = files.Select(File.ReadAllText).ToList();
        var rng = new Random(14);
        for (int i = 0; i < 300; i++) texts.Add("{\"max_steps\": 10, \"x\": " + RandomJson(rng, 0) + ", \"y\": " + RandomJson(rng, 0) + "}");
        foreach (var text in texts)
        {
            using var oracle = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 512 });
            var doc = ConfigReaders.Read(text, "c.json").Single();
            Assert.Empty(doc.Problems);
            if (oracle.RootElement.ValueKind != JsonValueKind.Object) continue;
            var entries = doc.Entries;
            var props = oracle.RootElement.EnumerateObject().ToList();
            Assert.Equal(props.Count, entries.Count);
            for (int k = 0; k < props.Count; k++)
            {
                Assert.Equal(props[k].Name, entries[k].Key);
                AssertSame(props[k].Value, entries[k].Value, text);
                Assert.Equal(props[k].Value.GetRawText(), entries[k].ValueText);
            }
        }
    }

    private static void AssertSame(JsonElement expected, ConfigValue actual, string text)
    {
        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                Assert.Equal(ValueKind.Mapping, actual.Kind);
                var props = expected.EnumerateObject().ToList();
                Assert.Equal(props.Count, actual.Entries.Count);
                for (int i = 0; i < props.Count; i++)
                {
                    Assert.Equal(props[i].Name, actual.Entries[i].Key);
                    AssertSame(props[i].Value, actual.Entries[i].Value, text);
                }
                break;
            case JsonValueKind.Array:
                Assert.Equal(ValueKind.Sequence, actual.Kind);
                var items = expected.EnumerateArray().ToList();
                Assert.Equal(items.Count, actual.Items.Count);
                for (int i = 0; i < items.Count; i++) AssertSame(items[i], actual.Items[i], text);
                break;
            case JsonValueKind.String: Assert.Equal(expected.GetString(), actual.AsString()); break;
            case JsonValueKind.Number: Assert.Equal(expected.GetDouble(), actual.AsDouble()); break;
            case JsonValueKind.True or JsonValueKind.False: Assert.Equal(expected.GetBoolean(), actual.AsBool()); break;
            default: Assert.Equal(ValueKind.Null, actual.Kind); break;
        }
    }

    private static string RandomJson(Random rng, int depth)
    {
        int pick = depth > 4 ? rng.Next(4) : rng.Next(6);
        switch (pick)
        {
            case 0: return rng.Next(-1000, 1000).ToString(System.Globalization.CultureInfo.InvariantCulture);
            case 1: return (rng.NextDouble() * 1e6).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            case 2: return JsonSerializer.Serialize(new string((char)rng.Next(32, 0x2FF), rng.Next(0, 5)) + "\"\\\u00e9\ud83d\ude00");
            case 3: return rng.Next(3) switch { 0 => "true", 1 => "false", _ => "null" };
            case 4:
            {
                var sb = new StringBuilder("[");
                int n = rng.Next(0, 5);
                for (int i = 0; i < n; i++) sb.Append(i > 0 ? ", " : "").Append(RandomJson(rng, depth + 1));
                return sb.Append(']').ToString();
            }
            default:
            {
                var sb = new StringBuilder("{");
                int n = rng.Next(0, 5);
                for (int i = 0; i < n; i++) sb.Append(i > 0 ? ",\n " : "").Append('"').Append("k").Append(i).Append("\": ").Append(RandomJson(rng, depth + 1));
                return sb.Append('}').ToString();
            }
        }
    }

    [Theory]
    [InlineData("{\"max_steps\": 10, \"x\": [1, 2,, 3]}", "unexpected ','")]
    [InlineData("{\"max_steps\": 10, \"x\": {\"a\" 1}}", "':' expected after key \"a\"")]
    [InlineData("{\"max_steps\": 10, \"x\": [\"\\q\"]}", "bad escape \\q")]
    [InlineData("{\"max_steps\": 10, \"x\": [1e5e5]}", "'1e5e5' is not a number")]
    public void A_skimmed_json_value_is_refused_with_the_same_message_as_a_full_parse(string text, string message)
    {
        var doc = ConfigReaders.Read(text, "c.json").Single();
        Assert.Contains(message, Assert.Single(doc.Problems).Message);
    }

    [Theory]
    [InlineData("c.yaml", "per_device_train_batch_size: 8\nmax_steps: [{0}]\n")]
    [InlineData("c.json", "{{\"per_device_train_batch_size\": 8, \"max_steps\": [{0}]}}")]
    public void Max_steps_written_as_a_long_list_is_an_error_quoting_only_its_start(string name, string template)
    {
        var items = string.Join(", ", Enumerable.Repeat("1", 100_000));
        var text = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, items);
        var doc = ConfigReaders.Read(text, name).Single();
        var result = Engine.Analyze(new AnalysisInputs(doc));
        var f = Assert.Single(result.Findings, x => x.Id == "SW9002");
        Assert.Equal("max_steps must be an integer, not " + ("[" + items)[..57] + "...", f.Message);
    }
}
