using System.Diagnostics;
using Stepwise.Core.Model;
using Stepwise.Core.Text;
using Stepwise.Readers.Python;

namespace Stepwise.Analysis.Tests.Python;

public class PythonEditorTests
{
    private static readonly PythonConfigReader Reader = new();

    /// <summary>
    /// Applies one edit and checks what every fix must keep: the text outside the edit is byte-identical, the result
    /// still tokenizes without problems, and (where Debian's CPython is installed) CPython's own parser accepts it.
    /// Returns the new text and its documents.
    /// </summary>
    internal static (string Text, IReadOnlyList<ConfigDocument> Docs) RoundTrip(string text, Func<IReadOnlyList<ConfigDocument>, TextEdit> makeEdit)
    {
        var docs = Reader.Read(text, "train.py");
        var edit = makeEdit(docs);
        Assert.Equal(edit.Range.Start, docs[0].Lines.PositionOf(edit.Start));
        var result = TextEdit.Apply(text, new[] { edit });
        Assert.Equal(text[..edit.Start], result[..edit.Start]);
        var tail = text[(edit.Start + edit.Length)..];
        Assert.Equal(tail, result[^tail.Length..]);
        Assert.Equal(edit.NewText, result.Substring(edit.Start, result.Length - edit.Start - tail.Length));
        Assert.Empty(PythonTokenizer.Tokenize(result).Problems);
        CPython.AssertParses(result);
        return (result, Reader.Read(result, "train.py"));
    }

    private static string Seed => PythonFixtures.Read("seed_qlora.py");

    [Fact]
    public void SetValue_replaces_only_the_value()
    {
        var (text, docs) = RoundTrip(Seed, d => d[0].Editor.SetValue(d[0].Find("per_device_train_batch_size")!, 64));
        Assert.Equal(64L, docs[0].Find("per_device_train_batch_size")!.Value.AsLong());
        Assert.Contains("    per_device_train_batch_size=64,\n", text);
    }

    [Fact]
    public void Rename_fixes_the_deprecated_keyword_in_both_calls()
    {
        var docs = Reader.Read(Seed, "seed.py");
        var edits = docs.Select(d => d.Editor.Rename(d.Find("evaluation_strategy")!, "eval_strategy")).ToList();
        var text = TextEdit.Apply(Seed, edits);
        Assert.Equal(Seed.Replace("evaluation_strategy=", "eval_strategy="), text);
        var after = Reader.Read(text, "seed.py");
        Assert.All(after, d => Assert.Equal("epoch", d.Find("eval_strategy")!.Value.AsString()));
        CPython.AssertParses(text);
    }

    [Fact]
    public void Remove_takes_a_whole_line_in_a_multi_line_call_and_keeps_the_neighbours()
    {
        var (text, docs) = RoundTrip(Seed, d => d[0].Editor.Remove(d[0].Find("max_steps")!));
        Assert.Null(docs[0].Find("max_steps"));
        Assert.Contains("    learning_rate=2e-4,\n    num_train_epochs=3,\n", text);
        Assert.Contains("    # max_steps=1000,\n", text); // the second block's comment is untouched
        Assert.Equal(Seed.Length - "    max_steps=1000,\n".Length, text.Length);
    }

    [Theory]
    [InlineData("a = TrainingArguments(x=1, max_steps=5)\n", "a = TrainingArguments(x=1)\n")]
    [InlineData("a = TrainingArguments(max_steps=5, x=1)\n", "a = TrainingArguments(x=1)\n")]
    [InlineData("a = TrainingArguments(max_steps=5)\n", "a = TrainingArguments()\n")]
    [InlineData("a = TrainingArguments(x=1, max_steps=5,)\n", "a = TrainingArguments(x=1, )\n")]
    [InlineData("a = TrainingArguments(x=1, max_steps=2,\n    y=3)\n", "a = TrainingArguments(x=1,\n    y=3)\n")]
    [InlineData("a = TrainingArguments(max_steps=2,\n    y=3)\n", "a = TrainingArguments(\n    y=3)\n")]
    [InlineData("a = TrainingArguments(x=1,\n    max_steps=2)\n", "a = TrainingArguments(x=1)\n")]
    [InlineData("a = TrainingArguments(\n    x=1,\n    max_steps=2  # why\n)\n", "a = TrainingArguments(\n    x=1,\n)\n")]
    [InlineData("a = TrainingArguments(\r\n    max_steps=2,\r\n    x=1,\r\n)\r\n", "a = TrainingArguments(\r\n    x=1,\r\n)\r\n")]
    [InlineData("a = TrainingArguments(\n    max_steps=[\n        1,\n    ],\n    x=1,\n)\n", "a = TrainingArguments(\n    x=1,\n)\n")]
    public void Remove_leaves_valid_python(string before, string after)
    {
        var (text, docs) = RoundTrip(before, d => d[0].Editor.Remove(d[0].Find("max_steps")!));
        Assert.Equal(after, text);
        Assert.Null(docs[0].Find("max_steps"));
    }

    [Fact]
    public void AddAfter_in_a_multi_line_call_puts_the_keyword_on_its_own_line_with_the_anchor_indentation()
    {
        var (text, docs) = RoundTrip(Seed, d => d[1].Editor.AddAfter(d[1].Find("num_train_epochs")!, "max_steps", 500));
        Assert.Contains("    num_train_epochs=3,\n    max_steps=500,\n    optim=", text);
        Assert.Equal(500L, docs[1].Find("max_steps")!.Value.AsLong());
    }

    [Theory]
    [InlineData("a = TrainingArguments(x=1, y=2)\n", "x", "a = TrainingArguments(x=1, seed=42, y=2)\n")]
    [InlineData("a = TrainingArguments(x=1, y=2)\n", "y", "a = TrainingArguments(x=1, y=2, seed=42)\n")]
    [InlineData("a = TrainingArguments(x=1, y=2,)\n", "y", "a = TrainingArguments(x=1, y=2, seed=42,)\n")]
    [InlineData("a = TrainingArguments(\n    x=1,\n    y=2  # note\n)\n", "y", "a = TrainingArguments(\n    x=1,\n    y=2,  # note\n    seed=42\n)\n")]
    [InlineData("a = TrainingArguments(\n    x=1,\n    y=2)\n", "y", "a = TrainingArguments(\n    x=1,\n    y=2,\n    seed=42)\n")]
    [InlineData("a = TrainingArguments(\n\tx=1,  # c\n\ty=2,\n)\n", "x", "a = TrainingArguments(\n\tx=1,  # c\n\tseed=42,\n\ty=2,\n)\n")]
    [InlineData("a = TrainingArguments(\n    x=1, y=2,\n)\n", "x", "a = TrainingArguments(\n    x=1,\n    seed=42, y=2,\n)\n")]
    public void AddAfter_keeps_commas_comments_and_layout(string before, string anchor, string after)
    {
        var (text, docs) = RoundTrip(before, d => d[0].Editor.AddAfter(d[0].Find(anchor)!, "seed", 42));
        Assert.Equal(after, text);
        Assert.Equal(42L, docs[0].Find("seed")!.Value.AsLong());
    }

    [Fact]
    public void Replace_swaps_key_and_value_and_keeps_the_trailing_comment()
    {
        var before = "a = TrainingArguments(\n    evaluation_strategy=\"epoch\",  # old name\n)\n";
        var (text, docs) = RoundTrip(before, d => d[0].Editor.Replace(d[0].Find("evaluation_strategy")!, "eval_strategy", "steps"));
        Assert.Equal("a = TrainingArguments(\n    eval_strategy=\"steps\",  # old name\n)\n", text);
        Assert.Equal("steps", docs[0].Find("eval_strategy")!.Value.AsString());
    }

    [Fact]
    public void Dict_display_keys_are_renamed_inside_their_quotes()
    {
        var before = "hp = {'max_seq_length': 512, \"lr\": 1}\nargs = SFTConfig(output_dir='o', **hp)\n";
        var (text, docs) = RoundTrip(before, d => d[0].Editor.Rename(d[0].Find("max_seq_length")!, "max_length"));
        Assert.Equal("hp = {'max_length': 512, \"lr\": 1}\nargs = SFTConfig(output_dir='o', **hp)\n", text);
        Assert.Equal(512L, docs[0].Find("max_length")!.Value.AsLong());
        var (added, _) = RoundTrip(before, d => d[0].Editor.AddAfter(d[0].Find("lr")!, "seed", 1));
        Assert.Equal("hp = {'max_seq_length': 512, \"lr\": 1, \"seed\": 1}\nargs = SFTConfig(output_dir='o', **hp)\n", added);
    }

    [Fact]
    public void A_positional_output_dir_gets_its_keyword_when_renamed()
    {
        var (text, _) = RoundTrip("a = TrainingArguments('out', max_steps=1)\n", d => d[0].Editor.Rename(d[0].Find("output_dir")!, "output_dir"));
        Assert.Equal("a = TrainingArguments(output_dir='out', max_steps=1)\n", text);
    }

    [Fact]
    public void A_constant_used_as_a_value_is_replaced_at_the_keyword_not_at_its_definition()
    {
        var before = "BATCH = 128\nargs = TrainingArguments(per_device_train_batch_size=BATCH)\n";
        var (text, docs) = RoundTrip(before, d => d[0].Editor.SetValue(d[0].Find("per_device_train_batch_size")!, 32));
        Assert.Equal("BATCH = 128\nargs = TrainingArguments(per_device_train_batch_size=32)\n", text);
    }

    // Python's repr() of the same values (CPython 3.11).
    [Theory]
    [InlineData(2.46, "2.46")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1e+16, "1e+16")]
    [InlineData(1000000000000000.0, "1000000000000000.0")]
    [InlineData(1.2345678901234568e+17, "1.2345678901234568e+17")]
    [InlineData(3.0, "3.0")]
    [InlineData(0.30000000000000004, "0.30000000000000004")]
    [InlineData(0.0002, "0.0002")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(1.7976931348623157e+308, "1.7976931348623157e+308")]
    [InlineData(-0.5, "-0.5")]
    [InlineData(100.0, "100.0")]
    [InlineData(1234.5678, "1234.5678")]
    [InlineData(0.00030000000000000003, "0.00030000000000000003")]
    [InlineData(2.457002457002457, "2.457002457002457")]
    [InlineData(9999999999999998.0, "9999999999999998.0")]
    [InlineData(1.234e-05, "1.234e-05")]
    [InlineData(-1e-07, "-1e-07")]
    [InlineData(1e+22, "1e+22")]
    [InlineData(123450000000000.0, "123450000000000.0")]
    public void Floats_are_written_as_python_repr_writes_them(double value, string expected) =>
        Assert.Equal(expected, PythonLiterals.FormatFloat(value));

    [Fact]
    public void FormatValue_writes_python_literals()
    {
        var e = new PythonConfigReader().Read("a = TrainingArguments(x=1)\n", null)[0].Editor;
        Assert.Equal("None", e.FormatValue(null));
        Assert.Equal("True", e.FormatValue(true));
        Assert.Equal("False", e.FormatValue(false));
        Assert.Equal("128", e.FormatValue(128L));
        Assert.Equal("7", e.FormatValue(7));
        Assert.Equal("2.46", e.FormatValue(2.46));
        Assert.Equal("\"epoch\"", e.FormatValue("epoch"));
        Assert.Equal("\"a\\\"b\\\\c\\n\"", e.FormatValue("a\"b\\c\n"));
        Assert.Equal("[\"q_proj\", \"v_proj\"]", e.FormatValue(new[] { "q_proj", "v_proj" }));
        Assert.Equal("{\"use_reentrant\": False}", e.FormatValue(new Dictionary<string, object?> { ["use_reentrant"] = false }));
        Assert.Equal("3.0", e.FormatValue(ConfigValue.Float(3)));
    }

    [Fact]
    public void Written_strings_read_back_as_the_same_string()
    {
        foreach (var s in new[] { "plain", "quote \" and ' both", "back\\slash", "line\nbreak\ttab", "\u0001ctrl", "é😀" })
        {
            var text = "a = TrainingArguments(output_dir='x')\n";
            var (_, docs) = RoundTrip(text, d => d[0].Editor.SetValue(d[0].Find("output_dir")!, s));
            Assert.Equal(s, docs[0].Find("output_dir")!.Value.AsString());
        }
    }
}

/// <summary>Debian's CPython (/usr/bin/python3) as an independent check that a text is valid Python; skipped where it is absent.</summary>
internal static class CPython
{
    private const string Exe = "/usr/bin/python3";

    public static void AssertParses(string source)
    {
        if (!File.Exists(Exe)) return;
        var psi = new ProcessStartInfo(Exe, "-c \"import ast,sys; ast.parse(sys.stdin.read())\"")
        {
            RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(source);
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, "CPython rejects the edited text:\n" + err + "\n---\n" + source);
    }
}
