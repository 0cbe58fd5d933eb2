using System.Text;
using Stepwise.Workspace.Datasets.Counting;

namespace Stepwise.Analysis.Tests.Datasets;

public class CsvAndTextCounterTests
{
    private static ChunkCount Feed(ChunkCounter c, string text, int chunk = int.MaxValue)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        for (int i = 0; i < bytes.Length; i += chunk) c.Feed(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
        return c.Finish();
    }

    // Expected: Python's csv.reader over the text, blank rows dropped, minus the header (checked once by hand-run script).
    [Theory]
    [InlineData("a,b\n1,2\n3,4\n", 2)]
    [InlineData("a,b\n1,2\n3,4", 2)]                                 // no final newline
    [InlineData("a,b\r\n1,2\r\n3,4\r\n", 2)]                         // CRLF
    [InlineData("a,b\n\"x\ny\",2\n\"he said \"\"hi\"\"\n\",3\n", 2)] // quoted newlines and "" escapes
    [InlineData("a,b\n\n1,2\n   \n3,4\n\n", 2)]                      // blank and whitespace-only lines
    [InlineData("", 0)]
    [InlineData("a,b\n", 0)]                                         // header only
    [InlineData("a,b\n1,x\"y\n2,\"q\"\n", 2)]                        // a quote inside an unquoted field is text
    [InlineData("a,b\r1,2\r3,4\r", 2)]                               // old Mac line ends
    [InlineData("a,b\n\"x,\r\ny\",2\r\n", 1)]                        // CRLF inside a quoted field
    public void Counts_CSV_rows_after_the_header(string text, long expected)
    {
        for (int chunk = 1; chunk <= Math.Max(1, text.Length); chunk++)
            Assert.Equal(expected, Feed(new CsvCounter(), text, chunk).Rows);
    }

    [Fact]
    public void Counts_TSV_with_quoted_tabs()
    {
        // Python: csv.reader(..., delimiter='\t'), blank rows dropped -> 2 data rows
        Assert.Equal(2, Feed(new CsvCounter((byte)'\t'), "a\tb\n1\t\"x\ty\"\n\n2\t3\n").Rows);
    }

    [Fact]
    public void An_unclosed_quote_is_a_problem_at_the_quote()
    {
        var r = Feed(new CsvCounter(), "a,b\n\"unterminated,1\n");
        Assert.Null(r.Rows);
        Assert.Equal(4, r.ProblemOffset);
    }

    // datasets' text builder: every line is a row, blank ones too; universal newlines.
    [Theory]
    [InlineData("", 0)]
    [InlineData("a", 1)]
    [InlineData("a\n", 1)]
    [InlineData("a\n\nb", 3)]
    [InlineData("a\r\nb\r\n", 2)]
    [InlineData("a\rb\rc", 3)]
    [InlineData("\n\n", 2)]
    public void Counts_text_lines(string text, long expected)
    {
        // Python: len(io.StringIO(text, newline=None).readlines()) gives the same numbers.
        for (int chunk = 1; chunk <= Math.Max(1, text.Length); chunk++)
            Assert.Equal(expected, Feed(new TextLineCounter(), text, chunk).Rows);
    }
}
