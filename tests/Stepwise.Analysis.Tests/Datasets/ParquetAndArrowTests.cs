using Parquet;
using Parquet.Schema;
using Stepwise.Workspace.Datasets;

namespace Stepwise.Analysis.Tests.Datasets;

public class ParquetAndArrowTests
{
    private static async Task WriteParquet(string path, params int[] rowGroups)
    {
        var id = new DataField<int>("id");
        var text = new DataField<string>("text");
        var schema = new ParquetSchema(id, text);
        await using var fs = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(schema, fs);
        int next = 0;
        foreach (int n in rowGroups)
        {
            using var rg = writer.CreateRowGroup();
            var ids = Enumerable.Range(next, n).ToArray();
            await rg.WriteAsync<int>(id, ids);
            await rg.WriteAsync(text, ids.Select(i => "row " + i).ToList());
            next += n;
        }
    }

    [Fact]
    public async Task Parquet_rows_come_from_the_footer()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "train.parquet");
        await WriteParquet(path, 1000, 234);
        var r = RecordCounter.CountUncached(new FileInfo(path), new RecordCounterOptions());
        Assert.Equal(1234, r.Rows);
        Assert.Contains("2 row group", r.Shape);
    }

    [Fact]
    public async Task Parquet_is_counted_whatever_the_scan_limit()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "big.parquet");
        await WriteParquet(path, 10);
        var r = RecordCounter.CountUncached(new FileInfo(path), new RecordCounterOptions { MaxScanBytes = 1 });
        Assert.Equal(10, r.Rows);
    }

    [Fact]
    public async Task A_truncated_Parquet_file_is_a_problem()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "cut.parquet");
        await WriteParquet(path, 50);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var r = RecordCounter.CountUncached(new FileInfo(path), new RecordCounterOptions());
        Assert.Null(r.Rows);
        Assert.Contains("truncated", r.Problem);
    }

    // Written by Apache.Arrow 23.0.0 (ArrowStreamWriter / ArrowFileWriter): two record batches of 3 and 4 rows;
    // its own readers count 7 rows in each.
    internal const string StreamArrow = "/////5gAAAAQAAAAAAAKAAwABgAFAAgACgAAAAABBAAMAAAACAAIAAAABAAIAAAABAAAAAIAAAA4AAAABAAAANz///8AAAAFEAAAAAgAAAAEAAQABAAAAAQAAAB0ZXh0AAAAAAwAEAAIAAAABwAMAAwAAAAAAAACHAAAAAwAAAAIAAwACAAHAAgAAAAAAAABQAAAAAIAAABpZAAAAAAAAP/////IAAAAFAAAAAAAAAAMABYABgAFAAgADAAMAAAAAAMEABgAAADAAAAAAAAAAAAACgAYAAwABAAIAAoAAABsAAAAEAAAAAMAAAAAAAAAAAAAAAUAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAEAAAAAAAAAAgAAAAAAAAABAAAAAAAAAAAAAAAACAAAAAwAAAAAAAAAAAAAAAAAAAAMAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEAAAAAAAAAAgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAUAAAAKAAAADwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAHJvdyAwcm93IDFyb3cgMgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAD/////yAAAABQAAAAAAAAADAAWAAYABQAIAAwADAAAAAADBAAYAAAAwAAAAAAAAAAAAAoAGAAMAAQACAAKAAAAbAAAABAAAAAEAAAAAAAAAAAAAAAFAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAAAAAAAAABAAAAAAAAAAAAAAAAAAAAAQAAAAAAAAABAAAAAAAAAAIAAAAAAAAAAQAAAAAAAAAAAAAAAAgAAAAQAAAAAAAAAAAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAAwAAAAAAAAAEAAAAAAAAAAUAAAAAAAAABgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAFAAAACgAAAA8AAAAUAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAByb3cgM3JvdyA0cm93IDVyb3cgNgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/////wAAAAA=";
    private const string FileArrow = "QVJST1cxAAD/////mAAAABAAAAAAAAoADAAGAAUACAAKAAAAAAEEAAwAAAAIAAgAAAAEAAgAAAAEAAAAAgAAADgAAAAEAAAA3P///wAAAAUQAAAACAAAAAQABAAEAAAABAAAAHRleHQAAAAADAAQAAgAAAAHAAwADAAAAAAAAAIcAAAADAAAAAgADAAIAAcACAAAAAAAAAFAAAAAAgAAAGlkAAAAAAAA/////8gAAAAUAAAAAAAAAAwAFgAGAAUACAAMAAwAAAAAAwQAGAAAAMAAAAAAAAAAAAAKABgADAAEAAgACgAAAGwAAAAQAAAAAwAAAAAAAAAAAAAABQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEAAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAEAAAAAAAAAAQAAAAAAAAACAAAAAAAAAAEAAAAAAAAAAAAAAAAIAAAADAAAAAAAAAAAAAAAAAAAAAwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAAAAAAAAACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABQAAAAoAAAAPAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAcm93IDByb3cgMXJvdyAyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAP/////IAAAAFAAAAAAAAAAMABYABgAFAAgADAAMAAAAAAMEABgAAADAAAAAAAAAAAAACgAYAAwABAAIAAoAAABsAAAAEAAAAAQAAAAAAAAAAAAAAAUAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAEAAAAAAAAAAgAAAAAAAAABAAAAAAAAAAAAAAAACAAAABAAAAAAAAAAAAAAAAAAAAAQAAAAAAAAAAAAAAAAAAAADAAAAAAAAAAQAAAAAAAAABQAAAAAAAAAGAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAUAAAAKAAAADwAAABQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAHJvdyAzcm93IDRyb3cgNXJvdyA2AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAD/////AAAAABAAAAAMABQABgAIAAwAEAAMAAAAAAAEAFAAAAAIAAAADAAAAAAAAAAAAAAAAgAAAKgAAAAAAAAA0AAAAAAAAADAAAAAAAAAADgCAAAAAAAA0AAAAAAAAADAAAAAAAAAAAgACAAAAAQACAAAAAQAAAACAAAAOAAAAAQAAADc////AAAABRAAAAAIAAAABAAEAAQAAAAEAAAAdGV4dAAAAAAMABAACAAAAAcADAAMAAAAAAAAAhwAAAAMAAAACAAMAAgABwAIAAAAAAAAAUAAAAACAAAAaWQAANgAAABBUlJPVzE=";

    [Theory]
    [InlineData(StreamArrow)]
    [InlineData(FileArrow)]
    public void Arrow_rows_are_the_sum_of_record_batch_lengths(string base64)
    {
        using var dir = new TempFolder();
        var path = dir.Write("data-00000-of-00001.arrow", Convert.FromBase64String(base64));
        var r = RecordCounter.CountUncached(new FileInfo(path), new RecordCounterOptions());
        Assert.Equal(7, r.Rows);
        Assert.Contains("2 record batch", r.Shape);
    }

    [Fact]
    public async Task Corrupted_Arrow_and_Parquet_files_give_problems_never_exceptions()
    {
        using var dir = new TempFolder();
        var parquetPath = Path.Combine(dir.Path, "ok.parquet");
        await WriteParquet(parquetPath, 20);
        var sources = new[] { ("x.arrow", Convert.FromBase64String(StreamArrow)), ("y.arrow", Convert.FromBase64String(FileArrow)), ("z.parquet", File.ReadAllBytes(parquetPath)) };
        var rng = new Random(5);
        foreach (var (name, original) in sources)
        {
            for (int round = 0; round < 300; round++)
            {
                var bytes = (byte[])original.Clone();
                for (int k = rng.Next(1, 6); k > 0; k--) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
                if (rng.Next(4) == 0) bytes = bytes[..rng.Next(bytes.Length)];
                var path = dir.Write(name, bytes);
                var r = RecordCounter.CountUncached(new FileInfo(path), new RecordCounterOptions());
                Assert.True(r.Rows is not null || !string.IsNullOrEmpty(r.Problem));
            }
        }
    }

    [Fact]
    public void A_file_that_is_not_Arrow_is_a_problem()
    {
        using var dir = new TempFolder();
        var path = dir.Write("x.arrow", "{\"not\": \"arrow\"}\n");
        var r = RecordCounter.CountUncached(new FileInfo(path), new RecordCounterOptions());
        Assert.Null(r.Rows);
        Assert.Contains("Arrow", r.Problem);
    }
}
