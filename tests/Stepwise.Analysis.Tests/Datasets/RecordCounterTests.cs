using System.IO.Compression;
using System.Text;
using Stepwise.Workspace.Datasets;

namespace Stepwise.Analysis.Tests.Datasets;

public class RecordCounterTests
{
    private static string Lines(int n, string prefix = "r") =>
        string.Concat(Enumerable.Range(0, n).Select(i => $"{{\"{prefix}\": {i}}}\n"));

    [Fact]
    public void A_folder_sums_its_data_files_and_skips_hidden_and_other_files()
    {
        using var dir = new TempFolder();
        dir.Write("d/a.jsonl", Lines(3));
        dir.Write("d/sub/b.json", "[1, 2]");
        dir.Write("d/c.csv", "x,y\n1,2\n");
        dir.Write("d/README.md", "# not data\n");
        dir.Write("d/.hidden/e.jsonl", Lines(50));
        var r = new RecordCounter().CountPath("d", dir.Path);
        Assert.Equal(3 + 2 + 1, r.Rows);
        Assert.Equal(3, r.Files.Count);
        Assert.Contains("in 3 files", r.Detail);
    }

    [Fact]
    public void Globs_match_one_level_with_star_and_any_depth_with_double_star()
    {
        using var dir = new TempFolder();
        dir.Write("data/a.jsonl", Lines(2));
        dir.Write("data/b.jsonl", Lines(3));
        dir.Write("data/c.csv", "x\n1\n");
        dir.Write("data/deep/er/d.jsonl", Lines(4));
        var counter = new RecordCounter();
        Assert.Equal(5, counter.CountPath("data/*.jsonl", dir.Path).Rows);
        Assert.Equal(9, counter.CountPath("data/**/*.jsonl", dir.Path).Rows);
        Assert.Equal(9, counter.CountPath("data/**.jsonl", dir.Path).Rows);
        Assert.Equal(3 + 1, counter.CountPath("data/[bc].*", dir.Path).Rows); // b.jsonl 3 + c.csv 1
        Assert.Equal(5, counter.CountPath(Path.Combine(dir.Path, "data", "?.jsonl"), "/elsewhere").Rows); // a rooted glob
    }

    [Fact]
    public void A_glob_that_matches_nothing_says_so()
    {
        using var dir = new TempFolder();
        var r = new RecordCounter().CountPath("data/*.jsonl", dir.Path);
        Assert.Null(r.Rows);
        Assert.Contains("no file matches", r.Problem);
    }

    [Fact]
    public void Gzip_compressed_JSON_Lines_are_counted()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "train.jsonl.gz");
        using (var fs = File.Create(path))
        using (var gz = new GZipStream(fs, CompressionLevel.Fastest))
            gz.Write(Encoding.UTF8.GetBytes(Lines(1234) + "\n\n"));
        var r = RecordCounter.CountUncached(new FileInfo(path), new RecordCounterOptions());
        Assert.Equal(1234, r.Rows);
        Assert.Contains("gzip", r.Shape);
    }

    [Fact]
    public void A_binary_file_is_a_problem_not_a_count()
    {
        using var dir = new TempFolder();
        var path = dir.Write("weights.jsonl", new byte[] { (byte)'{', 0, 1, 2, 0, 10, 255 });
        var r = RecordCounter.CountUncached(new FileInfo(path), new RecordCounterOptions());
        Assert.Null(r.Rows);
        Assert.Contains("binary", r.Problem);
    }

    [Fact]
    public void A_file_over_the_scan_limit_is_a_problem_not_a_count()
    {
        using var dir = new TempFolder();
        var path = dir.Write("big.jsonl", Lines(100));
        var r = RecordCounter.CountUncached(new FileInfo(path), new RecordCounterOptions { MaxScanBytes = 100 });
        Assert.Null(r.Rows);
        Assert.Contains("over the counting limit", r.Problem);
    }

    [Fact]
    public void JSON_Lines_that_do_not_hold_objects_are_a_problem()
    {
        using var dir = new TempFolder();
        var path = dir.Write("x.jsonl", "hello\nworld\n");
        var r = RecordCounter.CountUncached(new FileInfo(path), new RecordCounterOptions());
        Assert.Null(r.Rows);
        Assert.Contains("not JSON Lines", r.Problem);
    }

    [Fact]
    public void A_jsonl_file_holding_one_JSON_array_counts_its_elements()
    {
        using var dir = new TempFolder();
        var path = dir.Write("x.jsonl", "[\n{\"a\": 1},\n{\"a\": 2}\n]\n");
        Assert.Equal(2, RecordCounter.CountUncached(new FileInfo(path), new RecordCounterOptions()).Rows);
    }

    [Fact]
    public void A_JSON_syntax_problem_names_its_line_and_column()
    {
        using var dir = new TempFolder();
        var path = dir.Write("bad.json", "[\n  {\"a\": 1},\n  {\"a\": 2},\n]\n");
        var r = RecordCounter.CountUncached(new FileInfo(path), new RecordCounterOptions());
        Assert.Null(r.Rows);
        Assert.StartsWith("bad.json:4:1: trailing comma", r.Problem);
    }

    [Fact]
    public void A_missing_file_is_a_problem()
    {
        var r = new RecordCounter().CountFile("/nonexistent/stepwise/train.jsonl");
        Assert.Null(r.Rows);
        Assert.Contains("not found", r.Problem);
    }

    [Fact]
    public void An_unchanged_file_is_answered_from_the_cache_and_a_changed_one_is_recounted()
    {
        using var dir = new TempFolder();
        var path = dir.Write("t.jsonl", Lines(10));
        var counter = new RecordCounter();
        Assert.Equal(10, counter.CountFile(path).Rows);
        Assert.Equal(10, counter.CountFile(path).Rows);
        Assert.Equal(1, counter.Cache.Misses);
        Assert.Equal(1, counter.Cache.Hits);

        File.AppendAllText(path, Lines(5));
        Assert.Equal(15, counter.CountFile(path).Rows);
        Assert.Equal(2, counter.Cache.Misses);

        // Same length, new content: the write time differs, so it is recounted.
        File.WriteAllText(path, Lines(15, "s"));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        Assert.Equal(15, counter.CountFile(path).Rows);
        Assert.Equal(3, counter.Cache.Misses);
    }

    [Fact]
    public void The_cache_stays_within_its_capacity()
    {
        using var dir = new TempFolder();
        var counter = new RecordCounter(cache: new FileStampCache<FileCount>(capacity: 16));
        for (int i = 0; i < 60; i++) counter.CountFile(dir.Write($"f{i}.jsonl", Lines(1)));
        Assert.InRange(counter.Cache.Count, 1, 16);
    }

    [Fact]
    public void The_cache_is_safe_under_concurrent_use()
    {
        using var dir = new TempFolder();
        var paths = Enumerable.Range(0, 8).Select(i => dir.Write($"p{i}.jsonl", Lines(i + 1))).ToArray();
        var counter = new RecordCounter(cache: new FileStampCache<FileCount>(capacity: 16));
        Parallel.For(0, 2000, i =>
        {
            int k = i % paths.Length;
            Assert.Equal(k + 1, counter.CountFile(paths[k]).Rows);
        });
    }
}
