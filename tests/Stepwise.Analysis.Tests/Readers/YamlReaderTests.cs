using CsCheck;
using Stepwise.Core.Model;
using Stepwise.Core.Text;
using Stepwise.Readers;

namespace Stepwise.Analysis.Tests.Readers;

public class YamlReaderTests
{
    private static ConfigDocument Read(string text, string path = "c.yaml") => ConfigReaders.Read(text, path).Single();

    [Fact]
    public void Key_and_value_spans_are_exact_zero_based_utf16()
    {
        var text = "# comment\nper_device_train_batch_size: 128   # raised\nmax_steps: 1000\n";
        var doc = Read(text);
        var b = doc.Find("per_device_train_batch_size")!;
        Assert.Equal(new Position(1, 0), b.KeySpan.Range.Start);
        Assert.Equal(new Position(1, 27), b.KeySpan.Range.End);
        Assert.Equal(new Position(1, 29), b.ValueSpan.Range.Start);
        Assert.Equal(new Position(1, 32), b.ValueSpan.Range.End);
        Assert.Equal("128", text.Substring(b.ValueSpan.Start, b.ValueSpan.Length));
        Assert.Equal("128", b.ValueText);
        Assert.Equal(128L, b.Value.AsLong());
        Assert.Equal("c.yaml", b.KeySpan.File);
    }

    [Fact]
    public void Characters_before_a_key_count_in_utf16_code_units()
    {
        // "é" is one UTF-16 unit, the emoji two: the value starts at 2 + 1 + 2 + len(": ") within line 0 of the flow map.
        var text = "note: \"é😀\"\nmax_steps: 5\n";
        var doc = Read(text);
        var note = doc.Find("note")!;
        Assert.Equal(new Position(0, 6), note.ValueSpan.Range.Start);
        Assert.Equal(new Position(0, 11), note.ValueSpan.Range.End); // quote + é + 2 units + quote
        Assert.Equal("é😀", note.Value.AsString());
    }

    [Theory]
    [InlineData("2e-4", ValueKind.String)]     // PyYAML: no dot -> not a float
    [InlineData("1.0e-4", ValueKind.Float)]
    [InlineData("1.0e4", ValueKind.String)]    // PyYAML wants a signed exponent
    [InlineData("0.0002", ValueKind.Float)]
    [InlineData("yes", ValueKind.Bool)]
    [InlineData("off", ValueKind.Bool)]
    [InlineData("~", ValueKind.Null)]
    [InlineData("1_000", ValueKind.Integer)]
    [InlineData("0x10", ValueKind.Integer)]
    [InlineData("\"128\"", ValueKind.String)]
    [InlineData("abc", ValueKind.String)]
    [InlineData("._", ValueKind.String)]       // match the float/int patterns but hold no digit: text, not a crash
    [InlineData("0b_", ValueKind.String)]
    [InlineData("0x_", ValueKind.String)]
    [InlineData("0x1_0000_0000_0000_0000", ValueKind.String)] // past long
    public void Plain_scalars_are_typed_as_pyyaml_types_them(string literal, ValueKind kind)
    {
        var doc = Read($"learning_rate: {literal}\n");
        Assert.Equal(kind, doc.Find("learning_rate")!.Value.Kind);
    }

    [Fact]
    public void A_string_number_still_feeds_the_arithmetic()
    {
        var doc = Read("learning_rate: 2e-4\n");
        Assert.Equal(2e-4, doc.Find("learning_rate")!.Value.AsDouble());
    }

    [Fact]
    public void Nested_entries_carry_paths_and_spans()
    {
        var text = "base_model: x\nmicro_batch_size: 2\ndatasets:\n  - path: data/a.jsonl\n    type: alpaca\n";
        var doc = Read(text);
        Assert.Equal(Dialect.Axolotl, doc.Dialect);
        var ds = doc.Find("datasets")!;
        var item = ds.Value.Items[0];
        var path = item.Find("path")!;
        Assert.Equal("datasets[0].path", path.Path);
        Assert.Equal("data/a.jsonl", text.Substring(path.ValueSpan.Start, path.ValueSpan.Length));
        Assert.Equal(new Position(3, 10), path.ValueSpan.Range.Start);
    }

    [Fact]
    public void Empty_value_points_at_the_end_of_its_line()
    {
        var doc = Read("max_steps:\nnum_train_epochs: 3\n");
        var e = doc.Find("max_steps")!;
        Assert.Equal(ValueKind.Null, e.Value.Kind);
        Assert.Equal(new Position(0, 10), e.ValueSpan.Range.Start);
        Assert.Equal(0, e.ValueSpan.Length);
    }

    [Fact]
    public void Aliases_take_the_anchored_value()
    {
        var doc = Read("per_device_train_batch_size: &b 16\nper_device_eval_batch_size: *b\n");
        Assert.Equal(16L, doc.Find("per_device_eval_batch_size")!.Value.AsLong());
    }

    [Fact]
    public void Crlf_line_endings_keep_positions_right()
    {
        var doc = Read("a: 1\r\nmax_steps: 1000\r\n");
        var e = doc.Find("max_steps")!;
        Assert.Equal(new Position(1, 11), e.ValueSpan.Range.Start);
        Assert.Equal("1000", e.ValueText);
    }

    [Fact]
    public void Syntax_error_is_a_problem_with_a_position_not_an_exception()
    {
        var doc = Read("max_steps: 1000\nper_device_train_batch_size: [8\nlr: 1\n");
        var p = Assert.Single(doc.Problems);
        Assert.Equal("SW9001", p.Id);
        Assert.Contains("YAML syntax error", p.Message);
        Assert.True(p.Span.Range.Start.Line >= 1);
    }

    [Fact]
    public void Deep_nesting_is_refused_cleanly()
    {
        var text = "a: " + new string('[', 5000) + new string(']', 5000) + "\n";
        var doc = Read(text);
        Assert.Contains(doc.Problems, p => p.Message.Contains("nesting deeper"));
    }

    [Fact]
    public void Only_the_first_document_of_a_stream_is_read()
    {
        var doc = Read("max_steps: 1\n---\nmax_steps: 2\n");
        Assert.Equal(1L, doc.Find("max_steps")!.Value.AsLong());
    }

    [Fact]
    public void Directives_are_read_with_their_spans()
    {
        var doc = Read("# stepwise: dataset_size=52,002 world_size=2\nmax_steps: 1\n");
        Assert.Collection(doc.Directives,
            d => { Assert.Equal("dataset_size", d.Name); Assert.Equal("52,002", d.Value); Assert.Equal(new Position(0, 12), d.Span.Range.Start); },
            d => { Assert.Equal("world_size", d.Name); Assert.Equal("2", d.Value); });
        Assert.Empty(doc.Problems);
    }

    [Fact]
    public void Unknown_directive_is_a_warning()
    {
        var doc = Read("# stepwise: datasetsize=5\nmax_steps: 1\n");
        Assert.Contains(doc.Problems, p => p.Message.Contains("unknown stepwise directive 'datasetsize'"));
    }

    [Theory]
    [InlineData("base_model: m\nmicro_batch_size: 2\n", Dialect.Axolotl)]
    [InlineData("model_name_or_path: m\nstage: sft\nfinetuning_type: lora\n", Dialect.LlamaFactory)]
    [InlineData("per_device_train_batch_size: 8\nmax_steps: 5\n", Dialect.Hf)]
    [InlineData("compute_environment: LOCAL_MACHINE\ndistributed_type: FSDP\nnum_processes: 2\n", Dialect.Accelerate)]
    [InlineData("name: ci\non: push\njobs: {}\n", Dialect.Unknown)]
    public void Dialect_is_told_by_content(string text, Dialect expected) => Assert.Equal(expected, Read(text).Dialect);

    [Fact]
    public void Nested_values_are_built_on_first_read_and_then_the_same_for_every_reader()
    {
        var text = "max_steps: 10\nmix:\n  - name: s0\n    weight: 0.5\n  - {name: s1, weight: 2}\nextra:\n  a: [1, 2]\n";
        var doc = Read(text);
        var mix = doc.Find("mix")!.Value;
        Assert.Equal(ValueKind.Sequence, mix.Kind);
        var items = mix.Items;
        Assert.Same(items, mix.Items);
        Assert.Equal(2, items.Count);
        var w = items[0].Find("weight")!;
        Assert.Equal("mix[0].weight", w.Path);
        Assert.Equal(0.5, w.Value.AsDouble());
        Assert.Equal(text.IndexOf("0.5", StringComparison.Ordinal), w.ValueSpan.Start);
        Assert.Equal(new Position(3, 12), w.ValueSpan.Range.Start);
        Assert.Equal(2L, items[1].Find("weight")!.Value.AsLong());
        var a = doc.Find("extra")!.Value.Find("a")!;
        Assert.Equal("extra.a", a.Path);
        Assert.Equal(new[] { 1L, 2L }, a.Value.Items.Select(i => i.AsLong()!.Value));
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("10", 10L)]
    [InlineData("007", 7L)]                       // leading zero: octal, as PyYAML reads it
    [InlineData("123456789012345678", 123456789012345678L)]
    [InlineData("1234567890123456789", 1234567890123456789L)]
    [InlineData("99999999999999999999", 1e20)]    // past long: a float
    [InlineData("1.", 1.0)]
    [InlineData("0.25", 0.25)]
    [InlineData("-3", -3L)]
    public void Numbers_get_their_values(string literal, object expected)
    {
        var v = Read($"x: {literal}\n").Find("x")!.Value;
        Assert.Equal(expected, v.Raw);
    }

    [Fact]
    public void The_fast_number_path_agrees_with_the_patterns()
    {
        var digits = Gen.String[Gen.Char["0123456789"], 0, 21];
        var gen = Gen.OneOf(
            digits.Where(d => d.Length > 0),
            Gen.Select(digits.Where(d => d.Length > 0), digits, (a, b) => a + "." + b),
            Gen.String[Gen.Char["0123456789._-+eE"], 1, 22]);
        gen.Sample(s =>
        {
            if (!(char.IsAsciiDigit(s[0]) || s[0] is '-' or '+' or '.')) return;
            var fast = Stepwise.Readers.Yaml.YamlScalars.Resolve(s);
            var general = Stepwise.Readers.Yaml.YamlScalars.ByPatterns(s);
            Assert.True(fast.Kind == general.Kind && Equals(fast.Raw, general.Raw), $"{s}: {fast.Kind} {fast.Raw} vs {general.Kind} {general.Raw}");
        }, iter: 20000);
    }
}
