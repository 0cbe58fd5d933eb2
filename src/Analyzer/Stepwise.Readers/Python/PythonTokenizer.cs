using System.Globalization;
using Stepwise.Core.Text;

namespace Stepwise.Readers.Python;

public enum TokenKind
{
    Name,
    Number,
    String,
    Op,
    /// <summary>End of a logical line (outside brackets, not continued by a backslash).</summary>
    Newline,
    Comment,
    /// <summary>A character Python does not accept ($, ?, a stray backslash...); reported as SW9001.</summary>
    Error,
    EndOfFile,
}

[Flags]
public enum StringFlags
{
    None = 0,
    Raw = 1,
    Bytes = 2,
    Format = 4,
    Unicode = 8,
    Triple = 16,
    Unterminated = 32,
    /// <summary>A t-string (Python 3.14 template): like an f-string, never a plain value.</summary>
    Template = 64,
    /// <summary>An f-string with at least one replacement field ({x}); its value is only known at run time.</summary>
    HasFields = 128,
}

/// <summary>One token: its kind, where it is (UTF-16 offsets into the source) and, for strings, how it was written.</summary>
public readonly record struct Token(TokenKind Kind, int Start, int End, StringFlags Flags = StringFlags.None, int PrefixLength = 0)
{
    public int Length => End - Start;
    public string Text(string source) => source.Substring(Start, End - Start);
    public bool Is(string source, string op) => End - Start == op.Length && string.CompareOrdinal(source, Start, op, 0, op.Length) == 0;
    /// <summary>For strings: where the content starts (after prefix and opening quotes).</summary>
    public int ContentStart => Start + PrefixLength + ((Flags & StringFlags.Triple) != 0 ? 3 : 1);
    /// <summary>For strings: where the content ends (before the closing quotes, or at End when unterminated).</summary>
    public int ContentEnd => (Flags & StringFlags.Unterminated) != 0 ? End : End - ((Flags & StringFlags.Triple) != 0 ? 3 : 1);
}

/// <summary>A problem the tokenizer met, with its place in the source.</summary>
public readonly record struct TokenProblem(int Start, int Length, string Message);

/// <summary>
/// The tokens of a Python source. <see cref="Code"/> holds the tokens an expression parser reads (names, numbers,
/// strings, operators, logical newlines, error tokens), without comments; <see cref="Comments"/> holds the comments.
/// <see cref="Match"/> pairs each bracket in <see cref="Code"/> with its partner (or -1 when it has none).
/// </summary>
public sealed class TokenStream
{
    internal TokenStream(string source, Token[] code, int[] match, Token[] comments, int[] lineIndent, TokenProblem[] problems)
    {
        Source = source; Code = code; Match = match; Comments = comments; LogicalIndent = lineIndent; Problems = problems;
    }

    public string Source { get; }
    public Token[] Code { get; }
    public int[] Match { get; }
    public Token[] Comments { get; }
    /// <summary>For each token in <see cref="Code"/> that starts a logical line: its indentation column (tabs to multiples of 8); else -1.</summary>
    public int[] LogicalIndent { get; }
    public TokenProblem[] Problems { get; }
}

/// <summary>
/// A Python tokenizer that follows the language reference (lexical analysis) closely enough to find every string,
/// comment, bracket and logical line, and never executes anything. It is tolerant: unterminated strings, unbalanced
/// brackets and invalid characters become problems with positions, and tokenizing goes on. Linear time.
/// </summary>
public static class PythonTokenizer
{
    /// <summary>Most problems kept per text: a binary file must not produce a million findings.</summary>
    public const int MaxProblems = 100;
    private const int MaxFStringNesting = 64;

    /// <param name="source">The Python text.</param>
    /// <param name="boundaries">Offsets where an independent chunk starts (notebook cells): strings and brackets
    /// left open before a boundary are reported and closed there.</param>
    /// <param name="shellLines">Notebook mode: a logical line starting with one of IPython's escapes (% magics, ! shell
    /// commands, ? help, the autocall quotes) is a comment, continued over lines that end in a backslash; so are
    /// `x = !cmd`, `x = %magic` and a trailing `obj?`.</param>
    public static TokenStream Tokenize(string source, IReadOnlyList<int>? boundaries = null, bool shellLines = false)
        => new Lexer(source, boundaries, shellLines).Run();

    private static readonly HashSet<string> StatementKeywords = new(StringComparer.Ordinal)
    {
        "def", "class", "import", "from", "return", "try", "while", "with", "elif", "except", "finally", "raise",
        "del", "pass", "global", "nonlocal", "assert", "async", "break", "continue",
    };

    private sealed class Lexer
    {
        private readonly string _s;
        private readonly IReadOnlyList<int> _boundaries;
        private readonly bool _shellLines;
        private readonly List<Token> _code = new();
        private readonly List<Token> _comments = new();
        private readonly List<int> _indent = new();
        private readonly List<TokenProblem> _problems = new();
        private int _suppressed;
        private readonly List<int> _open = new(); // indices into _code of open brackets
        private readonly List<(int Open, int Close)> _pairs = new();
        private LineIndex? _lines;
        private int _nextBoundary;
        private bool _atLineStart = true;
        private int _lineIndent;

        public Lexer(string s, IReadOnlyList<int>? boundaries, bool shellLines)
        {
            _s = s;
            _boundaries = boundaries ?? Array.Empty<int>();
            _shellLines = shellLines;
        }

        private int Limit => _nextBoundary < _boundaries.Count ? _boundaries[_nextBoundary] : _s.Length;

        private void Problem(int start, int length, string message)
        {
            if (_problems.Count >= MaxProblems) { _suppressed++; return; }
            _problems.Add(new TokenProblem(start, Math.Max(0, length), message));
        }

        private void Add(Token t)
        {
            if (_atLineStart)
            {
                _indent.Add(_lineIndent);
                _atLineStart = false;
            }
            else _indent.Add(-1);
            _code.Add(t);
        }

        private void EndLogicalLine(int at)
        {
            if (!_atLineStart && _open.Count == 0)
            {
                _code.Add(new Token(TokenKind.Newline, at, at));
                _indent.Add(-1);
            }
            if (_open.Count == 0) _atLineStart = true;
        }

        private void CloseAllOpen(string why)
        {
            for (int k = _open.Count - 1; k >= 0; k--)
            {
                var t = _code[_open[k]];
                Problem(t.Start, 1, $"'{_s[t.Start]}' is never closed{why}");
            }
            _open.Clear();
        }

        public TokenStream Run()
        {
            int i = 0;
            int n = _s.Length;
            if (n > 0 && _s[0] == '\uFEFF') i = 1;
            while (_nextBoundary < _boundaries.Count && _boundaries[_nextBoundary] <= i) _nextBoundary++;
            int lineStart = i;
            _lineIndent = 0;
            bool measuring = true; // measuring the indentation of a physical line
            while (i < n)
            {
                if (_nextBoundary < _boundaries.Count && i >= _boundaries[_nextBoundary])
                {
                    // A new chunk (notebook cell): whatever was left open is closed here.
                    CloseAllOpen(" in this cell");
                    EndLogicalLine(i);
                    _atLineStart = true;
                    while (_nextBoundary < _boundaries.Count && _boundaries[_nextBoundary] <= i) _nextBoundary++;
                    measuring = true; _lineIndent = 0; lineStart = i;
                }
                char c = _s[i];
                if (measuring)
                {
                    if (c == ' ') { _lineIndent++; i++; continue; }
                    if (c == '\t') { _lineIndent = (_lineIndent / 8 + 1) * 8; i++; continue; }
                    if (c == '\f') { _lineIndent = 0; i++; continue; }
                    measuring = false;
                    if (_atLineStart && _open.Count == 0 && _shellLines && IsEscape(c))
                    {
                        // IPython magic, shell escape, help or autocall line: not Python; kept as comments so positions stay right.
                        i = SkipIPythonLine(i);
                        continue;
                    }
                    if (_open.Count > 0 && _lineIndent == 0 && IsIdentStart(c))
                    {
                        // Recovery: a statement keyword at column 0 inside brackets means a bracket was left open above.
                        int e = i;
                        while (e < n && IsIdentPart(_s[e])) e++;
                        if (StatementKeywords.Contains(_s.Substring(i, e - i)))
                        {
                            CloseAllOpen("");
                            EndLogicalLine(i);
                            _atLineStart = true;
                        }
                    }
                }
                switch (c)
                {
                    case ' ' or '\t' or '\f':
                        i++;
                        continue;
                    case '\n' or '\r':
                    {
                        int at = i;
                        i += c == '\r' && i + 1 < n && _s[i + 1] == '\n' ? 2 : 1;
                        EndLogicalLine(at);
                        measuring = true; _lineIndent = 0; lineStart = i;
                        continue;
                    }
                    case '#':
                    {
                        int e = i;
                        int lim = Limit;
                        while (e < n && e < lim && _s[e] != '\n' && _s[e] != '\r') e++;
                        _comments.Add(new Token(TokenKind.Comment, i, e));
                        i = e;
                        continue;
                    }
                    case '\\':
                    {
                        int j = i + 1;
                        if (j < n && (_s[j] == '\n' || _s[j] == '\r'))
                        {
                            // Explicit line joining: the next physical line continues this logical line.
                            i = j + (_s[j] == '\r' && j + 1 < n && _s[j + 1] == '\n' ? 2 : 1);
                            continue;
                        }
                        if (j >= n) { i = j; continue; } // backslash at end of file: harmless
                        Problem(i, 1, "unexpected character after line continuation character '\\'");
                        Add(new Token(TokenKind.Error, i, i + 1));
                        i++;
                        continue;
                    }
                }

                if (c == '"' || c == '\'')
                {
                    i = ScanString(i, 0, 0);
                    continue;
                }
                if (IsIdentStart(c))
                {
                    int e = i + 1;
                    while (e < n && IsIdentPart(_s[e])) e++;
                    if (e < n && (_s[e] == '"' || _s[e] == '\'') && e - i <= 2 && IsStringPrefix(i, e))
                    {
                        i = ScanString(i, e - i, 0);
                        continue;
                    }
                    Add(new Token(TokenKind.Name, i, e));
                    i = e;
                    continue;
                }
                if (IsDigit(c) || (c == '.' && i + 1 < n && IsDigit(_s[i + 1])))
                {
                    i = ScanNumber(i);
                    continue;
                }
                i = ScanOperator(i);
            }
            CloseAllOpen("");
            EndLogicalLine(n);
            _code.Add(new Token(TokenKind.EndOfFile, n, n));
            _indent.Add(-1);
            if (_suppressed > 0)
                _problems.Add(new TokenProblem(_problems[^1].Start, _problems[^1].Length, $"{_suppressed} more problems not shown"));

            var code = _code.ToArray();
            var match = new int[code.Length];
            Array.Fill(match, -1);
            foreach (var (o, c) in _pairs) { match[o] = c; match[c] = o; }
            return new TokenStream(_s, code, match, _comments.ToArray(), _indent.ToArray(), _problems.ToArray());
        }

        private bool IsStringPrefix(int start, int end)
        {
            // r, u, b, f, t, and the two-letter raw combinations, in any case (lexical analysis, "String and Bytes literals").
            var p = _s.Substring(start, end - start).ToLowerInvariant();
            return p is "r" or "u" or "b" or "f" or "t" or "br" or "rb" or "fr" or "rf" or "tr" or "rt";
        }

        /// <summary>Scans a string literal starting at <paramref name="start"/> (prefix included) and returns the offset after it.</summary>
        private int ScanString(int start, int prefixLength, int nesting)
        {
            int n = _s.Length;
            var flags = StringFlags.None;
            for (int k = start; k < start + prefixLength; k++)
            {
                flags |= char.ToLowerInvariant(_s[k]) switch
                {
                    'r' => StringFlags.Raw,
                    'b' => StringFlags.Bytes,
                    'f' => StringFlags.Format,
                    't' => StringFlags.Template,
                    'u' => StringFlags.Unicode,
                    _ => StringFlags.None,
                };
            }
            int q = start + prefixLength;
            char quote = _s[q];
            bool triple = q + 2 < n && _s[q + 1] == quote && _s[q + 2] == quote;
            if (triple) flags |= StringFlags.Triple;
            int i = q + (triple ? 3 : 1);
            bool raw = (flags & StringFlags.Raw) != 0;
            bool fmt = (flags & (StringFlags.Format | StringFlags.Template)) != 0;
            int lim = Limit;
            int end = -1;
            while (i < n && i < lim)
            {
                char c = _s[i];
                if (c == '\\')
                {
                    // In raw strings a backslash still keeps the next quote from closing the string.
                    i += i + 2 < n && _s[i + 1] == '\r' && _s[i + 2] == '\n' ? 3 : i + 1 < n ? 2 : 1;
                    if (i > lim) i = lim;
                    continue;
                }
                if (c == quote)
                {
                    if (!triple) { end = i + 1; break; }
                    if (i + 2 < n && _s[i + 1] == quote && _s[i + 2] == quote) { end = i + 3; break; }
                    i++;
                    continue;
                }
                if ((c == '\n' || c == '\r') && !triple) break;
                if (fmt && c == '{')
                {
                    if (i + 1 < n && _s[i + 1] == '{') { i += 2; continue; }
                    flags |= StringFlags.HasFields;
                    int after = ScanReplacementField(i + 1, quote, triple, nesting);
                    if (after < 0)
                    {
                        i = -after;
                        if (i < n && _s[i] == quote && !triple)
                        {
                            // f"{x" : the string closes before its field does.
                            Problem(start, i + 1 - start, "f-string: expecting '}' before the closing quote");
                            if (nesting == 0) Add(new Token(TokenKind.String, start, i + 1, flags, prefixLength));
                            return i + 1;
                        }
                        break; // the field ran into the end of the line or text
                    }
                    i = after;
                    continue;
                }
                i++;
            }
            if (end < 0)
            {
                flags |= StringFlags.Unterminated;
                end = Math.Min(i, n);
                // The squiggle covers the string's first line, not the rest of the file it swallowed.
                int firstLineEnd = start;
                while (firstLineEnd < end && _s[firstLineEnd] != '\n' && _s[firstLineEnd] != '\r') firstLineEnd++;
                Problem(start, Math.Max(1, firstLineEnd - start), triple
                    ? "unterminated triple-quoted string literal"
                    : "unterminated string literal (a quote is missing before the end of the line)");
            }
            if (nesting == 0) Add(new Token(TokenKind.String, start, end, flags, prefixLength));
            return end;
        }

        /// <summary>
        /// Scans an f-string replacement field from just after its '{' to just after its '}'. Returns the offset after
        /// the field, or minus the offset where scanning stopped (end of line in a one-line string, end of text).
        /// Nested strings (any quote, as Python 3.12 allows), brackets and format specs with their own fields are skipped.
        /// </summary>
        private int ScanReplacementField(int i, char quote, bool triple, int nesting)
        {
            int n = _s.Length;
            int lim = Limit;
            int depth = 0;
            if (nesting >= MaxFStringNesting)
            {
                Problem(i, 1, "f-string nested too deeply");
                return -Math.Min(n, lim);
            }
            while (i < n && i < lim)
            {
                char c = _s[i];
                if ((c == '\n' || c == '\r') && !triple) return -i;
                if (c == '"' || c == '\'')
                {
                    if (c == quote && !triple && depth == 0 && !LooksLikeNestedString(i, quote))
                        return -i; // pre-3.12 style: the field is cut by the closing quote; the caller reports it
                    i = ScanNested(i, 0, nesting);
                    continue;
                }
                if (IsIdentStart(c))
                {
                    int e = i + 1;
                    while (e < n && IsIdentPart(_s[e])) e++;
                    if (e < n && (_s[e] == '"' || _s[e] == '\'') && e - i <= 2 && IsStringPrefix(i, e))
                    {
                        i = ScanNested(i, e - i, nesting);
                        continue;
                    }
                    i = e;
                    continue;
                }
                switch (c)
                {
                    case '(' or '[' or '{': depth++; i++; continue;
                    case ')' or ']': depth = Math.Max(0, depth - 1); i++; continue;
                    case '}':
                        if (depth == 0) return i + 1;
                        depth--; i++; continue;
                    case ':' when depth == 0:
                    {
                        // Format spec: literal text with nested replacement fields, up to the closing '}'.
                        i++;
                        while (i < n && i < lim)
                        {
                            char d = _s[i];
                            if ((d == '\n' || d == '\r') && !triple) return -i;
                            if (d == quote && !triple) return -i;
                            if (d == '{')
                            {
                                int after = ScanReplacementField(i + 1, quote, triple, nesting + 1);
                                if (after < 0) return after;
                                i = after;
                                continue;
                            }
                            if (d == '}') return i + 1;
                            i++;
                        }
                        return -Math.Min(i, n);
                    }
                    default:
                        i++;
                        continue;
                }
            }
            return -Math.Min(i, n);
        }

        /// <summary>A quote equal to the enclosing one inside a field starts a nested string when it is closed on the same line
        /// before the field's '}' (f"{x["a"]}" in Python 3.12); otherwise it ends the f-string.</summary>
        private bool LooksLikeNestedString(int i, char quote)
        {
            int n = _s.Length;
            for (int k = i + 1; k < n && k < Limit; k++)
            {
                char c = _s[k];
                if (c == '\n' || c == '\r') return false;
                if (c == '\\') { k++; continue; }
                if (c == quote) return true;
            }
            return false;
        }

        private int ScanNested(int start, int prefixLength, int nesting) => ScanString(start, prefixLength, nesting + 1);

        private int ScanNumber(int i)
        {
            int n = _s.Length;
            int start = i;
            if (_s[i] == '0' && i + 1 < n && "xXoObB".IndexOf(_s[i + 1]) >= 0)
            {
                i += 2;
                while (i < n && (IsHexDigit(_s[i]) || _s[i] == '_')) i++;
            }
            else
            {
                while (i < n && (IsDigit(_s[i]) || _s[i] == '_')) i++;
                if (i < n && _s[i] == '.') { i++; while (i < n && (IsDigit(_s[i]) || _s[i] == '_')) i++; }
                if (i < n && (_s[i] == 'e' || _s[i] == 'E'))
                {
                    int j = i + 1;
                    if (j < n && (_s[j] == '+' || _s[j] == '-')) j++;
                    if (j < n && IsDigit(_s[j]))
                    {
                        i = j;
                        while (i < n && (IsDigit(_s[i]) || _s[i] == '_')) i++;
                    }
                }
                if (i < n && (_s[i] == 'j' || _s[i] == 'J')) i++;
            }
            if (i < n && IsIdentPart(_s[i]))
            {
                // 12abc: Python rejects it; keep it one token and say so.
                int e = i;
                while (e < n && IsIdentPart(_s[e])) e++;
                Problem(start, e - start, $"invalid number literal '{_s.Substring(start, e - start)}'");
                Add(new Token(TokenKind.Error, start, e));
                return e;
            }
            Add(new Token(TokenKind.Number, start, i));
            return i;
        }

        /// <summary>Length of the operator at i: the longest of Python's operators and delimiters that matches.</summary>
        private int OperatorLength(int i)
        {
            int n = _s.Length;
            char c = _s[i];
            char c1 = i + 1 < n ? _s[i + 1] : '\0';
            char c2 = i + 2 < n ? _s[i + 2] : '\0';
            if (c1 == c && c is '*' or '/' or '<' or '>') return c2 == '=' ? 3 : 2; // ** // << >> and **= //= <<= >>=
            if (c == '.' && c1 == '.' && c2 == '.') return 3;
            if (c == '-' && c1 == '>') return 2;
            if (c1 == '=' && c is '+' or '-' or '*' or '/' or '%' or '&' or '|' or '^' or '@' or '<' or '>' or '=' or '!' or ':') return 2;
            return 1;
        }

        private int ScanOperator(int i)
        {
            int n = _s.Length;
            int len = OperatorLength(i);
            if (len > 1) { Add(new Token(TokenKind.Op, i, i + len)); return i + len; }
            char c = _s[i];
            if (_shellLines && _open.Count == 0 && (c == '!' || c == '?' || (c == '%' && AfterAssignment() && i + 1 < n && IsIdentStart(_s[i + 1]))))
            {
                // IPython: files = !ls (shell capture), x = %magic args, and obj? (help): the rest of the line is not Python.
                return SkipIPythonLine(i);
            }
            if ("()[]{}".IndexOf(c) >= 0)
            {
                if (c is '(' or '[' or '{')
                {
                    _open.Add(_code.Count);
                    Add(new Token(TokenKind.Op, i, i + 1));
                }
                else
                {
                    // Find the opener it closes; openers above it were left unclosed.
                    int k = _open.Count - 1;
                    while (k >= 0 && !Closes(_s[_code[_open[k]].Start], c)) k--;
                    if (k < 0) Problem(i, 1, $"unmatched '{c}'");
                    else
                    {
                        for (int m = _open.Count - 1; m > k; m--)
                        {
                            var t = _code[_open[m]];
                            Problem(t.Start, 1, $"'{_s[t.Start]}' is never closed (found '{c}' at {Describe(i)})");
                        }
                        _pairs.Add((_open[k], _code.Count));
                        _open.RemoveRange(k, _open.Count - k);
                    }
                    Add(new Token(TokenKind.Op, i, i + 1));
                }
                return i + 1;
            }
            if ("+-*/%@&|^~<>=.,:;".IndexOf(c) >= 0)
            {
                Add(new Token(TokenKind.Op, i, i + 1));
                return i + 1;
            }
            // $, ?, `, stray control characters, U+FFFD from undecodable bytes...
            int bad = char.IsHighSurrogate(c) && i + 1 < n && char.IsLowSurrogate(_s[i + 1]) ? 2 : 1;
            Problem(i, bad, c == '\uFFFD'
                ? "bytes that are not valid UTF-8 (the file may use another encoding)"
                : $"invalid character '{(char.IsControl(c) ? $"U+{(int)c:X4}" : _s.Substring(i, bad))}' in Python source");
            Add(new Token(TokenKind.Error, i, i + bad));
            return i + bad;
        }

        // IPython's escapes at the start of a logical line (IPython/core/inputtransformer2.py, ESCAPE_SINGLES):
        // ! shell, % magic (%% for cells), ? help, and the autocall quotes , ; /. None can start a Python statement.
        private static bool IsEscape(char c) => c is '!' or '%' or '?' or ',' or ';' or '/';

        private bool AfterAssignment() => _code.Count > 0 && _code[^1].Kind == TokenKind.Op && _code[^1].Is(_s, "=");

        /// <summary>
        /// Skips an IPython line from <paramref name="i"/>: its physical line, and the next ones while a line ends in a
        /// backslash, as IPython joins them (inputtransformer2.find_end_of_continued_line: `!pip install a \` goes on
        /// with the next line). Each physical line becomes a comment token. Returns the offset of the last line's end.
        /// </summary>
        private int SkipIPythonLine(int i)
        {
            int n = _s.Length;
            int lim = Limit;
            while (true)
            {
                int e = i;
                while (e < n && e < lim && _s[e] != '\n' && _s[e] != '\r') e++;
                _comments.Add(new Token(TokenKind.Comment, i, e));
                if (e == i || _s[e - 1] != '\\' || e >= n || e >= lim) return e;
                int next = e + (_s[e] == '\r' && e + 1 < n && _s[e + 1] == '\n' ? 2 : 1);
                if (next >= n || next >= lim) return e;
                i = next;
            }
        }

        /// <summary>"line:column", 1-based, of an offset (built only when a problem names a second position).</summary>
        private string Describe(int offset)
        {
            var p = (_lines ??= new LineIndex(_s)).PositionOf(offset);
            return $"{p.Line + 1}:{p.Character + 1}";
        }
    }

    private static bool Closes(char open, char close) =>
        (open == '(' && close == ')') || (open == '[' && close == ']') || (open == '{' && close == '}');

    internal static bool IsDigit(char c) => c >= '0' && c <= '9';
    private static bool IsHexDigit(char c) => IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

    internal static bool IsIdentStart(char c) => c == '_' || (c < 128 ? char.IsAsciiLetter(c) : char.IsLetter(c));

    internal static bool IsIdentPart(char c)
    {
        if (c < 128) return c == '_' || char.IsAsciiLetterOrDigit(c);
        var cat = char.GetUnicodeCategory(c);
        return char.IsLetterOrDigit(c) || cat is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark
            or UnicodeCategory.ConnectorPunctuation;
    }
}
