using Stepwise.Core.Model;
using Stepwise.Workspace.Datasets;

namespace Stepwise.Analysis.Tests.Datasets;

public class DatasetResolverTests : IClassFixture<FakeHfHome>
{
    private readonly FakeHfHome _home;
    public DatasetResolverTests(FakeHfHome home) => _home = home;

    private DatasetResolver Resolver(string? workingDirectory = null, RecordCounter? counter = null) =>
        new(new DatasetResolverOptions { CacheRoots = _home.Roots, Counter = counter ?? new RecordCounter(), WorkingDirectory = workingDirectory ?? Path.GetTempPath() });

    private static DatasetReference Path_(string name, string? split = null, string? dataFiles = null) =>
        new(DatasetSourceKind.PathOrHub, name, null, Split: split, DataFiles: dataFiles);

    private static DatasetReference Registry(string name, string? dir = null) =>
        new(DatasetSourceKind.LlamaFactoryRegistry, name, null, DatasetDir: dir);

    private static string Lines(int n) => string.Concat(Enumerable.Range(0, n).Select(i => $"{{\"i\": {i}}}\n"));

    // ---- local paths ----

    [Fact]
    public void A_relative_path_is_found_beside_the_config_first()
    {
        using var dir = new TempFolder();
        dir.Write("cfg/data/train.jsonl", Lines(7));
        dir.Write("cwd/data/train.jsonl", Lines(3));
        var r = Resolver(Path.Combine(dir.Path, "cwd")).Resolve(Path_("data/train.jsonl"), Path.Combine(dir.Path, "cfg"));
        Assert.Equal(7, r.Rows);
        Assert.Equal("train.jsonl: 7 records (JSON Lines)", r.Detail);
    }

    [Fact]
    public void A_relative_path_falls_back_to_the_working_directory()
    {
        using var dir = new TempFolder();
        dir.Write("cwd/data/train.jsonl", Lines(3));
        Directory.CreateDirectory(Path.Combine(dir.Path, "cfg"));
        Assert.Equal(3, Resolver(Path.Combine(dir.Path, "cwd")).Resolve(Path_("data/train.jsonl"), Path.Combine(dir.Path, "cfg")).Rows);
    }

    [Fact]
    public void A_local_folder_is_split_by_file_names()
    {
        using var dir = new TempFolder();
        dir.Write("ds/train.jsonl", Lines(10));
        dir.Write("ds/test.jsonl", Lines(4));
        var resolver = Resolver();
        Assert.Equal(10, resolver.Resolve(Path_("ds"), dir.Path).Rows);
        Assert.Equal(4, resolver.Resolve(Path_("ds", split: "test"), dir.Path).Rows);
        Assert.Equal(5, resolver.Resolve(Path_("ds", split: "train[:50%]"), dir.Path).Rows);
    }

    [Fact]
    public void A_split_a_single_file_does_not_have_is_a_problem()
    {
        using var dir = new TempFolder();
        dir.Write("one.jsonl", Lines(10));
        var r = Resolver().Resolve(Path_("one.jsonl", split: "validation"), dir.Path);
        Assert.Null(r.Rows);
        Assert.Contains("no split 'validation'", r.Problem);
    }

    [Fact]
    public void Data_files_under_a_builder_name_are_local_files()
    {
        using var dir = new TempFolder();
        dir.Write("shards/a.jsonl", Lines(2));
        dir.Write("shards/b.jsonl", Lines(5));
        var r = Resolver().Resolve(Path_("json", dataFiles: "shards/*.jsonl"), dir.Path);
        Assert.Equal(7, r.Rows);
    }

    [Fact]
    public void Data_files_inside_a_local_folder_are_relative_to_it()
    {
        using var dir = new TempFolder();
        dir.Write("ds/part1.csv", "a\n1\n2\n");
        dir.Write("ds/part2.csv", "a\n3\n");
        Assert.Equal(2, Resolver().Resolve(Path_("ds", dataFiles: "part1.csv"), dir.Path).Rows);
    }

    [Fact]
    public void A_glob_path_is_expanded()
    {
        using var dir = new TempFolder();
        dir.Write("data/x/a.jsonl", Lines(2));
        dir.Write("data/y/b.jsonl", Lines(5));
        Assert.Equal(7, Resolver().Resolve(Path_("data/**/*.jsonl"), dir.Path).Rows);
    }

    [Fact]
    public void A_save_to_disk_folder_is_counted_from_its_Arrow_files()
    {
        using var dir = new TempFolder();
        dir.Write("saved/state.json", "{\"_data_files\": [{\"filename\": \"data-00000-of-00001.arrow\"}]}");
        dir.Write("saved/dataset_info.json", "{}");
        dir.Write("saved/data-00000-of-00001.arrow", Convert.FromBase64String(ParquetAndArrowTests.StreamArrow));
        Assert.Equal(7, Resolver().Resolve(Path_("saved"), dir.Path).Rows);
    }

    [Fact]
    public void A_missing_local_file_says_where_it_looked()
    {
        using var dir = new TempFolder();
        var r = Resolver(dir.Path).Resolve(Path_("data/nope.jsonl"), Path.Combine(dir.Path, "cfg"));
        Assert.Null(r.Rows);
        Assert.Contains("looked in", r.Problem);
        Assert.Contains(Path.Combine(dir.Path, "cfg"), r.Problem);
    }

    [Theory]
    [InlineData("bad\0name")]
    [InlineData("s3://bucket/train.jsonl")]
    [InlineData("")]
    [InlineData("../../../../../../../../no-such-stepwise-dir/x")]
    public void Odd_names_give_a_problem_never_an_exception(string name)
    {
        var r = Resolver().Resolve(Path_(name), "/nonexistent/config/dir");
        Assert.Null(r.Rows);
        Assert.False(string.IsNullOrEmpty(r.Problem));
    }

    // ---- LLaMA-Factory registry (shared/corpus/llama-factory) ----

    private static string CorpusExampleDir => Path.Combine(DatasetTestFiles.LlamaFactory, "examples", "ascend");

    [Fact]
    public void Registry_names_resolve_from_a_config_under_the_checkout()
    {
        // The corpus config examples/ascend/qwen3_full_sft_fsdp2.yaml names alpaca_en_demo with the default
        // dataset_dir "data", which is at the checkout root, two folders up.
        var r = Resolver().Resolve(Registry("alpaca_en_demo"), CorpusExampleDir);
        Assert.Equal(999, r.Rows); // python3: len(json.load(open("data/alpaca_en_demo.json"))) == 999
        Assert.Equal("alpaca_en_demo.json: 999 records (JSON array)", r.Detail);
    }

    [Theory]
    [InlineData("identity", 91)]                  // python3 len(json.load(...)) -> 91
    [InlineData("glaive_toolcall_en_demo", 300)]  // -> 300
    [InlineData("c4_demo", 300)]                  // non-blank lines -> 300
    public void Registry_entries_count_their_files(string name, long expected) =>
        Assert.Equal(expected, Resolver().Resolve(Registry(name), CorpusExampleDir).Rows);

    [Fact]
    public void A_registered_file_that_is_missing_is_a_problem()
    {
        var r = Resolver().Resolve(Registry("alpaca_zh_demo"), CorpusExampleDir);
        Assert.Null(r.Rows);
        Assert.Contains("alpaca_zh_demo.json: file not found", r.Problem);
    }

    [Fact]
    public void An_unregistered_name_suggests_the_closest()
    {
        var r = Resolver().Resolve(Registry("alpaca_en_dem"), CorpusExampleDir);
        Assert.Null(r.Rows);
        Assert.Contains("did you mean 'alpaca_en_demo'", r.Problem);
    }

    [Fact]
    public void A_hub_entry_resolves_through_the_HF_cache()
    {
        var r = Resolver().Resolve(Registry("alpaca_en"), CorpusExampleDir);
        Assert.Equal(52002, r.Rows);
        var missing = Resolver().Resolve(Registry("lima"), CorpusExampleDir);
        Assert.Null(missing.Rows);
        Assert.Contains("llamafactory/lima", missing.Problem);
    }

    [Fact]
    public void No_registry_anywhere_is_a_problem()
    {
        using var dir = new TempFolder();
        var r = Resolver(dir.Path).Resolve(Registry("alpaca_en_demo"), dir.Path);
        Assert.Null(r.Rows);
        Assert.Contains("dataset_info.json", r.Problem);
    }

    [Fact]
    public void A_custom_registry_with_folders_splits_and_num_samples()
    {
        using var dir = new TempFolder();
        dir.Write("mydata/dataset_info.json", """
            {
              "folder_ds": {"file_name": "shards"},
              "sampled": {"file_name": "a.jsonl", "num_samples": 25},
              "head": {"file_name": "a.jsonl", "split": "train[:3]"},
              "bad_split": {"file_name": "a.jsonl", "split": "validation"},
              "ms_only": {"ms_hub_url": "AI-ModelScope/x"},
            }
            """);
        dir.Write("mydata/a.jsonl", Lines(10));
        dir.Write("mydata/shards/1.json", "[1, 2, 3]");
        dir.Write("mydata/shards/2.json", "[4]");
        var resolver = Resolver(dir.Path);
        Assert.Equal(4, resolver.Resolve(Registry("folder_ds", "mydata"), null).Rows);
        var sampled = resolver.Resolve(Registry("sampled", "mydata"), null);
        Assert.Equal(25, sampled.Rows);
        Assert.Contains("num_samples", sampled.Detail);
        Assert.Equal(3, resolver.Resolve(Registry("head", "mydata"), null).Rows);
        Assert.Null(resolver.Resolve(Registry("bad_split", "mydata"), null).Rows);
        Assert.Contains("ModelScope", resolver.Resolve(Registry("ms_only", "mydata"), null).Problem);
    }

    [Fact]
    public void A_broken_registry_is_a_problem_with_its_position()
    {
        using var dir = new TempFolder();
        dir.Write("data/dataset_info.json", "{\n  \"x\": {\"file_name\": \"a.json\"\n}\n");
        var r = Resolver(dir.Path).Resolve(Registry("x"), null);
        Assert.Null(r.Rows);
        Assert.Contains("not valid JSON", r.Problem);
    }

    [Fact]
    public void Remote_and_online_dataset_dirs()
    {
        var remote = Resolver().Resolve(Registry("x", "REMOTE:llamafactory/demo_data"), null);
        Assert.Null(remote.Rows);
        Assert.Contains("REMOTE:", remote.Problem);
        Assert.Equal(52002, Resolver().Resolve(Registry("tatsu-lab/alpaca", "ONLINE"), null).Rows);
    }

    [Fact]
    public void A_warm_re_check_is_answered_from_the_cache()
    {
        var counter = new RecordCounter();
        var resolver = Resolver(counter: counter);
        Assert.Equal(999, resolver.Resolve(Registry("alpaca_en_demo"), CorpusExampleDir).Rows);
        long misses = counter.Cache.Misses;
        Assert.Equal(999, resolver.Resolve(Registry("alpaca_en_demo"), CorpusExampleDir).Rows);
        Assert.Equal(misses, counter.Cache.Misses);
        Assert.True(counter.Cache.Hits >= 1);
    }
}
