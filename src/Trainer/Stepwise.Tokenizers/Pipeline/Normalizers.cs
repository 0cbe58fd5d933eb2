using Stepwise.Tokenizers.Text;
using Stepwise.Tokenizers.Unicode;

namespace Stepwise.Tokenizers.Pipeline;

/// <summary>A tokenizer.json normalizer (tokenizers/src/normalizers/*.rs).</summary>
public abstract class Normalizer
{
    public abstract void Normalize(NormalizedString s);
}

public sealed class SequenceNormalizer(IReadOnlyList<Normalizer> normalizers) : Normalizer
{
    public override void Normalize(NormalizedString s) { foreach (var n in normalizers) n.Normalize(s); }
}

public sealed class UnicodeFormNormalizer(UnicodeForm form) : Normalizer
{
    public override void Normalize(NormalizedString s) => s.Normalize(form);
}

public sealed class LowercaseNormalizer : Normalizer
{
    public override void Normalize(NormalizedString s) => s.Lowercase();
}

public sealed class StripNormalizer(bool left, bool right) : Normalizer
{
    public override void Normalize(NormalizedString s) => s.Strip(left, right);
}

/// <summary>StripAccents: removes combining marks (general category M; unicode-normalization's is_combining_mark).</summary>
public sealed class StripAccentsNormalizer : Normalizer
{
    public override void Normalize(NormalizedString s) => s.Filter(cp => !UnicodeChars.IsMark(cp));
}

public sealed class ReplaceNormalizer(IPattern pattern, string content) : Normalizer
{
    public override void Normalize(NormalizedString s) => s.Replace(pattern, content);
}

/// <summary>Prepend: adds its text in front of a non-empty piece.</summary>
public sealed class PrependNormalizer(string prepend) : Normalizer
{
    public override void Normalize(NormalizedString s) { if (!s.IsEmpty) s.Prepend(prepend); }
}

/// <summary>ByteLevel as a normalizer: each character becomes the characters of its UTF-8 bytes in GPT-2's byte alphabet.</summary>
public sealed class ByteLevelNormalizer : Normalizer
{
    public override void Normalize(NormalizedString s) { if (!s.IsEmpty) ByteLevelAlphabet.Transform(s); }
}

/// <summary>Nmt (tokenizers/src/normalizers/unicode.rs do_nmt): drops some controls, maps some spaces to ' '.</summary>
public sealed class NmtNormalizer : Normalizer
{
    public override void Normalize(NormalizedString s)
    {
        s.Filter(c => !(c is (>= 0x01 and <= 0x08) or 0x0B or (>= 0x0E and <= 0x1F) or 0x7F or 0x8F or 0x9F));
        s.Map(c => c is 0x09 or 0x0A or 0x0C or 0x0D or 0x1680 or (>= 0x200B and <= 0x200F) or 0x2028 or 0x2029 or 0x2581 or 0xFEFF or 0xFFFD ? ' ' : c);
    }
}

/// <summary>BertNormalizer (tokenizers/src/normalizers/bert.rs): clean text, spaces around CJK, strip accents, lowercase.</summary>
public sealed class BertNormalizer(bool cleanText, bool handleChineseChars, bool? stripAccents, bool lowercase) : Normalizer
{
    public override void Normalize(NormalizedString s)
    {
        if (cleanText)
        {
            s.Filter(c => !(c == 0 || c == 0xFFFD || (c is not (0x09 or 0x0A or 0x0D) && UnicodeChars.IsOther(c))));
            s.Map(c => c is 0x09 or 0x0A or 0x0D || UnicodeChars.IsWhiteSpace(c) ? ' ' : c);
        }
        if (handleChineseChars) s.Expand(c => IsChinese(c) ? " " + char.ConvertFromUtf32(c) + " " : char.ConvertFromUtf32(c));
        if (stripAccents ?? lowercase)
        {
            s.Normalize(UnicodeForm.NFD);
            s.Filter(c => UnicodeChars.Category(c) != System.Globalization.UnicodeCategory.NonSpacingMark);
        }
        if (lowercase) s.Lowercase();
    }

    private static bool IsChinese(int c) => c is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
        or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B920 and <= 0x2CEAF) or (>= 0xF900 and <= 0xFAFF)
        or (>= 0x2F800 and <= 0x2FA1F);
}

/// <summary>GPT-2's byte-to-character table (the crate's bytes_char) and its inverse.</summary>
public static class ByteLevelAlphabet
{
    public static readonly char[] ByteToChar = Build();
    public static readonly Dictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, b)).ToDictionary(x => x.c, x => (byte)x.b);

    private static char[] Build()
    {
        var table = new char[256];
        var direct = new bool[256];
        for (int b = '!'; b <= '~'; b++) direct[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) direct[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) direct[b] = true;
        int n = 0;
        for (int b = 0; b < 256; b++) table[b] = direct[b] ? (char)b : (char)(256 + n++);
        return table;
    }

    /// <summary>Each character becomes its UTF-8 bytes as table characters, all aligned to it.</summary>
    public static void Transform(NormalizedString s)
    {
        string text = s.Text;
        var b = s.NewBuilder(text.Length * 2);
        Span<byte> buf = stackalloc byte[4];
        for (int i = 0; i < text.Length;)
        {
            int cp = UnicodeChars.At(text, i, out int n);
            if (cp < 0x80) b.Add(ByteToChar[cp], i);
            else
            {
                int len = System.Text.Encoding.UTF8.GetBytes(text.AsSpan(i, n), buf);
                for (int k = 0; k < len; k++) b.Add(ByteToChar[buf[k]], i);
            }
            i += n;
        }
        s.Apply(b);
    }
}
