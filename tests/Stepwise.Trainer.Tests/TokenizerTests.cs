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

    [Fact]
    public void A_SentencePiece_tokenizer_model_encodes_as_SentencePiece_itself_does()
    {
        // A BPE model trained here with Llama's tokenizer settings (byte fallback, split digits, dummy prefix) by Debian's
        // python3-sentencepiece, saved as tokenizer.model: the path Llama 1/2 and OpenLLaMA folders take.
        using var dir = new TempDir();
        var rng = new Random(1);
        string[] words = "the model trains on records and the loss falls while the learning rate decays over steps epochs batch size".Split(' ');
        var lines = Enumerable.Range(0, 400).Select(_ => string.Join(' ', Enumerable.Range(0, 12).Select(_ => words[rng.Next(words.Length)]))).ToList();
        lines.AddRange(new[] { "Größe der Daten: 1234 Beispiele", "naïve café résumé", "x = y + 42; // code" });
        File.WriteAllLines(dir["corpus.txt"], lines);
        Directory.CreateDirectory(dir["model"]);
        Oracle.RunScript("sentencepiece_reference.py", "train", dir["corpus.txt"], dir["sp"], "400");
        File.Copy(dir["sp.model"], dir["model/tokenizer.model"]);

        string[] texts =
        {
            "the model trains", " leading space", "two  spaces and a trailing one ", "line\nbreak\n\nand tabs\t!", "digits 2024 and 3.14",
            "naïve café", "Größe", "emoji 🙂 and 数据 fall back to bytes", "", "the", "unseen wordsmithery", "x = y + 42; // code",
        };
        File.WriteAllText(dir["in.json"], new System.Text.Json.Nodes.JsonObject { ["texts"] = new System.Text.Json.Nodes.JsonArray(texts.Select(t => (System.Text.Json.Nodes.JsonNode)t).ToArray()) }.ToJsonString());
        Oracle.RunScript("sentencepiece_reference.py", "encode", dir["sp.model"], dir["in.json"], dir["out.json"]);
        var reference = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(dir["out.json"]))!;

        var tok = TextTokenizer.Load(dir["model"]);
        Assert.Equal(reference["bos"]!.GetValue<int>(), tok.BosId);
        Assert.Equal(reference["eos"]!.GetValue<int>(), tok.EosId);
        for (int i = 0; i < texts.Length; i++)
        {
            var expected = reference["ids"]![i]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
            var actual = tok.Encode(texts[i], addBos: false).ToArray();
            Assert.True(expected.SequenceEqual(actual), $"'{texts[i]}': sentencepiece [{string.Join(", ", expected)}], ours [{string.Join(", ", actual)}]");
            Assert.Equal(reference["decoded"]![i]!.GetValue<string>(), tok.Decode(actual));
        }
        Assert.Equal(new[] { tok.BosId!.Value }.Concat(tok.Encode("the", addBos: false)), tok.Encode("the"));
    }
}
