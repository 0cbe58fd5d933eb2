using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Core;
using Stepwise.Core.Model;
using Stepwise.Core.Text;
using Stepwise.Readers.Python;

namespace Stepwise.Analysis.Tests.Python;

public class NotebookReaderTests
{
    private static readonly NotebookConfigReader Reader = new();
    private static string Fixture => PythonFixtures.Read("qlora.ipynb");

    /// <summary>The text at a span of the .ipynb, read as the inside of a JSON string (what the Python code says there).</summary>
    private static string Unescaped(string ipynb, SourceSpan span) =>
        JsonSerializer.Deserialize<string>("\"" + ipynb.Substring(span.Start, span.Length) + "\"")!;

    /// <summary>The code cells' sources as Jupyter joins them, read with an independent JSON parser.</summary>
    private static string CellSource(string ipynb, string id)
    {
        var cell = JsonNode.Parse(ipynb)!["cells"]!.AsArray().Single(c => (string?)c!["id"] == id)!;
        var src = cell["source"]!;
        return src is JsonArray a ? string.Concat(a.Select(x => (string)x!)) : (string)src!;
    }

    [Fact]
    public void Code_cells_are_read_with_constants_from_earlier_cells()
    {
        var doc = Assert.Single(Reader.Read(Fixture, "qlora.ipynb"));
        Assert.Equal(ConfigSyntax.Python, doc.Syntax);
        Assert.Equal(Dialect.Hf, doc.Dialect);
        Assert.Empty(doc.Problems);
        Assert.Equal(32L, doc.Find("per_device_train_batch_size")!.Value.AsLong());
        Assert.Equal("runs/qlora", doc.Find("output_dir")!.Value.AsString());
        Assert.Equal(1000L, doc.Find("max_steps")!.Value.AsLong());
        Assert.Equal("logs\\tab\there", doc.Find("logging_dir")!.Value.AsString());
        Assert.Equal("café ☕", doc.Find("run_name")!.Value.AsString());
        Assert.Equal("nf4", doc.Find("bnb_4bit_quant_type")!.Value.AsString());
        Assert.Equal("bfloat16", doc.Find("bnb_4bit_compute_dtype")!.Value.AsString());
        // bnb_config reaches the trainer through the model of a later cell: it is part of this run.
        Assert.Equal("BitsAndBytesConfig", doc.Find("bnb_4bit_quant_type")!.Owner);
        // The %%bash cell is not Python: its TrainingArguments text is not a config.
        Assert.Equal(1, doc.Entries.Count(e => e.Key == "max_steps"));
        var d = Assert.Single(doc.Directives);
        Assert.Equal(("dataset_size", "52002"), (d.Name, d.Value));
        Assert.Equal("dataset_size=52002", Unescaped(Fixture, d.Span));
    }

    [Fact]
    public void Every_span_points_at_the_json_characters_of_its_python_source()
    {
        var text = Fixture;
        var doc = Reader.Read(text, "qlora.ipynb").Single();
        Assert.NotEmpty(doc.Entries);
        foreach (var e in doc.Entries)
        {
            Assert.Equal(e.Key, Unescaped(text, e.KeySpan));
            Assert.Equal(e.ValueText, Unescaped(text, e.ValueSpan));
            Assert.Equal(e.KeySpan.Range.Start, doc.Lines.PositionOf(e.KeySpan.Start));
        }
        // Values whose JSON spelling differs from their Python spelling.
        Assert.Equal("\"logs\\\\tab\\there\"", doc.Find("logging_dir")!.ValueText);
        Assert.Equal("\\\"logs\\\\\\\\tab\\\\there\\\"", text.Substring(doc.Find("logging_dir")!.ValueSpan.Start, doc.Find("logging_dir")!.ValueSpan.Length));
        Assert.Equal("\\\"caf\\u00e9 \\u2615\\\"", text.Substring(doc.Find("run_name")!.ValueSpan.Start, doc.Find("run_name")!.ValueSpan.Length));
        // The call's span covers the call in the cell.
        var call = doc.ConfigSpan!;
        Assert.Equal("TrainingArguments(", text.Substring(call.Start, "TrainingArguments(".Length));
        Assert.Equal(')', text[call.End - 1]);
        Assert.Equal('"', text[call.End]); // the cell ends with the call: its JSON string closes right after
    }

    /// <summary>Applies an edit to the notebook and checks it stays valid JSON, changes nothing outside the edit, and
    /// the edited cell is still valid Python (CPython's parser, where installed).</summary>
    private static (string Text, ConfigDocument Doc) Edit(string text, Func<ConfigDocument, TextEdit> makeEdit)
    {
        var doc = Reader.Read(text, "qlora.ipynb").Single();
        var edit = makeEdit(doc);
        var result = TextEdit.Apply(text, new[] { edit });
        Assert.Equal(text[..edit.Start], result[..edit.Start]);
        var tail = text[(edit.Start + edit.Length)..];
        Assert.Equal(tail, result[^tail.Length..]);
        using (JsonDocument.Parse(result)) { }
        var code = CellSource(result, "args");
        Assert.Empty(PythonTokenizer.Tokenize(code).Problems);
        CPython.AssertParses(CellSource(result, "setup") + "\n" + code);
        return (result, Reader.Read(result, "qlora.ipynb").Single());
    }

    [Fact]
    public void SetValue_and_Rename_write_json_escaped_python()
    {
        var (t1, d1) = Edit(Fixture, d => d.Editor.SetValue(d.Find("run_name")!, "a \"quoted\" \\ name\n"));
        Assert.Equal("a \"quoted\" \\ name\n", d1.Find("run_name")!.Value.AsString());
        Assert.Contains("    run_name=\\\"a \\\\\\\"quoted\\\\\\\" \\\\\\\\ name\\\\n\\\",\\n", t1);

        var (_, d2) = Edit(Fixture, d => d.Editor.Rename(d.Find("evaluation_strategy")!, "eval_strategy"));
        Assert.Equal("epoch", d2.Find("eval_strategy")!.Value.AsString());
        Assert.Null(d2.Find("evaluation_strategy"));
    }

    [Fact]
    public void Removing_a_line_removes_its_json_string_and_keeps_the_rest()
    {
        var (text, doc) = Edit(Fixture, d => d.Editor.Remove(d.Find("max_steps")!));
        Assert.Null(doc.Find("max_steps"));
        Assert.DoesNotContain("max_steps", CellSource(text, "args"));
        Assert.Contains("    learning_rate=2e-4,\n    logging_dir=", CellSource(text, "args"));
        Assert.Equal(CellSource(Fixture, "args").Replace("    max_steps=1000,\n", ""), CellSource(text, "args"));
    }

    [Fact]
    public void AddAfter_inserts_a_new_line_inside_the_json_string()
    {
        var (text, doc) = Edit(Fixture, d => d.Editor.AddAfter(d.Find("gradient_accumulation_steps")!, "num_train_epochs", 3));
        Assert.Equal(3L, doc.Find("num_train_epochs")!.Value.AsLong());
        Assert.Contains("    gradient_accumulation_steps=4,\n    num_train_epochs=3,\n    learning_rate=", CellSource(text, "args"));

        // After the last argument (no trailing comma in the cell's last line? it has one) and on the commented line.
        var (_, doc2) = Edit(Fixture, d => d.Editor.AddAfter(d.Find("evaluation_strategy")!, "eval_steps", 50));
        Assert.Equal(50L, doc2.Find("eval_steps")!.Value.AsLong());
    }

    [Fact]
    public void The_engine_reads_the_notebook_schedule_with_its_directive()
    {
        var doc = Reader.Read(Fixture, "qlora.ipynb").Single();
        var r = Engine.Analyze(new AnalysisInputs(doc));
        Assert.Equal(52002L, r.DatasetSize.Count);
        Assert.Equal(128L, r.Schedule!.SamplesPerStep);
        // B = 32 x A = 4: L = 1626, U = 407; 1000 = 2 x 407 + 186 -> 744 of epoch 3's 1626 micro-batches (trainer_state.json).
        Assert.Equal(2 + 744.0 / 1626, r.Schedule.Epochs!.Value, 6);
    }

    /// <summary>The fixture with a 2 MB image output added to the TrainingArguments cell (as a plot would leave).</summary>
    private static string WithBigOutput()
    {
        var root = JsonNode.Parse(Fixture)!;
        var cell = root["cells"]!.AsArray().Single(c => (string?)c!["id"] == "args")!;
        var rng = new Random(7);
        var bytes = new byte[1_500_000];
        rng.NextBytes(bytes);
        var png = Convert.ToBase64String(bytes); // 2,000,000 characters
        cell["outputs"]!.AsArray().Add(new JsonObject
        {
            ["data"] = new JsonObject { ["image/png"] = png, ["text/plain"] = new JsonArray("<Figure size 640x480 with 1 Axes>\n", "\"TrainingArguments(max_steps=5)\"") },
            ["metadata"] = new JsonObject(),
            ["output_type"] = "display_data",
        });
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    [Fact]
    public void A_notebook_with_megabytes_of_output_is_read_fast_and_edited_safely()
    {
        var text = WithBigOutput();
        Assert.True(text.Length > 2_000_000);
        Reader.Read(text, "big.ipynb"); // JIT warm-up
        var sw = Stopwatch.StartNew();
        var doc = Reader.Read(text, "big.ipynb").Single();
        sw.Stop();
        Assert.Empty(doc.Problems);
        Assert.Equal(32L, doc.Find("per_device_train_batch_size")!.Value.AsLong());
        foreach (var e in doc.Entries) Assert.Equal(e.ValueText, Unescaped(text, e.ValueSpan));
        Assert.True(sw.ElapsedMilliseconds < 3000, $"took {sw.ElapsedMilliseconds} ms");

        var (edited, after) = Edit(text, d => d.Editor.Remove(d.Find("max_steps")!));
        Assert.Null(after.Find("max_steps"));
        Assert.Equal(CellSource(text, "args").Replace("    max_steps=1000,\n", ""), CellSource(edited, "args"));
        Assert.Equal(JsonNode.Parse(text)!["cells"]![3]!["outputs"]!.ToJsonString(), JsonNode.Parse(edited)!["cells"]![3]!["outputs"]!.ToJsonString());
    }

    [Fact]
    public void Invalid_json_is_an_SW9001_problem_at_its_position()
    {
        var text = "{\n \"cells\": [\n  {\"cell_type\": \"code\", \"source\": [\"x = 1\\n\"] \"outputs\": []}\n ]\n}\n";
        var doc = Assert.Single(Reader.Read(text, "bad.ipynb"));
        var p = Assert.Single(doc.Problems);
        Assert.Equal("SW9001", p.Id);
        Assert.Contains("not valid JSON", p.Message);
        Assert.Equal(2, p.Span.Range.Start.Line);
        Assert.Empty(doc.Entries);
    }

    [Theory]
    [InlineData("{\"cells\": [], \"e\\ud800x\": null}", "e\\ud800x")]
    [InlineData("{\"cells\": [{\"cell_\\udc00type\": \"code\", \"source\": [\"x = 1\\n\"]}]}", "cell_\\udc00type")]
    [InlineData("{\"cells\": [{\"cell_type\": \"\\ud800\", \"source\": [\"x = 1\\n\"]}]}", "\\ud800\",")]
    public void An_unpaired_surrogate_escape_is_an_SW9001_problem_not_a_crash(string text, string at)
    {
        // Valid JSON text that System.Text.Json will not turn into a .NET string (found by the fuzz smoke run).
        var doc = Assert.Single(Reader.Read(text, "bad.ipynb"));
        var p = Assert.Single(doc.Problems);
        Assert.Equal("SW9001", p.Id);
        Assert.Contains("not valid JSON", p.Message);
        Assert.Equal(text.IndexOf(at, StringComparison.Ordinal) - 1, p.Span.Start);
    }

    [Fact]
    public void A_language_name_with_an_unpaired_surrogate_escape_names_no_language()
    {
        var text = "{\"metadata\": {\"kernelspec\": {\"language\": \"py\\udfff\"}}, \"cells\": [{\"cell_type\": \"code\", \"source\": \"TrainingArguments(max_steps=5)\"}]}";
        var doc = Assert.Single(Reader.Read(text, "odd.ipynb"));
        Assert.Empty(doc.Problems);
        Assert.Equal(5L, doc.Entries.Single(e => e.Key == "max_steps").Value.AsLong());
    }

    [Fact]
    public void A_notebook_for_another_language_or_without_configs_gives_no_documents()
    {
        var r = "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"TrainingArguments(max_steps=1)\"}], \"metadata\": {\"kernelspec\": {\"language\": \"R\"}}}";
        Assert.Empty(Reader.Read(r, "r.ipynb"));
        var plain = "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"print(1)\"}], \"metadata\": {}, \"nbformat\": 4}";
        Assert.Empty(Reader.Read(plain, "p.ipynb"));
    }

    [Fact]
    public void A_broken_cell_does_not_swallow_the_next_one()
    {
        var text = "{\"cells\": ["
            + "{\"cell_type\": \"code\", \"source\": [\"s = '''never closed\\n\", \"x = (1,\\n\"]},"
            + "{\"cell_type\": \"code\", \"source\": \"args = TrainingArguments(max_steps=7)\"}"
            + "], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}";
        var doc = Assert.Single(Reader.Read(text, "broken.ipynb"));
        Assert.Equal(7L, doc.Find("max_steps")!.Value.AsLong());
        Assert.Equal("7", Unescaped(text, doc.Find("max_steps")!.ValueSpan));
        var p = Assert.Single(doc.Problems);
        Assert.Contains("triple-quoted", p.Message);
        Assert.Equal("'''never closed", text.Substring(p.Span.Start, p.Span.Length));
    }

    [Fact]
    public void IPython_magics_shell_escapes_and_help_are_not_python_problems()
    {
        var code = "%load_ext autoreload\n!pip install trl\nfiles = !ls data\nTrainingArguments?\nif True:\n    %time x = 1\nargs = TrainingArguments(max_steps=3 % 2)\n";
        var text = "{\"cells\": [{\"cell_type\": \"code\", \"source\": " + JsonSerializer.Serialize(code) + "}]}";
        var doc = Assert.Single(Reader.Read(text, "m.ipynb"));
        Assert.Empty(doc.Problems);
        Assert.Equal(1L, doc.Find("max_steps")!.Value.AsLong());
        // The same text as a .py file is not Python.
        Assert.NotEmpty(new PythonConfigReader().Read(code, "m.py").Single().Problems);
    }

    [Fact]
    public void A_single_string_source_and_nbformat_3_worksheets_are_read()
    {
        var v4 = "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"B = 4\\nargs = TrainingArguments(per_device_train_batch_size=B * 2)\"}]}";
        Assert.Equal(8L, Reader.Read(v4, "a.ipynb").Single().Find("per_device_train_batch_size")!.Value.AsLong());
        var v3 = "{\"worksheets\": [{\"cells\": [{\"cell_type\": \"code\", \"input\": [\"args = TrainingArguments(\\n\", \"    max_steps=9)\"]}]}], \"nbformat\": 3}";
        var doc = Reader.Read(v3, "b.ipynb").Single();
        Assert.Equal(9L, doc.Find("max_steps")!.Value.AsLong());
        Assert.Equal("max_steps", Unescaped(v3, doc.Find("max_steps")!.KeySpan));
    }
}
