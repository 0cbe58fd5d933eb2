using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

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
    public int First => IsEmpty ? -1 : Indices().First();
    public int Last => IsEmpty ? -1 : Indices().Last();

    /// <summary>Parses "0-5,7,9-12".</summary>
    public static ReleaseSet Parse(string text)
    {
        ulong bits = 0;
        foreach (var part in text.Split(','))
        {
            if (part.Length == 0) continue;
            int dash = part.IndexOf('-');
            int a = int.Parse(dash < 0 ? part : part.Substring(0, dash), CultureInfo.InvariantCulture);
            int b = dash < 0 ? a : int.Parse(part.Substring(dash + 1), CultureInfo.InvariantCulture);
            if (a < 0 || b > 63 || a > b) throw new FormatException($"release range '{part}' out of 0-63");
            for (int i = a; i <= b; i++) bits |= 1UL << i;
        }
        return new ReleaseSet(bits);
    }

    public bool Equals(ReleaseSet other) => Bits == other.Bits;
    public override bool Equals(object? obj) => obj is ReleaseSet r && Equals(r);
    public override int GetHashCode() => Bits.GetHashCode();
}
