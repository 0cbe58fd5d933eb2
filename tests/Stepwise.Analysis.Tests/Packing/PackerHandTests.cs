using Stepwise.Core.Packing;

namespace Stepwise.Analysis.Tests.Packing;

/// <summary>Each packer on lists small enough to follow by hand, with the upstream function and release they come from.</summary>
public class PackerHandTests
{
    private static List<Piece> Whole(params int[] lengths) => lengths.Select((l, i) => new Piece(i, 0, l)).ToList();

    private static string Show(List<List<Piece>> bins) => string.Join(" | ", bins.Select(b => string.Join(",", b.Select(p => $"{p.Example}:{p.Start}+{p.Length}"))));

    [Fact]
    public void Trl_bfd_packs_the_pack_dataset_docstring_example()
    {
        // trl/data_utils.py pack_dataset docstring (v1.9.0): [[1,2,3,4,5],[6,7],[8,9,10],[11]] at seq_length 4 with "bfd"
        // gives [[1,2,3,4],[8,9,10,11],[6,7]]: example 0 cut to 4, then 2 (3) with 3 (1), then 1 (2).
        Assert.Equal("0:0+4 | 2:0+3,3:0+1 | 1:0+2", Show(Packers.BestFitDecreasing(Whole(4, 2, 3, 1), 4)));
    }

    [Fact]
    public void Trl_bfd_split_packs_the_docstring_example()
    {
        // Same docstring, "bfd_split": [[1,2,3,4],[8,9,10,5],[6,7,11]]: the piece 0[4..5) joins 2, and 3 joins 1.
        var pieces = new List<Piece> { new(0, 0, 4), new(0, 4, 1), new(1, 0, 2), new(2, 0, 3), new(3, 0, 1) };
        Assert.Equal("0:0+4 | 2:0+3,0:4+1 | 1:0+2,3:0+1", Show(Packers.BestFitDecreasing(pieces, 4)));
    }

    [Fact]
    public void Trl_wrapped_cuts_across_examples()
    {
        // _pack_wrapped: 5 + 2 + 3 + 1 = 11 tokens in rows of 4: 4, 4, 3.
        Assert.Equal("0:0+4 | 0:4+1,1:0+2,2:0+1 | 2:1+2,3:0+1", Show(Packers.Wrapped(Whole(5, 2, 3, 1), 4)));
    }

    [Fact]
    public void Trl_bfd_prefers_the_tightest_fit_and_the_oldest_of_equal_fits()
    {
        // Sorted 6, 5, 5, 3, 2 at 8: 6 opens A (2 left), 5 opens B (3), 5 opens C (3), 3 takes B (tightest: 3, older than
        // C), 2 takes A (2 left, tighter than C's 3).
        Assert.Equal("0:0+6,4:0+2 | 1:0+5,3:0+3 | 2:0+5", Show(Packers.BestFitDecreasing(Whole(6, 5, 5, 3, 2), 8)));
    }

    [Fact]
    public void LlamaFactory_greedy_knapsack_takes_the_longest_that_fits()
    {
        // processor_utils.py greedy_knapsack (v0.9.5) at capacity 6 over [1, 2, 3, 4, 5]: 5 + 1, 4 + 2, 3.
        var sacks = Packers.GreedyKnapsack(new[] { 1, 2, 3, 4, 5 }, 6);
        Assert.Equal(new[] { new[] { 4, 0 }, new[] { 3, 1 }, new[] { 2 } }, sacks.Select(s => s.ToArray()).ToArray());
        // Equal lengths: the last one read goes first (length2indexes[length].pop()).
        Assert.Equal(new[] { new[] { 2, 1 }, new[] { 0 } }, Packers.GreedyKnapsack(new[] { 3, 3, 3 }, 6).Select(s => s.ToArray()).ToArray());
    }

    [Fact]
    public void Axolotl_first_fit_keeps_the_order_and_the_bin_size()
    {
        // multipack.py pack_group (v0.18.0), capacity 4: [3, 1, 2, 2] -> [3,1] [2,2]; [2, 1, 3, 2] -> [2,1] [3] [2];
        // bin_size 1 puts every example alone.
        Assert.Equal(2, Packers.FirstFit(new[] { 0, 1, 2, 3 }, new[] { 3, 1, 2, 2 }, 4, 200).Count);
        Assert.Equal(3, Packers.FirstFit(new[] { 0, 1, 2, 3 }, new[] { 2, 1, 3, 2 }, 4, 200).Count);
        Assert.Equal(4, Packers.FirstFit(new[] { 0, 1, 2, 3 }, new[] { 1, 1, 1, 1 }, 4, 1).Count);
    }

    [Fact]
    public void Axolotl_next_fit_opens_a_bin_whenever_the_next_example_does_not_fit()
    {
        // multipack.py allocate_sequentially: [3, 1, 2, 2] at 4 -> [3,1] [2,2]; [2, 3, 2, 1] -> [2] [3] [2,1].
        Assert.Equal(2, Packers.NextFit(new[] { 0, 1, 2, 3 }, new[] { 3, 1, 2, 2 }, 4).Count);
        Assert.Equal(3, Packers.NextFit(new[] { 0, 1, 2, 3 }, new[] { 2, 3, 2, 1 }, 4).Count);
    }

    [Fact]
    public void Datasets_map_batches_follow_the_contiguous_shards()
    {
        // arrow_dataset.py shard(contiguous=True): 10 rows in 3 shards are 4, 3, 3; batches of 2 inside each.
        Assert.Equal(new[] { (0, 2), (2, 2), (4, 2), (6, 1), (7, 2), (9, 1) }, Packers.MapBatches(10, 2, 3).ToArray());
        Assert.Equal(new[] { (0, 1000), (1000, 500) }, Packers.MapBatches(1500, 1000, null).ToArray());
        // num_proc above the rows is lowered to the rows.
        Assert.Equal(3, Packers.MapBatches(3, 1000, 8).Count());
    }

    [Fact]
    public void Axolotl_eff_est_uses_python_float_floor_division()
    {
        // utils/trainer.py: int(floor(0.99 * 150,000 / 0.9 / 2048 // 8) - 1) * 3 = (floor(80.56.. // 8) - 1) * 3 = 27.
        Assert.Equal(27, AxolotlPacking.EstimatedSteps(150_000, 0.9, 2048, 8, 3));
        Assert.Equal(-1.0, AxolotlPacking.PyFloorDiv(-0.5, 1));
        Assert.Equal(2.0, AxolotlPacking.PyFloorDiv(7.0, 3.0));
        Assert.Equal(-3.0, AxolotlPacking.PyFloorDiv(7.0, -3.0));
    }
}
