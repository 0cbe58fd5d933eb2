using Stepwise.Trainer.Tokenization;

namespace Stepwise.Trainer.Tests;

public class TokenizerTests
{
    [Fact]
    public void ByteTokenizerRoundTripsUtf8WithSentencePieceByteIds()
    {
        var t = new ByteTokenizer();
        Assert.Equal(new[] { 1, 3 + 0xC3, 3 + 0xA9 }, t.Encode("é"));
        Assert.Equal(new[] { 3 + (int)'a' }, t.Encode("a", addBos: false));
        Assert.Equal("naïve ✓", t.Decode(t.Encode("naïve ✓")));
    }

    [Fact]
    public void BpeTokenizerJsonAppliesItsMerges()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["tokenizer.json"], """
            {"version": "1.0", "added_tokens": [{"id": 0, "content": "<s>", "special": true}, {"id": 1, "content": "</s>", "special": true}],
             "pre_tokenizer": null,
             "model": {"type": "BPE", "unk_token": null, "vocab": {"<s>": 0, "</s>": 1, "a": 2, "b": 3, "c": 4, "ab": 5, "abc": 6},
                       "merges": ["a b", "ab c"]}}
            """);
        var t = TextTokenizer.Load(dir.Path);
        Assert.Equal(0, t.BosId);
        Assert.Equal(1, t.EosId);
        Assert.Equal(new[] { 0, 6, 5 }, t.Encode("abcab"));
        Assert.Equal(new[] { 2, 4 }, t.Encode("ac", addBos: false));
        Assert.Equal("abc", t.Decode(new[] { 6 }));
    }

    [Fact]
    public void FolderWithoutTokenizerIsReported()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<Stepwise.Trainer.SafeTensors.CheckpointFormatException>(() => TextTokenizer.Load(dir.Path));
        Assert.Contains("tokenizer.model", e.Message);
    }
}
