using System.Runtime.InteropServices;
using System.Text.Json;
using Stepwise.Cli;
using Stepwise.Workspace;

namespace Stepwise.Analysis.Tests.Robustness;

/// <summary>
/// Issue 14, failure 3: `deepspeed:` pointing at a FIFO hung `check` for good; `/dev/zero` or `/dev/urandom` as a
/// DeepSpeed or accelerate config grew to 4.1 GB before an OutOfMemoryException (the 64 MB check did not apply to
/// character devices). Every read now refuses what is not a regular file, with a finding, and stays under its limit.
/// Each check runs on a worker with a deadline, so a regression fails the test instead of hanging the run.
/// </summary>
public class UnboundedReadTests
{
    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MkFifo(string path, uint mode);

    private static string Fifo(string dir, string name)
    {
        var path = Path.Combine(dir, name);
        Assert.True(MkFifo(path, Convert.ToUInt32("644", 8)) == 0, $"mkfifo failed: errno {Marshal.GetLastPInvokeError()}");
        return path;
    }

    private static (int Code, string Out, string Err) Check(params string[] args)
    {
        var task = Task.Run(() =>
        {
            var o = new StringWriter();
            var e = new StringWriter();
            int code = Program.Run(new[] { "check", "--no-git" }.Concat(args).ToArray(), o, e);
            return (code, o.ToString(), e.ToString());
        });
        Assert.True(task.Wait(TimeSpan.FromSeconds(60)), "check did not finish within 60 s (it blocked on a read)");
        return task.Result;
    }

    private const string Head = "# stepwise: dataset_size=100\nper_device_train_batch_size: 8\n";

    [Fact]
    public void A_deepspeed_config_that_is_a_fifo_is_refused_with_a_finding_and_check_does_not_hang()
    {
        if (!OperatingSystem.IsLinux()) return;
        var dir = TestPaths.TempDir();
        Fifo(dir, "ds.json");
        var path = Path.Combine(dir, "train.yaml");
        File.WriteAllText(path, Head + "deepspeed: ds.json\n");
        var (_, output, _) = Check(path);
        Assert.Contains("3:12: warning SW9004: deepspeed config 'ds.json' cannot be read: is a FIFO (named pipe), not a regular file", output);
    }

    [Theory]
    [InlineData("/dev/zero", "a character device")]
    [InlineData("/dev/urandom", "a character device")]
    public void A_device_as_deepspeed_or_accelerate_config_is_refused_without_reading_it(string device, string what)
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(device)) return;
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "train.yaml");
        File.WriteAllText(path, Head + $"deepspeed: {device}\n");
        var (_, output, _) = Check("--accelerate-config", device, path);
        Assert.Contains($"warning SW9004: deepspeed config '{device}' cannot be read: is {what}", output);
        Assert.Contains($"warning SW9004: accelerate config '{device}' cannot be read: is {what}", output);
    }

    [Fact]
    public void A_config_that_is_a_fifo_is_an_error_for_that_file_and_the_others_are_still_checked()
    {
        if (!OperatingSystem.IsLinux()) return;
        var dir = TestPaths.TempDir();
        var fifo = Fifo(dir, "a.yaml");
        var good = Path.Combine(dir, "b.yaml");
        File.WriteAllText(good, Head + "max_steps: 1000\n");
        var (code, output, err) = Check("--format", "json", fifo, good);
        Assert.Equal(2, code);
        Assert.Contains("a.yaml: error: is a FIFO (named pipe), not a regular file", err);
        using var doc = JsonDocument.Parse(output);
        var files = doc.RootElement.GetProperty("files").EnumerateArray().ToList();
        Assert.Contains(files, f => f.GetProperty("path").GetString() == good && f.GetProperty("schedule").GetProperty("total_steps").GetInt64() == 1000);
    }

    [Fact]
    public void A_dataset_that_is_a_fifo_or_a_link_to_a_device_is_not_counted_and_says_why()
    {
        if (!OperatingSystem.IsLinux()) return;
        var dir = TestPaths.TempDir();
        Fifo(dir, "train.jsonl");
        File.CreateSymbolicLink(Path.Combine(dir, "zero.jsonl"), "/dev/zero");
        var a = Path.Combine(dir, "a.yaml");
        File.WriteAllText(a, "per_device_train_batch_size: 8\ntrain_file: train.jsonl\n");
        var b = Path.Combine(dir, "b.yaml");
        File.WriteAllText(b, "per_device_train_batch_size: 8\ntrain_file: zero.jsonl\n");
        var (_, output, _) = Check(a, b);
        Assert.Contains("train.jsonl is a FIFO (named pipe), not a regular file; only regular files are counted", output);
        Assert.Contains("zero.jsonl is a character device, not a regular file; only regular files are counted", output);
    }

    [Fact]
    public void Reads_never_go_past_the_limit_even_when_the_file_grows()
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "grows.yaml");
        File.WriteAllText(path, new string('#', 1000));
        Assert.Equal(1000, RegularFiles.ReadAllBytes(path, 1000).Length);
        var ex = Assert.Throws<FileTooLargeException>(() => RegularFiles.ReadAllBytes(path, 999));
        Assert.Equal(1000, ex.Length);
        // A bounded stream stops at the limit whatever the length said.
        using var s = new BoundedReadStream(new MemoryStream(new byte[5000]), 4096);
        var buffer = new byte[8192];
        Assert.Throws<FileTooLargeException>(() => { while (s.Read(buffer, 0, buffer.Length) > 0) { } });
    }

    [Fact]
    public void Regular_files_folders_and_missing_paths_are_told_apart()
    {
        var dir = TestPaths.TempDir();
        var file = Path.Combine(dir, "x.yaml");
        File.WriteAllText(file, "a: 1\n");
        Assert.Null(RegularFiles.NotRegular(file));
        Assert.Equal("a folder", RegularFiles.NotRegular(dir));
        Assert.Equal("no such file", RegularFiles.NotRegular(Path.Combine(dir, "nothing.yaml")));
        if (OperatingSystem.IsLinux()) Assert.Equal("a character device", RegularFiles.NotRegular("/dev/null"));
    }
}
