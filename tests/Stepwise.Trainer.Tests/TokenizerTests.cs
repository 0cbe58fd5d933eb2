using System.Text.Json.Nodes;
using Stepwise.Tokenizers.Pipeline;
using Stepwise.Tokenizers.Text;
using Stepwise.Tokenizers.Unicode;

namespace Stepwise.Trainer.Tests;

/// <summary>
/// The tokenizer pipeline's components one by one, on small tokenizer.json files, with expectations derived by hand
/// from the Rust tokenizers crate (v0.22.1, the file and function named in each test). The seven real files are
/// compared with the reference implementation in Tokenizers/TokenizerOracleTests.
/// </summary>
public class TokenizerTests
{
    /// <summary>A tokenizer.json whose vocabulary is the given tokens (ids in order) plus every character of <paramref name="alphabet"/>.</summary>
    private static HfTokenizer Tok(string alphabet = "", string[]? tokens = null, string merges = "[]", string normalizer = "null", string pre = "null",
        string post = "null", string decoder = "null", string added = "[]", string modelExtra = "")
    {
        var vocab = new JsonObject();
        foreach (var t in tokens ?? Array.Empty<string>()) if (!vocab.ContainsKey(t)) vocab[t] = vocab.Count;
        foreach (var c in alphabet.EnumerateRunes()) if (!vocab.ContainsKey(c.ToString())) vocab[c.ToString()] = vocab.Count;
        string json = $$"""
            {"version": "1.0", "added_tokens": {{added}}, "normalizer": {{normalizer}}, "pre_tokenizer": {{pre}},
             "post_processor": {{post}}, "decoder": {{decoder}},
             "model": {"type": "BPE", "vocab": {{vocab.ToJsonString()}}, "merges": {{merges}} {{modelExtra}} } }
            """;
        return TokenizerJson.Parse(System.Text.Encoding.UTF8.GetBytes(json), "test tokenizer.json");
    }

    private static string[] Pieces(HfTokenizer t, string text) => t.PreTokenize(text).Select(p => text[p.Start..p.End]).ToArray();
    private static string[] Tokens(HfTokenizer t, string text) => t.Encode(text, false).Tokens;

    [Fact]
    public void Byte_tokenizer_round_trips_UTF8_with_SentencePiece_byte_ids()
    {
        var t = new ByteTokenizer();
        Assert.Equal(new[] { 1, 3 + 0xC3, 3 + 0xA9 }, t.Encode("é"));
        Assert.Equal(new[] { 3 + (int)'a' }, t.Encode("a", addSpecialTokens: false));
        Assert.Equal("naïve ✓", t.Decode(t.Encode("naïve ✓")));
        // Its tokenizer.json has the special tokens as added tokens: their text is split out, as transformers does.
        Assert.Equal(new[] { 3 + 'a', 2, 3 + 'b' }, t.Encode("a</s>b", addSpecialTokens: false));
    }

    [Fact]
    public void A_tokenizer_json_alone_adds_what_its_post_processor_adds_and_a_llama_config_adds_bos()
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
        // No post-processor and no config (PreTrainedTokenizerFast): nothing is added.
        Assert.Equal(new[] { 6, 5 }, t.Encode("abcab"));
        Assert.Equal(new[] { 2, 4 }, t.Encode("ac", addSpecialTokens: false));
        Assert.Equal("abc", t.Decode(new[] { 6 }));
        File.WriteAllText(dir["tokenizer_config.json"], """{"tokenizer_class": "LlamaTokenizer", "bos_token": "<s>", "eos_token": "</s>"}""");
        Assert.Equal(new[] { 0, 6, 5 }, TextTokenizer.Load(dir.Path).Encode("abcab"));
        File.WriteAllText(dir["tokenizer_config.json"], """{"tokenizer_class": "LlamaTokenizerFast", "bos_token": "<s>", "eos_token": "</s>", "add_bos_token": false, "add_eos_token": true}""");
        Assert.Equal(new[] { 6, 5, 1 }, TextTokenizer.Load(dir.Path).Encode("abcab"));
    }

    [Fact]
    public void Folder_without_tokenizer_is_reported()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<TokenizerFormatException>(() => TextTokenizer.Load(dir.Path));
        Assert.Contains("no tokenizer.json or tokenizer.model", e.Message);
    }

    [Fact]
    public void A_folder_with_both_files_uses_tokenizer_json_as_AutoTokenizer_does()
    {
        // use_fast=True is AutoTokenizer's default: the fast tokenizer reads tokenizer.json; tokenizer.model is not read
        // (here it is not even a SentencePiece model).
        using var dir = new TempDir();
        ByteTokenizer.WriteFiles(dir.Path);
        File.WriteAllText(dir["tokenizer.model"], "not a sentencepiece model");
        Assert.IsType<ByteTokenizer>(TextTokenizer.Load(dir.Path));
        File.Delete(dir["tokenizer.json"]);
        Assert.Contains("not a SentencePiece model", Assert.Throws<TokenizerFormatException>(() => TextTokenizer.Load(dir.Path)).Message);
    }

    [Fact]
    public void Bpe_applies_the_lowest_rank_first_and_the_leftmost_of_equal_ranks()
    {
        // word.rs merge_all: a min-heap on (rank, position).
        var t = Tok("abc", new[] { "ab", "bc" }, """["b c", "a b"]""");
        Assert.Equal(new[] { "a", "bc" }, Tokens(t, "abc"));
        var aa = Tok("a", new[] { "aa" }, """["a a"]""");
        Assert.Equal(new[] { "aa", "a" }, Tokens(aa, "aaa"));
        Assert.Equal(new[] { "aa", "aa" }, Tokens(aa, "aaaa"));
    }

    [Fact]
    public void Ignore_merges_takes_a_word_that_is_in_the_vocabulary_whole()
    {
        // model.rs tokenize_with_cache: with ignore_merges the vocabulary is looked up before any merge.
        var with = Tok("abc", new[] { "ab", "abc" }, """["a b"]""", modelExtra: ", \"ignore_merges\": true");
        var without = Tok("abc", new[] { "ab", "abc" }, """["a b"]""");
        Assert.Equal(new[] { "abc" }, Tokens(with, "abc"));
        Assert.Equal(new[] { "ab", "c" }, Tokens(without, "abc"));
    }

    [Fact]
    public void Byte_fallback_unknown_and_fuse_unk_follow_merge_word()
    {
        // model.rs merge_word: a missing character becomes its <0xXX> tokens when all exist, else the unknown token;
        // fuse_unk joins consecutive unknowns into one.
        string[] vocab = { "<unk>", "a", "<0xC3>", "<0xA9>" };
        var fused = Tok("", vocab, modelExtra: ", \"unk_token\": \"<unk>\", \"byte_fallback\": true, \"fuse_unk\": true");
        Assert.Equal(new[] { 1, 2, 3 }, fused.Encode("aé", false).Ids);
        Assert.Equal(new[] { 1, 0 }, fused.Encode("a🙂", false).Ids);
        Assert.Equal(new[] { 0, 1 }, fused.Encode("🙂🙂a", false).Ids);
        var unfused = Tok("", vocab, modelExtra: ", \"unk_token\": \"<unk>\", \"byte_fallback\": true, \"fuse_unk\": false");
        Assert.Equal(new[] { 0, 0, 1 }, unfused.Encode("🙂🙂a", false).Ids);
        var noUnk = Tok("", vocab);
        Assert.Equal(new[] { 1 }, noUnk.Encode("🙂a", false).Ids); // no unk_token: the character is dropped
        Assert.Equal("a <0xC3> <0xA9>", fused.Decode(new[] { 1, 2, 3 }, false)); // no decoder: the tokens joined by spaces
    }

    [Fact]
    public void Continuing_subword_prefix_and_end_of_word_suffix_take_part_in_lookups_and_merges()
    {
        // merge_word adds the prefix to every character but the first and the suffix to the last; a merge's result is
        // a + b without b's prefix (model.rs build).
        var prefix = Tok("a", new[] { "##b", "ab" }, """[["a", "##b"]]""", modelExtra: ", \"continuing_subword_prefix\": \"##\"");
        Assert.Equal(new[] { "ab" }, Tokens(prefix, "ab"));
        var suffix = Tok("a", new[] { "b</w>", "ab</w>" }, """["a b</w>"]""", modelExtra: ", \"end_of_word_suffix\": \"</w>\"");
        Assert.Equal(new[] { "ab</w>" }, Tokens(suffix, "ab"));
    }

    [Fact]
    public void Added_tokens_strip_whitespace_match_single_words_and_get_ids_after_the_vocabulary()
    {
        // added_vocabulary.rs: lstrip / rstrip take the spaces into the token; a single_word token needs non-word
        // characters (or the text's ends) on both sides, and a discarded match is skipped over; ids are not read
        // from the file but assigned after the model's vocabulary (add_tokens).
        const string alphabet = "abx ";
        var lstrip = Tok(alphabet, added: """[{"id": 77, "content": "<m>", "lstrip": true, "special": true, "normalized": false}]""");
        var e = lstrip.Encode("a  <m>b", false);
        Assert.Equal(new[] { 0, 4, 1 }, e.Ids);
        Assert.Equal((1, 6), e.Offsets[1]);
        var plain = Tok(alphabet, added: """[{"id": 77, "content": "<m>", "special": true, "normalized": false}]""");
        Assert.Equal(new[] { 0, 3, 3, 4, 1 }, plain.Encode("a  <m>b", false).Ids);
        var rstrip = Tok(alphabet, added: """[{"id": 5, "content": "<m>", "rstrip": true, "special": true, "normalized": false}]""");
        Assert.Equal(new[] { 4, 1 }, rstrip.Encode("<m>  b", false).Ids);
        var single = Tok(alphabet, added: """[{"id": 9, "content": "ab", "single_word": true, "special": false, "normalized": false}]""");
        Assert.Equal(new[] { 2, 0, 1, 3, 4 }, single.Encode("xab ab", false).Ids);
        Assert.Equal(new[] { 4, 3, 0, 1, 2 }, single.Encode("ab abx", false).Ids);
        var two = Tok(alphabet, added: """[{"id": 50, "content": "<p>", "special": true}, {"id": 10, "content": "a", "special": true}, {"id": 60, "content": "<q>", "special": false}]""");
        Assert.Equal(4, two.TokenToId("<p>"));
        Assert.Equal(0, two.TokenToId("a"));
        Assert.Equal(5, two.TokenToId("<q>"));
    }

    [Fact]
    public void Normalized_added_tokens_are_found_after_the_normalizer_and_the_others_before()
    {
        // extract_and_normalize: normalized=false tokens are split from the original text, normalized ones from each
        // piece after normalization (their content normalized too).
        var t = Tok("hisay <>", added: """[{"id": 0, "content": "HI", "normalized": true, "special": false}, {"id": 1, "content": "<S>", "normalized": false, "special": true}]""",
            normalizer: """{"type": "Lowercase"}""");
        var e = t.Encode("say HI<S>", false);
        Assert.Equal(new[] { "s", "a", "y", " ", "hi", "<S>" }, e.Tokens);
        Assert.Equal(new[] { "<", "s", ">" }, t.Encode("<s>", false).Tokens);
    }

    [Theory]
    [InlineData("Removed", false, "a|b|c")]
    [InlineData("Isolated", false, "a|-|b|-|-|c")]
    [InlineData("MergedWithPrevious", false, "a-|b-|-|c")]
    [InlineData("MergedWithNext", false, "a|-b|-|-c")]
    [InlineData("Contiguous", false, "a|-|b|--|c")]
    [InlineData("Removed", true, "-|-|-")]
    public void Split_behaviours_cut_as_normalizer_rs_split_does(string behavior, bool invert, string expected)
    {
        var t = Tok("abc-", pre: $$"""{"type": "Split", "pattern": {"String": "-"}, "behavior": "{{behavior}}", "invert": {{(invert ? "true" : "false")}}}""");
        Assert.Equal(expected.Split('|'), Pieces(t, "a-b--c"));
    }

    [Fact]
    public void Split_regexes_keep_oniguruma_semantics()
    {
        HfTokenizer Split(string regex, string behavior = "Isolated") =>
            Tok(pre: $$"""{"type": "Split", "pattern": {"Regex": {{System.Text.Json.JsonSerializer.Serialize(regex)}}}, "behavior": "{{behavior}}", "invert": false}""");
        // Supplementary-plane letters and digits are one character each, of their own category.
        Assert.Equal(new[] { "𝐀𝐁", " ", "x" }, Pieces(Split(@"\p{L}+"), "𝐀𝐁 x"));
        Assert.Equal(new[] { "𝟎𝟏𝟐", "𝟑" }, Pieces(Split(@"\p{N}{1,3}"), "𝟎𝟏𝟐𝟑"));
        Assert.Equal(new[] { "🙂", "a" }, Pieces(Split(@"[^\p{L}]+"), "🙂a"));
        // onig's FindMatches yields empty matches (not right after a match), which cut between characters.
        Assert.Equal(new[] { "a", "b" }, Pieces(Split("x*"), "ab"));
        // X{n}+ repeats the interval (no possessive interval in this syntax); ?+ is possessive.
        Assert.Equal(new[] { "aaaa", "a" }, Pieces(Split("a{2}+"), "aaaaa"));
        Assert.Equal(new[] { "a" }, Pieces(Split("a?+a", "Removed"), "a"));
        Assert.Empty(Pieces(Split("a?a", "Removed"), "a"));
        // (?i) folds 's' with U+017F and 'k' with U+212A, as Oniguruma's unfold table does.
        Assert.Equal(new[] { "'ſ", "t" }, Pieces(Split("(?i:'s)|[a-z]+"), "'ſt"));
        Assert.Equal(new[] { "K" }, Pieces(Split("(?i:k)", "Isolated"), "K"));
        // \s is White_Space: U+0085 and U+00A0 are in, U+200B and U+FEFF are not.
        Assert.Equal(new[] { "a", "\u0085\u00A0", "\u200B\uFEFF" }, Pieces(Split(@"\s+|\S+"), "a\u0085\u00A0\u200B\uFEFF"));
    }

    [Theory]
    [InlineData("^a", "the line anchor ^")]
    [InlineData(@"a\w", @"the escape \w")]
    [InlineData(@"\bx", @"the escape \b")]
    [InlineData("[a[b]]", "a nested character class")]
    [InlineData(@"\p{Han}", @"the property \p{Han}")]
    [InlineData("(?i:ss)", "multi-character case folding")]
    [InlineData("(?i)a", "the group construct")]
    [InlineData(@"(a)\1", "backreference")]
    [InlineData("[a&&b]", "intersection")]
    public void Regex_constructs_without_an_exact_translation_are_refused_with_their_name(string regex, string what)
    {
        var e = Assert.Throws<TokenizerFormatException>(() => Tok(pre: $$"""{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": {{System.Text.Json.JsonSerializer.Serialize(regex)}}}, "behavior": "Isolated", "invert": false}]}"""));
        Assert.Contains("pre_tokenizer.pretokenizers[0] (Split)", e.Message);
        Assert.Contains(what, e.Message);
    }

    [Theory]
    [InlineData("""{"type": "WordPiece", "vocab": {"a": 0}, "unk_token": "[UNK]"}""", "model: the WordPiece model is not supported")]
    [InlineData("""{"type": "BPE", "vocab": {"a": 0}, "merges": [], "dropout": 0.1}""", "dropout 0.1")]
    [InlineData("""{"type": "BPE", "vocab": {"a": 0}, "merges": ["a a a"]}""", "merge line 1")]
    [InlineData("""{"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}""", "'b' is not in the vocabulary")]
    public void Models_the_pipeline_cannot_reproduce_are_refused(string model, string what)
    {
        var e = Assert.Throws<TokenizerFormatException>(() => TokenizerJson.Parse(System.Text.Encoding.UTF8.GetBytes($$"""{"model": {{model}}}"""), "m/tokenizer.json"));
        Assert.StartsWith("m/tokenizer.json: model", e.Message);
        Assert.Contains(what, e.Message);
    }

    [Theory]
    [InlineData("normalizer", """{"type": "Sequence", "normalizers": [{"type": "Precompiled", "precompiled_charsmap": ""}]}""", "normalizer.normalizers[0] (Precompiled)")]
    [InlineData("pre_tokenizer", """{"type": "UnicodeScripts"}""", "pre_tokenizer (UnicodeScripts): this pre-tokenizer is not supported")]
    [InlineData("decoder", """{"type": "CTC"}""", "decoder (CTC): this decoder is not supported")]
    [InlineData("post_processor", """{"type": "Bogus"}""", "post_processor (Bogus)")]
    public void Components_the_pipeline_lacks_are_refused_with_their_place(string key, string component, string what)
    {
        var e = Assert.Throws<TokenizerFormatException>(() => TokenizerJson.Parse(System.Text.Encoding.UTF8.GetBytes(
            $$"""{"{{key}}": {{component}}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []} }"""), "m/tokenizer.json"));
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void Metaspace_prepends_per_scheme_and_splits_before_each_replacement()
    {
        HfTokenizer Meta(string scheme, bool split = true) => Tok("hi▁ abc", added: """[{"id": 0, "content": "<s>", "special": true, "normalized": false}]""",
            pre: $$"""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "{{scheme}}", "split": {{(split ? "true" : "false")}}}""");
        Assert.Equal(new[] { "hi", " there" }, Pieces(Meta("always"), "hi there"));
        Assert.Equal(new[] { "▁hi", "▁there" }, Tokens(Tok(tokens: new[] { "▁hi", "▁there" }, modelExtra: ", \"ignore_merges\": true",
            pre: """{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}"""), "hi there"));
        // first: only the piece that starts the text gets the prefix (metaspace.rs, offsets_original().0 == 0).
        var first = Meta("first");
        Assert.Equal(new[] { "▁", "h", "i" }, first.Encode("hi", false).Tokens);
        Assert.Equal(new[] { "<s>", "h", "i" }, first.Encode("<s>hi", false).Tokens);
        Assert.Equal(new[] { "h", "i" }, Meta("never").Encode("hi", false).Tokens);
        Assert.Single(Pieces(Meta("always", split: false), "a b c"));
        var dec = new MetaspaceDecoder('▁', PrependScheme.Always);
        Assert.Equal("hi there", dec.Decode(new List<string> { "▁hi", "▁there" }));
        Assert.Equal("a b", dec.Decode(new List<string> { "▁▁a", "▁b" })); // every replacement in the first token goes
        Assert.Equal(" hi", new MetaspaceDecoder('▁', PrependScheme.Never).Decode(new List<string> { "▁hi" }));
    }

    [Fact]
    public void Digits_punctuation_and_whitespace_pre_tokenizers_split_as_the_crate_does()
    {
        Assert.Equal(new[] { "a", "1", "2", "3", "b", "4" }, Pieces(Tok(pre: """{"type": "Digits", "individual_digits": true}"""), "a123b4"));
        // char::is_numeric takes Nl too: the Roman numeral joins the digit run.
        Assert.Equal(new[] { "a", "123", "b", "4Ⅻ" }, Pieces(Tok(pre: """{"type": "Digits", "individual_digits": false}"""), "a123b4Ⅻ"));
        Assert.Equal(new[] { "hi", ",", " there", "!", "¿" }, Pieces(Tok(pre: """{"type": "Punctuation"}"""), "hi, there!¿"));
        Assert.Equal(new[] { "hi", ",", "there", "!", "x̃" }, Pieces(Tok(pre: """{"type": "Whitespace"}"""), "hi, there!  x̃"));
        Assert.Equal(new[] { "a", "b", "c" }, Pieces(Tok(pre: """{"type": "WhitespaceSplit"}"""), "a  b\u3000c"));
        Assert.Equal(new[] { "a", "b" }, Pieces(Tok(pre: """{"type": "CharDelimiterSplit", "delimiter": "_"}"""), "a_b"));
        Assert.Equal(new[] { "Hi", "!", "you" }, Pieces(Tok(pre: """{"type": "BertPreTokenizer"}"""), "Hi! you"));
    }

    [Fact]
    public void ByteLevel_with_its_regex_and_prefix_space_keeps_offsets_on_the_original_text()
    {
        // The prepended space is aligned to the first character (normalizer.rs prepend), so " Hello" covers 0..5.
        var t = Tok(tokens: new[] { "ĠHello", "Ġworld", "'s" }, modelExtra: ", \"ignore_merges\": true",
            pre: """{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true}""");
        var pieces = t.PreTokenize("Hello world's");
        Assert.Equal(new[] { (0, 5), (5, 11), (11, 13) }, pieces.Select(p => (p.Start, p.End)));
        Assert.Equal(new[] { "ĠHello", "Ġworld", "'s" }, Tokens(t, "Hello world's"));
    }

    [Fact]
    public void Normalizers_transform_text_as_the_crate_does()
    {
        string N(string json, string text)
        {
            var s = NormalizedString.FromOriginal(text);
            Tok(normalizer: json).Normalizer!.Normalize(s);
            return s.Text;
        }
        Assert.Equal("fi x", N("""{"type": "NFKC"}""", "ﬁ x"));
        Assert.Equal("é", N("""{"type": "NFC"}""", "e\u0301"));
        Assert.Equal("e\u0301", N("""{"type": "NFD"}""", "é"));
        Assert.Equal("i\u0307stanbul", N("""{"type": "Lowercase"}""", "İSTANBUL"));
        Assert.Equal("a b", N("""{"type": "Strip", "strip_left": true, "strip_right": true}""", " \u3000a b\n"));
        Assert.Equal("cafe", N("""{"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"}]}""", "café"));
        Assert.Equal("a_b_c", N("""{"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": "_"}""", "a  b\tc"));
        Assert.Equal("▁x", N("""{"type": "Prepend", "prepend": "▁"}""", "x"));
        Assert.Equal("", N("""{"type": "Prepend", "prepend": "▁"}""", ""));
        Assert.Equal(" 中  文 ab", N("""{"type": "BertNormalizer", "lowercase": true}""", "中文AB\u0000"));
    }

    [Fact]
    public void Post_processors_add_their_tokens_only_with_special_tokens_and_roberta_trims_offsets()
    {
        // roberta.rs: offsets trimmed first (process_offsets: "Ġworld" at index 1 does not start the text, so its
        // space goes), then <s> $A </s> only with add_special_tokens.
        var roberta = Tok(tokens: new[] { "<s>", "</s>", "a", "Ġworld" }, modelExtra: ", \"ignore_merges\": true",
            pre: """{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}""",
            post: """{"type": "RobertaProcessing", "sep": ["</s>", 1], "cls": ["<s>", 0], "trim_offsets": true, "add_prefix_space": false}""");
        var e = roberta.Encode("a world", true);
        Assert.Equal(new[] { 0, 2, 3, 1 }, e.Ids);
        Assert.Equal((2, 7), e.Offsets[2]);
        var bare = roberta.Encode("a world", false);
        Assert.Equal(new[] { 2, 3 }, bare.Ids);
        Assert.Equal((2, 7), bare.Offsets[1]);
        Assert.Null(bare.CharToToken(1)); // the trimmed space belongs to no token
        var template = Tok("ab", new[] { "[A]", "[B]" }, post: """
            {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "X", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [], "special_tokens": {"X": {"id": "X", "ids": [0, 1], "tokens": ["[A]", "[B]"]}}}
            """);
        Assert.Equal(new[] { 0, 1, 2, 3 }, template.Encode("ab", true).Ids);
        Assert.Equal(new[] { 2, 3 }, template.Encode("ab", false).Ids);
        Assert.Equal(2, template.Encode("ab", true).SequenceStart);
    }

    [Fact]
    public void Decoders_rebuild_text_as_the_crate_does()
    {
        // byte_fallback.rs: invalid UTF-8 gives one U+FFFD per byte; strip.rs cuts up to start / stop characters.
        Assert.Equal("\uFFFD\uFFFDa€", new ByteFallbackDecoder().Decode(new List<string> { "<0xE2>", "<0x82>", "a", "<0xE2>", "<0x82>", "<0xAC>" }));
        Assert.Equal(new[] { "ab", "c " }, new StripDecoder(' ', 1, 0).DecodeChain(new List<string> { " ab", "c " }));
        Assert.Equal("hello world", new ByteLevelDecoder().Decode(new List<string> { "hello", "Ġworld" }));
        Assert.Equal("<｜User｜>hi", new ByteLevelDecoder().Decode(new List<string> { "<｜User｜>", "hi" }));
        Assert.Equal("a b", new BpeDecoder("</w>").Decode(new List<string> { "a</w>", "b</w>" }));
    }

    [Fact]
    public void The_assistant_mask_follows_char_to_token_like_transformers()
    {
        // apply_chat_template's mask: tokens from char_to_token(start) to char_to_token(end - 1); a token that holds a
        // span's first or last character is trained even when it merges across the boundary.
        var t = Tok("abcd", new[] { "bc" }, """["b c"]""");
        var e = t.Encode("abcd", false); // a | bc | d
        Assert.Equal(new[] { false, true, false }, e.SpanMask(new[] { (2, 3) }));  // "c" lies in "bc"
        Assert.Equal(new[] { false, true, true }, e.SpanMask(new[] { (2, 4) }));
        Assert.Equal(new[] { true, true, true }, e.SpanMask(new[] { (0, 1) }));   // ends in token 0: to the end, as Python's `if end_token`
        Assert.Equal(new[] { false, false, false }, e.SpanMask(new[] { (9, 10), (2, 3) })); // a start in no token stops the scan
    }

    [Fact]
    public void Managed_unicode_normalization_matches_python_unicodedata()
    {
        // Every code point of the BMP and planes 1-2 alone, then seeded sequences of starters and combining marks.
        var texts = new List<string>();
        for (int cp = 0; cp < 0x30000; cp++)
            if (cp is < 0xD800 or > 0xDFFF) texts.Add(char.ConvertFromUtf32(cp));
        var rng = new Random(5);
        int[] marks = { 0x300, 0x301, 0x302, 0x303, 0x308, 0x30A, 0x323, 0x327, 0x328, 0x31B, 0x345, 0x1161, 0x11A8, 0x3099, 0x309A, 0x05B0, 0x0E48 };
        int[] bases = { 'a', 'e', 'o', 'u', 'A', 'E', 'S', 0x1100, 0xAC00, 0x3046, 0x304B, 0x3B1, 0x3C9, 0x1E9B, 0x212B, 0xFB01, 0x5D0, 0xE01 };
        for (int i = 0; i < 3000; i++)
        {
            var sb = new System.Text.StringBuilder();
            for (int k = rng.Next(1, 7); k > 0; k--) sb.Append(char.ConvertFromUtf32(rng.Next(3) == 0 ? bases[rng.Next(bases.Length)] : marks[rng.Next(marks.Length)]));
            texts.Add(sb.ToString());
        }
        using var dir = new TempDir();
        File.WriteAllText(dir["in.json"], new JsonObject { ["texts"] = new JsonArray(texts.Select(t => (JsonNode)t).ToArray()) }.ToJsonString());
        Oracle.RunScript("unicode_reference.py", dir["in.json"], dir["out.json"]);
        var reference = JsonNode.Parse(File.ReadAllText(dir["out.json"]))!;
        Assert.Equal(NormalizationData.UnicodeVersion, reference["version"]!.GetValue<string>());
        var failures = new List<string>();
        foreach (var form in new[] { UnicodeForm.NFC, UnicodeForm.NFD, UnicodeForm.NFKC, UnicodeForm.NFKD })
        {
            var expected = reference[form.ToString()]!.AsArray();
            for (int i = 0; i < texts.Count; i++)
            {
                string ours = UnicodeNormalizer.Normalize(texts[i], form);
                if (ours != expected[i]!.GetValue<string>() && failures.Count < 10)
                    failures.Add($"{form} of {string.Join(" ", texts[i].EnumerateRunes().Select(r => $"U+{r.Value:X4}"))}: python {string.Join(" ", expected[i]!.GetValue<string>().EnumerateRunes().Select(r => $"U+{r.Value:X4}"))}, ours {string.Join(" ", ours.EnumerateRunes().Select(r => $"U+{r.Value:X4}"))}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(texts.Count > 190_000, $"only {texts.Count} texts");
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
        File.WriteAllText(dir["in.json"], new JsonObject { ["texts"] = new JsonArray(texts.Select(t => (JsonNode)t).ToArray()) }.ToJsonString());
        Oracle.RunScript("sentencepiece_reference.py", "encode", dir["sp.model"], dir["in.json"], dir["out.json"]);
        var reference = JsonNode.Parse(File.ReadAllText(dir["out.json"]))!;

        var tok = TextTokenizer.Load(dir["model"]);
        Assert.Equal(reference["bos"]!.GetValue<int>(), tok.BosId);
        Assert.Equal(reference["eos"]!.GetValue<int>(), tok.EosId);
        for (int i = 0; i < texts.Length; i++)
        {
            var expected = reference["ids"]![i]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
            var enc = tok.EncodeWithOffsets(texts[i], addSpecialTokens: false);
            var actual = enc.Ids;
            Assert.True(expected.SequenceEqual(actual), $"'{texts[i]}': sentencepiece [{string.Join(", ", expected)}], ours [{string.Join(", ", actual)}]");
            Assert.Equal(reference["decoded"]![i]!.GetValue<string>(), tok.Decode(actual));
            // Offsets point into the text, in order, and every non-space character lies in some token.
            int previous = 0;
            foreach (var (s, e) in enc.Offsets)
            {
                Assert.InRange(s, previous, texts[i].Length);
                Assert.InRange(e, s, texts[i].Length);
                previous = s;
            }
            for (int c = 0; c < texts[i].Length; c++)
                if (texts[i][c] != ' ') Assert.True(enc.CharToToken(c) is not null, $"'{texts[i]}': character {c} is in no token");
        }
        Assert.Equal(new[] { tok.BosId!.Value }.Concat(tok.Encode("the", addSpecialTokens: false)), tok.Encode("the"));
        // Special-token strings are split out of the text before SentencePiece sees it.
        Assert.Equal(new[] { tok.BosId!.Value, tok.EosId!.Value }.Concat(tok.Encode("the", addSpecialTokens: false)), tok.Encode("<s></s>the", addSpecialTokens: false));
    }
}
