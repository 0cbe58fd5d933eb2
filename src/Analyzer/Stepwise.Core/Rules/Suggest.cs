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
        string Norm(string s) => s.ToLowerInvariant().Replace('-', '_');
        var w = Norm(written);
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in candidates.Distinct(StringComparer.Ordinal))
        {
            if (c == written) return null;
            int d = Distance(w, Norm(c));
            if (d < bestDistance || (d == bestDistance && best is not null && string.CompareOrdinal(c, best) < 0)) { best = c; bestDistance = d; }
        }
        if (best is null) return null;
        int limit = Math.Max(2, w.Length / 3);
        return bestDistance <= limit ? best : null;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
