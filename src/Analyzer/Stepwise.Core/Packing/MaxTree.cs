using System;

namespace Stepwise.Core.Packing;

/// <summary>
/// A max segment tree over positions 0..n-1 (empty positions hold -1): the leftmost position holding at least x, and
/// the largest value in a prefix, both in O(log n). It turns the packers' linear scans (first fit over every open bin,
/// best fit over every remaining space, largest length that still fits) into logarithmic look-ups with the same answers.
/// </summary>
internal sealed class MaxTree
{
    private readonly int _size;
    private readonly int[] _tree;

    public MaxTree(int n)
    {
        _size = 1;
        while (_size < Math.Max(1, n)) _size <<= 1;
        _tree = new int[2 * _size];
        for (int i = 0; i < _tree.Length; i++) _tree[i] = -1;
    }

    public int this[int i] => _tree[_size + i];

    public void Set(int i, int value)
    {
        int p = _size + i;
        _tree[p] = value;
        for (p >>= 1; p >= 1; p >>= 1)
        {
            int l = _tree[2 * p], r = _tree[2 * p + 1];
            _tree[p] = l >= r ? l : r;
        }
    }

    /// <summary>The leftmost position whose value is at least <paramref name="x"/>, or -1.</summary>
    public int LeftmostAtLeast(int x)
    {
        if (_tree[1] < x) return -1;
        int p = 1;
        while (p < _size) p = _tree[2 * p] >= x ? 2 * p : 2 * p + 1;
        return p - _size;
    }

    /// <summary>The largest value among positions 0..<paramref name="last"/> (-1 when all are empty).</summary>
    public int MaxPrefix(int last)
    {
        if (last < 0) return -1;
        if (last >= _size - 1) return _tree[1];
        int best = -1;
        // Walk [0, last] bottom-up.
        int lo = _size, hi = _size + last + 1;
        while (lo < hi)
        {
            if ((lo & 1) == 1) { best = Math.Max(best, _tree[lo]); lo++; }
            if ((hi & 1) == 1) { hi--; best = Math.Max(best, _tree[hi]); }
            lo >>= 1; hi >>= 1;
        }
        return best;
    }
}
