using Stepwise.Workspace.Datasets;

namespace Stepwise.Analysis.Tests.Datasets;

public class SplitsTests
{
    private static long? Apply(string expr)
    {
        var sizes = new Dictionary<string, long> { ["train"] = 52002, ["test"] = 100, ["small"] = 7 };
        return Splits.TryApply(expr, s => sizes.TryGetValue(s, out var n) ? n : null, out long rows, out _) ? rows : null;
    }

    // Hand-derived from datasets' arrow_reader._rel_to_abs_instr: percent bounds are round(b * n / 100) (half to even).
    [Theory]
    [InlineData("train", 52002)]
    [InlineData("train[:1000]", 1000)]
    [InlineData("train[1000:]", 51002)]
    [InlineData("train[:10%]", 5200)]          // round(5200.2)
    [InlineData("train[10%:]", 46802)]         // 52002 - 5200
    [InlineData("train[-100:]", 100)]
    [InlineData("train[:-2]", 52000)]
    [InlineData("train[99999:]", 0)]
    [InlineData("train+test", 52102)]
    [InlineData("train[:5%]+test[50%:]", 2650)] // round(2600.1) + (100 - 50)
    [InlineData("small[:50%]", 4)]              // round(3.5) = 4 (half to even)
    [InlineData("small[:30%]", 2)]              // round(2.1)
    [InlineData("test[:10%](pct1_dropremainder)", 10)]
    public void Split_expressions_select_rows(string expr, long expected) => Assert.Equal(expected, Apply(expr));

    [Theory]
    [InlineData("validation")]
    [InlineData("train[:10%:]")]
    [InlineData("train[1:5%]")]
    public void Unknown_or_malformed_splits_are_not_counted(string expr) => Assert.Null(Apply(expr));

    [Fact]
    public void Files_fall_in_splits_by_keyword()
    {
        var s = Splits.Assign(["train.jsonl", "my_test_set.jsonl", "dev-2.jsonl", "trainset.jsonl"]);
        Assert.Equal(["train.jsonl"], s["train"]);
        Assert.Equal(["my_test_set.jsonl"], s["test"]);
        Assert.Equal(["dev-2.jsonl"], s["validation"]);
        Assert.DoesNotContain("trainset.jsonl", s.Values.SelectMany(v => v)); // no separator after the keyword
    }

    [Fact]
    public void Folder_names_win_over_file_names()
    {
        var s = Splits.Assign(["train/a_test.jsonl", "test/b.jsonl"]);
        Assert.Equal(["train/a_test.jsonl"], s["train"]);
        Assert.Equal(["test/b.jsonl"], s["test"]);
    }

    [Fact]
    public void Sharded_hub_names_give_any_split_name()
    {
        var s = Splits.Assign(["data/train_sft-00000-of-00002.parquet", "data/train_sft-00001-of-00002.parquet", "data/test_gen-00000-of-00001.parquet"]);
        Assert.Equal(2, s["train_sft"].Count);
        Assert.Single(s["test_gen"]);
    }

    [Fact]
    public void Without_keywords_everything_is_train()
    {
        var s = Splits.Assign(["alpaca.json", "more/extra.jsonl"]);
        Assert.Equal(2, s["train"].Count);
        Assert.Single(s);
    }
}
