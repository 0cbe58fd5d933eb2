using System.Collections.Concurrent;
using System.Text;
using Stepwise.Tokenizers.Unicode;

namespace Stepwise.Tokenizers.Pipeline;

/// <summary>A token the model produced for a piece of text: its id and its UTF-16 range in that piece.</summary>
public readonly record struct ModelToken(int Id, int Start, int End);

/// <summary>
/// The BPE model as the Rust crate runs it (tokenizers/src/models/bpe/model.rs merge_word, word.rs merge_all):
/// the word starts as one symbol per character (continuing_subword_prefix on all but the first, end_of_word_suffix on
/// the last), a character missing from the vocabulary becomes its UTF-8 byte tokens (byte_fallback) or the unknown
/// token (consecutive ones fused with fuse_unk), then merges apply lowest rank first, leftmost first among equal ranks.
/// With ignore_merges a word that is itself in the vocabulary is one token. Dropout is not reproduced (it is random):
/// a file with dropout &gt; 0 is refused when it is read.
/// </summary>
public sealed class BpeModel
{
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabSpan;
    private readonly Dictionary<int, string> _vocabR;
    private readonly Dictionary<long, (int Rank, int NewId)> _merges;
    private readonly int[] _byteIds = new int[256];
    private readonly ConcurrentDictionary<string, ModelToken[]> _cache = new(StringComparer.Ordinal);
    private const int CacheLimit = 200_000;
    private int _cacheCount; // ConcurrentDictionary.Count takes every lock; this is the approximate size

    public string? UnkToken { get; }
    public string? ContinuingSubwordPrefix { get; }
    public string? EndOfWordSuffix { get; }
    public bool FuseUnk { get; }
    public bool ByteFallback { get; }
    public bool IgnoreMerges { get; }
    public int VocabSize => _vocab.Count;
    public int MergeCount => _merges.Count;

    /// <summary>
    /// <paramref name="merges"/> in rank order, each "a b" (one space) or a pair; <paramref name="vocab"/> must use
    /// ordinal comparison.
    /// </summary>
    public BpeModel(Dictionary<string, int> vocab, IReadOnlyList<MergeEntry> merges, string? unkToken, string? continuingSubwordPrefix,
        string? endOfWordSuffix, bool fuseUnk, bool byteFallback, bool ignoreMerges)
    {
        _vocab = vocab;
        _vocabSpan = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _vocabR = new Dictionary<int, string>(vocab.Count);
        foreach (var (token, id) in vocab) _vocabR[id] = token;
        UnkToken = unkToken; ContinuingSubwordPrefix = continuingSubwordPrefix; EndOfWordSuffix = endOfWordSuffix;
        FuseUnk = fuseUnk; ByteFallback = byteFallback; IgnoreMerges = ignoreMerges;
        int prefixLen = continuingSubwordPrefix?.Length ?? 0;
        _merges = new Dictionary<long, (int, int)>(merges.Count);
        char[] buffer = new char[256];
        for (int rank = 0; rank < merges.Count; rank++)
        {
            merges[rank].Split(out var a, out var b);
            if (!_vocabSpan.TryGetValue(a, out int aId)) throw new FormatException($"merge {rank} ('{a} {b}'): '{a}' is not in the vocabulary");
            if (!_vocabSpan.TryGetValue(b, out int bId)) throw new FormatException($"merge {rank} ('{a} {b}'): '{b}' is not in the vocabulary");
            if (b.Length < prefixLen) throw new FormatException($"merge {rank} ('{a} {b}'): '{b}' is shorter than the continuing_subword_prefix");
            int length = a.Length + b.Length - prefixLen;
            if (buffer.Length < length) buffer = new char[length * 2];
            a.CopyTo(buffer);
            b[prefixLen..].CopyTo(buffer.AsSpan(a.Length));
            if (!_vocabSpan.TryGetValue(buffer.AsSpan(0, length), out int newId))
                throw new FormatException($"merge {rank} ('{a} {b}'): '{new string(buffer, 0, length)}' is not in the vocabulary");
            _merges[Key(aId, bId)] = (rank, newId); // a repeated pair keeps its last rank, as the crate's HashMap collect does
        }
        for (int b = 0; b < 256; b++) _byteIds[b] = vocab.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
    }

    private static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    public int? TokenToId(string token) => _vocab.TryGetValue(token, out int id) ? id : null;
    public string? IdToToken(int id) => _vocabR.TryGetValue(id, out var t) ? t : null;

    /// <summary>Tokenizes one pre-token (the crate's Model::tokenize); offsets are UTF-16 ranges in <paramref name="word"/>.</summary>
    public void Tokenize(string word, List<ModelToken> output)
    {
        if (word.Length == 0) return;
        if (IgnoreMerges && _vocab.TryGetValue(word, out int whole)) { output.Add(new ModelToken(whole, 0, word.Length)); return; }
        if (_cache.TryGetValue(word, out var hit)) { output.AddRange(hit); return; }
        var tokens = MergeWord(word);
        if (word.Length < 256)
        {
            if (_cacheCount > CacheLimit) { _cache.Clear(); _cacheCount = 0; }
            if (_cache.TryAdd(word, tokens)) Interlocked.Increment(ref _cacheCount);
        }
        output.AddRange(tokens);
    }

    private ModelToken[] MergeWord(string w)
    {
        // Symbols as the crate's Word: id, byte length, prev / next links.
        var ids = new List<int>(w.Length);
        var lens = new List<int>(w.Length);
        int? unkId = null; int unkLen = 0;
        void Flush() { if (unkId is int u) { ids.Add(u); lens.Add(unkLen); unkId = null; } }
        for (int i = 0; i < w.Length;)
        {
            int cp = UnicodeChars.At(w, i, out int n);
            bool first = i == 0, last = i + n >= w.Length;
            int byteLen = UnicodeChars.Utf8Length(cp);
            bool affixed = (!first && ContinuingSubwordPrefix is not null) || (last && EndOfWordSuffix is not null);
            string? s = null;
            if (affixed)
            {
                s = w.Substring(i, n);
                if (!first && ContinuingSubwordPrefix is not null) s = ContinuingSubwordPrefix + s;
                if (last && EndOfWordSuffix is not null) s += EndOfWordSuffix;
            }
            var span = affixed ? s.AsSpan() : w.AsSpan(i, n);
            i += n;
            if (_vocabSpan.TryGetValue(span, out int id))
            {
                Flush();
                ids.Add(id); lens.Add(byteLen);
                continue;
            }
            if (ByteFallback)
            {
                // The crate looks up the bytes of s (prefix and suffix included) and adds them without first
                // flushing a pending unknown token; both are reproduced.
                var bytes = Encoding.UTF8.GetBytes(span.ToArray());
                bool all = true;
                foreach (var b in bytes) if (_byteIds[b] < 0) { all = false; break; }
                if (all)
                {
                    foreach (var b in bytes) { ids.Add(_byteIds[b]); lens.Add(1); }
                    continue;
                }
            }
            if (UnkToken is not null)
            {
                if (!_vocab.TryGetValue(UnkToken, out int u))
                    throw new InvalidOperationException($"the unknown token '{UnkToken}' is not in the vocabulary");
                if (unkId is not null && FuseUnk) unkLen += byteLen;
                else { Flush(); unkId = u; unkLen = byteLen; }
            }
        }
        Flush();

        int count = ids.Count;
        var c = ids.ToArray();
        var len = lens.ToArray();
        var prev = new int[count];
        var next = new int[count];
        for (int k = 0; k < count; k++) { prev[k] = k - 1; next[k] = k + 1 < count ? k + 1 : -1; }
        var queue = new PriorityQueue<(int Pos, int NewId), long>();
        for (int k = 0; k + 1 < count; k++)
            if (_merges.TryGetValue(Key(c[k], c[k + 1]), out var m)) queue.Enqueue((k, m.NewId), Priority(m.Rank, k));
        while (queue.TryDequeue(out var top, out _))
        {
            int pos = top.Pos;
            if (len[pos] == 0 || next[pos] == -1) continue;
            int right = next[pos];
            if (!_merges.TryGetValue(Key(c[pos], c[right]), out var current) || current.NewId != top.NewId) continue;
            c[pos] = top.NewId;
            len[pos] += len[right];
            next[pos] = next[right];
            len[right] = 0;
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0 && _merges.TryGetValue(Key(c[prev[pos]], c[pos]), out var before))
                queue.Enqueue((prev[pos], before.NewId), Priority(before.Rank, prev[pos]));
            if (next[pos] >= 0 && _merges.TryGetValue(Key(c[pos], c[next[pos]]), out var after))
                queue.Enqueue((pos, after.NewId), Priority(after.Rank, pos));
        }

        // Byte offsets to UTF-16: a range that starts or ends inside a character covers the whole character, as the
        // crate's byte alignments do when they are converted back to the text.
        var unitOfByte = new List<int>(w.Length * 2);
        var unitEndOfByte = new List<int>(w.Length * 2);
        for (int i = 0; i < w.Length;)
        {
            int cp = UnicodeChars.At(w, i, out int n);
            for (int b = 0; b < UnicodeChars.Utf8Length(cp); b++) { unitOfByte.Add(i); unitEndOfByte.Add(i + n); }
            i += n;
        }
        int totalBytes = unitOfByte.Count;
        var result = new List<ModelToken>(count);
        int offset = 0;
        for (int k = 0; k < count; k++)
        {
            if (len[k] == 0) continue;
            int bs = Math.Min(offset, totalBytes - 1), be = Math.Min(offset + len[k], totalBytes);
            result.Add(new ModelToken(c[k], unitOfByte[bs], be > bs ? unitEndOfByte[be - 1] : unitEndOfByte[bs]));
            offset += len[k];
        }
        return result.ToArray();
    }

    private static long Priority(int rank, int pos) => ((long)rank << 32) | (uint)pos;
}

/// <summary>A merge as tokenizer.json writes it: the line "a b" or the pair ["a", "b"].</summary>
public readonly struct MergeEntry
{
    private readonly string _a;
    private readonly string? _b;
    private MergeEntry(string a, string? b) { _a = a; _b = b; }
    public static MergeEntry Pair(string a, string b) => new(a, b);
    /// <summary>A legacy line; it must hold exactly one space (the crate's convert_merges_to_hashmap).</summary>
    public static MergeEntry Line(string line) => new(line, null);
    public bool IsValidLine => _b is not null || _a.AsSpan().Count(' ') == 1;

    public void Split(out ReadOnlySpan<char> a, out ReadOnlySpan<char> b)
    {
        if (_b is not null) { a = _a; b = _b; return; }
        int space = _a.IndexOf(' ');
        a = _a.AsSpan(0, space);
        b = _a.AsSpan(space + 1);
    }
}
