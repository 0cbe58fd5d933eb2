using System;
using System.Collections.Generic;

namespace Stepwise.Core.Packing;

/// <summary>Part of one example placed in a packed sequence: tokens [Start, Start + Length) of example <see cref="Example"/>.</summary>
public readonly struct Piece : IEquatable<Piece>
{
    public Piece(int example, int start, int length) { Example = example; Start = start; Length = length; }
    public int Example { get; }
    public int Start { get; }
    public int Length { get; }
    public bool Equals(Piece o) => Example == o.Example && Start == o.Start && Length == o.Length;
    public override bool Equals(object? obj) => obj is Piece p && Equals(p);
    public override int GetHashCode() => (Example * 397 ^ Start) * 397 ^ Length;
    public override string ToString() => $"{Example}[{Start}..{Start + Length})";
}

/// <summary>
/// The packing algorithms of the tools, each reproducing its upstream function's placement (not only its count), so the
/// bundled trainer can pack the same way the analyzer counts. They work on one batch of examples at a time; how a tool
/// cuts its dataset into such batches is <see cref="MapBatches"/>.
/// </summary>
public static class Packers
{
    /// <summary>
    /// TRL trl/data_utils.py <c>_pack_bfd</c> (v0.20-v1.9; <c>_pack_ffd</c> of v0.19 is the same placement): pieces sorted
    /// by length, longest first (ties keep their order: pyarrow's sort is stable), each goes to the open sequence whose
    /// free space is the smallest that still holds it (<c>_SegmentTree.search</c>), the oldest such sequence first
    /// (<c>space_to_bin</c> is a FIFO per free space), else a new sequence. Pieces must be 1..<paramref name="seqLength"/> long.
    /// </summary>
    public static List<List<Piece>> BestFitDecreasing(IReadOnlyList<Piece> pieces, int seqLength)
    {
        if (seqLength <= 0) throw new ArgumentOutOfRangeException(nameof(seqLength));
        var order = new int[pieces.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        // Stable descending sort by length (Array.Sort is not stable: tie-break on the position).
        Array.Sort(order, (a, b) => pieces[a].Length != pieces[b].Length ? pieces[b].Length.CompareTo(pieces[a].Length) : a.CompareTo(b));

        var tree = new MaxTree(seqLength);          // position s-1 holds s while some open sequence has exactly s free
        tree.Set(seqLength - 1, seqLength);         // a fresh sequence is always available
        var bySpace = new Dictionary<int, Queue<int>>();
        var bins = new List<List<Piece>>();
        foreach (var idx in order)
        {
            var piece = pieces[idx];
            int length = piece.Length;
            if (length <= 0 || length > seqLength) throw new ArgumentException($"piece {piece} does not fit a sequence of {seqLength}", nameof(pieces));
            int space = tree.LeftmostAtLeast(length) + 1;
            int bin;
            if (space < seqLength)
            {
                var queue = bySpace[space];
                bin = queue.Dequeue();
                if (queue.Count == 0) tree.Set(space - 1, -1);
            }
            else
            {
                bin = bins.Count;
                bins.Add(new List<Piece>());
            }
            bins[bin].Add(piece);
            int left = space - length;
            if (!bySpace.TryGetValue(left, out var q)) bySpace[left] = q = new Queue<int>();
            q.Enqueue(bin);
            if (left > 0) tree.Set(left - 1, left);
        }
        return bins;
    }

    /// <summary>
    /// TRL <c>_pack_wrapped</c> (and <c>pack_dataset</c> before v0.19): the batch's tokens end to end, cut every
    /// <paramref name="seqLength"/> tokens; the last sequence keeps the remainder.
    /// </summary>
    public static List<List<Piece>> Wrapped(IReadOnlyList<Piece> pieces, int seqLength)
    {
        if (seqLength <= 0) throw new ArgumentOutOfRangeException(nameof(seqLength));
        var bins = new List<List<Piece>>();
        List<Piece>? current = null;
        int used = 0;
        foreach (var p in pieces)
        {
            int start = p.Start, left = p.Length;
            while (left > 0)
            {
                if (current is null || used == seqLength) { current = new List<Piece>(); bins.Add(current); used = 0; }
                int take = Math.Min(left, seqLength - used);
                current.Add(new Piece(p.Example, start, take));
                used += take; start += take; left -= take;
            }
        }
        return bins;
    }

    /// <summary>
    /// LLaMA-Factory data/processor/processor_utils.py <c>greedy_knapsack</c> with the example choice of
    /// supervised.py <c>PackedSupervisedDatasetProcessor</c>: fill one sequence at a time, each time with the longest
    /// remaining example that still fits (<c>bisect</c> on the ascending lengths, so the last of equal ones), until
    /// none fits; among examples of that length the last one read (<c>length2indexes[length].pop()</c>).
    /// Lengths must be 0..<paramref name="capacity"/>; indices are into <paramref name="lengths"/>.
    /// </summary>
    public static List<List<int>> GreedyKnapsack(IReadOnlyList<int> lengths, int capacity)
    {
        if (capacity < 0) throw new ArgumentOutOfRangeException(nameof(capacity));
        var stacks = new Dictionary<int, Stack<int>>();
        var tree = new MaxTree(capacity + 1);   // position v holds v while an example of length v is left
        for (int i = 0; i < lengths.Count; i++)
        {
            int v = lengths[i];
            if (v < 0 || v > capacity) throw new ArgumentException($"length {v} does not fit a sequence of {capacity}", nameof(lengths));
            if (!stacks.TryGetValue(v, out var s)) stacks[v] = s = new Stack<int>();
            s.Push(i);
            tree.Set(v, v);
        }
        var knapsacks = new List<List<int>>();
        int left = lengths.Count;
        while (left > 0)
        {
            var knapsack = new List<int>();
            int remaining = capacity;
            while (true)
            {
                int v = tree.MaxPrefix(remaining);
                if (v < 0) break;
                var s = stacks[v];
                knapsack.Add(s.Pop());
                if (s.Count == 0) tree.Set(v, -1);
                remaining -= v; left--;
            }
            knapsacks.Add(knapsack);
        }
        return knapsacks;
    }

    /// <summary>
    /// axolotl utils/samplers/multipack.py <c>pack_group</c> (v0.9.2 and later): the examples in the order given, each into
    /// the first open bin with room for it and fewer than <paramref name="binSize"/> examples, else a new bin.
    /// Returns bins of indices into <paramref name="lengths"/>.
    /// </summary>
    public static List<List<int>> FirstFit(IReadOnlyList<int> order, IReadOnlyList<int> lengths, int capacity, int binSize)
    {
        if (binSize <= 0) throw new ArgumentOutOfRangeException(nameof(binSize));
        var tree = new MaxTree(order.Count);     // position b: bin b's free space while it takes more examples, else -1
        var free = new List<int>();
        var bins = new List<List<int>>();
        foreach (var idx in order)
        {
            int size = lengths[idx];
            int b = tree.LeftmostAtLeast(size);
            if (b >= 0)
            {
                free[b] -= size;
                bins[b].Add(idx);
            }
            else
            {
                b = bins.Count;
                free.Add(capacity - size);
                bins.Add(new List<int> { idx });
            }
            tree.Set(b, bins[b].Count < binSize && free[b] >= 0 ? free[b] : -1);
        }
        return bins;
    }

    /// <summary>
    /// axolotl multipack.py <c>allocate_sequentially</c> (sample_packing_sequentially): next fit, the examples in order,
    /// a new bin whenever the next one does not fit the current bin.
    /// </summary>
    public static List<List<int>> NextFit(IReadOnlyList<int> order, IReadOnlyList<int> lengths, int capacity)
    {
        var bins = new List<List<int>>();
        List<int>? current = null;
        int remaining = capacity;
        foreach (var idx in order)
        {
            int size = lengths[idx];
            if (current is not null && size <= remaining) { current.Add(idx); remaining -= size; }
            else if (current is null && size <= remaining) { current = new List<int> { idx }; bins.Add(current); remaining -= size; }
            else { current = new List<int> { idx }; bins.Add(current); remaining = capacity - size; }
        }
        return bins;
    }

    /// <summary>
    /// How 🤗 datasets <c>Dataset.map(batched=True, batch_size, num_proc)</c> hands rows to a batched function
    /// (arrow_dataset.py, datasets 4.x): num_proc contiguous shards (<c>shard(contiguous=True)</c>: the first n % k shards
    /// one row longer; num_proc above the row count is lowered to it; 0 or None is one process), then batches of
    /// batch_size from each shard's start (batch_size of None or &lt;= 0: the whole shard). Packing happens inside each
    /// batch, so these are the units the packers run on.
    /// </summary>
    public static IEnumerable<(int Start, int Count)> MapBatches(int rows, int? batchSize, int? numProc)
    {
        if (rows <= 0) yield break;
        int shards = numProc is int k && k >= 1 ? Math.Min(k, rows) : 1;
        int div = rows / shards, mod = rows % shards;
        for (int i = 0; i < shards; i++)
        {
            int start = div * i + Math.Min(i, mod);
            int end = start + div + (i < mod ? 1 : 0);
            int size = batchSize is int b && b > 0 ? b : end - start;
            for (int s = start; s < end; s += size) yield return (s, Math.Min(size, end - s));
        }
    }
}
