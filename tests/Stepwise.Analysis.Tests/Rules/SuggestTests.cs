using Stepwise.Core.Keys;
using Stepwise.Core.Model;
using Stepwise.Core.Rules;

namespace Stepwise.Analysis.Tests.Rules;

/// <summary>"Did you mean" skips candidates by cheap lower bounds (length, character counts); it must pick exactly what
/// comparing every candidate by full edit distance picks.</summary>
public class SuggestTests
{
    private static string? Naive(string written, IReadOnlyList<string> candidates)
    {
        string Norm(string s) => s.ToLowerInvariant().Replace('-', '_');
        var w = Norm(written);
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            if (c == written) return null;
            int d = Suggest.Distance(w, Norm(c));
            if (d < bestDistance || (d == bestDistance && best is not null && string.CompareOrdinal(c, best) < 0)) { best = c; bestDistance = d; }
        }
        return best is not null && bestDistance <= Math.Max(2, w.Length / 3) ? best : null;
    }

    [Fact]
    public void Closest_equals_the_full_comparison_on_mutated_key_names()
    {
        var known = KeyTable.SpellingsOf(Dialect.Hf).Concat(KeyTable.SpellingsOf(Dialect.Axolotl)).Distinct().OrderBy(k => k, StringComparer.Ordinal).ToList();
        var rng = new Random(12);
        const string alphabet = "abcdefghijklmnopqrstuvwxyz_-ABC0123";
        for (int i = 0; i < 1000; i++)
        {
            var chars = known[rng.Next(known.Count)].ToCharArray().ToList();
            for (int e = rng.Next(0, 5); e > 0 && chars.Count > 1; e--)
            {
                int at = rng.Next(chars.Count);
                switch (rng.Next(4))
                {
                    case 0: chars.RemoveAt(at); break;
                    case 1: chars.Insert(at, alphabet[rng.Next(alphabet.Length)]); break;
                    case 2: chars[at] = alphabet[rng.Next(alphabet.Length)]; break;
                    default: if (at + 1 < chars.Count) (chars[at], chars[at + 1]) = (chars[at + 1], chars[at]); break;
                }
            }
            var written = new string(chars.ToArray());
            Assert.Equal(Naive(written, known), Suggest.Closest(written, known));
        }
    }

    [Theory]
    [InlineData("per_device_train_bach_size", "per_device_train_batch_size")]
    [InlineData("Learning-Rate", "learning_rate")]
    [InlineData("zzzzzzzzzzzz", null)]
    public void Closest_examples(string written, string? expected) =>
        Assert.Equal(expected, Suggest.Closest(written, KeyTable.SpellingsOf(Dialect.Hf).ToList()));
}
