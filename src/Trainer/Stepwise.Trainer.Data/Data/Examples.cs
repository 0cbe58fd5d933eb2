using Stepwise.Trainer.Tokenization;

namespace Stepwise.Trainer.Data;

/// <summary>A tokenized example: input ids and labels (-100 where the loss does not look).</summary>
public sealed record Example(int[] Ids, int[] Labels)
{
    public const int Ignore = -100;
    public int Length => Ids.Length;
    /// <summary>Tokens whose next-token prediction counts in the loss (labels shifted by one, as causal LM loss).</summary>
    public int TrainableTokens { get { int n = 0; for (int i = 1; i < Labels.Length; i++) if (Labels[i] != Ignore) n++; return n; } }
}

/// <summary>What preprocessing did (for the log).</summary>
public sealed record PreprocessStats(int Records, int Truncated, int DroppedNoTrainable, int Packed);

/// <summary>
/// Records -> token ids with labels. A record's segments are joined into one text and tokenized once, as transformers
/// tokenizes a rendered conversation (so tokens that merge across a prompt / reply boundary are the tokens the model
/// sees at inference); the trained segments are character spans mapped to tokens by their offsets. Then truncation and
/// packing.
/// </summary>
public static class ExampleBuilder
{
    public static Example Build(IReadOnlyList<Segment> segments, TextTokenizer tok, int maxLength, bool trainOnInputs, out bool truncated) =>
        Build(segments, tok, maxLength, trainOnInputs, renderedByTemplate: false, out truncated);

    /// <param name="renderedByTemplate">
    /// The segments are a rendered chat template, which writes its own BOS / EOS text: tokenize with
    /// add_special_tokens=False, as apply_chat_template(tokenize=True) does. Otherwise (alpaca, plain text, the built-in
    /// chat format) the tokenizer adds what it adds by default (BOS) and each trained segment ends with the EOS token's
    /// text, which the tokenizer splits out as the EOS id.
    /// </param>
    public static Example Build(IReadOnlyList<Segment> segments, TextTokenizer tok, int maxLength, bool trainOnInputs, bool renderedByTemplate, out bool truncated)
    {
        string? eos = renderedByTemplate ? null : EosText(tok);
        var text = new System.Text.StringBuilder();
        var spans = new List<(int Start, int End)>();
        foreach (var s in segments)
        {
            int start = text.Length;
            text.Append(s.Text);
            if (s.Trainable && eos is not null) text.Append(eos);
            if (s.Trainable) spans.Add((start, text.Length));
        }
        var enc = tok.EncodeWithOffsets(text.ToString(), addSpecialTokens: !renderedByTemplate);
        var mask = enc.SpanMask(spans);
        var ids = enc.Ids;
        var labels = new int[ids.Length];
        for (int i = 0; i < ids.Length; i++) labels[i] = trainOnInputs || mask[i] ? ids[i] : Example.Ignore;
        truncated = ids.Length > maxLength;
        if (truncated) return new Example(ids[..maxLength], labels[..maxLength]);
        return new Example(ids, labels);
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<TextTokenizer, string> EosChecked = new();

    /// <summary>The EOS token's text, checked to come back as the one EOS id; null when the tokenizer has no EOS.</summary>
    public static string? EosText(TextTokenizer tok)
    {
        if (tok.EosToken is not { Length: > 0 } eos || tok.EosId is not int eosId) return null;
        if (EosChecked.TryGetValue(tok, out var ok)) return ok;
        var ids = tok.Encode(eos, addSpecialTokens: false);
        if (ids.Count != 1 || ids[0] != eosId)
            throw new DatasetException($"the tokenizer's EOS token '{eos}' does not tokenize to its id {eosId} (got [{string.Join(", ", ids)}]), so it cannot end the trained replies");
        EosChecked.AddOrUpdate(tok, eos);
        return eos;
    }

    public static (List<Example> Examples, PreprocessStats Stats) BuildAll(IReadOnlyList<DataRecord> records, RecordShape shape,
        TextTokenizer tok, int maxLength, bool trainOnInputs, bool packing, ChatTemplate? chatTemplate = null)
    {
        var list = new List<Example>();
        int truncated = 0, dropped = 0;
        bool templated = chatTemplate is not null && shape == RecordShape.Messages;
        foreach (var r in records)
        {
            Example e;
            try { e = Build(RecordShapes.Render(r, shape, chatTemplate), tok, maxLength, trainOnInputs, templated, out bool cut); if (cut) truncated++; }
            catch (ArgumentException ex) { throw new DatasetException($"{r.Where}: {ex.Message}"); }
            // An example whose every label is masked (its response cut off) carries no loss: leave it out, as it
            // would make a window with no tokens to average over.
            if (e.TrainableTokens == 0) { dropped++; continue; }
            list.Add(e);
        }
        int packedFrom = 0;
        if (packing) { packedFrom = list.Count; list = Pack(list, maxLength); }
        return (list, new PreprocessStats(records.Count, truncated, dropped, packedFrom));
    }

    /// <summary>
    /// Packing as TRL's ConstantLengthDataset did: concatenate the examples in order and cut the stream into sequences
    /// of <paramref name="maxLength"/> tokens (the last may be shorter). N becomes the number of packed sequences.
    /// </summary>
    public static List<Example> Pack(IReadOnlyList<Example> examples, int maxLength)
    {
        var ids = examples.SelectMany(e => e.Ids).ToArray();
        var labels = examples.SelectMany(e => e.Labels).ToArray();
        var packed = new List<Example>();
        for (int start = 0; start < ids.Length; start += maxLength)
        {
            int len = Math.Min(maxLength, ids.Length - start);
            var e = new Example(ids.AsSpan(start, len).ToArray(), labels.AsSpan(start, len).ToArray());
            if (e.TrainableTokens > 0) packed.Add(e);
        }
        return packed;
    }
}

/// <summary>Deterministic permutations (splitmix64-driven Fisher-Yates): the same seed gives the same order on any machine.</summary>
public static class Shuffle
{
    public static int[] Permutation(int n, long seed)
    {
        var p = Enumerable.Range(0, n).ToArray();
        ulong state = (ulong)seed ^ 0x9E3779B97F4A7C15UL;
        for (int i = n - 1; i > 0; i--)
        {
            ulong r = Next(ref state);
            int j = (int)(r % (ulong)(i + 1));
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    private static ulong Next(ref ulong s)
    {
        ulong z = s += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// The evaluation split of HF datasets' train_test_split: a fraction takes ceil(size x n) records, a number &gt;= 1
    /// takes that many. Which records go is our own seeded permutation (the count is what the schedule depends on).
    /// </summary>
    public static (List<T> Train, List<T> Eval) Split<T>(IReadOnlyList<T> items, double valSize, long seed)
    {
        int n = items.Count;
        int val = valSize <= 0 ? 0 : valSize < 1 ? (int)Math.Ceiling(valSize * n - 1e-9) : (int)valSize;
        if (val >= n && val > 0) throw new DatasetException($"the validation split ({val}) would leave no training records out of {n}");
        if (val == 0) return (items.ToList(), new List<T>());
        var perm = Permutation(n, seed);
        var evalIdx = perm.Take(val).ToHashSet();
        var train = new List<T>(); var eval = new List<T>();
        for (int i = 0; i < n; i++) (evalIdx.Contains(i) ? eval : train).Add(items[i]);
        return (train, eval);
    }
}

