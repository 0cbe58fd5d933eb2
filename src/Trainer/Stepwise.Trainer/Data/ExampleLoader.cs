namespace Stepwise.Trainer.Data;

/// <summary>A padded micro-batch: ids and mask [b, T], labels [b, T] with -100 on padding and masked prompt.</summary>
public sealed class Batch : IDisposable
{
    public required Tensor InputIds { get; init; }
    public required Tensor AttentionMask { get; init; }
    public required Tensor Labels { get; init; }
    public int Size { get; init; }
    public long Tokens { get; init; }
    /// <summary>Label tokens the loss counts (after the causal shift).</summary>
    public long TrainableTokens { get; init; }
    public void Dispose() { InputIds.Dispose(); AttentionMask.Dispose(); Labels.Dispose(); }
}

/// <summary>
/// The training data loader: a seeded permutation per epoch, micro-batches of b (the last one short unless
/// dataloader_drop_last), each padded to its own longest example (right padding).
/// </summary>
public sealed class ExampleLoader
{
    private readonly IReadOnlyList<Example> _examples;
    public int BatchSize { get; }
    public bool DropLast { get; }
    public bool Shuffled { get; }
    public long Seed { get; }
    public int PadId { get; }

    public ExampleLoader(IReadOnlyList<Example> examples, int batchSize, bool dropLast, bool shuffle, long seed, int padId)
    {
        _examples = examples; BatchSize = batchSize; DropLast = dropLast; Shuffled = shuffle; Seed = seed; PadId = padId;
    }

    public int Count => _examples.Count;

    /// <summary>Micro-batches in one epoch.</summary>
    public int BatchesPerEpoch => DropLast ? Count / BatchSize : (Count + BatchSize - 1) / BatchSize;

    /// <summary>The example indices of micro-batch <paramref name="index"/> of <paramref name="epoch"/>.</summary>
    public int[] BatchIndices(int epoch, int index)
    {
        var order = Shuffled ? Permutation(epoch) : null;
        int start = index * BatchSize, end = Math.Min(Count, start + BatchSize);
        return Enumerable.Range(start, end - start).Select(i => order is null ? i : order[i]).ToArray();
    }

    private int _cachedEpoch = -1;
    private int[]? _cachedOrder;
    private int[] Permutation(int epoch)
    {
        if (_cachedEpoch != epoch) { _cachedOrder = Shuffle.Permutation(Count, Seed * 1_000_003L + epoch); _cachedEpoch = epoch; }
        return _cachedOrder!;
    }

    public Batch Get(int epoch, int index, Device device) => Collate(BatchIndices(epoch, index).Select(i => _examples[i]).ToList(), PadId, device);

    public static Batch Collate(IReadOnlyList<Example> items, int padId, Device device)
    {
        int b = items.Count, t = items.Max(e => e.Length);
        var ids = new long[b * t]; var mask = new long[b * t]; var labels = new long[b * t];
        long tokens = 0, trainable = 0;
        for (int i = 0; i < b; i++)
        {
            var e = items[i];
            for (int j = 0; j < t; j++)
            {
                bool real = j < e.Length;
                ids[i * t + j] = real ? e.Ids[j] : padId;
                mask[i * t + j] = real ? 1 : 0;
                labels[i * t + j] = real ? e.Labels[j] : Example.Ignore;
            }
            tokens += e.Length;
            trainable += e.TrainableTokens;
        }
        return new Batch
        {
            InputIds = torch.tensor(ids, new long[] { b, t }, device: device),
            AttentionMask = torch.tensor(mask, new long[] { b, t }, device: device),
            Labels = torch.tensor(labels, new long[] { b, t }, device: device),
            Size = b, Tokens = tokens, TrainableTokens = trainable,
        };
    }
}
