using System.Text;
using Stepwise.Workspace.Datasets.Counting;

namespace Stepwise.Analysis.Tests.Datasets;

public class JsonDocumentCounterTests
{
    private static ChunkCount Count(string text, int chunk = int.MaxValue)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var c = new JsonDocumentCounter();
        for (int i = 0; i < bytes.Length; i += chunk) c.Feed(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
        return c.Finish();
    }

    // Expected counts checked with Python: len(json.loads(text)).
    [Theory]
    [InlineData("[]", 0)]
    [InlineData("[ ]", 0)]
    [InlineData("[1]", 1)]
    [InlineData("[1,2,3]", 3)]
    [InlineData("[{\"a\":\"x],[{\"},{\"b\":[1,2,[3]]}]", 2)]  // brackets and commas inside strings, nested arrays
    [InlineData("[\"a\\\"],\", \"b\"]", 2)]                  // an escaped quote inside a string
    [InlineData("\n  [\n {\"a\": 1},\n {\"a\": 2}\n]\n", 2)]
    [InlineData("[[1,2],[3]]", 2)]
    [InlineData("[\"\\\\\", \"x\"]", 2)]                     // an escaped backslash right before the closing quote
    public void Counts_top_level_array_elements(string text, long expected)
    {
        var r = Count(text);
        Assert.Null(r.Problem);
        Assert.Equal(expected, r.Rows);
        Assert.Equal("JSON array", r.Shape);
    }

    [Fact]
    public void An_object_with_one_list_counts_that_list()
    {
        var r = Count("{\"version\": \"1.0\", \"data\": [{\"q\": \"[\"}, {\"q\": \"]\"}, 3], \"meta\": {\"n\": [9, 9]}}");
        Assert.Equal(3, r.Rows);
        Assert.Contains("\"data\"", r.Shape);
    }

    [Fact]
    public void An_object_with_two_lists_is_not_guessed()
    {
        var r = Count("{\"train\": [1, 2], \"test\": [3]}");
        Assert.Null(r.Rows);
        Assert.Contains("2 lists", r.Problem);
        Assert.Contains("\"train\": 2", r.Problem);
    }

    [Fact]
    public void An_object_without_lists_is_not_guessed()
    {
        var r = Count("{\"instruction\": \"hi\", \"output\": \"yo\"}");
        Assert.Null(r.Rows);
        Assert.Contains("no list of records", r.Problem);
    }

    [Fact]
    public void Several_top_level_objects_are_JSON_Lines()
    {
        var r = Count("{\"a\": [1,2]}\n{\"a\": [3]}\n\n{\"a\": []}\n");
        Assert.Equal(3, r.Rows);
        Assert.Equal("JSON Lines in a .json file", r.Shape);
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("  \n ", 0)]
    public void An_empty_file_has_no_records(string text, long expected) => Assert.Equal(expected, Count(text).Rows);

    [Theory]
    [InlineData("[1,]", "trailing comma", 3)]
    [InlineData("[,1]", "empty element", 1)]
    [InlineData("[{\"a\":1}", "unclosed", 8)]
    [InlineData("[\"abc", "inside a string", 5)]
    [InlineData("[1]]", "closes nothing", 3)]
    [InlineData("[1}", "closes a '['", 2)]
    [InlineData("hello", "does not start with", 0)]
    [InlineData("\"just a string\"", "is a string", 0)]
    [InlineData("[1] [2]", "second top-level value", 4)]
    public void Malformed_JSON_is_a_problem_with_its_offset(string text, string fragment, long offset)
    {
        var r = Count(text);
        Assert.Null(r.Rows);
        Assert.Contains(fragment, r.Problem);
        Assert.Equal(offset, r.ProblemOffset);
    }

    [Fact]
    public void Deep_nesting_neither_recurses_nor_fails()
    {
        int depth = 200_000;
        var r = Count("[" + new string('[', depth) + new string(']', depth) + ", 1]");
        Assert.Equal(2, r.Rows);
    }

    [Fact]
    public void A_chunk_boundary_anywhere_gives_the_same_count()
    {
        const string text = "[{\"a\":\"x\\\"]\"},\n {\"b\":[1,[2,\"]\"]]},\r\n \"\\\\\", 4,{\"}\":\"{\"}]";
        var whole = Count(text);
        Assert.Equal(5, whole.Rows); // Python: len(json.loads(text)) == 5
        for (int chunk = 1; chunk <= text.Length; chunk++)
            Assert.Equal(5, Count(text, chunk).Rows);
    }

    [Fact]
    public void Corpus_alpaca_en_demo_has_999_records()
    {
        // Independently: python3 -c 'import json; print(len(json.load(open("alpaca_en_demo.json"))))' -> 999
        var r = Stepwise.Workspace.Datasets.RecordCounter.CountUncached(
            new FileInfo(Path.Combine(DatasetTestFiles.LlamaFactory, "data", "alpaca_en_demo.json")), new Stepwise.Workspace.Datasets.RecordCounterOptions());
        Assert.Equal(999, r.Rows);
    }

    [Theory]
    [InlineData("identity.json", 91)]                   // python3 len(json.load(...)) -> 91
    [InlineData("glaive_toolcall_en_demo.json", 300)]   // python3 len(json.load(...)) -> 300
    public void Corpus_json_arrays(string file, long expected)
    {
        var r = Stepwise.Workspace.Datasets.RecordCounter.CountUncached(
            new FileInfo(Path.Combine(DatasetTestFiles.LlamaFactory, "data", file)), new Stepwise.Workspace.Datasets.RecordCounterOptions());
        Assert.Equal(expected, r.Rows);
    }
}
