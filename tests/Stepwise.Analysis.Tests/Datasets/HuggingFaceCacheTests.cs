using Stepwise.Core.Model;
using Stepwise.Workspace.Datasets;

namespace Stepwise.Analysis.Tests.Datasets;

/// <summary>A fake HF_HOME laid out as datasets and huggingface_hub write it, in a temp folder.</summary>
public sealed class FakeHfHome : IDisposable
{
    private readonly TempFolder _dir = new();

    public FakeHfHome()
    {
        Roots = new HuggingFaceCacheRoots(Path.Combine(_dir.Path, "datasets"), Path.Combine(_dir.Path, "hub"));
        // load_dataset("tatsu-lab/alpaca"): splits.train.num_examples = 52002 (the published size of Alpaca).
        Info("tatsu-lab___alpaca/default/0.0.0/dce01c9b08f87459cf36a430d809084718273017", ("train", 52002));
        // Two configs, two splits each.
        Info("org___bilingual/en/0.0.0/aaaa", ("train", 1000), ("test", 50));
        Info("org___bilingual/zh/0.0.0/bbbb", ("train", 2000), ("test", 80));
        // An older and a newer build of the same version: the newest dataset_info.json wins.
        Info("org___rebuilt/default/0.0.0/old", ("train", 10));
        Info("org___rebuilt/default/0.0.0/new", ("train", 12));
        File.SetLastWriteTimeUtc(Path.Combine(Roots.DatasetsCache, "org___rebuilt/default/0.0.0/old/dataset_info.json"), DateTime.UtcNow.AddDays(-3));
        // Lower-cased folder name, as some datasets releases write it.
        Info("huggingfaceh4___ultrachat_200k/default/0.0.0/cccc", ("train_sft", 207865), ("test_sft", 23110));
        // No split sizes in dataset_info.json: the Arrow files say.
        _dir.Write("datasets/org___arrowonly/default/0.0.0/dddd/dataset_info.json", "{\"description\": \"\"}");
        _dir.Write("datasets/org___arrowonly/default/0.0.0/dddd/arrowonly-train-00000-of-00002.arrow", ArrowFixture());
        _dir.Write("datasets/org___arrowonly/default/0.0.0/dddd/arrowonly-train-00001-of-00002.arrow", ArrowFixture());
        // datasets < 2.14 layout: parquet/<namespace>--<name>-<hash>/0.0.0/<hash>.
        Info("parquet/old--layout-7a06ebc3ce5e1f04/0.0.0/14a00e99c0d15a23649d0db8944380ac81082d4b", ("train", 321));
        // Built once with data_files: the config id carries a hash.
        Info("org___withfiles/default/0.0.0/ffff", ("train", 100));
        Info("org___withfiles/default-3f2c1a0b9d8e7f60/0.0.0/gggg", ("train", 40));
        // LLaMA-Factory's alpaca_en entry points at llamafactory/alpaca_en.
        Info("llamafactory___alpaca_en/default/0.0.0/eeee", ("train", 52002));

        // Hub cache: raw files of a snapshot, the data files being symlinks to blobs as huggingface_hub makes them.
        _dir.Write("hub/datasets--org--raw/refs/main", "abc123\n");
        var blobTrain = _dir.Write("hub/datasets--org--raw/blobs/1111", "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n");
        var blobTest = _dir.Write("hub/datasets--org--raw/blobs/2222", "{\"a\":1}\n{\"a\":2}\n");
        Directory.CreateDirectory(Path.Combine(_dir.Path, "hub/datasets--org--raw/snapshots/abc123/data"));
        File.CreateSymbolicLink(Path.Combine(_dir.Path, "hub/datasets--org--raw/snapshots/abc123/data/train-00000-of-00001.jsonl"), blobTrain);
        File.CreateSymbolicLink(Path.Combine(_dir.Path, "hub/datasets--org--raw/snapshots/abc123/data/test-00000-of-00001.jsonl"), blobTest);
        _dir.Write("hub/datasets--org--raw/snapshots/abc123/README.md", "---\nlicense: mit\n---\n");
    }

    public HuggingFaceCacheRoots Roots { get; }
    public string Path0 => _dir.Path;

    private void Info(string rel, params (string Split, long N)[] splits)
    {
        var body = string.Join(", ", splits.Select(s => $"\"{s.Split}\": {{\"name\": \"{s.Split}\", \"num_bytes\": 1, \"num_examples\": {s.N}, \"dataset_name\": \"x\"}}"));
        _dir.Write(Path.Combine("datasets", rel, "dataset_info.json"), $"{{\"description\": \"\", \"splits\": {{{body}}}, \"download_size\": 1}}");
    }

    // 7 rows (see ParquetAndArrowTests).
    private static byte[] ArrowFixture() => Convert.FromBase64String(ParquetAndArrowTests.StreamArrow);

    public void Dispose() => _dir.Dispose();
}

public class HuggingFaceCacheTests : IClassFixture<FakeHfHome>
{
    private readonly FakeHfHome _home;
    public HuggingFaceCacheTests(FakeHfHome home) => _home = home;

    private ResolvedDataset Resolve(string name, string? split = null, string? subset = null, string? dataFiles = null) =>
        new DatasetResolver(new DatasetResolverOptions { CacheRoots = _home.Roots, Counter = new RecordCounter(), WorkingDirectory = _home.Path0 })
            .Resolve(new DatasetReference(DatasetSourceKind.PathOrHub, name, null, Split: split, DataFiles: dataFiles, Subset: subset), configDirectory: null);

    [Fact]
    public void A_cached_hub_dataset_gives_its_split_size()
    {
        var r = Resolve("tatsu-lab/alpaca");
        Assert.Equal(52002, r.Rows);
        Assert.Contains("datasets cache", r.Detail);
    }

    [Theory]
    [InlineData("train[:10%]", 5200)]
    [InlineData("train[:1000]", 1000)]
    public void Split_slices_apply_to_the_cached_size(string split, long expected) => Assert.Equal(expected, Resolve("tatsu-lab/alpaca", split).Rows);

    [Theory]
    [InlineData("en", "train", 1000)]
    [InlineData("zh", "test", 80)]
    [InlineData("zh", "train+test", 2080)]
    public void The_config_and_split_pick_the_entry(string subset, string split, long expected) =>
        Assert.Equal(expected, Resolve("org/bilingual", split, subset).Rows);

    [Fact]
    public void Several_configs_and_none_named_is_not_guessed()
    {
        var r = Resolve("org/bilingual");
        Assert.Null(r.Rows);
        Assert.Contains("en, zh", r.Problem);
    }

    [Fact]
    public void A_missing_split_lists_the_ones_there()
    {
        var r = Resolve("HuggingFaceH4/ultrachat_200k", "train");
        Assert.Null(r.Rows);
        Assert.Contains("train_sft", r.Problem);
        Assert.Equal(207865, Resolve("HuggingFaceH4/ultrachat_200k", "train_sft").Rows);
    }

    [Fact]
    public void The_old_cache_layout_is_read() => Assert.Equal(321, Resolve("old/layout").Rows);

    [Fact]
    public void Data_files_pick_the_hashed_build_not_the_plain_one()
    {
        Assert.Equal(100, Resolve("org/withfiles").Rows);
        Assert.Equal(40, Resolve("org/withfiles", dataFiles: "train.jsonl").Rows);
    }

    [Fact]
    public void The_newest_build_wins() => Assert.Equal(12, Resolve("org/rebuilt").Rows);

    [Fact]
    public void Without_split_sizes_the_Arrow_files_are_counted() => Assert.Equal(14, Resolve("org/arrowonly").Rows);

    [Theory]
    [InlineData("train", 3)]
    [InlineData("test", 2)]
    public void The_hub_cache_snapshot_is_counted_by_split(string split, long expected)
    {
        var r = Resolve("org/raw", split);
        Assert.Equal(expected, r.Rows);
        Assert.Contains("hub cache", r.Detail);
    }

    [Fact]
    public void Data_files_select_files_in_the_hub_snapshot() =>
        Assert.Equal(2, Resolve("org/raw", dataFiles: "data/test-*.jsonl").Rows);

    [Fact]
    public void A_hub_dataset_not_cached_is_unknown_with_the_reason()
    {
        var r = Resolve("someone/private-set");
        Assert.Null(r.Rows);
        Assert.Contains("not in the local Hugging Face caches", r.Problem);
    }

    [Fact]
    public void Roots_follow_the_environment_variables_in_order()
    {
        var env = new Dictionary<string, string> { ["HF_HOME"] = "/h" };
        var roots = HuggingFaceCacheRoots.FromEnvironment(k => env.GetValueOrDefault(k));
        Assert.Equal(Path.Combine("/h", "datasets"), roots.DatasetsCache);
        Assert.Equal(Path.Combine("/h", "hub"), roots.HubCache);
        env["HF_DATASETS_CACHE"] = "/d";
        env["HF_HUB_CACHE"] = "/u";
        roots = HuggingFaceCacheRoots.FromEnvironment(k => env.GetValueOrDefault(k));
        Assert.Equal("/d", roots.DatasetsCache);
        Assert.Equal("/u", roots.HubCache);
        roots = HuggingFaceCacheRoots.FromEnvironment(k => k == "XDG_CACHE_HOME" ? "/x" : null);
        Assert.Equal(Path.Combine("/x", "huggingface", "datasets"), roots.DatasetsCache);
    }
}
