using System.Text;
using Stepwise.Trainer.SafeTensors;

namespace Stepwise.Trainer.Tests;

public class SafeTensorsTests
{
    [Fact]
    public void Round_trips_every_dtype()
    {
        using var dir = new TempDir();
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = torch.tensor(new[] { 1.5f, -2f, 3.25f }),
            ["f16"] = torch.tensor(new[] { 1.5f, -2f }).to(ScalarType.Float16),
            ["bf16"] = torch.tensor(new[] { 1.5f, -2f, 0.125f, 7f }).to(ScalarType.BFloat16).reshape(2, 2),
            ["i64"] = torch.tensor(new long[] { long.MaxValue, -1 }),
            ["i32"] = torch.tensor(new[] { int.MinValue, 5 }),
            ["u8"] = torch.tensor(new byte[] { 0, 255, 7 }),
            ["i8"] = torch.tensor(new sbyte[] { -128, 127 }),
            ["bool"] = torch.tensor(new[] { true, false, true }),
            ["empty"] = torch.zeros(0, 3),
        };
        string path = dir["a.safetensors"];
        SafeTensorsWriter.Write(path, tensors.Select(kv => TensorToWrite.Of(kv.Key, kv.Value)).ToList(), new Dictionary<string, string> { ["format"] = "pt" });
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal("pt", f.Metadata["format"]);
        foreach (var (name, t) in tensors)
        {
            using var r = f.Read(name);
            Assert.Equal(t.dtype, r.dtype);
            Assert.Equal(t.shape, r.shape);
            Assert.True(TestSupportExt.Same(r, t), name);
        }
        Assert.Equal(0, f.DataStart % 8); // header padded to 8 bytes
    }

    /// <summary>Writes a file from a raw header and buffer so each rule can be broken on purpose.</summary>
    private static string Raw(TempDir dir, string header, int bufferBytes, long? declaredLength = null, int extraBytes = 0)
    {
        string path = dir["bad.safetensors"];
        var h = Encoding.UTF8.GetBytes(header);
        using var fs = File.Create(path);
        fs.Write(BitConverter.GetBytes((ulong)(declaredLength ?? h.Length)));
        fs.Write(h);
        fs.Write(new byte[bufferBytes + extraBytes]);
        return path;
    }

    private static string Rejected(string path)
    {
        var e = Assert.Throws<CheckpointFormatException>(() => SafeTensorsFile.Open(path).Dispose());
        Assert.Contains(path, e.Message);
        return e.Message;
    }

    [Fact]
    public void Accepts_a_well_formed_raw_file()
    {
        using var dir = new TempDir();
        using var f = SafeTensorsFile.Open(Raw(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}   ", 8));
        Assert.Single(f.Tensors);
    }

    [Fact]
    public void Rejects_a_header_over_100_MB()
    {
        using var dir = new TempDir();
        Assert.Contains("100 MB", Rejected(Raw(dir, "{}", 0, declaredLength: 100_000_001)));
    }

    [Fact]
    public void Rejects_a_header_length_past_the_end()
    {
        using var dir = new TempDir();
        Assert.Contains("truncated", Rejected(Raw(dir, "{}", 0, declaredLength: 5000)));
    }

    [Fact]
    public void Rejects_a_file_shorter_than_the_length_prefix()
    {
        using var dir = new TempDir();
        string p = dir["short.safetensors"];
        File.WriteAllBytes(p, new byte[] { 1, 2, 3 });
        Assert.Contains("shorter than", Rejected(p));
    }

    [Fact]
    public void Rejects_a_header_not_starting_with_a_brace()
    {
        using var dir = new TempDir();
        Assert.Contains("'{'", Rejected(Raw(dir, " {}", 0)));
    }

    [Fact]
    public void Rejects_invalid_JSON()
    {
        using var dir = new TempDir();
        Assert.Contains("not valid JSON", Rejected(Raw(dir, "{\"a\":", 0)));
    }

    [Fact]
    public void Rejects_an_unknown_dtype_naming_the_tensor()
    {
        using var dir = new TempDir();
        var m = Rejected(Raw(dir, "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2));
        Assert.Contains("'w'", m);
        Assert.Contains("F8_E4M3", m);
    }

    [Fact]
    public void Rejects_a_size_that_does_not_match_the_shape()
    {
        using var dir = new TempDir();
        var m = Rejected(Raw(dir, "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8));
        Assert.Contains("needs 12 bytes", m);
    }

    [Fact]
    public void Rejects_a_hole_between_tensors()
    {
        using var dir = new TempDir();
        var m = Rejected(Raw(dir, "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]}}", 6));
        Assert.Contains("hole", m);
        Assert.Contains("'b'", m);
    }

    [Fact]
    public void Rejects_a_data_buffer_not_starting_at_zero()
    {
        using var dir = new TempDir();
        Assert.Contains("hole", Rejected(Raw(dir, "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}", 4)));
    }

    [Fact]
    public void Rejects_overlapping_tensors()
    {
        using var dir = new TempDir();
        var m = Rejected(Raw(dir, "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}", 4));
        Assert.Contains("overlapping", m);
    }

    [Fact]
    public void Rejects_a_truncated_data_buffer()
    {
        using var dir = new TempDir();
        Assert.Contains("truncated", Rejected(Raw(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 10)));
    }

    [Fact]
    public void Rejects_trailing_bytes()
    {
        using var dir = new TempDir();
        Assert.Contains("trailing", Rejected(Raw(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, extraBytes: 3)));
    }

    [Fact]
    public void Rejects_duplicate_names()
    {
        using var dir = new TempDir();
        Assert.Contains("twice", Rejected(Raw(dir, "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2)));
    }

    [Fact]
    public void Rejects_negative_dimensions_and_bad_offsets()
    {
        using var dir = new TempDir();
        Assert.Contains("non-negative", Rejected(Raw(dir, "{\"a\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,1]}}", 1)));
        Assert.Contains("data_offsets", Rejected(Raw(dir, "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,0]}}", 1)));
    }

    [Fact]
    public void Rejects_a_shape_whose_size_overflows()
    {
        using var dir = new TempDir();
        Assert.Contains("overflows", Rejected(Raw(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4)));
    }

    [Theory]
    [InlineData("pytorch_model.bin")]
    [InlineData("model.pt")]
    public void Refuses_pickle_checkpoints_saying_why(string name)
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir[name], new byte[] { 0x80, 0x02 });
        var e = Assert.Throws<CheckpointFormatException>(() => SafeTensorsFile.Open(dir[name]));
        Assert.Contains("pickle", e.Message);
        Assert.Contains("runs arbitrary code", e.Message);
        if (name == "pytorch_model.bin")
            Assert.Contains("pickle", Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(dir.Path)).Message);
    }

    [Fact]
    public void Sharded_checkpoint_reads_through_its_index_and_reports_a_missing_shard()
    {
        using var dir = new TempDir();
        SafeTensorsWriter.Write(dir["model-00001-of-00002.safetensors"], new[] { TensorToWrite.Of("a", torch.ones(2)) });
        SafeTensorsWriter.Write(dir["model-00002-of-00002.safetensors"], new[] { TensorToWrite.Of("b", torch.zeros(3)) });
        File.WriteAllText(dir["model.safetensors.index.json"],
            "{\"metadata\":{},\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"}}");
        using (var c = Checkpoint.Open(dir.Path))
        {
            Assert.Equal(new[] { "a", "b" }, c.NamesInFileOrder());
            using var b = c.Read("b");
            Assert.Equal(3, b.numel());
        }
        File.Delete(dir["model-00002-of-00002.safetensors"]);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(dir.Path));
        Assert.Contains("model-00002-of-00002.safetensors", e.Message);
        Assert.Contains("missing", e.Message);
    }
}
