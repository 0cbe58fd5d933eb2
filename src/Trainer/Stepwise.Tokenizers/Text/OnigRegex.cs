using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Stepwise.Tokenizers.Unicode;

namespace Stepwise.Tokenizers.Text;

/// <summary>A regex construct the translation cannot reproduce with Oniguruma's meaning.</summary>
public sealed class OnigRegexException : Exception
{
    public OnigRegexException(string message) : base(message) { }
}

/// <summary>
/// A tokenizer.json regex with the meaning the Rust crate gives it: Oniguruma (the onig crate, ONIG_SYNTAX_ONIGURUMA,
/// UTF-8) searched the way onig's FindMatches iterates (tokenizers/src/utils/onig.rs, tokenizers/src/tokenizer/pattern.rs).
/// The pattern is translated into a .NET regex construct by construct; what has no exact .NET counterpart is refused
/// with its name, never approximated:
/// <list type="bullet">
/// <item>.NET regexes see UTF-16 units, Oniguruma sees code points: a supplementary-plane character would be two
/// surrogates of category Cs to .NET. Before matching, each one is replaced by a BMP character of the same general
/// category that no literal of the pattern mentions, so classes, \p{..}, counted repeats and lookarounds see one
/// character of the right kind; offsets are mapped back.</item>
/// <item>(?i:..) is Unicode case folding in Oniguruma: 's' also matches U+017F and 'k' U+212A (its unfold table), and
/// "ss", "st", "ff", "fi", "fl" match one-character ligatures. Letters are expanded to their fold sets; groups whose
/// literals could take part in a multi-character fold, non-ASCII letters, classes and properties under (?i) are refused.</item>
/// <item>Possessive X?+ X*+ X++ become atomic groups; an interval followed by + or * repeats the interval (this syntax
/// has no possessive interval), and X{n}? is (X{n})? (ONIG_SYN_FIXED_INTERVAL_IS_GREEDY_ONLY).</item>
/// <item>\s is White_Space (.NET's \s is the same set), \d is Nd, \h is [0-9A-Fa-f].</item>
/// <item>Refused: ^ $ \A \z \Z \b \B \w \W \G \K \R \X, backreferences, octal escapes, nested classes, class
/// intersections, POSIX brackets, script and binary properties, absent and conditional groups, inline option flags.</item>
/// </list>
/// A literal pattern ({"String": ...}) is searched as the crate does, as the regex of its escaped text.
/// </summary>
public sealed class OnigRegex : IPattern
{
    private readonly Regex? _regex;
    private readonly string? _literal;
    private readonly char[] _representative = new char[32];

    public string Source { get; }
    /// <summary>The .NET pattern it was translated to (null for a literal).</summary>
    public string? Translated { get; }

    private OnigRegex(string source, string? translated, string? literal, List<(int Lo, int Hi)> literals)
    {
        Source = source; Translated = translated; _literal = literal;
        if (translated is not null)
        {
            _regex = new Regex(translated, RegexOptions.CultureInvariant | RegexOptions.Compiled);
            PickRepresentatives(literals);
        }
    }

    public static OnigRegex Literal(string text) => new(text, null, text, new List<(int, int)>());

    /// <summary>Translates an Oniguruma pattern; throws <see cref="OnigRegexException"/> naming what it cannot reproduce.</summary>
    public static OnigRegex Compile(string pattern)
    {
        var t = new Translator(pattern);
        string translated = t.Translate();
        try { return new OnigRegex(pattern, translated, null, t.Literals); }
        catch (ArgumentException e) { throw new OnigRegexException($"the translated pattern does not compile in .NET ({e.Message})"); }
    }

    private void PickRepresentatives(List<(int Lo, int Hi)> literals)
    {
        bool Mentioned(int c) { foreach (var (lo, hi) in literals) if (c >= lo && c <= hi) return true; return false; }
        for (int c = 0x21; c < 0x10000; c++)
        {
            if (c is >= 0xD800 and <= 0xDFFF) continue;
            int k = (int)CharUnicodeInfo.GetUnicodeCategory(c);
            if (_representative[k] != 0 || UnicodeChars.IsWhiteSpace(c) || Mentioned(c)) continue;
            _representative[k] = (char)c;
        }
    }

    public void FindMatches(string text, List<SplitRange> result)
    {
        if (text.Length == 0) { result.Add(new SplitRange(0, 0, false)); return; }
        string subject = text;
        int[]? map = null;
        if (_regex is not null && HasSurrogate(text)) (subject, map) = Substitute(text);
        int prev = 0, lastEnd = 0, lastMatchEnd = -1;
        void Emit(int s, int e)
        {
            int os = map is null ? s : map[s], oe = map is null ? e : map[e];
            if (prev != os) result.Add(new SplitRange(prev, os, false));
            result.Add(new SplitRange(os, oe, true));
            prev = oe;
        }
        if (_regex is not null)
        {
            // While every match is non-empty, .NET's own iteration visits the same matches as onig's (each search starts
            // where the last match ended) without allocating; at the first empty match the loop below takes over.
            bool empty = false;
            foreach (var m in _regex.EnumerateMatches(subject))
            {
                if (m.Length == 0) { empty = true; break; }
                lastEnd = lastMatchEnd = m.Index + m.Length;
                Emit(m.Index, lastEnd);
            }
            if (!empty) { if (prev != text.Length) result.Add(new SplitRange(prev, text.Length, false)); return; }
        }
        while (lastEnd <= subject.Length)
        {
            int s, e;
            if (_regex is not null)
            {
                var m = _regex.Match(subject, lastEnd);
                if (!m.Success) break;
                s = m.Index; e = m.Index + m.Length;
            }
            else
            {
                s = _literal!.Length == 0 ? lastEnd : subject.IndexOf(_literal, lastEnd, StringComparison.Ordinal);
                if (s < 0) break;
                e = s + _literal.Length;
            }
            // onig's FindMatches: an empty match right where the previous match ended is skipped by one character.
            if (s == e && lastMatchEnd == e)
            {
                lastEnd += map is null && lastEnd < subject.Length && char.IsHighSurrogate(subject[lastEnd]) ? 2 : 1;
                continue;
            }
            lastEnd = e; lastMatchEnd = e;
            Emit(s, e);
        }
        if (prev != text.Length) result.Add(new SplitRange(prev, text.Length, false));
    }

    private static bool HasSurrogate(string s)
    {
        foreach (char c in s) if (char.IsSurrogate(c)) return true;
        return false;
    }

    private (string Subject, int[] Map) Substitute(string text)
    {
        var sb = new StringBuilder(text.Length);
        var map = new List<int>(text.Length + 1);
        for (int i = 0; i < text.Length;)
        {
            int cp = UnicodeChars.At(text, i, out int n);
            map.Add(i);
            sb.Append(n == 1 ? (char)cp : _representative[(int)CharUnicodeInfo.GetUnicodeCategory(cp)]);
            i += n;
        }
        map.Add(text.Length);
        return (sb.ToString(), map.ToArray());
    }

    private enum Kind { Literal, Set, Group, Lookaround }

    private sealed class Translator
    {
        private readonly string _p;
        private int _i;
        private bool _fold;
        public readonly List<(int Lo, int Hi)> Literals = new();

        public Translator(string pattern) => _p = pattern;

        public string Translate()
        {
            string s = Alternation();
            if (_i < _p.Length) throw Fail($"unmatched ')' at {_i}");
            return s;
        }

        private OnigRegexException Fail(string what) => new(what);

        private string Alternation()
        {
            var sb = new StringBuilder(Sequence());
            while (_i < _p.Length && _p[_i] == '|') { _i++; sb.Append('|').Append(Sequence()); }
            return sb.ToString();
        }

        private string Sequence()
        {
            var sb = new StringBuilder();
            int previousLiteral = -1;
            while (_i < _p.Length && _p[_i] != '|' && _p[_i] != ')')
            {
                var (atom, kind, literal) = Atom();
                if (_fold)
                {
                    // Oniguruma folds strings with multi-character foldings (U+00DF ~ "ss", U+FB01 ~ "fi", ...).
                    if (literal >= 0 && previousLiteral >= 0)
                    {
                        string pair = $"{char.ToLowerInvariant((char)previousLiteral)}{char.ToLowerInvariant((char)literal)}";
                        if (pair is "ss" or "st" or "ff" or "fi" or "fl")
                            throw Fail($"(?i) on the letters \"{pair}\", which Oniguruma also matches as one ligature or sharp s (multi-character case folding)");
                    }
                    previousLiteral = literal;
                }
                sb.Append(Quantified(atom, kind));
            }
            return sb.ToString();
        }

        private string Quantified(string atom, Kind kind)
        {
            if (_i >= _p.Length) return atom;
            char c = _p[_i];
            string q;
            bool interval = false, fixedInterval = false;
            if (c is '?' or '*' or '+') { q = c.ToString(); _i++; }
            else if (c == '{' && TryInterval(out q, out fixedInterval)) interval = true;
            else return atom;
            if (kind == Kind.Lookaround) throw Fail("a quantified look-around");
            string result;
            char next = _i < _p.Length ? _p[_i] : '\0';
            if (next == '?')
            {
                _i++;
                result = interval && fixedInterval ? $"(?:{atom}{q})?" : $"{atom}{q}?";
            }
            else if (next == '+')
            {
                _i++;
                result = interval ? $"(?:{atom}{q})+" : $"(?>{atom}{q})";
            }
            else if (next == '*' && interval) { _i++; result = $"(?:{atom}{q})*"; }
            else result = atom + q;
            if (_i < _p.Length && (_p[_i] is '?' or '*' or '+' || (_p[_i] == '{' && LooksLikeInterval())))
                throw Fail($"stacked quantifiers at {_i}");
            return result;
        }

        private bool LooksLikeInterval()
        {
            int save = _i;
            bool ok = TryInterval(out _, out _);
            _i = save;
            return ok;
        }

        /// <summary>{n} {n,} {n,m} {,m} (ONIG_SYN_ALLOW_INTERVAL_LOW_ABBREV); anything else is a literal brace.</summary>
        private bool TryInterval(out string q, out bool fixedInterval)
        {
            q = ""; fixedInterval = false;
            int j = _i + 1;
            int lo = -1, hi = -1;
            int start = j;
            while (j < _p.Length && char.IsAsciiDigit(_p[j])) j++;
            if (j > start) lo = int.Parse(_p[start..j], CultureInfo.InvariantCulture);
            if (j < _p.Length && _p[j] == '}')
            {
                if (lo < 0) return false;
                q = $"{{{lo}}}"; fixedInterval = true; _i = j + 1; return true;
            }
            if (j >= _p.Length || _p[j] != ',') return false;
            j++;
            int s2 = j;
            while (j < _p.Length && char.IsAsciiDigit(_p[j])) j++;
            if (j > s2) hi = int.Parse(_p[s2..j], CultureInfo.InvariantCulture);
            if (j >= _p.Length || _p[j] != '}') return false;
            if (lo < 0 && hi < 0) return false;
            if (lo < 0) lo = 0;
            if (hi >= 0 && hi < lo) throw Fail($"interval {{{lo},{hi}}} with upper < lower");
            q = hi < 0 ? $"{{{lo},}}" : $"{{{lo},{hi}}}";
            _i = j + 1;
            return true;
        }

        private (string Atom, Kind Kind, int Literal) Atom()
        {
            char c = _p[_i];
            switch (c)
            {
                case '(': return (Group(out var kind), kind, -1);
                case '[': if (_fold) throw Fail("a character class under (?i)"); return (Class(), Kind.Set, -1);
                case '.': _i++; return (".", Kind.Set, -1);
                case '^': throw Fail("the line anchor ^");
                case '$': throw Fail("the line anchor $");
                case '\\': return Escape();
                case '?' or '*' or '+': throw Fail($"a quantifier with nothing to repeat at {_i}");
                case '{':
                    if (LooksLikeInterval()) throw Fail($"a quantifier with nothing to repeat at {_i}");
                    _i++;
                    return LiteralAtom('{');
                default:
                {
                    int cp = UnicodeChars.At(_p, _i, out int n);
                    _i += n;
                    return LiteralAtom(cp);
                }
            }
        }

        private (string, Kind, int) LiteralAtom(int cp)
        {
            if (cp >= 0x10000) throw Fail($"the supplementary-plane literal U+{cp:X}");
            if (_fold)
            {
                if (char.IsAsciiLetter((char)cp))
                {
                    int lower = char.ToLowerInvariant((char)cp), upper = char.ToUpperInvariant((char)cp);
                    var set = new List<int> { lower, upper };
                    if (lower == 's') set.Add(0x17F);   // LATIN SMALL LETTER LONG S folds to s (Oniguruma unfold table)
                    if (lower == 'k') set.Add(0x212A);  // KELVIN SIGN folds to k
                    foreach (var x in set) Literals.Add((x, x));
                    return ("[" + string.Concat(set.Select(Esc)) + "]", Kind.Literal, cp);
                }
                if (cp >= 0x80 && UnicodeChars.Category(cp) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
                        or UnicodeCategory.TitlecaseLetter or UnicodeCategory.LetterNumber or UnicodeCategory.OtherSymbol
                        or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.NonSpacingMark)
                    throw Fail($"(?i) on the non-ASCII character U+{cp:X4}");
            }
            Literals.Add((cp, cp));
            return (Esc(cp), Kind.Literal, cp);
        }

        private static string Esc(int cp) => cp < 0x80 && char.IsAsciiLetterOrDigit((char)cp) ? ((char)cp).ToString() : $"\\u{cp:X4}";

        private string Group(out Kind kind)
        {
            _i++; // (
            kind = Kind.Group;
            string open;
            bool saveFold = _fold;
            if (_i < _p.Length && _p[_i] == '?')
            {
                string rest = _p[_i..];
                if (rest.StartsWith("?:", StringComparison.Ordinal)) { open = "(?:"; _i += 2; }
                else if (rest.StartsWith("?=", StringComparison.Ordinal)) { open = "(?="; _i += 2; kind = Kind.Lookaround; }
                else if (rest.StartsWith("?!", StringComparison.Ordinal)) { open = "(?!"; _i += 2; kind = Kind.Lookaround; }
                else if (rest.StartsWith("?<=", StringComparison.Ordinal)) { open = "(?<="; _i += 3; kind = Kind.Lookaround; }
                else if (rest.StartsWith("?<!", StringComparison.Ordinal)) { open = "(?<!"; _i += 3; kind = Kind.Lookaround; }
                else if (rest.StartsWith("?>", StringComparison.Ordinal)) { open = "(?>"; _i += 2; }
                else if (rest.StartsWith("?i:", StringComparison.Ordinal)) { open = "(?:"; _i += 3; _fold = true; }
                else if (rest.StartsWith("?-i:", StringComparison.Ordinal)) { open = "(?:"; _i += 4; _fold = false; }
                else if (rest.Length > 2 && rest[1] == '<' && (char.IsAsciiLetter(rest[2]) || rest[2] == '_'))
                {
                    int close = rest.IndexOf('>');
                    if (close < 0) throw Fail("an unterminated group name");
                    open = "(?:"; _i += close + 1;
                }
                else throw Fail($"the group construct ({(rest.Length > 3 ? rest[..3] : rest)} at {_i - 1}");
            }
            else open = "(?:";
            string inner = Alternation();
            if (_i >= _p.Length || _p[_i] != ')') throw Fail("a group without its ')'");
            _i++;
            _fold = saveFold;
            return open + inner + ")";
        }

        private (string, Kind, int) Escape()
        {
            _i++; // backslash
            if (_i >= _p.Length) throw Fail("a trailing backslash");
            char e = _p[_i];
            switch (e)
            {
                case 's': _i++; return ("\\s", Kind.Set, -1);
                case 'S': _i++; return ("\\S", Kind.Set, -1);
                case 'd': _i++; return ("\\p{Nd}", Kind.Set, -1);
                case 'D': _i++; return ("\\P{Nd}", Kind.Set, -1);
                case 'h': _i++; Literals.Add(('0', '9')); Literals.Add(('A', 'F')); Literals.Add(('a', 'f')); return ("[0-9A-Fa-f]", Kind.Set, -1);
                case 'H': _i++; Literals.Add(('0', '9')); Literals.Add(('A', 'F')); Literals.Add(('a', 'f')); return ("[^0-9A-Fa-f]", Kind.Set, -1);
                case 'p' or 'P':
                    if (_fold) throw Fail("a Unicode property under (?i)");
                    return (Property(), Kind.Set, -1);
            }
            int cp = EscapedCodePoint(inClass: false);
            return LiteralAtom(cp);
        }

        /// <summary>An escape that stands for one code point (the backslash consumed, _i at the letter).</summary>
        private int EscapedCodePoint(bool inClass)
        {
            char e = _p[_i];
            switch (e)
            {
                case 't': _i++; return 0x09;
                case 'n': _i++; return 0x0A;
                case 'r': _i++; return 0x0D;
                case 'f': _i++; return 0x0C;
                case 'v': _i++; return 0x0B;
                case 'a': _i++; return 0x07;
                case 'e': _i++; return 0x1B;
                case 'b' when inClass: _i++; return 0x08;
                case 'x':
                {
                    _i++;
                    if (_i < _p.Length && _p[_i] == '{')
                    {
                        int close = _p.IndexOf('}', _i);
                        if (close < 0) throw Fail("an unterminated \\x{...}");
                        string hex = _p[(_i + 1)..close].Trim();
                        if (hex.Length is 0 or > 8 || !int.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int v) || v > 0x10FFFF)
                            throw Fail($"the escape \\x{{{hex}}}");
                        _i = close + 1;
                        return v;
                    }
                    int j = _i;
                    while (j < _p.Length && j < _i + 2 && char.IsAsciiHexDigit(_p[j])) j++;
                    if (j == _i) throw Fail("\\x without hex digits");
                    int value = int.Parse(_p[_i..j], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    _i = j;
                    return value;
                }
                case 'u':
                {
                    _i++;
                    if (_i + 4 > _p.Length || !int.TryParse(_p.AsSpan(_i, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int v))
                        throw Fail("\\u without four hex digits");
                    _i += 4;
                    return v;
                }
            }
            if (char.IsAsciiDigit(e)) throw Fail($"the backreference or octal escape \\{e}");
            if (char.IsAsciiLetter(e)) throw Fail($"the escape \\{e}");
            int cp = UnicodeChars.At(_p, _i, out int n);
            _i += n;
            return cp;
        }

        private string Property()
        {
            bool negated = _p[_i] == 'P';
            _i++;
            if (_i >= _p.Length || _p[_i] != '{') throw Fail("\\p without {name}");
            int close = _p.IndexOf('}', _i);
            if (close < 0) throw Fail("an unterminated \\p{...}");
            string name = _p[(_i + 1)..close];
            _i = close + 1;
            if (name.StartsWith('^')) { negated = !negated; name = name[1..]; }
            string key = name.Replace("_", "").Replace(" ", "").Replace("-", "").ToLowerInvariant();
            string? gc = key switch
            {
                "l" or "letter" => "L", "lu" or "uppercaseletter" => "Lu", "ll" or "lowercaseletter" => "Ll",
                "lt" or "titlecaseletter" => "Lt", "lm" or "modifierletter" => "Lm", "lo" or "otherletter" => "Lo",
                "m" or "mark" or "combiningmark" => "M", "mn" or "nonspacingmark" => "Mn", "mc" or "spacingmark" => "Mc",
                "me" or "enclosingmark" => "Me", "n" or "number" => "N", "nd" or "decimalnumber" => "Nd",
                "nl" or "letternumber" => "Nl", "no" or "othernumber" => "No", "p" or "punctuation" => "P",
                "pc" or "connectorpunctuation" => "Pc", "pd" or "dashpunctuation" => "Pd", "ps" or "openpunctuation" => "Ps",
                "pe" or "closepunctuation" => "Pe", "pi" or "initialpunctuation" => "Pi", "pf" or "finalpunctuation" => "Pf",
                "po" or "otherpunctuation" => "Po", "s" or "symbol" => "S", "sm" or "mathsymbol" => "Sm",
                "sc" or "currencysymbol" => "Sc", "sk" or "modifiersymbol" => "Sk", "so" or "othersymbol" => "So",
                "z" or "separator" => "Z", "zs" or "spaceseparator" => "Zs", "zl" or "lineseparator" => "Zl",
                "zp" or "paragraphseparator" => "Zp", "c" or "other" => "C", "cc" or "control" => "Cc",
                "cf" or "format" => "Cf", "co" or "privateuse" => "Co", "cn" or "unassigned" => "Cn",
                _ => null,
            };
            if (gc is null) throw Fail($"the property \\p{{{name}}} (only general categories are translated)");
            return $"\\{(negated ? 'P' : 'p')}{{{gc}}}";
        }

        private string Class()
        {
            _i++; // [
            var sb = new StringBuilder("[");
            if (_i < _p.Length && _p[_i] == '^') { sb.Append('^'); _i++; }
            bool first = true;
            while (true)
            {
                if (_i >= _p.Length) throw Fail("a character class without its ']'");
                char c = _p[_i];
                if (c == ']' && !first) { _i++; break; }
                if (c == '[') throw Fail("a nested character class or POSIX bracket");
                if (c == '&' && _i + 1 < _p.Length && _p[_i + 1] == '&') throw Fail("a character class intersection (&&)");
                first = false;
                string? set = null;
                int lo;
                if (c == '\\')
                {
                    _i++;
                    if (_i >= _p.Length) throw Fail("a trailing backslash");
                    char e = _p[_i];
                    switch (e)
                    {
                        case 's': set = "\\s"; _i++; break;
                        case 'S': set = "\\S"; _i++; break;
                        case 'd': set = "\\p{Nd}"; _i++; break;
                        case 'D': set = "\\P{Nd}"; _i++; break;
                        case 'h': set = "0-9A-Fa-f"; _i++; Literals.Add(('0', '9')); Literals.Add(('A', 'F')); Literals.Add(('a', 'f')); break;
                        case 'p' or 'P': set = Property(); break;
                        case 'H' or 'w' or 'W': throw Fail($"\\{e} inside a character class");
                    }
                    lo = set is null ? EscapedCodePoint(inClass: true) : -1;
                }
                else
                {
                    lo = UnicodeChars.At(_p, _i, out int n);
                    _i += n;
                }
                if (set is not null) { sb.Append(set); continue; }
                if (lo >= 0x10000) throw Fail($"the supplementary-plane literal U+{lo:X} in a class");
                int hi = lo;
                if (_i + 1 < _p.Length && _p[_i] == '-' && _p[_i + 1] != ']')
                {
                    _i++;
                    if (_p[_i] == '[') throw Fail("a nested character class");
                    if (_p[_i] == '\\')
                    {
                        _i++;
                        if (_i >= _p.Length) throw Fail("a trailing backslash");
                        if (_p[_i] is 's' or 'S' or 'd' or 'D' or 'h' or 'H' or 'p' or 'P' or 'w' or 'W') throw Fail("a class range ending in a set");
                        hi = EscapedCodePoint(inClass: true);
                    }
                    else { hi = UnicodeChars.At(_p, _i, out int n); _i += n; }
                    if (hi >= 0x10000) throw Fail($"the supplementary-plane literal U+{hi:X} in a class");
                    if (hi < lo) throw Fail($"the empty class range U+{lo:X4}-U+{hi:X4}");
                    sb.Append($"\\u{lo:X4}-\\u{hi:X4}");
                }
                else sb.Append($"\\u{lo:X4}");
                Literals.Add((lo, hi));
            }
            sb.Append(']');
            return sb.ToString();
        }
    }
}
