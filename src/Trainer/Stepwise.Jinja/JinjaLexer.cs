using System.Globalization;
using System.Text;
using Stepwise.Core.Text;

namespace Stepwise.Jinja;

/// <summary>A template that cannot be parsed or rendered, with the template position (line:col, 1-based).</summary>
public sealed class JinjaException : Exception
{
    public int Line { get; }
    public int Column { get; }
    public string Reason { get; }
    public JinjaException(int line, int column, string reason) : base($"{line}:{column}: {reason}") { Line = line; Column = column; Reason = reason; }
}

/// <summary>raise_exception(msg) called by the template (HF's global): the template refuses the conversation.</summary>
public sealed class TemplateRaisedException : Exception
{
    public TemplateRaisedException(string message) : base(message) { }
}

public enum TokKind { Data, VarBegin, VarEnd, BlockBegin, BlockEnd, Name, String, Int, Float, Op, Eof }

public readonly record struct Tok(TokKind Kind, string Text, int Line, int Col, object? Value = null)
{
    public override string ToString() => Kind switch
    {
        TokKind.Data => "template text", TokKind.VarBegin => "'{{'", TokKind.VarEnd => "'}}'", TokKind.BlockBegin => "'{%'",
        TokKind.BlockEnd => "'%}'", TokKind.Eof => "end of template", TokKind.String => $"string '{Text}'", _ => $"'{Text}'",
    };
}

/// <summary>
/// Jinja2's lexer with the settings transformers uses for chat templates (trim_blocks=True, lstrip_blocks=True):
/// '-' on a tag strips the whitespace beside it, '+' turns lstrip_blocks off for that tag, a newline right after
/// a block or comment tag is dropped, and spaces/tabs before a block or comment tag at the start of a line are
/// dropped (jinja2/lexer.py: block_suffix_re, lstrip_unless_re, line_starting).
/// </summary>
public static class JinjaLexer
{
    private static readonly string[] Ops = { "//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|" };

    public static List<Tok> Lex(string src)
    {
        // jinja2's tokeniter: every \r\n, \r or \n becomes \n, and one trailing newline is dropped
        // (keep_trailing_newline=False).
        src = src.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        if (src.EndsWith('\n')) src = src[..^1];
        var toks = new List<Tok>();
        var lines = new LineIndex(src);
        int pos = 0;
        bool lineStarting = true;
        while (pos <= src.Length)
        {
            int next = FindTagStart(src, pos);
            string text = src.Substring(pos, (next < 0 ? src.Length : next) - pos);
            if (next < 0)
            {
                if (text.Length > 0) toks.Add(new Tok(TokKind.Data, text, lines.Line(pos), lines.Col(pos)));
                break;
            }
            char kind = src[next + 1]; // '{', '%' or '#'
            char sign = next + 2 < src.Length ? src[next + 2] : '\0';
            if (sign == '-') text = Strip(text, start: false);
            else if (sign != '+' && kind != '{')
            {
                int lpos = text.LastIndexOf('\n') + 1;
                if ((lpos > 0 || lineStarting) && text.AsSpan(lpos).IndexOfAnyExcept(' ', '\t') < 0) text = text[..lpos];
            }
            if (text.Length > 0) toks.Add(new Tok(TokKind.Data, text, lines.Line(pos), lines.Col(pos)));
            int bodyStart = next + 2 + (sign is '-' or '+' ? 1 : 0);
            if (kind == '#')
            {
                int end = src.IndexOf("#}", bodyStart, StringComparison.Ordinal);
                if (end < 0) throw new JinjaException(lines.Line(next), lines.Col(next), "comment '{#' is not closed with '#}'");
                bool minus = end > bodyStart && src[end - 1] == '-';
                bool plus = end > bodyStart && src[end - 1] == '+';
                pos = AfterEnd(src, end + 2, minus, trimBlock: !plus, out lineStarting);
                continue;
            }
            toks.Add(new Tok(kind == '{' ? TokKind.VarBegin : TokKind.BlockBegin, src.Substring(next, bodyStart - next), lines.Line(next), lines.Col(next)));
            pos = LexTag(src, bodyStart, kind == '{' ? "}}" : "%}", toks, lines, out lineStarting, next);
            if (kind == '%' && IsRaw(toks)) pos = LexRaw(src, pos, toks, lines, ref lineStarting);
        }
        toks.Add(new Tok(TokKind.Eof, "", lines.Line(src.Length), lines.Col(src.Length)));
        return toks;
    }

    /// <summary>Python's str.isspace (str.strip(), str.split() and the lexer's rstrip / \s use it).</summary>
    internal static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    internal static string Strip(string s, bool start = true, bool end = true)
    {
        int a = 0, b = s.Length;
        if (start) while (a < b && IsSpace(s[a])) a++;
        if (end) while (b > a && IsSpace(s[b - 1])) b--;
        return s[a..b];
    }

    private static int FindTagStart(string src, int from)
    {
        for (int i = src.IndexOf('{', from); i >= 0 && i + 1 < src.Length; i = src.IndexOf('{', i + 1))
            if (src[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    /// <summary>Position after an end marker: '-' eats all following whitespace, trim_blocks one newline.</summary>
    private static int AfterEnd(string src, int pos, bool minus, bool trimBlock, out bool lineStarting)
    {
        lineStarting = false;
        if (minus)
        {
            int p = pos;
            while (p < src.Length && IsSpace(src[p])) p++;
            lineStarting = p > pos && src[p - 1] == '\n';
            return p;
        }
        if (trimBlock && pos < src.Length && src[pos] == '\n') { lineStarting = true; return pos + 1; }
        return pos;
    }

    private static bool IsRaw(List<Tok> toks) =>
        toks.Count >= 3 && toks[^1].Kind == TokKind.BlockEnd && toks[^2] is { Kind: TokKind.Name, Text: "raw" } && toks[^3].Kind == TokKind.BlockBegin;

    private static int LexRaw(string src, int pos, List<Tok> toks, LineIndex lines, ref bool lineStarting)
    {
        toks.RemoveRange(toks.Count - 3, 3);
        int i = pos;
        while (true)
        {
            int t = src.IndexOf("{%", i, StringComparison.Ordinal);
            if (t < 0) throw new JinjaException(lines.Line(pos), lines.Col(pos), "'raw' block is not closed with '{% endraw %}'");
            int j = t + 2;
            bool minus = j < src.Length && src[j] == '-';
            if (minus || (j < src.Length && src[j] == '+')) j++;
            while (j < src.Length && char.IsWhiteSpace(src[j])) j++;
            if (string.CompareOrdinal(src, j, "endraw", 0, 6) == 0)
            {
                int k = j + 6;
                while (k < src.Length && char.IsWhiteSpace(src[k])) k++;
                bool endMinus = k < src.Length && src[k] == '-';
                if (endMinus || (k < src.Length && src[k] == '+')) k++;
                if (string.CompareOrdinal(src, k, "%}", 0, 2) == 0)
                {
                    string text = src[pos..t];
                    if (minus) text = Strip(text, start: false);
                    if (text.Length > 0) toks.Add(new Tok(TokKind.Data, text, lines.Line(pos), lines.Col(pos)));
                    return AfterEnd(src, k + 2, endMinus, true, out lineStarting);
                }
            }
            i = t + 2;
        }
    }

    private static int LexTag(string src, int p, string end, List<Tok> toks, LineIndex lines, out bool lineStarting, int tagStart)
    {
        int depth = 0;
        while (true)
        {
            while (p < src.Length && char.IsWhiteSpace(src[p])) p++;
            if (p >= src.Length) throw new JinjaException(lines.Line(tagStart), lines.Col(tagStart), $"tag is not closed with '{end}'");
            if (depth == 0)
            {
                bool minus = src[p] is '-' or '+' && string.CompareOrdinal(src, p + 1, end, 0, 2) == 0;
                if (minus || string.CompareOrdinal(src, p, end, 0, 2) == 0)
                {
                    int after = p + (minus ? 3 : 2);
                    toks.Add(new Tok(end == "}}" ? TokKind.VarEnd : TokKind.BlockEnd, end, lines.Line(p), lines.Col(p)));
                    return AfterEnd(src, after, minus && src[p] == '-', trimBlock: end == "%}" && !(minus && src[p] == '+'), out lineStarting);
                }
            }
            char c = src[p];
            int line = lines.Line(p), col = lines.Col(p);
            if (char.IsLetter(c) || c == '_')
            {
                int s = p;
                while (p < src.Length && (char.IsLetterOrDigit(src[p]) || src[p] == '_')) p++;
                toks.Add(new Tok(TokKind.Name, src[s..p], line, col));
            }
            else if (char.IsAsciiDigit(c))
            {
                int s = p;
                while (p < src.Length && (char.IsAsciiDigit(src[p]) || src[p] == '_')) p++;
                bool isFloat = false;
                if (p + 1 < src.Length && src[p] == '.' && char.IsAsciiDigit(src[p + 1]))
                {
                    isFloat = true; p++;
                    while (p < src.Length && (char.IsAsciiDigit(src[p]) || src[p] == '_')) p++;
                }
                if (p < src.Length && src[p] is 'e' or 'E' && p + 1 < src.Length && (char.IsAsciiDigit(src[p + 1]) || (src[p + 1] is '+' or '-' && p + 2 < src.Length && char.IsAsciiDigit(src[p + 2]))))
                {
                    isFloat = true; p += 2;
                    while (p < src.Length && char.IsAsciiDigit(src[p])) p++;
                }
                string num = src[s..p].Replace("_", "");
                toks.Add(isFloat
                    ? new Tok(TokKind.Float, num, line, col, double.Parse(num, CultureInfo.InvariantCulture))
                    : new Tok(TokKind.Int, num, line, col, long.Parse(num, CultureInfo.InvariantCulture)));
            }
            else if (c is '\'' or '"')
            {
                var sb = new StringBuilder();
                int s = p++;
                while (true)
                {
                    if (p >= src.Length) throw new JinjaException(line, col, "string literal is not closed");
                    char d = src[p];
                    if (d == c) { p++; break; }
                    if (d == '\\' && p + 1 < src.Length) { p = Unescape(src, p, sb, lines); continue; }
                    sb.Append(d); p++;
                }
                toks.Add(new Tok(TokKind.String, src[s..p], line, col, sb.ToString()));
            }
            else
            {
                string? op = null;
                foreach (var o in Ops) if (string.CompareOrdinal(src, p, o, 0, o.Length) == 0) { op = o; break; }
                if (op is null) throw new JinjaException(line, col, $"unexpected character '{c}' in a tag");
                if (op is "(" or "[" or "{") depth++;
                if (op is ")" or "]" or "}") depth = Math.Max(0, depth - 1);
                toks.Add(new Tok(TokKind.Op, op, line, col));
                p += op.Length;
            }
        }
    }

    /// <summary>Python string-literal escapes (Jinja unescapes its literals as Python does).</summary>
    private static int Unescape(string src, int p, StringBuilder sb, LineIndex lines)
    {
        char e = src[p + 1];
        switch (e)
        {
            case 'n': sb.Append('\n'); return p + 2;
            case 't': sb.Append('\t'); return p + 2;
            case 'r': sb.Append('\r'); return p + 2;
            case '\\': sb.Append('\\'); return p + 2;
            case '\'': sb.Append('\''); return p + 2;
            case '"': sb.Append('"'); return p + 2;
            case 'a': sb.Append('\a'); return p + 2;
            case 'b': sb.Append('\b'); return p + 2;
            case 'f': sb.Append('\f'); return p + 2;
            case 'v': sb.Append('\v'); return p + 2;
            case '0': sb.Append('\0'); return p + 2;
            case '\n': return p + 2;
            case 'x': case 'u': case 'U':
            {
                int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                if (p + 2 + n > src.Length || !int.TryParse(src.AsSpan(p + 2, n), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int cp))
                    throw new JinjaException(lines.Line(p), lines.Col(p), $"bad \\{e} escape in a string literal");
                sb.Append(char.ConvertFromUtf32(cp));
                return p + 2 + n;
            }
            default: sb.Append('\\').Append(e); return p + 2; // Python keeps unknown escapes as written
        }
    }
}

/// <summary>1-based line and column of an offset, as template errors report them (Core's LineIndex counts from 0).</summary>
internal static class TemplatePositions
{
    public static int Line(this LineIndex lines, int offset) => lines.PositionOf(offset).Line + 1;
    public static int Col(this LineIndex lines, int offset) => lines.PositionOf(offset).Character + 1;
}
