using System;
using System.Collections.Generic;
using System.Linq;

namespace Stepwise.Core.Rules;

/// <summary>"Did you mean": the closest known spelling by edit distance (Levenshtein, case-insensitive).</summary>
public static class Suggest
{
    /// <summary>The nearest candidate within a distance that still reads as a typo (a third of the word, at least 2),
    /// or a candidate equal but for case or '-'/'_'; null when nothing is that close.</summary>
    public static string? Closest(string written, IEnumerable<string> candidates)
    {
        if (string.IsNullOrEmpty(written)) return null;
        var w = Norm(written);
        int limit = Math.Max(2, w.Length / 3);
        var histogram = new int[128];
        foreach (var ch in w) histogram[ch & 127]++;
        ulong mask = Letters(w);
        int[]? rows = null;
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            if (c == written) return null;
            // Cheap lower bounds first (SW9003 asks this for every unknown key against hundreds of known ones): the
            // distance is at least the difference in length, and at least half the characters the two do not share.
            if (Math.Abs(c.Length - w.Length) > limit) continue;
            var n = Norm(c);
            int bound = Math.Min(limit, bestDistance);
            // An edit adds or removes at most two distinct characters: half the characters only one of them has is a bound.
            if ((PopCount(mask ^ Letters(n)) + 1) / 2 > bound) continue;
            if (!WithinByCharacters(histogram, w.Length, n, bound)) continue;
            rows ??= new int[3 * 64];
            int d = Distance(w, n, ref rows);
            if (d < bestDistance || (d == bestDistance && best is not null && string.CompareOrdinal(c, best) < 0)) { best = c; bestDistance = d; }
        }
        if (best is null) return null;
        return bestDistance <= limit ? best : null;
    }

    /// <summary>Which characters occur (folded onto 64 bits; a collision only weakens the bound).</summary>
    private static ulong Letters(string s)
    {
        ulong m = 0;
        foreach (var ch in s) m |= 1UL << (ch & 63);
        return m;
    }

    private static int PopCount(ulong x)
    {
        int n = 0;
        while (x != 0) { x &= x - 1; n++; }
        return n;
    }

    private static string Norm(string s)
    {
        foreach (var ch in s)
            if (ch == '-' || char.IsUpper(ch)) return s.ToLowerInvariant().Replace('-', '_');
        return s;
    }

    /// <summary>Whether the character counts leave the distance possibly within <paramref name="limit"/>: every edit
    /// changes the sum of count differences by at most 2 (a swap by 0).</summary>
    private static bool WithinByCharacters(int[] histogram, int length, string other, int limit)
    {
        foreach (var ch in other) histogram[ch & 127]--;
        int sum = 0;
        for (int i = 0; i < histogram.Length; i++) sum += Math.Abs(histogram[i]);
        foreach (var ch in other) histogram[ch & 127]++; // restore the written word's counts
        return (sum + 1) / 2 <= limit;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1.</summary>
    public static int Distance(string a, string b)
    {
        int[]? rows = null;
        return Distance(a, b, ref rows);
    }

    private static int Distance(string a, string b, ref int[]? rows)
    {
        // Three rows of the dynamic-programming table (the swap looks two rows back), in one reused buffer:
        // row r lives at offset r * width.
        int width = b.Length + 1;
        if (rows is null || rows.Length < 3 * width) rows = new int[3 * Math.Max(width, 64)];
        var m = rows;
        int prev2 = 0, prev = width, cur = 2 * width;
        for (int j = 0; j < width; j++) m[prev + j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            m[cur] = i;
            for (int j = 1; j < width; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                int v = Math.Min(Math.Min(m[prev + j] + 1, m[cur + j - 1] + 1), m[prev + j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) v = Math.Min(v, m[prev2 + j - 2] + 1);
                m[cur + j] = v;
            }
            int t = prev2; prev2 = prev; prev = cur; cur = t;
        }
        return m[prev + b.Length];
    }
}
