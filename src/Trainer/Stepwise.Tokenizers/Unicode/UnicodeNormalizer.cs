namespace Stepwise.Tokenizers.Unicode;

/// <summary>The four Unicode normalization forms.</summary>
public enum UnicodeForm { NFC, NFD, NFKC, NFKD }

/// <summary>
/// Unicode normalization (UAX #15) in managed code, from the tables in NormalizationData.g.cs. The projects run with
/// InvariantGlobalization, where string.Normalize returns its input unchanged, so the tokenizer cannot use it.
/// Besides the text, it reports for each output code point the index of the input code point it came from, which is
/// how the tokenizer keeps token offsets into the original text.
/// </summary>
public static class UnicodeNormalizer
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7, LCount = 19, VCount = 21, TCount = 28;
    private const int NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly Dictionary<int, byte> Ccc = new();
    private static readonly Dictionary<int, (bool Compat, int[] Mapping)> Decomp = new();
    private static readonly Dictionary<long, int> Compose = new();

    static UnicodeNormalizer()
    {
        var cc = NormalizationData.CombiningClasses;
        for (int i = 0; i < cc.Length; i += 3)
            for (int c = cc[i]; c <= cc[i + 1]; c++) Ccc[c] = (byte)cc[i + 2];
        var d = NormalizationData.Decompositions;
        for (int i = 0; i < d.Length;)
        {
            int cp = d[i], n = d[i + 2];
            Decomp[cp] = (d[i + 1] == 1, d.AsSpan(i + 3, n).ToArray());
            i += 3 + n;
        }
        var excluded = new HashSet<int>(NormalizationData.CompositionExclusions);
        foreach (var (cp, (compat, mapping)) in Decomp)
            if (!compat && mapping.Length == 2 && !excluded.Contains(cp)) Compose[Key(mapping[0], mapping[1])] = cp;
    }

    private static long Key(int a, int b) => ((long)a << 21) | (uint)b;

    public static int CombiningClass(int cp) => cp < 0x300 ? 0 : Ccc.TryGetValue(cp, out var c) ? c : 0;

    /// <summary>Normalizes <paramref name="input"/> (code points); <paramref name="sources"/> receives, per output code point, the input index it came from.</summary>
    public static List<int> Normalize(IReadOnlyList<int> input, UnicodeForm form, List<int> sources)
    {
        bool compat = form is UnicodeForm.NFKC or UnicodeForm.NFKD;
        var cps = new List<int>(input.Count + 8);
        sources.Clear();
        for (int i = 0; i < input.Count; i++) DecomposeInto(input[i], compat, cps, sources, i);
        // Canonical ordering: a stable sort of each run of non-starters by combining class.
        for (int i = 0; i < cps.Count; i++)
        {
            int ccc = CombiningClass(cps[i]);
            if (ccc == 0) continue;
            int j = i;
            while (j > 0 && CombiningClass(cps[j - 1]) > ccc)
            {
                (cps[j - 1], cps[j]) = (cps[j], cps[j - 1]);
                (sources[j - 1], sources[j]) = (sources[j], sources[j - 1]);
                j--;
            }
        }
        if (form is UnicodeForm.NFD or UnicodeForm.NFKD) return cps;
        return ComposeAll(cps, sources);
    }

    private static void DecomposeInto(int cp, bool compat, List<int> output, List<int> sources, int source)
    {
        if (cp >= SBase && cp < SBase + SCount)
        {
            int s = cp - SBase;
            output.Add(LBase + s / NCount); sources.Add(source);
            output.Add(VBase + s % NCount / TCount); sources.Add(source);
            if (s % TCount != 0) { output.Add(TBase + s % TCount); sources.Add(source); }
            return;
        }
        if (Decomp.TryGetValue(cp, out var d) && (compat || !d.Compat))
        {
            foreach (var m in d.Mapping) DecomposeInto(m, compat, output, sources, source);
            return;
        }
        output.Add(cp);
        sources.Add(source);
    }

    // Canonical composition as UAX #15's reference code does it: a character composes with the last starter unless a
    // character between them has class 0 or a class >= its own.
    private static List<int> ComposeAll(List<int> cps, List<int> sources)
    {
        if (cps.Count == 0) return cps;
        var outCps = new List<int>(cps.Count) { cps[0] };
        var outSrc = new List<int>(cps.Count) { sources[0] };
        int starterPos = 0;
        int lastClass = CombiningClass(cps[0]);
        if (lastClass != 0) lastClass = 256; // a leading non-starter composes with nothing
        for (int i = 1; i < cps.Count; i++)
        {
            int ch = cps[i];
            int chClass = CombiningClass(ch);
            if ((lastClass < chClass || lastClass == 0) && TryCompose(outCps[starterPos], ch, out int composite))
            {
                outCps[starterPos] = composite;
                continue;
            }
            if (chClass == 0) starterPos = outCps.Count;
            lastClass = chClass;
            outCps.Add(ch);
            outSrc.Add(sources[i]);
        }
        sources.Clear();
        sources.AddRange(outSrc);
        return outCps;
    }

    private static bool TryCompose(int a, int b, out int composite)
    {
        if (a >= LBase && a < LBase + LCount && b >= VBase && b < VBase + VCount)
        {
            composite = SBase + ((a - LBase) * VCount + (b - VBase)) * TCount;
            return true;
        }
        if (a >= SBase && a < SBase + SCount && (a - SBase) % TCount == 0 && b > TBase && b < TBase + TCount)
        {
            composite = a + (b - TBase);
            return true;
        }
        return Compose.TryGetValue(Key(a, b), out composite);
    }

    /// <summary>Convenience: normalize a string.</summary>
    public static string Normalize(string s, UnicodeForm form)
    {
        var cps = new List<int>(s.Length);
        for (int i = 0; i < s.Length;) { cps.Add(UnicodeChars.At(s, i, out int n)); i += n; }
        var outCps = Normalize(cps, form, new List<int>());
        var sb = new System.Text.StringBuilder(outCps.Count);
        foreach (var c in outCps) UnicodeChars.Append(sb, c);
        return sb.ToString();
    }
}
