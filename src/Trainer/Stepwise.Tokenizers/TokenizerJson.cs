using System.Text.Json;
using Stepwise.Tokenizers.Pipeline;
using Stepwise.Tokenizers.Text;
using Stepwise.Tokenizers.Unicode;

namespace Stepwise.Tokenizers;

/// <summary>
/// Reads tokenizer.json into an <see cref="HfTokenizer"/>, component by component with the field names and defaults of
/// the crate's deserializers (tokenizers/src/*/mod.rs, serialization.rs). A component, option or regex construct the
/// pipeline cannot reproduce exactly is refused, naming where it is: nothing is approximated.
/// </summary>
public static class TokenizerJson
{
    public static HfTokenizer Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new TokenizerFormatException($"{path}: cannot read: {e.Message}"); }
        return Parse(bytes, path);
    }

    public static HfTokenizer Parse(ReadOnlyMemory<byte> json, string where)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 }); }
        catch (JsonException e) { throw new TokenizerFormatException($"{where}: not valid JSON: {e.Message}"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new TokenizerFormatException($"{where}: the top level is not an object");
            var r = new Reader(where);
            if (root.TryGetProperty("version", out var version) && version.ValueKind == JsonValueKind.String && version.GetString() != "1.0")
                throw new TokenizerFormatException($"{where}: version '{version.GetString()}' (the crate reads version 1.0)");
            var model = r.Model(Get(root, "model") ?? throw new TokenizerFormatException($"{where}: no \"model\""));
            var normalizer = Get(root, "normalizer") is { } n ? r.Normalizer(n, "normalizer") : null;
            var preTokenizer = Get(root, "pre_tokenizer") is { } p ? r.PreTokenizer(p, "pre_tokenizer") : null;
            var added = Get(root, "added_tokens") is { } a ? r.AddedTokens(a) : new List<AddedToken>();
            var decoder = Get(root, "decoder") is { } d ? r.Decoder(d, "decoder") : null;
            var tok = new HfTokenizer(normalizer, preTokenizer, model, added, null, decoder);
            var post = Get(root, "post_processor") is { } pp ? r.PostProcessor(pp, "post_processor", tok) : null;
            return tok.WithPostProcessor(post);
        }
    }

    private static JsonElement? Get(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private sealed class Reader(string where)
    {
        private TokenizerFormatException Fail(string path, string what) => new($"{where}: {path}: {what}");

        private string Type(JsonElement e, string path)
        {
            if (e.ValueKind != JsonValueKind.Object) throw Fail(path, "expected an object");
            return Get(e, "type")?.GetString() ?? throw Fail(path, "no \"type\" (untagged legacy components are not read)");
        }

        private bool Bool(JsonElement o, string name, string path, bool? dflt = null)
        {
            var v = Get(o, name);
            if (v is null) return dflt ?? throw Fail(path, $"missing \"{name}\"");
            return v.Value.ValueKind switch
            {
                JsonValueKind.True => true, JsonValueKind.False => false,
                _ => throw Fail(path, $"\"{name}\" must be true or false"),
            };
        }

        private string Str(JsonElement o, string name, string path, string? dflt = null)
        {
            var v = Get(o, name);
            if (v is null) return dflt ?? throw Fail(path, $"missing \"{name}\"");
            return v.Value.ValueKind == JsonValueKind.String ? v.Value.GetString()! : throw Fail(path, $"\"{name}\" must be a string");
        }

        private int Char(JsonElement o, string name, string path, int? dflt = null)
        {
            var v = Get(o, name);
            if (v is null) return dflt ?? throw Fail(path, $"missing \"{name}\"");
            string s = v.Value.GetString() ?? "";
            if (s.Length == 0 || UnicodeChars.At(s, 0, out int n) is var cp && n != s.Length) throw Fail(path, $"\"{name}\" must be one character, got \"{s}\"");
            return cp;
        }

        private IPattern Pattern(JsonElement o, string path)
        {
            var p = Get(o, "pattern") ?? throw Fail(path, "missing \"pattern\"");
            if (p.ValueKind == JsonValueKind.Object && p.TryGetProperty("String", out var s)) return OnigRegex.Literal(s.GetString() ?? "");
            if (p.ValueKind == JsonValueKind.Object && p.TryGetProperty("Regex", out var r))
            {
                try { return OnigRegex.Compile(r.GetString() ?? ""); }
                catch (OnigRegexException e) { throw Fail(path, $"its regex {System.Text.Json.Nodes.JsonValue.Create(r.GetString() ?? "").ToJsonString()} uses {e.Message}, which is not reproduced"); }
            }
            throw Fail(path, "\"pattern\" must be {\"String\": ...} or {\"Regex\": ...}");
        }

        private SplitBehavior Behavior(JsonElement o, string path, SplitBehavior? dflt = null)
        {
            var v = Get(o, "behavior");
            if (v is null) return dflt ?? throw Fail(path, "missing \"behavior\"");
            return v.Value.GetString() switch
            {
                "Removed" => SplitBehavior.Removed, "Isolated" => SplitBehavior.Isolated, "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
                "MergedWithNext" => SplitBehavior.MergedWithNext, "Contiguous" => SplitBehavior.Contiguous,
                var b => throw Fail(path, $"unknown behavior '{b}'"),
            };
        }

        public BpeModel Model(JsonElement m)
        {
            const string path = "model";
            string type = Get(m, "type")?.GetString() ?? (m.TryGetProperty("merges", out _) ? "BPE" : "?");
            if (type != "BPE")
                throw Fail(path, $"the {type} model is not supported (only BPE: Llama, Mistral, Qwen, Gemma, DeepSeek, GPT-style tokenizers)");
            if (Get(m, "dropout") is { } dropout && dropout.GetDouble() > 0)
                throw Fail(path, $"dropout {dropout.GetDouble()} samples merges at random; only a file without dropout (null or 0) is reproduced");
            var vocabEl = Get(m, "vocab") ?? throw Fail(path, "missing \"vocab\"");
            var vocab = new Dictionary<string, int>(vocabEl.EnumerateObject().Count(), StringComparer.Ordinal);
            foreach (var kv in vocabEl.EnumerateObject()) vocab[kv.Name] = kv.Value.GetInt32();
            var mergesEl = Get(m, "merges") ?? throw Fail(path, "missing \"merges\"");
            var merges = new List<MergeEntry>(mergesEl.GetArrayLength());
            int line = 0;
            foreach (var e in mergesEl.EnumerateArray())
            {
                if (e.ValueKind == JsonValueKind.Array)
                {
                    if (e.GetArrayLength() != 2) throw Fail(path, $"merge {merges.Count} is not a pair");
                    merges.Add(MergeEntry.Pair(e[0].GetString()!, e[1].GetString()!));
                    continue;
                }
                string s = e.GetString() ?? "";
                line++;
                if (s.StartsWith("#version", StringComparison.Ordinal)) continue;
                var entry = MergeEntry.Line(s);
                if (!entry.IsValidLine) throw Fail(path, $"merge line {line} (\"{s}\") is not two tokens separated by one space");
                merges.Add(entry);
            }
            string? Opt(string name) => Get(m, name) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;
            try
            {
                return new BpeModel(vocab, merges, Opt("unk_token"), Opt("continuing_subword_prefix"), Opt("end_of_word_suffix"),
                    Bool(m, "fuse_unk", path, false), Bool(m, "byte_fallback", path, false), Bool(m, "ignore_merges", path, false));
            }
            catch (FormatException e) { throw Fail(path, e.Message); }
        }

        public List<AddedToken> AddedTokens(JsonElement a)
        {
            var list = new List<AddedToken>();
            int i = 0;
            foreach (var t in a.EnumerateArray())
            {
                string path = $"added_tokens[{i++}]";
                bool special = Bool(t, "special", path, false);
                list.Add(new AddedToken(Str(t, "content", path), Bool(t, "single_word", path, false), Bool(t, "lstrip", path, false),
                    Bool(t, "rstrip", path, false), Bool(t, "normalized", path, !special), special));
            }
            return list;
        }

        public Normalizer Normalizer(JsonElement n, string path)
        {
            string type = Type(n, path);
            path = $"{path} ({type})";
            switch (type)
            {
                case "Sequence":
                {
                    var list = new List<Normalizer>();
                    int i = 0;
                    foreach (var x in (Get(n, "normalizers") ?? throw Fail(path, "missing \"normalizers\"")).EnumerateArray())
                        list.Add(Normalizer(x, $"{path[..path.IndexOf(' ')]}.normalizers[{i++}]"));
                    return new SequenceNormalizer(list);
                }
                case "NFC": return new UnicodeFormNormalizer(UnicodeForm.NFC);
                case "NFD": return new UnicodeFormNormalizer(UnicodeForm.NFD);
                case "NFKC": return new UnicodeFormNormalizer(UnicodeForm.NFKC);
                case "NFKD": return new UnicodeFormNormalizer(UnicodeForm.NFKD);
                case "Lowercase": return new LowercaseNormalizer();
                case "Strip": return new StripNormalizer(Bool(n, "strip_left", path), Bool(n, "strip_right", path));
                case "StripAccents": return new StripAccentsNormalizer();
                case "Replace": return new ReplaceNormalizer(Pattern(n, path), Str(n, "content", path));
                case "Prepend": return new PrependNormalizer(Str(n, "prepend", path));
                case "ByteLevel": return new ByteLevelNormalizer();
                case "Nmt": return new NmtNormalizer();
                case "BertNormalizer":
                    return new BertNormalizer(Bool(n, "clean_text", path, true), Bool(n, "handle_chinese_chars", path, true),
                        Get(n, "strip_accents") is { } sa ? sa.GetBoolean() : null, Bool(n, "lowercase", path, true));
                case "Precompiled":
                    throw Fail(path, "the Precompiled normalizer (a compiled SentencePiece character map) is not supported");
                default: throw Fail(path, "unknown normalizer");
            }
        }

        public PreTokenizer PreTokenizer(JsonElement p, string path)
        {
            string type = Type(p, path);
            string at = $"{path} ({type})";
            switch (type)
            {
                case "Sequence":
                {
                    var list = new List<PreTokenizer>();
                    int i = 0;
                    foreach (var x in (Get(p, "pretokenizers") ?? throw Fail(at, "missing \"pretokenizers\"")).EnumerateArray())
                        list.Add(PreTokenizer(x, $"{path}.pretokenizers[{i++}]"));
                    return new SequencePreTokenizer(list);
                }
                case "Split": return new SplitPreTokenizer(Pattern(p, at), Behavior(p, at), Bool(p, "invert", at));
                case "ByteLevel":
                    Bool(p, "trim_offsets", at);
                    return new ByteLevelPreTokenizer(Bool(p, "add_prefix_space", at), Bool(p, "use_regex", at, true));
                case "Metaspace": return Metaspace(p, at) is var (rep, scheme, split) ? new MetaspacePreTokenizer(char.ConvertFromUtf32(rep), scheme, split) : null!;
                case "Digits": return new DigitsPreTokenizer(Bool(p, "individual_digits", at, false));
                case "Punctuation": return new PunctuationPreTokenizer(Behavior(p, at, SplitBehavior.Isolated));
                case "Whitespace": return new WhitespacePreTokenizer();
                case "WhitespaceSplit": return new WhitespaceSplitPreTokenizer();
                case "BertPreTokenizer": return new BertPreTokenizer();
                case "CharDelimiterSplit": return new CharDelimiterPreTokenizer(Char(p, "delimiter", at));
                default: throw Fail(at, "this pre-tokenizer is not supported");
            }
        }

        private (int Replacement, PrependScheme Scheme, bool Split) Metaspace(JsonElement p, string at)
        {
            int rep = Char(p, "replacement", at);
            var scheme = Get(p, "prepend_scheme")?.GetString() switch
            {
                null or "always" => PrependScheme.Always, "first" => PrependScheme.First, "never" => PrependScheme.Never,
                var s => throw Fail(at, $"unknown prepend_scheme '{s}'"),
            };
            if (Get(p, "add_prefix_space") is { ValueKind: JsonValueKind.False })
            {
                if (scheme != PrependScheme.Never && Get(p, "prepend_scheme") is not null)
                    throw Fail(at, "add_prefix_space false does not match the declared prepend_scheme (the crate refuses this file)");
                scheme = PrependScheme.Never;
            }
            return (rep, scheme, Bool(p, "split", at, true));
        }

        public PostProcessor PostProcessor(JsonElement p, string path, HfTokenizer tok)
        {
            string type = Type(p, path);
            string at = $"{path} ({type})";
            switch (type)
            {
                case "Sequence":
                {
                    var list = new List<PostProcessor>();
                    int i = 0;
                    foreach (var x in (Get(p, "processors") ?? throw Fail(at, "missing \"processors\"")).EnumerateArray())
                        list.Add(PostProcessor(x, $"{path}.processors[{i++}]", tok));
                    return new SequencePostProcessor(list);
                }
                case "ByteLevel": return new ByteLevelPostProcessor(Bool(p, "trim_offsets", at), Bool(p, "add_prefix_space", at));
                case "TemplateProcessing": return Template(p, at);
                case "RobertaProcessing":
                    return new RobertaPostProcessor(TokenPair(p, "sep", at), TokenPair(p, "cls", at), Bool(p, "trim_offsets", at, true), Bool(p, "add_prefix_space", at, true));
                case "BertProcessing": return new BertPostProcessor(TokenPair(p, "sep", at), TokenPair(p, "cls", at));
                default: throw Fail(at, "this post-processor is not supported");
            }
        }

        private (string, int) TokenPair(JsonElement p, string name, string at)
        {
            var v = Get(p, name) ?? throw Fail(at, $"missing \"{name}\"");
            if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 2) throw Fail(at, $"\"{name}\" must be [token, id]");
            return (v[0].GetString()!, v[1].GetInt32());
        }

        private TemplatePostProcessor Template(JsonElement p, string at)
        {
            var specials = new Dictionary<string, (List<int> Ids, List<string> Tokens)>(StringComparer.Ordinal);
            if (Get(p, "special_tokens") is { } st)
                foreach (var kv in st.EnumerateObject())
                {
                    var ids = kv.Value.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToList();
                    var toks = kv.Value.GetProperty("tokens").EnumerateArray().Select(x => x.GetString()!).ToList();
                    if (ids.Count != toks.Count) throw Fail(at, $"special token '{kv.Name}' has {ids.Count} ids for {toks.Count} tokens");
                    specials[kv.Value.TryGetProperty("id", out var idName) ? idName.GetString()! : kv.Name] = (ids, toks);
                }
            var single = new List<TemplatePiece>();
            foreach (var piece in (Get(p, "single") ?? throw Fail(at, "missing \"single\"")).EnumerateArray())
            {
                if (piece.TryGetProperty("Sequence", out var seq))
                {
                    string id = seq.GetProperty("id").GetString()!;
                    if (id != "A") throw Fail(at, $"the single template uses sequence ${id}");
                    single.Add(new TemplatePiece(true, "", Array.Empty<int>(), Array.Empty<string>()));
                }
                else if (piece.TryGetProperty("SpecialToken", out var sp))
                {
                    string id = sp.GetProperty("id").GetString()!;
                    if (!specials.TryGetValue(id, out var s)) throw Fail(at, $"the template names special token '{id}', which special_tokens does not define");
                    single.Add(new TemplatePiece(false, id, s.Ids, s.Tokens));
                }
                else throw Fail(at, "a template piece is neither Sequence nor SpecialToken");
            }
            return new TemplatePostProcessor(single);
        }

        public Decoder Decoder(JsonElement d, string path)
        {
            string type = Type(d, path);
            string at = $"{path} ({type})";
            switch (type)
            {
                case "Sequence":
                {
                    var list = new List<Decoder>();
                    int i = 0;
                    foreach (var x in (Get(d, "decoders") ?? throw Fail(at, "missing \"decoders\"")).EnumerateArray())
                        list.Add(Decoder(x, $"{path}.decoders[{i++}]"));
                    return new SequenceDecoder(list);
                }
                case "ByteLevel": return new ByteLevelDecoder();
                case "ByteFallback": return new ByteFallbackDecoder();
                case "Fuse": return new FuseDecoder();
                case "Strip": return new StripDecoder(Char(d, "content", at), (int)(Get(d, "start")?.GetInt64() ?? throw Fail(at, "missing \"start\"")),
                    (int)(Get(d, "stop")?.GetInt64() ?? throw Fail(at, "missing \"stop\"")));
                case "Replace": return new ReplaceDecoder(Pattern(d, at), Str(d, "content", at));
                case "Metaspace": { var (rep, scheme, _) = Metaspace(d, at); return new MetaspaceDecoder(rep, scheme); }
                case "BPEDecoder": return new BpeDecoder(Str(d, "suffix", at, "</w>"));
                default: throw Fail(at, "this decoder is not supported");
            }
        }
    }
}
