using Stepwise.Core.Text;
using Stepwise.LanguageServer.Server;

namespace Stepwise.LanguageServer.Tests;

public class DocumentSnapshotTests
{
    [Theory]
    [InlineData("a: 1\nb: 2\n")]
    [InlineData("a: 1\r\nbb: 22\r\n\r\nc")]
    [InlineData("x\ry\r\nz\n\n")]
    [InlineData("")]
    [InlineData("é😀: 1\nκ: 2")]
    public void Offsets_agree_with_the_engines_line_index_including_clamping(string text)
    {
        var index = new LineIndex(text);
        for (int line = 0; line <= index.LineCount + 1; line++)
            for (int character = 0; character <= 8; character++)
                Assert.Equal(index.OffsetOf(new Position(line, character)), DocumentSnapshot.OffsetOf(text, line, character, out _));
    }

    [Fact]
    public void Changes_apply_in_order_and_an_inverted_range_refuses_the_message()
    {
        var changes = new[]
        {
            new Protocol.TextDocumentContentChangeEvent { Range = new(new(0, 3), new(0, 4)), Text = "128" },
            new Protocol.TextDocumentContentChangeEvent { Range = new(new(1, 0), new(1, 0)), Text = "# " },
        };
        Assert.Equal("a: 128\n# b: 2\n", DocumentSnapshot.ApplyChanges("a: 1\nb: 2\n", changes, out var problem));
        Assert.Null(problem);
        var inverted = new[] { new Protocol.TextDocumentContentChangeEvent { Range = new(new(1, 2), new(0, 0)), Text = "" } };
        Assert.Null(DocumentSnapshot.ApplyChanges("a: 1\nb: 2\n", inverted, out problem));
        Assert.Contains("after its end", problem);
    }
}
