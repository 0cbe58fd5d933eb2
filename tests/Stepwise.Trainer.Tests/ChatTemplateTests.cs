using System.Text.Json.Nodes;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.SafeTensors;
using Stepwise.Trainer.Tokenization;
using Stepwise.Trainer.Tests.Jinja;
using static Stepwise.Trainer.Tests.Jinja.ChatTemplateFiles;

namespace Stepwise.Trainer.Tests;

public sealed class ChatTemplateTests
{
    [Fact]
    public void Every_real_template_splits_into_prompt_and_response_or_says_why_not()
    {
        // Two conversations per template: the split must cover the whole render, train every assistant reply, and
        // train nothing a user or system wrote; otherwise the record is refused with a message.
        var outcomes = new List<string>();
        foreach (var name in TemplateNames())
        {
            var file = TemplateFile(name);
            var t = ChatTemplate.Create(file["chat_template"]!.GetValue<string>(), name, ChatTemplate.SpecialTokensOf(file));
            foreach (var (label, json) in new[]
            {
                ("plain", """{"messages": [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi there"}, {"role": "user", "content": "Who are you"}, {"role": "assistant", "content": "An assistant"}]}"""),
                ("system", """{"messages": [{"role": "system", "content": "Be kind"}, {"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi there"}, {"role": "user", "content": "Who are you"}, {"role": "assistant", "content": "An assistant"}]}"""),
            })
            {
                var r = new DataRecord(JsonNode.Parse(json)!.AsObject(), name, 1);
                try
                {
                    var segs = RecordShapes.Render(r, RecordShape.Messages, t);
                    Assert.Equal(t.Render(RecordShapes.Conversation(r), false), string.Concat(segs.Select(x => x.Text)));
                    var trained = segs.Where(x => x.Trainable).Select(x => x.Text).ToList();
                    Assert.Equal(2, trained.Count);
                    Assert.Contains("Hi there", trained[0]);
                    Assert.Contains("An assistant", trained[1]);
                    Assert.All(trained, x => Assert.DoesNotContain("Hello", x));
                    Assert.All(trained, x => Assert.DoesNotContain("Who are you", x));
                    outcomes.Add($"{name}/{label}: ok");
                }
                catch (DatasetException e)
                {
                    outcomes.Add($"{name}/{label}: " + (e.Message.Contains("not prefix-stable") ? "not prefix-stable" : e.Message.Contains("refused") ? "refused" : e.Message));
                }
            }
        }
        var notOk = outcomes.Where(o => !o.EndsWith(": ok", StringComparison.Ordinal)).ToList();
        Assert.Equal(new[]
        {
            "gemma-7b-it/system: refused",                      // raise_exception('System role not supported')
            "mistral-7b-instruct-v0.1/system: refused",         // only user/assistant roles
            "mistral-large-2407-v3/system: not prefix-stable",  // the system prompt moves to the last user turn
            "mixtral-8x7b-instruct/system: refused",
        }, notOk);
    }

    [Fact]
    public void ChatML_split_trains_only_assistant_content_and_its_end_marker()
    {
        var t = ChatTemplate.Create(TemplateFile("chatml")["chat_template"]!.GetValue<string>(), "chatml.json");
        var r = new DataRecord(JsonNode.Parse("""
            {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"},
                          {"role": "user", "content": "Q2"}, {"role": "assistant", "content": "A2"}]}
            """)!.AsObject(), "d.jsonl", 3);
        var segs = RecordShapes.Render(r, RecordShape.Messages, t);
        Assert.Equal(new[] { "A1<|im_end|>\n", "A2<|im_end|>\n" }, segs.Where(s => s.Trainable).Select(s => s.Text));
        Assert.Equal("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\n", segs[0].Text);
        Assert.False(segs[0].Trainable);
        Assert.Equal(t.Render(RecordShapes.Conversation(r), false), string.Concat(segs.Select(s => s.Text)));

        // Tokens: the rendered text's own markers, no BOS/EOS added; labels only on the trained spans.
        var tok = new ByteTokenizer();
        var e = ExampleBuilder.Build(segs, tok, 4096, trainOnInputs: false, renderedByTemplate: true, out _);
        string text = string.Concat(segs.Select(s => s.Text));
        Assert.Equal(tok.Encode(text, addSpecialTokens: false), e.Ids);
        Assert.Equal("A1<|im_end|>\nA2<|im_end|>\n", tok.Decode(e.Labels.Where(l => l != Example.Ignore)));
    }

    [Fact]
    public void ShareGPT_records_are_mapped_to_roles_before_the_template_sees_them()
    {
        var t = ChatTemplate.Create(ChatTemplate.ChatMl, "chatml");
        var r = new DataRecord(JsonNode.Parse("""{"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]}""")!.AsObject(), "c.jsonl", 1);
        var segs = RecordShapes.Render(r, RecordShape.Messages, t);
        Assert.Equal("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nyo<|im_end|>\n", string.Concat(segs.Select(s => s.Text)));
    }

    [Fact]
    public void Template_BOS_and_EOS_text_become_single_special_ids_without_a_second_BOS()
    {
        var file = TemplateFile("llama-2-chat");
        var t = ChatTemplate.Create(file["chat_template"]!.GetValue<string>(), "llama-2-chat.json", ChatTemplate.SpecialTokensOf(file));
        var r = new DataRecord(JsonNode.Parse("""{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}, {"role": "user", "content": "More"}, {"role": "assistant", "content": "Ok"}]}""")!.AsObject(), "d", 1);
        var tok = new ByteTokenizer();
        var e = ExampleBuilder.Build(RecordShapes.Render(r, RecordShape.Messages, t), tok, 4096, false, true, out _);
        // "<s>[INST] Hi [/INST] Yo </s><s>[INST] More [/INST] Ok </s>": two BOS (the template's), two EOS, nothing added.
        Assert.Equal(1, e.Ids[0]);
        Assert.Equal(2, e.Ids.Count(i => i == 1));
        Assert.Equal(2, e.Ids.Count(i => i == 2));
        Assert.Equal(2, e.Ids[^1]);
        // Trained: " Yo </s>" and " Ok </s>" (the EOS id included, as the template writes it).
        var trained = e.Labels.Where(l => l != Example.Ignore).ToList();
        Assert.Equal(new[] { 2, 2 }, trained.Where(l => l == 2));
        Assert.Equal(" Yo  Ok ", tok.Decode(trained));
        Assert.DoesNotContain(1, trained);
    }

    [Fact]
    public void Raise_exception_in_a_template_is_a_dataset_error_naming_the_record()
    {
        var file = TemplateFile("gemma-7b-it");
        var t = ChatTemplate.Create(file["chat_template"]!.GetValue<string>(), "gemma-7b-it.json", ChatTemplate.SpecialTokensOf(file));
        var r = new DataRecord(JsonNode.Parse("""{"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]}""")!.AsObject(), "data/train.jsonl", 7);
        var ex = Assert.Throws<DatasetException>(() => RecordShapes.Render(r, RecordShape.Messages, t));
        Assert.StartsWith("data/train.jsonl:7: ", ex.Message);
        Assert.Contains("System role not supported", ex.Message);
    }

    [Fact]
    public void A_template_that_rewrites_earlier_turns_is_refused_rather_than_mislabelled()
    {
        // Mistral v3 puts the system prompt into the last user turn, so the prompt of turn 1 is not a prefix of the
        // whole conversation.
        var file = TemplateFile("mistral-large-2407-v3");
        var t = ChatTemplate.Create(file["chat_template"]!.GetValue<string>(), "mistral-large-2407-v3.json", ChatTemplate.SpecialTokensOf(file));
        var r = new DataRecord(JsonNode.Parse("""{"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"}, {"role": "user", "content": "Q2"}, {"role": "assistant", "content": "A2"}]}""")!.AsObject(), "d.jsonl", 2);
        var ex = Assert.Throws<DatasetException>(() => RecordShapes.Render(r, RecordShape.Messages, t));
        Assert.Contains("d.jsonl:2: ", ex.Message);
        Assert.Contains("not prefix-stable at message 3", ex.Message);
        // Without a system message the same template splits cleanly.
        var ok = new DataRecord(JsonNode.Parse("""{"messages": [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"}, {"role": "user", "content": "Q2"}, {"role": "assistant", "content": "A2"}]}""")!.AsObject(), "d.jsonl", 3);
        Assert.Equal(new[] { " A1</s>", " A2</s>" }, RecordShapes.Render(ok, RecordShape.Messages, t).Where(s => s.Trainable).Select(s => s.Text));
    }

    [Fact]
    public void Model_folder_template_list_uses_default_and_chat_template_jinja_wins()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["tokenizer_config.json"], """
            {"bos_token": {"content": "<s>", "__type": "AddedToken"}, "eos_token": "</s>",
             "chat_template": [{"name": "tool_use", "template": "TOOLS"}, {"name": "default", "template": "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}"}]}
            """);
        var t = ChatTemplate.FromModelFolder(dir.Path)!;
        Assert.Equal("<s>hi</s>", t.Render(new List<object?> { Msg("user", "hi") }, false));
        File.WriteAllText(dir["chat_template.jinja"], "J{{ messages | length }}");
        Assert.Equal("J1", ChatTemplate.FromModelFolder(dir.Path)!.Render(new List<object?> { Msg("user", "hi") }, false));
        File.Delete(dir["chat_template.jinja"]);
        File.WriteAllText(dir["tokenizer_config.json"], """{"chat_template": [{"name": "tool_use", "template": "T"}]}""");
        Assert.Contains("none is called \"default\"", Assert.Throws<CheckpointFormatException>(() => ChatTemplate.FromModelFolder(dir.Path)).Message);
        File.WriteAllText(dir["tokenizer_config.json"], """{"eos_token": "</s>"}""");
        Assert.Null(ChatTemplate.FromModelFolder(dir.Path));
    }
}

public sealed class GenerationBlockTests
{
    private static OrderedDictionary<string, object?> Msg(string role, object? content) => new(StringComparer.Ordinal) { ["role"] = role, ["content"] = content };

    /// <summary>ChatML with the assistant's text in {% generation %} blocks (whitespace control inside and around).</summary>
    private const string Template = """
        {%- for m in messages -%}
        {%- if m.role == 'assistant' -%}
        <|im_start|>assistant
        {% generation -%}
        {{ m.content }}<|im_end|>
        {%- endgeneration %}

        {% else -%}
        <|im_start|>{{ m.role }}
        {{ m.content }}<|im_end|>
        {% endif -%}
        {%- endfor -%}
        """;

    [Fact]
    public void Generation_blocks_give_the_trained_ranges_transformers_tracks()
    {
        var messages = new List<object?> { Msg("system", "S"), Msg("user", "Q1"), Msg("assistant", "A1 ✓"), Msg("user", "Q2"), Msg("assistant", " A2 ") };
        var vars = new Dictionary<string, object?> { ["messages"] = messages, ["add_generation_prompt"] = false, ["tools"] = null, ["documents"] = null };
        var reference = JinjaOracle.Render(new[] { new JinjaOracle.Case(Template, vars) })[0];
        Assert.NotNull(reference.Text);
        var t = ChatTemplate.Create(Template, "test");
        Assert.True(t.HasGenerationBlocks);
        var r = new DataRecord(new System.Text.Json.Nodes.JsonObject
        {
            ["messages"] = JinjaOracle.ToJson(messages),
        }, "d.jsonl", 1);
        var segs = RecordShapes.Render(r, RecordShape.Messages, t);
        Assert.Equal(reference.Text, string.Concat(segs.Select(s => s.Text)));
        var ours = new List<(int, int)>();
        int pos = 0;
        foreach (var s in segs) { if (s.Trainable) ours.Add((pos, pos + s.Text.Length)); pos += s.Text.Length; }
        Assert.Equal(reference.Generation, ours);
        Assert.Equal(new[] { "A1 ✓<|im_end|>", " A2 <|im_end|>" }, segs.Where(s => s.Trainable).Select(s => s.Text));

        var tok = new ByteTokenizer();
        var e = ExampleBuilder.Build(segs, tok, 4096, trainOnInputs: false, renderedByTemplate: true, out _);
        Assert.Equal(tok.Encode(reference.Text!, addSpecialTokens: false), e.Ids);
        Assert.Equal("A1 ✓<|im_end|> A2 <|im_end|>", tok.Decode(e.Labels.Where(l => l != Example.Ignore)));
    }

    [Fact]
    public void A_generation_block_inside_a_macro_is_refused()
    {
        var t = ChatTemplate.Create("{% macro m() %}{% generation %}x{% endgeneration %}{% endmacro %}{{ m() }}", "test");
        var r = new DataRecord(System.Text.Json.Nodes.JsonNode.Parse("""{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}""")!.AsObject(), "d.jsonl", 4);
        var ex = Assert.Throws<DatasetException>(() => RecordShapes.Render(r, RecordShape.Messages, t));
        Assert.Contains("d.jsonl:4", ex.Message);
        Assert.Contains("generation block inside a set block or macro", ex.Message);
    }
}
