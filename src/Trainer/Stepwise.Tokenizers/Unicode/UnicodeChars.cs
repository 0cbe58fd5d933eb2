using System.Globalization;
using System.Text;

namespace Stepwise.Tokenizers.Unicode;

/// <summary>
/// Character predicates with the meaning the Rust tokenizers crate gives them (Rust's char methods, the regex crate's
/// \w and \s), on code points, so supplementary-plane characters are judged as one character.
/// </summary>
public static class UnicodeChars
{
    public static UnicodeCategory Category(int cp) => CharUnicodeInfo.GetUnicodeCategory(cp);

    /// <summary>Unicode White_Space (Rust char::is_whitespace, Oniguruma and the regex crate's \s).</summary>
    public static bool IsWhiteSpace(int cp) => cp is (>= 0x09 and <= 0x0D) or 0x20 or 0x85 or 0xA0 or 0x1680
        or (>= 0x2000 and <= 0x200A) or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;

    /// <summary>Rust char::is_numeric: general category Nd, Nl or No.</summary>
    public static bool IsNumeric(int cp) => Category(cp) is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;

    /// <summary>The unicode_categories crate's is_punctuation: general category P*.</summary>
    public static bool IsPunctuation(int cp) => Category(cp) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
        or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
        or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    /// <summary>Rust char::is_ascii_punctuation.</summary>
    public static bool IsAsciiPunctuation(int cp) => cp is (>= 0x21 and <= 0x2F) or (>= 0x3A and <= 0x40) or (>= 0x5B and <= 0x60) or (>= 0x7B and <= 0x7E);

    /// <summary>General category M (unicode-normalization's is_combining_mark).</summary>
    public static bool IsMark(int cp) => Category(cp) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;

    /// <summary>General category C (unicode_categories' is_other): Cc, Cf, Cs, Co, Cn.</summary>
    public static bool IsOther(int cp) => Category(cp) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
        or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

    /// <summary>
    /// The regex crate's Unicode \w: Alphabetic, M, Nd, Pc and Join_Control. Alphabetic is L, Nl and Other_Alphabetic;
    /// the members of Other_Alphabetic outside M (circled and squared letters, Unicode 14) are listed here.
    /// </summary>
    public static bool IsWordChar(int cp)
    {
        switch (Category(cp))
        {
            case UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.LetterNumber
                or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
                or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation:
                return true;
        }
        return cp is 0x200C or 0x200D or (>= 0x24B6 and <= 0x24E9) or (>= 0x1F130 and <= 0x1F149) or (>= 0x1F150 and <= 0x1F169) or (>= 0x1F170 and <= 0x1F189);
    }

    /// <summary>The code point at <paramref name="i"/> and its UTF-16 length (1 or 2).</summary>
    public static int At(string s, int i, out int length)
    {
        char c = s[i];
        if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { length = 2; return char.ConvertToUtf32(c, s[i + 1]); }
        length = 1;
        return c;
    }

    public static void Append(StringBuilder sb, int cp)
    {
        if (cp < 0x10000) sb.Append((char)cp);
        else { sb.Append(char.ConvertFromUtf32(cp)); }
    }

    public static int Utf16Length(int cp) => cp < 0x10000 ? 1 : 2;

    public static int Utf8Length(int cp) => cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;

    /// <summary>Index of the first unpaired surrogate, or -1 (text Rust could not hold: it is not valid UTF-8).</summary>
    public static int UnpairedSurrogate(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsHighSurrogate(c)) { if (i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; } return i; }
            if (char.IsLowSurrogate(c)) return i;
        }
        return -1;
    }

    /// <summary>
    /// Rust char::to_lowercase: the full lowercase mapping. .NET's invariant casing gives the simple mapping and leaves
    /// U+0130 alone; the only unconditional multi-character lowercase mapping (SpecialCasing.txt) is U+0130.
    /// </summary>
    public static string ToLower(int cp)
    {
        if (cp == 0x130) return "i\u0307";
        return cp < 0x10000 ? char.ToLowerInvariant((char)cp).ToString() : char.ConvertFromUtf32(cp).ToLowerInvariant();
    }
}
