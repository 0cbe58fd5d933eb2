using Stepwise.Core.Keys.Upstream;

namespace Stepwise.Analysis.Tests.Keys;

/// <summary>keys.txt's release sets ("0-5,7,9-12"): every field line has one.</summary>
public class ReleaseSetTests
{
    [Theory]
    [InlineData("0", new[] { 0 })]
    [InlineData("0-3", new[] { 0, 1, 2, 3 })]
    [InlineData("1,3-4,63", new[] { 1, 3, 4, 63 })]
    [InlineData("9-11,", new[] { 9, 10, 11 })]
    [InlineData("", new int[0])]
    public void Parses_single_indices_and_ranges(string text, int[] expected)
    {
        var set = ReleaseSet.Parse(text);
        Assert.Equal(expected, set.Indices().ToArray());
        Assert.Equal(expected.Length == 0 ? -1 : expected[0], set.First);
        Assert.Equal(expected.Length == 0 ? -1 : expected[^1], set.Last);
    }

    [Theory]
    [InlineData("64")]
    [InlineData("5-3")]
    [InlineData("1;2")]
    [InlineData("-2")]
    [InlineData("0-x")]
    public void Rejects_what_is_not_a_set_of_0_to_63(string text) =>
        Assert.Throws<FormatException>(() => ReleaseSet.Parse(text));
}
