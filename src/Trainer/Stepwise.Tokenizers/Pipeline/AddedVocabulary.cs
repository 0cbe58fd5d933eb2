using Stepwise.Tokenizers.Text;
using Stepwise.Tokenizers.Unicode;

namespace Stepwise.Tokenizers.Pipeline;

/// <summary>An entry of tokenizer.json's added_tokens.</summary>
public sealed record AddedToken(string Content, bool SingleWord, bool LStrip, bool RStrip, bool Normalized, bool Special);

/// <summary>
/// The added tokens, split out of the text before the normalizer and the model see it, as the crate's AddedVocabulary
/// does (tokenizers/src/tokenizer/added_vocabulary.rs): tokens with normalized=false are found in the original text,
/// the rest in each remaining piece after it is normalized; matches are leftmost-longest and do not overlap; a
/// single_word token only counts between non-word characters (the regex crate's \w); lstrip / rstrip take the
/// whitespace around the token into it. Ids are assigned as the crate's add_tokens does (the vocabulary's id for a
/// known content, else the next free id after the model's vocabulary), not read from the file.
/// </summary>
public sealed class AddedVocabulary
{
    private readonly Dictionary<string, int> _map = new(StringComparer.Ordinal);
    private readonly Dictionary<int, AddedToken> _mapR = new();
    private readonly HashSet<string> _specialSet = new(StringComparer.Ordinal);
    private readonly Trie _trie = new();
    private readonly Trie _normalizedTrie = new();

    public AddedVocabulary(IReadOnlyList<AddedToken> tokens, BpeModel model, Normalizer? normalizer)
    {
        var specialTokens = new List<AddedToken>();
        var addedTokens = new List<AddedToken>();
        foreach (var t in tokens)
            if (t.Special && t.Content.Length > 0 && _specialSet.Add(t.Content)) specialTokens.Add(t);
        var present = new Dictionary<AddedToken, int>(); // how many ids map to each token (the crate checks values().any(== token))
        int maxId = -1;
        foreach (var t in tokens)
        {
            if (t.Content.Length == 0 || present.GetValueOrDefault(t) > 0) continue;
            int id;
            if (_map.TryGetValue(t.Content, out int existing)) id = existing;
            else if (model.TokenToId(t.Content) is int vocabId) id = vocabId;
            else
            {
                int size = model.VocabSize;
                id = _map.Count == 0 ? size : maxId >= size || size == 0 ? maxId + 1 : size;
            }
            _map[t.Content] = id;
            maxId = Math.Max(maxId, id);
            if (_mapR.TryGetValue(id, out var old)) present[old]--;
            _mapR[id] = t;
            present[t] = present.GetValueOrDefault(t) + 1;
            if (!_specialSet.Contains(t.Content)) addedTokens.Add(t);
        }
        foreach (var t in specialTokens.Concat(addedTokens))
        {
            int id = TokenToId(t.Content, model)!.Value;
            if (t.Normalized)
            {
                var content = NormalizedString.FromOriginal(t.Content);
                normalizer?.Normalize(content);
                _normalizedTrie.Add(content.Text, id);
            }
            else _trie.Add(t.Content, id);
        }
    }

    public int? TokenToId(string token, BpeModel model) => _map.TryGetValue(token, out int id) ? id : model.TokenToId(token);
    public string? IdToToken(int id) => _mapR.TryGetValue(id, out var t) ? t.Content : null;
    public bool IsSpecial(string token) => _specialSet.Contains(token);
    public IReadOnlyDictionary<string, int> Tokens => _map;
    public AddedToken? Token(int id) => _mapR.TryGetValue(id, out var t) ? t : null;

    /// <summary>The crate's extract_and_normalize: added tokens out of the text, the rest normalized.</summary>
    public List<PreToken> ExtractAndNormalize(string text, Normalizer? normalizer)
    {
        var pieces = new List<PreToken>();
        Split(NormalizedString.FromOriginal(text), _trie, pieces);
        var result = new List<PreToken>(pieces.Count);
        foreach (var p in pieces)
        {
            if (p.TokenId is not null) { result.Add(p); continue; }
            normalizer?.Normalize(p.Text);
            if (p.Text.IsEmpty) continue;
            Split(p.Text, _normalizedTrie, result);
        }
        return result;
    }

    private void Split(NormalizedString s, Trie trie, List<PreToken> output)
    {
        foreach (var (id, start, end) in FindMatches(s.Text, trie))
        {
            if (end <= start) continue; // the crate drops empty pieces
            output.Add(new PreToken(s.Slice(start, end), id));
        }
    }

    /// <summary>The crate's find_matches: pieces of <paramref name="sentence"/>, each an added token's id or null.</summary>
    private List<(int? Id, int Start, int End)> FindMatches(string sentence, Trie trie)
    {
        var splits = new List<(int?, int, int)>();
        if (sentence.Length == 0) { splits.Add((null, 0, 0)); return splits; }
        int startOffset = 0;
        int pos = 0;
        while (pos < sentence.Length)
        {
            if (!trie.LongestAt(sentence, pos, out int matchEnd, out int id)) { pos++; continue; }
            int start = pos, stop = matchEnd;
            pos = matchEnd; // the search goes on after the match, even when it is discarded below
            var token = _mapR[id];
            if (token.SingleWord)
            {
                bool startSpace = start == 0 || !EndsWithWord(sentence, start);
                bool stopSpace = stop == sentence.Length || !StartsWithWord(sentence, stop);
                if (!startSpace || !stopSpace) continue;
            }
            if (token.LStrip) start = Math.Max(LeftmostSpaceAtEnd(sentence, start), startOffset);
            if (token.RStrip) stop += SpacesAtStart(sentence, stop);
            if (startOffset < start) splits.Add((null, startOffset, start));
            splits.Add((id, start, stop));
            startOffset = stop;
        }
        if (startOffset != sentence.Length) splits.Add((null, startOffset, sentence.Length));
        return splits;
    }

    private static bool EndsWithWord(string s, int end)
    {
        int i = char.IsLowSurrogate(s[end - 1]) && end >= 2 ? end - 2 : end - 1;
        return UnicodeChars.IsWordChar(UnicodeChars.At(s, i, out _));
    }

    private static bool StartsWithWord(string s, int start) => UnicodeChars.IsWordChar(UnicodeChars.At(s, start, out _));

    private static int LeftmostSpaceAtEnd(string s, int end)
    {
        int i = end;
        while (i > 0)
        {
            int j = char.IsLowSurrogate(s[i - 1]) && i >= 2 ? i - 2 : i - 1;
            if (!UnicodeChars.IsWhiteSpace(UnicodeChars.At(s, j, out _))) break;
            i = j;
        }
        return i;
    }

    private static int SpacesAtStart(string s, int start)
    {
        int i = start;
        while (i < s.Length) { int cp = UnicodeChars.At(s, i, out int n); if (!UnicodeChars.IsWhiteSpace(cp)) break; i += n; }
        return i - start;
    }

    /// <summary>A trie over UTF-16 units; LongestAt finds the longest pattern starting at a position (leftmost-longest).</summary>
    private sealed class Trie
    {
        private sealed class Node { public Dictionary<char, Node>? Next; public int Id = -1; }
        private readonly Node _root = new();

        public void Add(string s, int id)
        {
            if (s.Length == 0) return;
            var n = _root;
            foreach (char c in s)
            {
                n.Next ??= new Dictionary<char, Node>();
                if (!n.Next.TryGetValue(c, out var child)) n.Next[c] = child = new Node();
                n = child;
            }
            if (n.Id < 0) n.Id = id; // the first pattern with this content wins, as in the crate's automaton
        }

        public bool LongestAt(string s, int pos, out int end, out int id)
        {
            end = -1; id = -1;
            var n = _root;
            for (int i = pos; i < s.Length; i++)
            {
                if (n.Next is null || !n.Next.TryGetValue(s[i], out var child)) break;
                n = child;
                if (n.Id >= 0) { end = i + 1; id = n.Id; }
            }
            return end > 0;
        }
    }
}

/// <summary>A piece of the text on its way to the model: its normalized text and, for an added token, its id.</summary>
public sealed class PreToken
{
    public NormalizedString Text { get; }
    public int? TokenId { get; }
    /// <summary>The model's tokens for this piece (filled by the model step).</summary>
    public List<ModelToken>? Tokens { get; set; }
    public PreToken(NormalizedString text, int? tokenId = null) { Text = text; TokenId = tokenId; }
}
