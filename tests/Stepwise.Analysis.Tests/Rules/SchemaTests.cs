using System.Globalization;
using System.Text.Json;
using Stepwise.Core.Model;
using Stepwise.Core.Schema;
using Stepwise.Readers;

namespace Stepwise.Analysis.Tests.Rules;

/// <summary>
/// The published schemas (schemas/*.schema.json): generated from the key table, committed, and they accept the bundled
/// examples and the LLaMA-Factory corpus. Validation uses <see cref="MiniSchemaValidator"/>, a small validator of the
/// JSON Schema subset we emit (type, enum, minimum, maximum), applied to the values as the readers see them.
/// </summary>
public class SchemaTests
{
    private static string SchemaDir => Path.Combine(TestPaths.RepoRoot, "schemas");

    public static TheoryData<string> DialectIds()
    {
        var d = new TheoryData<string>();
        foreach (var x in JsonSchemaWriter.Dialects) d.Add(x.Id());
        return d;
    }

    [Theory]
    [MemberData(nameof(DialectIds))]
    public void Committed_schema_is_what_the_key_table_generates(string id)
    {
        var dialect = DialectNames.Parse(id)!.Value;
        var path = Path.Combine(SchemaDir, JsonSchemaWriter.FileName(dialect));
        Assert.True(File.Exists(path), $"{path} missing: run `./stepwise dev generate`");
        Assert.True(File.ReadAllText(path) == JsonSchemaWriter.Write(dialect), $"{path} is stale: run `./stepwise dev generate`");
    }

    /// <summary>
    /// Defaults made by a default_factory (PEFT's rank_pattern = {}, TrainingArguments' list fields = []) are JSON values
    /// of the declared type, never a .NET type name; a default of an annotation that admits None still admits null.
    /// </summary>
    [Theory]
    [MemberData(nameof(DialectIds))]
    public void Defaults_are_json_values_of_the_key_s_type(string id)
    {
        using var doc = JsonDocument.Parse(JsonSchemaWriter.Write(DialectNames.Parse(id)!.Value));
        foreach (var key in doc.RootElement.GetProperty("properties").EnumerateObject())
        {
            Assert.DoesNotContain("System.", key.Value.GetProperty("markdownDescription").GetString()!);
            if (!key.Value.TryGetProperty("default", out var def) || !key.Value.TryGetProperty("type", out var type)) continue;
            var types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : new List<string> { type.GetString()! };
            if (types.Contains("object")) Assert.True(def.ValueKind == JsonValueKind.Object || types.Contains("string"), $"{key.Name}: default {def}");
            if (types.Contains("array")) Assert.True(def.ValueKind == JsonValueKind.Array || types.Contains("string"), $"{key.Name}: default {def}");
        }
    }

    [Theory]
    [MemberData(nameof(DialectIds))]
    public void Schema_is_draft07_json_with_descriptions_and_open_properties(string id)
    {
        using var doc = JsonDocument.Parse(JsonSchemaWriter.Write(DialectNames.Parse(id)!.Value));
        var root = doc.RootElement;
        Assert.Equal("http://json-schema.org/draft-07/schema#", root.GetProperty("$schema").GetString());
        Assert.True(root.GetProperty("additionalProperties").GetBoolean());
        var props = root.GetProperty("properties").EnumerateObject().ToList();
        Assert.True(props.Count >= 15, $"{id}: only {props.Count} keys");
        Assert.All(props, p => Assert.False(string.IsNullOrWhiteSpace(p.Value.GetProperty("description").GetString())));
    }

    [Fact]
    public void Dialect_spellings_defaults_enums_and_deprecations_reach_the_schemas()
    {
        using var ax = JsonDocument.Parse(JsonSchemaWriter.Write(Dialect.Axolotl));
        var micro = ax.RootElement.GetProperty("properties").GetProperty("micro_batch_size");
        Assert.Equal(1, micro.GetProperty("default").GetInt64());
        Assert.Equal(1, micro.GetProperty("minimum").GetDouble());
        Assert.Contains("per_device_train_batch_size", micro.GetProperty("description").GetString());

        using var hf = JsonDocument.Parse(JsonSchemaWriter.Write(Dialect.Hf));
        var p = hf.RootElement.GetProperty("properties");
        Assert.Contains("paged_adamw_8bit", p.GetProperty("optim").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.True(p.GetProperty("evaluation_strategy").GetProperty("deprecated").GetBoolean());
        Assert.Contains("eval_strategy", p.GetProperty("evaluation_strategy").GetProperty("deprecationMessage").GetString());
        Assert.Equal(1.0, p.GetProperty("warmup_ratio").GetProperty("maximum").GetDouble());

        using var lf = JsonDocument.Parse(JsonSchemaWriter.Write(Dialect.LlamaFactory));
        Assert.Equal("nf4", lf.RootElement.GetProperty("properties").GetProperty("quantization_type").GetProperty("default").GetString());
    }

    public static TheoryData<string> ConfigFiles()
    {
        var d = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot, "examples"), "*", SearchOption.AllDirectories)
                     .Where(f => f.EndsWith(".yaml") || f.EndsWith(".yml") || f.EndsWith(".json")).OrderBy(f => f, StringComparer.Ordinal))
            d.Add(f);
        foreach (var f in Directory.EnumerateFiles(TestPaths.Corpus, "*", SearchOption.AllDirectories)
                     .Where(f => (f.EndsWith(".yaml") || f.EndsWith(".yml") || f.EndsWith(".json")) && !f.Contains($"{Path.DirectorySeparatorChar}data{Path.DirectorySeparatorChar}"))
                     .OrderBy(f => f, StringComparer.Ordinal))
            d.Add(f);
        return d;
    }

    [Theory]
    [MemberData(nameof(ConfigFiles))]
    public void Bundled_examples_and_corpus_validate_against_their_dialects_schema(string path)
    {
        foreach (var doc in ConfigReaders.Read(File.ReadAllText(path), path))
        {
            if (doc.Dialect == Dialect.Unknown) continue;
            var errors = MiniSchemaValidator.Validate(JsonSchemaWriter.Write(doc.Dialect), doc);
            Assert.True(errors.Count == 0, $"{path} ({doc.Dialect.Id()}):\n{string.Join("\n", errors)}");
        }
    }

    [Fact]
    public void Examples_and_corpus_cover_every_yaml_dialect()
    {
        var dialects = ((IEnumerable<object[]>)ConfigFiles()).Select(r => (string)r[0])
            .SelectMany(p => ConfigReaders.Read(File.ReadAllText(p), p)).Select(d => d.Dialect).ToHashSet();
        foreach (var d in JsonSchemaWriter.Dialects) Assert.Contains(d, dialects);
    }

    [Theory]
    [InlineData("per_device_train_batch_size: 0", "minimum")]
    [InlineData("optim: adamw", "enum")]
    [InlineData("bf16: \"yes\"", "type")]
    [InlineData("warmup_ratio: 3", "maximum")]
    public void The_validator_rejects_values_the_schema_forbids(string line, string keyword)
    {
        var text = "output_dir: o\nlearning_rate: 1e-4\nmax_steps: 10\n" + line + "\n";
        var doc = ConfigReaders.Read(text, "c.yaml").Single();
        Assert.Equal(Dialect.Hf, doc.Dialect);
        var errors = MiniSchemaValidator.Validate(JsonSchemaWriter.Write(Dialect.Hf), doc);
        Assert.Contains(errors, e => e.Contains(keyword));
    }

    [Fact]
    public void Cli_schema_command_writes_the_same_text()
    {
        var dir = TestPaths.TempDir();
        var output = new StringWriter();
        Assert.Equal(0, Stepwise.Cli.Program.Run(new[] { "schema", "--all", dir }, output, new StringWriter()));
        foreach (var d in JsonSchemaWriter.Dialects)
            Assert.Equal(JsonSchemaWriter.Write(d), File.ReadAllText(Path.Combine(dir, JsonSchemaWriter.FileName(d))));
        var one = Path.Combine(dir, "one.json");
        Assert.Equal(0, Stepwise.Cli.Program.Run(new[] { "schema", "--dialect", "axolotl", "--out", one }, output, new StringWriter()));
        Assert.Equal(JsonSchemaWriter.Write(Dialect.Axolotl), File.ReadAllText(one));
        var stdout = new StringWriter();
        Assert.Equal(0, Stepwise.Cli.Program.Run(new[] { "schema", "--dialect", "llama-factory" }, stdout, new StringWriter()));
        Assert.Equal(JsonSchemaWriter.Write(Dialect.LlamaFactory), stdout.ToString());
        var error = new StringWriter();
        Assert.Equal(2, Stepwise.Cli.Program.Run(new[] { "schema", "--dialect", "nope" }, output, error));
        Assert.StartsWith("stepwise schema: --dialect must be hf, ", error.ToString());
    }
}

/// <summary>A validator for the subset of JSON Schema the writer emits: properties with type, enum, minimum, maximum.</summary>
public static class MiniSchemaValidator
{
    public static List<string> Validate(string schemaJson, ConfigDocument doc)
    {
        using var schema = JsonDocument.Parse(schemaJson);
        var props = schema.RootElement.GetProperty("properties");
        var errors = new List<string>();
        foreach (var e in doc.Entries)
        {
            if (!props.TryGetProperty(e.Key, out var s)) continue; // additionalProperties: true
            var v = e.Value;
            if (v.Kind == ValueKind.Unknown) continue;
            var at = $"{e.KeySpan.Range.Start} {e.Key}={e.ValueText}";
            if (s.TryGetProperty("type", out var type))
            {
                var types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : new List<string> { type.GetString()! };
                if (!types.Any(t => Matches(t, v, e.ValueText))) errors.Add($"{at}: type {v.Kind} is not {string.Join("|", types)}");
            }
            if (s.TryGetProperty("enum", out var en) && !en.EnumerateArray().Any(x => SameScalar(x, v)))
                errors.Add($"{at}: not in enum");
            if (s.TryGetProperty("minimum", out var min) && v.IsNumber && v.AsDouble() < min.GetDouble()) errors.Add($"{at}: below minimum {min.GetDouble()}");
            if (s.TryGetProperty("maximum", out var max) && v.IsNumber && v.AsDouble() > max.GetDouble()) errors.Add($"{at}: above maximum {max.GetDouble()}");
        }
        return errors;
    }

    private static bool Matches(string type, ConfigValue v, string text) => type switch
    {
        "integer" => v.Kind == ValueKind.Integer || (v.Kind == ValueKind.Float && v.AsLong() is not null), // 1.0 is an integer in JSON Schema
        "number" => v.IsNumber || Yaml12Number(v, text),
        "string" => v.Kind == ValueKind.String && !Yaml12Number(v, text),
        "boolean" => v.Kind == ValueKind.Bool,
        "null" => v.Kind == ValueKind.Null,
        "array" => v.Kind == ValueKind.Sequence,
        "object" => v.Kind == ValueKind.Mapping,
        _ => false,
    };

    /// <summary>
    /// Editors (yaml-language-server) read YAML 1.2, where an unquoted <c>2e-5</c> is a number; PyYAML and our reader
    /// (YAML 1.1) keep it a string. Validate as the editor would.
    /// </summary>
    private static bool Yaml12Number(ConfigValue v, string text) =>
        v.Kind == ValueKind.String && System.Text.RegularExpressions.Regex.IsMatch(text, @"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$");

    private static bool SameScalar(JsonElement x, ConfigValue v) => x.ValueKind switch
    {
        JsonValueKind.String => v.Kind == ValueKind.String && v.AsString() == x.GetString(),
        JsonValueKind.Number => v.IsNumber && v.AsDouble() == x.GetDouble(),
        JsonValueKind.True => v.Kind == ValueKind.Bool && v.AsBool() == true,
        JsonValueKind.False => v.Kind == ValueKind.Bool && v.AsBool() == false,
        JsonValueKind.Null => v.Kind == ValueKind.Null,
        _ => false,
    };
}
