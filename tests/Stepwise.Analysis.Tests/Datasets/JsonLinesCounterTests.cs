using System.Text;
using Stepwise.Workspace.Datasets;
using Stepwise.Workspace.Datasets.Counting;

namespace Stepwise.Analysis.Tests.Datasets;

public class JsonLinesCounterTests
{
    private static long Count(string text, int chunk = int.MaxValue) => Count(Encoding.UTF8.GetBytes(text), chunk);

    private static long Count(byte[] bytes, int chunk = int.MaxValue)
    {
        var c = new JsonLinesCounter();
        for (int i = 0; i < bytes.Length; i += chunk) c.Feed(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
        return c.Finish().Rows!.Value;
    }

    // Expected counts are the records a reader sees: non-blank lines (hand-counted).
    [Theory]
    [InlineData("", 0)]
    [InlineData("\n", 0)]
    [InlineData("{\"a\":1}", 1)]                              // last line without a newline
    [InlineData("{\"a\":1}\n", 1)]
    [InlineData("{\"a\":1}\n{\"a\":2}\n{\"a\":3}", 3)]
    [InlineData("{\"a\":1}\n\n\n{\"a\":2}\n", 2)]             // blank lines
    [InlineData("{\"a\":1}\n   \n\t\n{\"a\":2}\n  ", 2)]      // whitespace-only lines, whitespace-only tail
    [InlineData("{\"a\":1}\r\n{\"a\":2}\r\n", 2)]             // CRLF
    [InlineData("{\"a\":1}\r\n\r\n \r\n{\"a\":2}", 2)]        // CRLF blank lines
    [InlineData("{\"a\":1}   \n{\"a\":2}\t\r\n", 2)]          // trailing whitespace after a record
    [InlineData("\n\n{\"a\":1}", 1)]                          // leading blank lines
    [InlineData("{\"s\":\"x\"}\n{\"s\":\"y\"}\n\n", 2)]
    public void Counts_non_blank_lines(string text, long expected)
    {
        Assert.Equal(expected, Count(text));
    }

    [Fact]
    public void A_chunk_boundary_anywhere_gives_the_same_count()
    {
        var text = "{\"a\":1}\r\n\r\n  \n{\"b\":2}\n\t\n" + string.Concat(Enumerable.Repeat("{\"c\":\"" + new string('x', 70) + "\"}\r\n \n", 9)) + "{\"z\":0}";
        long expected = 2 + 9 + 1;
        for (int chunk = 1; chunk <= 200; chunk++)
            Assert.Equal(expected, Count(text, chunk));
    }

    [Fact]
    public void Vector_path_matches_the_line_by_line_definition_on_random_input()
    {
        // Alphabet heavy in whitespace and newlines so blank lines, CRLF and trailing spaces cross 64-byte blocks.
        byte[] alphabet = "  \t\r\n\n\n{}a"u8.ToArray();
        var rng = new Random(12345);
        for (int round = 0; round < 300; round++)
        {
            var bytes = new byte[rng.Next(0, 700)];
            for (int i = 0; i < bytes.Length; i++) bytes[i] = alphabet[rng.Next(alphabet.Length)];
            var text = Encoding.ASCII.GetString(bytes);
            long expected = text.Split('\n').Count(line => line.Trim(' ', '\t', '\r').Length > 0);
            Assert.Equal(expected, Count(bytes));
            Assert.Equal(expected, Count(bytes, rng.Next(1, 130)));
        }
    }

    [Fact]
    public void A_UTF8_byte_order_mark_is_not_a_record()
    {
        using var dir = new TempFolder();
        var path = dir.Write("bom.jsonl", "\uFEFF\n{\"a\":1}\n{\"a\":2}\n");
        var r = RecordCounter.CountUncached(new FileInfo(path), new RecordCounterOptions());
        Assert.Equal(2, r.Rows);
    }

    [Fact]
    public void Corpus_c4_demo_has_300_records()
    {
        // Independently: python3 -c 'print(sum(1 for l in open("c4_demo.jsonl") if l.strip()))' -> 300
        var r = RecordCounter.CountUncached(new FileInfo(Path.Combine(DatasetTestFiles.LlamaFactory, "data", "c4_demo.jsonl")), new RecordCounterOptions());
        Assert.Equal(300, r.Rows);
        Assert.Equal("JSON Lines", r.Shape);
    }

    [Fact]
    public void Corpus_v1_sft_demo_has_500_records()
    {
        // Independently: python3 (non-blank lines) -> 500
        var r = RecordCounter.CountUncached(new FileInfo(Path.Combine(DatasetTestFiles.LlamaFactory, "data", "v1_sft_demo.jsonl")), new RecordCounterOptions());
        Assert.Equal(500, r.Rows);
    }
}
