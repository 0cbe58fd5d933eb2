using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Trainer.Tests.Jinja;
using Stepwise.Trainer.Tokenization;
using Xunit.Abstractions;

namespace Stepwise.Trainer.Tests.Tokenizers;

/// <summary>
/// Everything the oracle is asked, computed once per test run: 10,000 shared texts for each of the seven tokenizer.json
/// files, the model's chat template rendered by our Jinja for each file that ships one, and the hand-split texts.
/// </summary>
public sealed class TokenizerOracleFixture
{
    public const int TextCount = 10_000;
    public static readonly DateTime Now = new(2024, 7, 26, 9, 5, 0);

    public List<string> Texts { get; }
    public Dictionary<string, TokenizerOracle.Result> Results { get; } = new();
    public Dictionary<string, TokenizerOracle.Result> ChatResults { get; } = new();
    public Dictionary<string, TokenizerOracle.Result> PieceResults { get; } = new();
    /// <summary>Per tokenizer with a chat template: the cases rendered (template, variables, our render).</summary>
    public Dictionary<string, List<(string Template, Dictionary<string, object?> Vars, string Rendered)>> Chats { get; } = new();

    public TokenizerOracleFixture()
    {
        var specials = new List<string>();
        foreach (var name in TokenizerOracle.Names)
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TokenizerOracle.ModelDir(name), "tokenizer.json")));
            var added = doc.RootElement.GetProperty("added_tokens").EnumerateArray().ToList();
            specials.AddRange(added.Take(6).Concat(added.TakeLast(2)).Concat(added.Where(a => !a.GetProperty("special").GetBoolean()).Take(6))
                .Select(a => a.GetProperty("content").GetString()!));
        }
        Texts = OracleTexts.All(TextCount, specials.Distinct().ToList());

        var cases = new List<TokenizerOracle.Case>();
        foreach (var name in TokenizerOracle.Names) cases.Add(new TokenizerOracle.Case(name, Texts));
        foreach (var name in TokenizerOracle.Names)
        {
            var template = ChatTemplate.FromModelFolder(TokenizerOracle.ModelDir(name), () => Now);
            if (template is null) continue;
            var list = new List<(string, Dictionary<string, object?>, string)>();
            foreach (var conversation in ChatConversations())
                foreach (bool gen in new[] { false, true })
                {
                    var vars = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (var kv in template.SpecialTokens) vars[kv.Key] = kv.Value;
                    vars["messages"] = conversation;
                    vars["tools"] = null;
                    vars["documents"] = null;
                    vars["add_generation_prompt"] = gen;
                    list.Add((template.Source, vars, template.Render(conversation, gen)));
                }
            Chats[name] = list;
            cases.Add(new TokenizerOracle.Case(name, list.Select(x => x.Item3).ToList()));
        }
        foreach (var (name, texts) in LongSCases.GroupBy(c => c.Tokenizer).Select(g => (g.Key, g.ToList())))
            cases.Add(new TokenizerOracle.Case(name, texts.Select(t => t.Text).ToList(), texts.Select(t => (IReadOnlyList<string>)t.Pieces).ToList()));

        var results = TokenizerOracle.Run(cases);
        int k = 0;
        foreach (var name in TokenizerOracle.Names) Results[name] = results[k++];
        foreach (var name in Chats.Keys) ChatResults[name] = results[k++];
        for (; k < results.Count; k++) PieceResults[results[k].Tokenizer] = results[k];
    }

    private static OrderedDictionary<string, object?> Msg(string role, string content) => new(StringComparer.Ordinal) { ["role"] = role, ["content"] = content };

    /// <summary>A multi-turn conversation with the text a data set holds: spaces at the ends, newlines, Unicode, code.</summary>
    public static List<List<object?>> ChatConversations() => new()
    {
        new()
        {
            Msg("system", "You are a helpful assistant. Answer briefly."),
            Msg("user", "What's 2 + 3?"),
            Msg("assistant", "It's 5."),
            Msg("user", "  And in French?\n"),
            Msg("assistant", "Cinq — «5» ✓"),
            Msg("user", "Write `print(\"hi\")` in C#:\n```\nConsole.WriteLine(\"hi\");\n```"),
            Msg("assistant", "Console.WriteLine(\"hi\");   "),
        },
        new() { Msg("user", "数据 🙂 naïve"), Msg("assistant", " leading space and trailing newline\n") },
    };

    /// <summary>
    /// Texts where Oniguruma's (?i:'s|'t|...) differs from the oracle: the oracle's README says it folds case in ASCII
    /// only, while Oniguruma's unfold table (kkos/oniguruma src/unicode_unfold_key.c, 's' -> 'S', U+017F) also matches
    /// the long s. The pieces are the pre-tokenization derived by hand from each file's regex under Oniguruma; the
    /// oracle's BPE model then tokenizes each piece alone.
    /// </summary>
    public static readonly (string Tokenizer, string Text, string[] Pieces)[] LongSCases =
    {
        // Llama 3 / 3.1: (?i:'s|...) is the first alternative, so "'ſ" is a piece of its own before the letters go on.
        ("llama3", "it'ſelf", new[] { "it", "'ſ", "elf" }),
        ("llama3", "He'ſ here", new[] { "He", "'ſ", " here" }),
        ("llama3_1", "it'ſelf", new[] { "it", "'ſ", "elf" }),
        ("llama3_1", "BOSS'ſTATE", new[] { "BOSS", "'ſ", "TATE" }),
        ("qwen3", "it'ſelf", new[] { "it", "'ſ", "elf" }),
        ("qwen3", "x'ſtation", new[] { "x", "'ſ", "tation" }),
        // gpt-oss: the contraction is an optional suffix of a letter run, so "'ſ" joins the word before it.
        ("gptoss", "it'ſelf", new[] { "it'ſ", "elf" }),
        ("gptoss", "Dog'ſ bone", new[] { "Dog'ſ", " bone" }),
    };
}

public sealed class TokenizerOracleTests : IClassFixture<TokenizerOracleFixture>
{
    private readonly TokenizerOracleFixture _f;
    private readonly ITestOutputHelper _out;

    public TokenizerOracleTests(TokenizerOracleFixture fixture, ITestOutputHelper output) { _f = fixture; _out = output; }

    public static IEnumerable<object[]> Names() => TokenizerOracle.Names.Select(n => new object[] { n });

    private static string Show(IEnumerable<int> ids) => "[" + string.Join(", ", ids) + "]";

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_text_tokenizes_and_decodes_as_the_reference_does(string name)
    {
        var tok = TokenizerJson.Load(Path.Combine(TokenizerOracle.ModelDir(name), "tokenizer.json"));
        var r = _f.Results[name];
        Assert.True(_f.Texts.Count >= TokenizerOracleFixture.TextCount);
        int same = 0, sameSpecial = 0, sameDecode = 0;
        var failures = new List<string>();
        for (int i = 0; i < _f.Texts.Count; i++)
        {
            string text = _f.Texts[i];
            var ids = tok.Encode(text, addSpecialTokens: false).Ids;
            var idsSpecial = tok.Encode(text, addSpecialTokens: true).Ids;
            string decoded = tok.Decode(ids, skipSpecialTokens: false);
            if (ids.SequenceEqual(r.Ids[i])) same++;
            else if (failures.Count < 15) failures.Add($"{JsonSerializer.Serialize(text)}: reference {Show(r.Ids[i])}, ours {Show(ids)}");
            if (idsSpecial.SequenceEqual(r.IdsSpecial[i])) sameSpecial++;
            else if (failures.Count < 15) failures.Add($"{JsonSerializer.Serialize(text)} with special tokens: reference {Show(r.IdsSpecial[i])}, ours {Show(idsSpecial)}");
            if (decoded == r.Decoded[i]) sameDecode++;
            else if (failures.Count < 15) failures.Add($"{JsonSerializer.Serialize(text)} decoded: reference {JsonSerializer.Serialize(r.Decoded[i])}, ours {JsonSerializer.Serialize(decoded)}");
        }
        _out.WriteLine($"{name}: identical ids {same}/{_f.Texts.Count}, with special tokens {sameSpecial}/{_f.Texts.Count}, decode {sameDecode}/{_f.Texts.Count}");
        Assert.True(failures.Count == 0, $"{name}: identical ids {same}/{_f.Texts.Count}, with special tokens {sameSpecial}, decode {sameDecode}\n" + string.Join("\n", failures));
    }

    [Fact]
    public void Case_insensitive_contractions_also_match_the_long_s_as_Oniguruma_does()
    {
        foreach (var group in TokenizerOracleFixture.LongSCases.GroupBy(c => c.Tokenizer))
        {
            var tok = TokenizerJson.Load(Path.Combine(TokenizerOracle.ModelDir(group.Key), "tokenizer.json"));
            var r = _f.PieceResults[group.Key];
            int i = 0;
            foreach (var (_, text, pieces) in group)
            {
                // The split itself: an ASCII-only fold (the oracle's) would keep "'ſ" with the letters after it.
                var ours = tok.PreTokenize(text).Select(p => text[p.Start..p.End]).ToArray();
                Assert.True(pieces.SequenceEqual(ours), $"{group.Key} {JsonSerializer.Serialize(text)}: Oniguruma splits [{string.Join(" | ", pieces)}], ours [{string.Join(" | ", ours)}]");
                var ids = tok.Encode(text, false).Ids;
                Assert.True(r.PiecesIds[i].SequenceEqual(ids), $"{group.Key} {JsonSerializer.Serialize(text)} as [{string.Join(" | ", pieces)}]: expected {Show(r.PiecesIds[i])}, ours {Show(ids)}");
                i++;
            }
        }
    }

    [Fact]
    public void Each_shipped_chat_template_renders_as_jinja2_and_tokenizes_as_the_reference()
    {
        Assert.Equal(new[] { "deepseek_v3", "gemma3", "llama3", "llama3_1", "qwen3" }, _f.Chats.Keys.OrderBy(k => k, StringComparer.Ordinal));
        var cases = _f.Chats.SelectMany(kv => kv.Value.Select(c => new JinjaOracle.Case(c.Template, c.Vars, TokenizerOracleFixture.Now.ToString("s")))).ToList();
        var rendered = JinjaOracle.Render(cases);
        int k = 0;
        foreach (var (name, chats) in _f.Chats)
        {
            var tok = TokenizerJson.Load(Path.Combine(TokenizerOracle.ModelDir(name), "tokenizer.json"));
            var r = _f.ChatResults[name];
            for (int i = 0; i < chats.Count; i++, k++)
            {
                Assert.True(rendered[k].Text == chats[i].Rendered, $"{name} conversation {i}: jinja2 {(rendered[k].Text is null ? "failed: " + rendered[k].Error : JsonSerializer.Serialize(rendered[k].Text))}, ours {JsonSerializer.Serialize(chats[i].Rendered)}");
                var ids = tok.Encode(chats[i].Rendered, addSpecialTokens: false).Ids;
                Assert.True(r.Ids[i].SequenceEqual(ids), $"{name} conversation {i}: reference {Show(r.Ids[i])}\nours {Show(ids)}");
            }
        }
    }

    [Fact]
    public void Transformers_llama_and_gemma_classes_add_bos_per_tokenizer_config_whatever_the_file_says()
    {
        // DeepSeek-V3's tokenizer.json post-processor adds nothing, but its tokenizer_config.json names LlamaTokenizerFast
        // with add_bos_token true, whose update_post_processor installs "BOS $A"; Llama 3's PreTrainedTokenizerFast and
        // Qwen3's Qwen2Tokenizer keep the file's post-processor.
        foreach (var (name, addsBos) in new[] { ("deepseek_v3", true), ("llama2", true), ("gemma3", true), ("llama3", false), ("qwen3", false) })
        {
            var tok = TextTokenizer.Load(TokenizerOracle.ModelDir(name));
            var r = _f.Results[name];
            for (int i = 0; i < 200; i++)
            {
                var expected = addsBos ? new[] { tok.BosId!.Value }.Concat(r.Ids[i]).ToArray() : r.IdsSpecial[i];
                Assert.Equal(expected, tok.Encode(_f.Texts[i], addSpecialTokens: true));
                Assert.Equal(r.Ids[i], tok.Encode(_f.Texts[i], addSpecialTokens: false));
            }
        }
    }
}
