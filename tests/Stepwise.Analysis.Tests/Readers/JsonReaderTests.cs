using Stepwise.Core.Model;
using Stepwise.Core.Text;
using Stepwise.Readers;

namespace Stepwise.Analysis.Tests.Readers;

public class JsonReaderTests
{
    private static ConfigDocument Read(string text) => ConfigReaders.Read(text, "c.json").Single();

    [Fact]
    public void Comments_and_trailing_commas_are_tolerated_and_spans_exact()
    {
        var text = "{\n  // the batch\n  \"per_device_train_batch_size\": 128, /* x */\n  \"max_steps\": 1000,\n}\n";
        var doc = Read(text);
        Assert.Empty(doc.Problems);
        var e = doc.Find("max_steps")!;
        Assert.Equal(new Position(3, 2), e.KeySpan.Range.Start);
        Assert.Equal("\"max_steps\"", text.Substring(e.KeySpan.Start, e.KeySpan.Length));
        Assert.Equal(new Position(3, 15), e.ValueSpan.Range.Start);
        Assert.Equal(1000L, e.Value.AsLong());
        Assert.Equal(Dialect.Hf, doc.Dialect);
    }

    [Fact]
    public void Numbers_strings_and_nesting_are_typed()
    {
        var doc = Read("{\"learning_rate\": 2e-4, \"optim\": \"adamw_torch\", \"fp16\": true, \"x\": null, \"zero_optimization\": {\"stage\": 2}, \"l\": [1, 2]}");
        Assert.Equal(ValueKind.Float, doc.Find("learning_rate")!.Value.Kind);
        Assert.Equal("adamw_torch", doc.Find("optim")!.Value.AsString());
        Assert.True(doc.Find("fp16")!.Value.AsBool());
        Assert.Equal(ValueKind.Null, doc.Find("x")!.Value.Kind);
        Assert.Equal(2L, doc.Find("zero_optimization")!.Value.Find("stage")!.Value.AsLong());
        Assert.Equal("zero_optimization.stage", doc.Find("zero_optimization")!.Value.Find("stage")!.Path);
        Assert.Equal(2, doc.Find("l")!.Value.Items.Count);
    }

    [Fact]
    public void Escapes_are_decoded_but_spans_cover_the_source()
    {
        var text = "{\"output_dir\": \"a\\\"b\\u0041\"}";
        var doc = Read(text);
        var e = doc.Find("output_dir")!;
        Assert.Equal("a\"bA", e.Value.AsString());
        Assert.Equal("\"a\\\"b\\u0041\"", e.ValueText);
    }

    [Theory]
    [InlineData("{\"max_steps\": 1000", "unterminated object")]
    [InlineData("{\"max_steps\" 1000}", "':' expected")]
    [InlineData("{\"max_steps\": \"abc}", "unterminated string")]
    [InlineData("{\"a\": tru}", "unexpected 't'")]
    [InlineData("{} x", "after the top-level value")]
    public void Syntax_errors_are_problems_with_positions(string text, string message)
    {
        var doc = Read(text);
        var p = Assert.Single(doc.Problems);
        Assert.Equal("SW9001", p.Id);
        Assert.Contains(message, p.Message);
    }

    [Fact]
    public void Deep_nesting_is_refused_without_stack_overflow()
    {
        var doc = Read(new string('[', 100_000) + new string(']', 100_000));
        Assert.Contains(doc.Problems, p => p.Message.Contains("nesting deeper"));
    }

    [Fact]
    public void Removal_spans_keep_the_object_valid()
    {
        var text = "{\n  \"a\": 1,\n  \"max_steps\": 1000,\n  \"b\": 2\n}";
        var doc = Read(text);
        foreach (var key in new[] { "a", "max_steps", "b" })
        {
            var e = doc.Find(key)!;
            var after = TextEdit.Apply(text, new[] { doc.Editor.Remove(e) });
            var reread = Read(after);
            Assert.Empty(reread.Problems);
            Assert.Null(reread.Find(key));
            Assert.Equal(2, reread.Entries.Count);
        }
    }
}
