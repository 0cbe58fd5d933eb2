using System.Text;

namespace Stepwise.Trainer.Tests.Tokenizers;

/// <summary>
/// The texts the tokenizer oracle test compares: fixed kinds (English, contractions, whitespace runs, code, numbers,
/// CJK, emoji, accents, special-token strings) and seeded random mixes of letters, digits, whitespace, punctuation,
/// emoji, combining marks, supplementary-plane letters and special-token strings. Characters come from blocks
/// assigned before Unicode 14, so the Unicode versions of .NET, Node's ICU and our normalization tables agree on them.
/// U+017F (long s) is left out of the random pools: after an apostrophe Oniguruma's case folding matches it where the
/// oracle's ASCII-only folding does not (its README says so); those texts are the hand-derived cases of
/// TokenizerOracleFixture.LongSCases.
/// </summary>
public static class OracleTexts
{
    public static readonly string[] Fixed =
    {
        "Hello world", "Hello, world!", "hello world", "HELLO WORLD", " Hello world", "Hello world ", "  Hello  world  ",
        "The quick brown fox jumps over the lazy dog.", "It was the best of times, it was the worst of times.",
        "I'm", "I'M", "you're", "YOU'RE", "we've", "they'll", "she'd", "it's", "IT'S", "isn't", "don't", "can't", "won't",
        "He said 'hello' and 'goodbye'.", "rock 'n' roll", "'s 't 're 've 'm 'll 'd", "'S'T'RE'VE'M'LL'D", "o'clock", "y'all'd've",
        "dogs' bones", "’s curly apostrophe’s", "l'homme d'affaires", "''", "'", "'''s",
        "", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", "\r\n\r\n", " \n ", "\t\t\tindented", "a\u00A0b", "a\u2003b", "a\u3000b",
        "trailing spaces   ", "   leading spaces", "line one\nline two\n\nline four", "tabs\tand\tspaces  mixed \t\n",
        "word\u2028next", "para\u2029graph", "nbsp\u00A0\u00A0twice", "\u200Bzero width", "soft\u00ADhyphen", "\uFEFFbom",
        "def f(x):\n    return x * 2\n", "for (int i = 0; i < n; i++) { sum += a[i]; }", "if (a && b || !c) { return -1; }",
        "const x = {\"key\": [1, 2, 3], 'other': null};", "SELECT * FROM users WHERE id = 42;", "<div class=\"a\">text</div>",
        "https://example.com/path?q=1&r=2#frag", "user@example.com", "C:\\Users\\name\\file.txt", "#include <stdio.h>",
        "x += 1; y -= 2; z *= 3; w /= 4; v %= 5;", "a->b, c::d, e=>f, g|>h", "```python\nprint('hi')\n```", "$ ls -la | grep .cs",
        "0", "1", "12", "123", "1234", "12345", "123456789012345", "3.14159", "-42", "+7", "1,000,000", "1.000.000,50", "2024-07-26",
        "12:30:45", "100%", "$19.99", "€5", "1e10", "0x1F", "v1.2.3", "1st 2nd 3rd 4th", "٠١٢٣٤٥٦٧٨٩", "१२३", "①②③", "Ⅻ", "½ ¾",
        "数据", "你好，世界！", "机器学习是人工智能的一个分支。", "日本語のテキスト", "ひらがな カタカナ", "한국어 텍스트", "漢字かなカナ混じり文",
        "中文English混合", "「引用」『二重』", "一二三四五六七八九十",
        "🙂", "😀😃😄", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷🇩🇪", "❤️", "☺", "✓ done", "emoji 🙂 in text", "🎉🎉🎉", "a🙂b", "🏳️‍🌈",
        "naïve café résumé", "Größe", "Straße", "Ærøskøbing", "São Paulo", "Kraków", "İstanbul", "ß ẞ", "ﬁ ﬂ ﬀ", "Å Å",
        "e\u0301", "cafe\u0301", "n\u0303", "a\u0308\u0301", "\u0301 leading mark", "o\u0302\u0323", "\u1100\u1161\u11A8",
        "Ελληνικά", "Русский текст", "עברית", "العربية", "हिन्दी", "ไทย", "ქართული", "Հայերեն", "ᏣᎳᎩ",
        "𝐀𝐁𝐂 math bold", "𝟎𝟏𝟐", "𠀀𠀁", "𐐀𐐨", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        "<s>", "</s>", "<unk>", "<s>hello</s>", "hello<s>world", "<s> spaced </s>", "<|begin_of_text|>Hi", "<|endoftext|>",
        "<|im_start|>user\nhi<|im_end|>", "<start_of_turn>user\nhi<end_of_turn>", "<｜begin▁of▁sentence｜>x", "<|start|>a<|end|>",
        "<think>\nreasoning\n</think>", "<tool_call>{}</tool_call>", "<bos><eos><pad>", "<<s>>", "<s<s>>", "</s></s>",
        "\u0000null", "\u0007bell", "\u001Bescape", "\u007Fdel", "\u0085nel", "\uE000private", "\uFFFDreplacement",
    };

    /// <summary>Code points to draw from, by kind.</summary>
    private static readonly (string Name, int[] Cps)[] Pools =
    {
        ("ascii letters", Range('a', 'z').Concat(Range('A', 'Z')).ToArray()),
        ("digits", Range('0', '9').ToArray()),
        ("whitespace", new[] { ' ', ' ', ' ', ' ', '\t', '\n', '\n', '\r', 0xA0, 0x2003, 0x3000, 0x2028, 0x0B, 0x0C, 0x85, 0x1680 }),
        ("punctuation", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".Select(c => (int)c).Concat(new[] { 0x2018, 0x2019, 0x201C, 0x201D, 0x2026, 0x2014, 0xBF, 0xA1, 0x3002, 0x3001, 0xFF0C, 0xB7 }).ToArray()),
        ("latin accents", Range(0xC0, 0xFF).Where(c => c != 0xD7 && c != 0xF7).Concat(Range(0x100, 0x17E)).ToArray()),
        ("combining marks", Range(0x300, 0x36F).Concat(new[] { 0x1AB0, 0x20D0, 0x20E3, 0xFE0F, 0x200D }).ToArray()),
        ("greek cyrillic", Range(0x391, 0x3A9).Concat(Range(0x3B1, 0x3C9)).Concat(Range(0x410, 0x44F)).ToArray()),
        ("cjk", Range(0x4E00, 0x4FFF).Concat(Range(0x3041, 0x3096)).Concat(Range(0x30A1, 0x30FA)).Concat(Range(0xAC00, 0xAD00)).ToArray()),
        ("other scripts", Range(0x5D0, 0x5EA).Concat(Range(0x627, 0x64A)).Concat(Range(0x905, 0x939)).Concat(Range(0xE01, 0xE30)).Concat(Range(0x10D0, 0x10F0)).ToArray()),
        ("emoji", Range(0x1F600, 0x1F64F).Concat(Range(0x1F300, 0x1F3FA)).Concat(Range(0x1F3FB, 0x1F3FF)).Concat(new[] { 0x263A, 0x2764, 0x2705, 0x1F1EB, 0x1F1F7 }).ToArray()),
        ("supplementary letters and digits", Range(0x1D400, 0x1D433).Concat(Range(0x1D7CE, 0x1D7FF)).Concat(Range(0x20000, 0x2004F)).Concat(Range(0x10400, 0x1044F)).ToArray()),
        ("symbols and numbers", new[] { 0x2460, 0x2461, 0x216B, 0xBD, 0xB2, 0xB9, 0x2122, 0x00A9, 0x20AC, 0x00A3, 0x221E, 0x2248, 0x2192, 0x25A0, 0x2605, 0x660, 0x661, 0x967, 0xFF11, 0x2070, 0x2153 }),
        ("controls and odd", new[] { 0x00, 0x01, 0x07, 0x1B, 0x1F, 0x7F, 0xAD, 0x200B, 0xFEFF, 0xE000, 0xFFFD, 0x2060 }),
    };

    private static IEnumerable<int> Range(int from, int to) => Enumerable.Range(from, to - from + 1);

    private static readonly string[] Words =
    {
        "the", "model", "trains", "on", "records", "and", "loss", "falls", "while", "learning", "rate", "decays", "tokenizer",
        "Hello", "World", "GPU", "batch", "epoch", "I", "you", "they", "it", "don", "won", "naïve", "über", "日本", "数据",
    };

    private static readonly string[] Contractions = { "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'M", "'LL", "'D", "n't", "'" };

    /// <summary>The fixed texts, then random mixes (seeded) until there are <paramref name="count"/> texts.</summary>
    public static List<string> All(int count, IReadOnlyList<string> specialStrings, int seed = 17)
    {
        var texts = new List<string>(Fixed);
        foreach (var s in specialStrings) { texts.Add(s); texts.Add("x" + s + "y"); texts.Add(" " + s + " "); }
        var rng = new Random(seed);
        while (texts.Count < count) texts.Add(Mix(rng, specialStrings));
        return texts;
    }

    private static string Mix(Random rng, IReadOnlyList<string> specials)
    {
        var sb = new StringBuilder();
        int atoms = rng.Next(1, rng.Next(2) == 0 ? 12 : 60);
        for (int a = 0; a < atoms; a++)
        {
            int kind = rng.Next(20);
            switch (kind)
            {
                case 0 or 1 or 2: sb.Append(Words[rng.Next(Words.Length)]); break;
                case 3: sb.Append(Contractions[rng.Next(Contractions.Length)]); break;
                case 4: sb.Append(' ', rng.Next(1, 6)); break;
                case 5: if (specials.Count > 0) sb.Append(specials[rng.Next(specials.Count)]); break;
                case 6: for (int k = rng.Next(1, 8); k > 0; k--) sb.Append((char)('0' + rng.Next(10))); break;
                default:
                {
                    var pool = Pools[rng.Next(Pools.Length)].Cps;
                    for (int k = rng.Next(1, 5); k > 0; k--) sb.Append(char.ConvertFromUtf32(pool[rng.Next(pool.Length)]));
                    break;
                }
            }
        }
        return sb.ToString();
    }
}
