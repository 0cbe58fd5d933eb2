using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace Stepwise.Roslyn.Tests;

/// <summary>The analyzer counts AdditionalFiles in memory, with datasets' json builder's answers.</summary>
public class DatasetRowsTests
{
    [Fact]
    public void Counts_by_hand()
    {
        Assert.Equal(3, DatasetRows.Count(SourceText.From("{}\n\n{}\n{}"), true, default).Rows);
        Assert.Equal(7, DatasetRows.Count(SourceText.From("[1, 22, true, null, \"x,]\", {\"k\": [1,2]}, [3]]"), false, default).Rows);
        Assert.Equal(3, DatasetRows.Count(SourceText.From("{\"data\": [{}, {}, {}]}"), false, default).Rows);
        Assert.Null(DatasetRows.Count(SourceText.From("{\"a\": [1], \"b\": [2]}"), false, default).Rows);
    }
}
