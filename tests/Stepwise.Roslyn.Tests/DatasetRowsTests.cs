using System.Text;
using Microsoft.CodeAnalysis.Text;
using Stepwise.Workspace.Datasets;

namespace Stepwise.Roslyn.Tests;

/// <summary>
/// The analyzer counts AdditionalFiles in memory; the CLI and language server count files with Stepwise.Workspace.
/// Both must give the same N for the same bytes, or C# and YAML users would see different epochs.
/// </summary>
public class DatasetRowsTests
{
    public static TheoryData<string, string> Inputs => new()
    {
        { "jsonl", "{\"a\":1}\n{\"a\":2}\n{\"a\":3}" },
        { "jsonl", "{\"a\":1}\r\n\r\n   \n{\"a\":2}\r\n" },
        { "jsonl", "" },
        { "jsonl", "[{\"a\":1},{\"a\":2}]" },
        { "jsonl", "\"text\"\n" },
        { "json", "[]" },
        { "json", "[1, 22, true, null, \"x,]\", {\"k\": [1,2]}, [3]]" },
        { "json", "[\n  {\"q\": \"a, [b] {c} \\\"d\\\"\"},\n  {\"q\": \"e\"}\n]\n" },
        { "json", "{\"version\": 1, \"data\": [{\"a\":1},{\"a\":2},{\"a\":3}]}" },
        { "json", "{\"train\": [1], \"test\": [2, 3]}" },
        { "json", "{\"only\": \"scalars\"}" },
        { "json", "{\"a\":1}\n{\"a\":2}\n" },
        { "json", "[{\"a\": 1}" },
        { "json", "[\"unterminated" },
        { "json", "\uFEFF[1,2,3]" },
        { "json", "[1,\"a\",true,{},[]]" },
        { "json", "{\"data\":[1,2,3,4]}" },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Same_count_as_the_workspace_counter(string extension, string content)
    {
        var ours = DatasetRows.Count(SourceText.From(content), jsonLines: extension == "jsonl", CancellationToken.None);
        using var stream = new MemoryStream(new UTF8Encoding(false).GetBytes(content));
        var theirs = RecordCounter.CountScanned(stream, extension == "jsonl" ? DataFormat.JsonLines : DataFormat.Json);
        Assert.Equal(theirs.Rows, ours.Rows);
        Assert.Equal(theirs.Problem is null, ours.Problem is null);
    }

    [Fact]
    public void Counts_by_hand()
    {
        Assert.Equal(3, DatasetRows.Count(SourceText.From("{}\n\n{}\n{}"), true, default).Rows);
        Assert.Equal(7, DatasetRows.Count(SourceText.From("[1, 22, true, null, \"x,]\", {\"k\": [1,2]}, [3]]"), false, default).Rows);
        Assert.Equal(3, DatasetRows.Count(SourceText.From("{\"data\": [{}, {}, {}]}"), false, default).Rows);
        Assert.Null(DatasetRows.Count(SourceText.From("{\"a\": [1], \"b\": [2]}"), false, default).Rows);
    }
}
