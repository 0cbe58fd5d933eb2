using System.Diagnostics;
using Stepwise.Readers.Python;

namespace Stepwise.Analysis.Tests.Python;

public class PythonTokenizerTests
{
    /// <summary>Tokens as CPython's tokenize module names them (NAME, NUMBER, STRING, OP, COMMENT), in source order.</summary>
    private static string[] Tokens(string source)
    {
        var ts = PythonTokenizer.Tokenize(source);
        Assert.Empty(ts.Problems);
        return ts.Code.Where(t => t.Kind is not (TokenKind.Newline or TokenKind.EndOfFile))
            .Concat(ts.Comments)
            .OrderBy(t => t.Start)
            .Select(t => t.Kind switch
            {
                TokenKind.Name => "NAME",
                TokenKind.Number => "NUMBER",
                TokenKind.String => "STRING",
                TokenKind.Comment => "COMMENT",
                TokenKind.Op => "OP",
                _ => t.Kind.ToString(),
            } + " " + t.Text(source))
            .ToArray();
    }

    // Expected token lists produced by CPython 3.11's tokenize module (/usr/bin/python3, tokenize.generate_tokens),
    // NAME/NUMBER/STRING/OP/COMMENT tokens only.
    public static readonly IEnumerable<object[]> CPythonCases = new[]
    {
        new object[] { "x = r'a\\'b' + b\"c\" + u'd' + f'{x}' + rb'e' + BR'f' + Fr\"g\" + rF'h' + R'\\d+'", new[] { "NAME x", "OP =", "STRING r'a\\'b'", "OP +", "STRING b\"c\"", "OP +", "STRING u'd'", "OP +", "STRING f'{x}'", "OP +", "STRING rb'e'", "OP +", "STRING BR'f'", "OP +", "STRING Fr\"g\"", "OP +", "STRING rF'h'", "OP +", "STRING R'\\d+'" } },
        new object[] { "s = '''it's \"quoted\" '' here'''", new[] { "NAME s", "OP =", "STRING '''it's \"quoted\" '' here'''" } },
        new object[] { "s = \"\"\"a\nb \"c\" \"\"d\"\" \n\"\"\"", new[] { "NAME s", "OP =", "STRING \"\"\"a\nb \"c\" \"\"d\"\" \n\"\"\"" } },
        new object[] { "f'{a[\"k\"]:>{width}} {b!r} {{literal}}'", new[] { "STRING f'{a[\"k\"]:>{width}} {b!r} {{literal}}'" } },
        new object[] { "n = [1_000, 0x_FF, 0o17, 0b1010, 1.5, .5, 5., 2e-4, 1E+10, 3j, 1.5e-3J, 0]", new[] { "NAME n", "OP =", "OP [", "NUMBER 1_000", "OP ,", "NUMBER 0x_FF", "OP ,", "NUMBER 0o17", "OP ,", "NUMBER 0b1010", "OP ,", "NUMBER 1.5", "OP ,", "NUMBER .5", "OP ,", "NUMBER 5.", "OP ,", "NUMBER 2e-4", "OP ,", "NUMBER 1E+10", "OP ,", "NUMBER 3j", "OP ,", "NUMBER 1.5e-3J", "OP ,", "NUMBER 0", "OP ]" } },
        new object[] { "a **= 2; b //= 3; c >>= 1; d -> e; f := g; h != i; x...", new[] { "NAME a", "OP **=", "NUMBER 2", "OP ;", "NAME b", "OP //=", "NUMBER 3", "OP ;", "NAME c", "OP >>=", "NUMBER 1", "OP ;", "NAME d", "OP ->", "NAME e", "OP ;", "NAME f", "OP :=", "NAME g", "OP ;", "NAME h", "OP !=", "NAME i", "OP ;", "NAME x", "OP ..." } },
        new object[] { "x = 1 + \\\n    2  # comment with 'quote\" chars\n", new[] { "NAME x", "OP =", "NUMBER 1", "OP +", "NUMBER 2", "COMMENT # comment with 'quote\" chars" } },
        new object[] { "call(a,\n     b=[1,\n        2],  # c\n     )", new[] { "NAME call", "OP (", "NAME a", "OP ,", "NAME b", "OP =", "OP [", "NUMBER 1", "OP ,", "NUMBER 2", "OP ]", "OP ,", "COMMENT # c", "OP )" } },
    };

    [Theory]
    [MemberData(nameof(CPythonCases))]
    public void Tokens_match_cpython_tokenize(string source, string[] expected) => Assert.Equal(expected, Tokens(source));

    [Theory]
    [InlineData("r")] [InlineData("R")] [InlineData("b")] [InlineData("B")] [InlineData("u")] [InlineData("U")]
    [InlineData("f")] [InlineData("F")] [InlineData("rb")] [InlineData("bR")] [InlineData("Rb")] [InlineData("BR")]
    [InlineData("fr")] [InlineData("Rf")] [InlineData("rF")] [InlineData("FR")] [InlineData("")]
    public void Every_string_prefix_makes_one_string_token(string prefix)
    {
        foreach (var q in new[] { "'", "\"", "'''", "\"\"\"" })
        {
            var src = $"x = {prefix}{q}a b{q} # {q}not a string";
            var ts = PythonTokenizer.Tokenize(src);
            Assert.Empty(ts.Problems);
            var s = Assert.Single(ts.Code, t => t.Kind == TokenKind.String);
            Assert.Equal($"{prefix}{q}a b{q}", s.Text(src));
            Assert.Equal("a b", src[s.ContentStart..s.ContentEnd]);
            Assert.Single(ts.Comments);
        }
    }

    [Fact]
    public void A_name_ending_in_a_prefix_letter_is_not_a_string_prefix()
    {
        Assert.Equal(new[] { "NAME bar", "STRING 'x'" }, Tokens("bar 'x'"));
        Assert.Equal(new[] { "NAME br", "OP +", "STRING r'x'" }, Tokens("br + r'x'"));
    }

    [Fact]
    public void Triple_quoted_strings_hold_quotes_and_line_breaks()
    {
        var src = "a = '''one ' two '' three\n\"\"\" still inside\n'''\nb = 1\n";
        var t = Tokens(src);
        Assert.Equal("STRING '''one ' two '' three\n\"\"\" still inside\n'''", t[2]);
        Assert.Equal(new[] { "NAME b", "OP =", "NUMBER 1" }, t[3..]);
    }

    [Fact]
    public void Fstring_replacement_fields_may_hold_the_same_quote_brackets_and_format_specs()
    {
        // Python 3.12 allows the enclosing quote inside a field (PEP 701).
        var src = "x = f\"{d[\"k\"]} {y:{w}.{p}f} {'}'} {{not a field}} {f\"{z}\"}\" + 'next'";
        var ts = PythonTokenizer.Tokenize(src);
        Assert.Empty(ts.Problems);
        var strings = ts.Code.Where(t => t.Kind == TokenKind.String).ToList();
        Assert.Equal(2, strings.Count);
        Assert.Equal("f\"{d[\"k\"]} {y:{w}.{p}f} {'}'} {{not a field}} {f\"{z}\"}\"", strings[0].Text(src));
        Assert.True((strings[0].Flags & StringFlags.HasFields) != 0);
        Assert.Equal("'next'", strings[1].Text(src));
    }

    [Fact]
    public void An_fstring_with_only_doubled_braces_has_no_fields()
    {
        var ts = PythonTokenizer.Tokenize("f'{{x}}'");
        Assert.Equal(StringFlags.Format, ts.Code[0].Flags);
    }

    [Fact]
    public void Comments_may_hold_quotes_and_brackets()
    {
        var src = "f(a=1,  # don't ( [ {\n  b=2)  # \"\n";
        var ts = PythonTokenizer.Tokenize(src);
        Assert.Empty(ts.Problems);
        Assert.Equal(2, ts.Comments.Length);
        Assert.Equal("# don't ( [ {", ts.Comments[0].Text(src));
    }

    [Fact]
    public void Backslash_continuation_and_brackets_join_lines_into_one_logical_line()
    {
        var src = "x = 1 + \\\n    2\ny = [\n  3,\n\n  4]\nz = (5 +\r\n 6)\n";
        var ts = PythonTokenizer.Tokenize(src);
        Assert.Empty(ts.Problems);
        Assert.Equal(3, ts.Code.Count(t => t.Kind == TokenKind.Newline));
        // The brackets are paired.
        int open = Array.FindIndex(ts.Code, t => t.Text(src) == "[");
        Assert.Equal("]", ts.Code[ts.Match[open]].Text(src));
    }

    [Fact]
    public void Backslash_newline_inside_a_one_line_string_continues_it()
    {
        var src = "s = 'a\\\r\nb'\n";
        var ts = PythonTokenizer.Tokenize(src);
        Assert.Empty(ts.Problems);
        Assert.Equal("'a\\\r\nb'", ts.Code.Single(t => t.Kind == TokenKind.String).Text(src));
    }

    [Fact]
    public void Tabs_and_spaces_mixed_in_indentation_are_tolerated()
    {
        var src = "if x:\n\tA = 1\n        B = 2\n \tC = 3\nD = 4\n";
        var ts = PythonTokenizer.Tokenize(src);
        Assert.Empty(ts.Problems);
        var indents = ts.Code.Select((t, i) => (t, ts.LogicalIndent[i])).Where(p => p.Item2 >= 0).Select(p => p.Item2).ToArray();
        Assert.Equal(new[] { 0, 8, 8, 8, 0 }, indents);
    }

    [Fact]
    public void An_unterminated_string_is_a_problem_at_its_start_and_the_next_line_still_tokenizes()
    {
        var src = "a = 1\nb = 'oops\nc = 3\n";
        var ts = PythonTokenizer.Tokenize(src);
        var p = Assert.Single(ts.Problems);
        Assert.Equal(src.IndexOf('\''), p.Start);
        Assert.Contains("unterminated string", p.Message);
        Assert.Contains(ts.Code, t => t.Kind == TokenKind.Name && t.Text(src) == "c");
    }

    [Fact]
    public void An_unterminated_triple_quoted_string_runs_to_the_end_and_is_reported()
    {
        var src = "a = 1\nb = \"\"\"never closed\nc = 3\n";
        var ts = PythonTokenizer.Tokenize(src);
        var p = Assert.Single(ts.Problems);
        Assert.Equal(src.IndexOf('"'), p.Start);
        Assert.Contains("triple-quoted", p.Message);
    }

    [Fact]
    public void An_unclosed_bracket_is_reported_at_the_bracket_and_recovers_at_the_next_statement_keyword()
    {
        var src = "args = TrainingArguments(\n    output_dir='x',\n\ndef main():\n    pass\n";
        var ts = PythonTokenizer.Tokenize(src);
        var p = Assert.Single(ts.Problems);
        Assert.Equal(src.IndexOf('('), p.Start);
        Assert.Contains("never closed", p.Message);
        // 'def' starts a new logical line again.
        int def = Array.FindIndex(ts.Code, t => t.Text(src) == "def");
        Assert.True(ts.LogicalIndent[def] >= 0);
    }

    [Fact]
    public void A_stray_closing_bracket_is_reported()
    {
        var src = "x = (1, 2))\ny = 3\n";
        var ts = PythonTokenizer.Tokenize(src);
        var p = Assert.Single(ts.Problems);
        Assert.Equal(src.LastIndexOf(')'), p.Start);
        Assert.Contains("unmatched ')'", p.Message);
    }

    [Fact]
    public void A_mismatched_bracket_closes_the_outer_one_and_reports_the_inner()
    {
        var src = "f(a, [1, 2)\n";
        var ts = PythonTokenizer.Tokenize(src);
        var p = Assert.Single(ts.Problems);
        Assert.Equal(src.IndexOf('['), p.Start);
        Assert.Contains("1:11", p.Message);
    }

    [Fact]
    public void Invalid_characters_and_replacement_characters_are_reported_not_thrown()
    {
        var src = "x = 1 $ 2\ny = '\uFFFD'\nz = \uFFFD\n";
        var ts = PythonTokenizer.Tokenize(src);
        Assert.Equal(2, ts.Problems.Length);
        Assert.Contains("invalid character '$'", ts.Problems[0].Message);
        Assert.Contains("not valid UTF-8", ts.Problems[1].Message);
    }

    [Fact]
    public void Problems_are_capped_so_garbage_does_not_flood_the_output()
    {
        var src = new string('$', 10_000);
        var ts = PythonTokenizer.Tokenize(src);
        Assert.Equal(PythonTokenizer.MaxProblems + 1, ts.Problems.Length);
        Assert.Contains("more problems", ts.Problems[^1].Message);
    }

    [Fact]
    public void Deeply_nested_brackets_and_fstrings_neither_overflow_nor_hang()
    {
        var src = "x = " + new string('(', 20_000) + "1" + new string(')', 20_000) + "\n"
            + "y = " + string.Concat(Enumerable.Repeat("f'{", 200)) + "\n";
        var ts = PythonTokenizer.Tokenize(src);
        Assert.NotEmpty(ts.Problems); // the f-strings are never closed
        var reader = new PythonConfigReader();
        Assert.Empty(reader.Read(src, "deep.py"));
    }
}
