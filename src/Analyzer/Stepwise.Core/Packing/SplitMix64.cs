namespace Stepwise.Core.Packing;

/// <summary>A small deterministic generator (SplitMix64) for the simulated shuffles: the same answer on every run.</summary>
internal sealed class SplitMix64
{
    private ulong _state;
    public SplitMix64(ulong seed) { _state = seed; }

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n) (rejection against modulo bias).</summary>
    public int NextInt(int n)
    {
        ulong bound = (ulong)n, limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong r;
        do r = Next(); while (r >= limit);
        return (int)(r % bound);
    }

    public void Shuffle(int[] a)
    {
        for (int i = a.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
    }
}
