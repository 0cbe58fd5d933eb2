using System;
using System.Collections.Generic;

namespace Stepwise.Core.Keys.Upstream;

/// <summary>A set of release indices of one library (at most 64 releases per library).</summary>
public readonly struct ReleaseSet : IEquatable<ReleaseSet>
{
    public ReleaseSet(ulong bits) { Bits = bits; }
    public ulong Bits { get; }
    public bool Contains(int index) => index is >= 0 and < 64 && (Bits & (1UL << index)) != 0;
    public bool IsEmpty => Bits == 0;
    public ReleaseSet Union(ReleaseSet other) => new(Bits | other.Bits);
    public IEnumerable<int> Indices() { for (int i = 0; i < 64; i++) if (Contains(i)) yield return i; }
    public int First { get { for (int i = 0; i < 64; i++) if (Contains(i)) return i; return -1; } }
    public int Last { get { for (int i = 63; i >= 0; i--) if (Contains(i)) return i; return -1; } }

    /// <summary>Parses "0-5,7,9-12" (one pass, no allocation: every field line of the key data has one).</summary>
    public static ReleaseSet Parse(string text)
    {
        ulong bits = 0;
        int i = 0;
        while (i < text.Length)
        {
            if (text[i] == ',') { i++; continue; }
            int a = Number(text, ref i), b = a;
            if (i < text.Length && text[i] == '-') { i++; b = Number(text, ref i); }
            if (i < text.Length && text[i] != ',') throw new FormatException($"release range '{text}': unexpected '{text[i]}'");
            if (a > b || b > 63) throw new FormatException($"release range '{text}' out of 0-63");
            for (int k = a; k <= b; k++) bits |= 1UL << k;
        }
        return new ReleaseSet(bits);
    }

    private static int Number(string text, ref int i)
    {
        int start = i, n = 0;
        while (i < text.Length && text[i] >= '0' && text[i] <= '9' && i - start < 3) n = n * 10 + (text[i++] - '0');
        if (i == start) throw new FormatException($"release range '{text}': a number expected at {start}");
        return n;
    }

    public bool Equals(ReleaseSet other) => Bits == other.Bits;
    public override bool Equals(object? obj) => obj is ReleaseSet r && Equals(r);
    public override int GetHashCode() => Bits.GetHashCode();
}
