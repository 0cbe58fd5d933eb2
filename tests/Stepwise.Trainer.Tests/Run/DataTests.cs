using System.Text.Json.Nodes;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.LearningRate;
using Stepwise.Trainer.Tokenization;

namespace Stepwise.Trainer.Tests.Run;

public sealed class DataTests
{
    private static readonly ByteTokenizer Tok = new();

    [Fact]
    public void Alpaca_masks_the_prompt_and_trains_the_response_and_eos()
    {
        var r = RecordFiles.ParseJsonLines("{\"instruction\":\"Add.\",\"input\":\"2 + 3\",\"output\":\"5\"}\n", "d.jsonl")[0];
        Assert.Equal(RecordShape.Alpaca, RecordShapes.Detect(r));
        var e = ExampleBuilder.Build(RecordShapes.Render(r, RecordShape.Alpaca), Tok, 1024, false, out _);
        string prompt = RecordShapes.AlpacaPrompt("Add.", "2 + 3");
        Assert.Equal(1 + prompt.Length + 1 + 1, e.Length); // BOS + prompt bytes + "5" + EOS
        Assert.All(e.Labels.Take(1 + prompt.Length), l => Assert.Equal(Example.Ignore, l));
        Assert.Equal(new[] { 3 + '5', 2 }, e.Labels.Skip(1 + prompt.Length));
        Assert.Equal(2, e.TrainableTokens);
        var all = ExampleBuilder.Build(RecordShapes.Render(r, RecordShape.Alpaca), Tok, 1024, true, out _);
        Assert.DoesNotContain(Example.Ignore, all.Labels);
    }

    [Fact]
    public void ShareGPT_conversations_train_only_assistant_turns()
    {
        var r = new DataRecord(JsonNode.Parse("{\"conversations\":[{\"from\":\"human\",\"value\":\"hi\"},{\"from\":\"gpt\",\"value\":\"yo\"}]}")!.AsObject(), "c", 1);
        Assert.Equal(RecordShape.Messages, RecordShapes.Detect(r));
        var e = ExampleBuilder.Build(RecordShapes.Render(r, RecordShape.Messages), Tok, 1024, false, out _);
        Assert.Equal("yo", Tok.Decode(e.Labels.Where(l => l != Example.Ignore)));
        Assert.Equal(3, e.Labels.Count(l => l != Example.Ignore)); // y, o, EOS
    }

    [Fact]
    public void Truncation_cuts_to_max_length_and_packing_counts_sequences()
    {
        var r = new DataRecord(new JsonObject { ["text"] = new string('a', 50) }, "t", 1);
        var e = ExampleBuilder.Build(RecordShapes.Render(r, RecordShape.Text), Tok, 20, false, out bool cut);
        Assert.True(cut);
        Assert.Equal(20, e.Length);
        var five = Enumerable.Range(0, 5).Select(_ => new Example(new int[10], Enumerable.Repeat(5, 10).ToArray())).ToList();
        Assert.Equal(3, ExampleBuilder.Pack(five, 20).Count); // 50 tokens -> 20 + 20 + 10
    }

    [Fact]
    public void Bad_json_lines_name_file_line_and_column()
    {
        var ex = Assert.Throws<DatasetException>(() => RecordFiles.ParseJsonLines("{\"text\":\"a\"}\n{\"text\": oops}\n", "d.jsonl"));
        Assert.StartsWith("d.jsonl:2:", ex.Message);
    }

    [Fact]
    public void Csv_reads_quoted_fields_with_commas_quotes_and_newlines()
    {
        var rows = RecordFiles.ParseCsv("instruction,output\n\"Say \"\"hi\"\", twice\",\"hi\nhi\"\nb,c\n", "d.csv");
        Assert.Equal(2, rows.Count);
        Assert.Equal("Say \"hi\", twice", rows[0].Str("instruction"));
        Assert.Equal("hi\nhi", rows[0].Str("output"));
        Assert.Equal(4, rows[1].Line);
        Assert.Throws<DatasetException>(() => RecordFiles.ParseCsv("a,b\n1\n", "x.csv"));
    }

    [Fact]
    public void Validation_split_takes_ceil_of_the_fraction_or_the_count()
    {
        var items = Enumerable.Range(0, 101).ToList();
        Assert.Equal(6, Shuffle.Split(items, 0.05, 1).Eval.Count);   // ceil(5.05)
        Assert.Equal(10, Shuffle.Split(items, 10, 1).Eval.Count);
        var (a, b) = Shuffle.Split(items, 0.2, 1);
        Assert.Equal(items, a.Concat(b).OrderBy(x => x));
        Assert.Equal(Shuffle.Split(items, 0.2, 1).Eval, Shuffle.Split(items, 0.2, 1).Eval); // same seed, same split
    }

    [Fact]
    public void Collate_pads_right_with_mask_and_ignored_labels()
    {
        var b = ExampleLoader.Collate(new[] { new Example(new[] { 5, 6, 7 }, new[] { -100, 6, 7 }), new Example(new[] { 8 }, new[] { 8 }) }, 0, CPU);
        Assert.Equal(new long[] { 2, 3 }, b.InputIds.shape);
        Assert.Equal(new long[] { 1, 1, 1, 1, 0, 0 }, b.AttentionMask.data<long>().ToArray());
        Assert.Equal(new long[] { -100, 6, 7, 8, -100, -100 }, b.Labels.data<long>().ToArray());
    }

    [Fact]
    public void Bundled_dataset_has_hundreds_of_alpaca_records()
    {
        var records = BundledData.Dataset();
        Assert.InRange(records.Count, 300, 1000);
        Assert.All(records, r => Assert.Equal(RecordShape.Alpaca, RecordShapes.Detect(r)));
        // Mostly distinct prompts (a few arithmetic pairs repeat by chance).
        Assert.True(records.Select(r => r.Str("instruction") + "|" + r.Str("input")).Distinct().Count() > records.Count * 0.9);
    }

    [Theory]
    // transformers get_scheduler values, warmup 2 of 10 steps (hand-derived from optimization.py's lambdas).
    [InlineData("linear", 0, 0.0)]
    [InlineData("linear", 1, 0.5)]
    [InlineData("linear", 2, 1.0)]
    [InlineData("linear", 6, 0.5)]
    [InlineData("linear", 10, 0.0)]
    [InlineData("cosine", 6, 0.5)]
    [InlineData("cosine", 4, 0.8535533905932737)]
    [InlineData("constant_with_warmup", 1, 0.5)]
    [InlineData("constant_with_warmup", 9, 1.0)]
    [InlineData("constant", 0, 1.0)]
    public void Lr_schedules_match_transformers(string type, long step, double factor) =>
        Assert.Equal(factor, new LrSchedule(type, 1.0, 2, 10).Factor(step), 12);
}
