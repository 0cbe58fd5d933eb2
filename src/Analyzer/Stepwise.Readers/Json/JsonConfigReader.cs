using System.Globalization;
using System.Text;
using Stepwise.Core;
using Stepwise.Core.Model;
using Stepwise.Core.Text;

namespace Stepwise.Readers.Json;

/// <summary>
/// Reads a JSON config (comments and trailing commas tolerated, as in JSONC and DeepSpeed files people edit by hand)
/// into one ConfigDocument with exact UTF-16 spans. A hand-written scanner, because System.Text.Json reports byte
/// offsets of UTF-8 and we need the editor's positions. Iterative over nesting: depth is capped, never a stack overflow.
/// </summary>
public sealed class JsonConfigReader : IConfigReader
{
    public const int MaxDepth = 256;
    public ConfigSyntax Syntax => ConfigSyntax.Json;

    public IReadOnlyList<ConfigDocument> Read(string text, string? path)
    {
        var lines = new LineIndex(text, path);
        var p = new JsonParser(text, lines);
        var root = p.ParseDocument();
        var commentStarts = p.CommentStarts;
        var directives = Directives.Find(text, lines, i => commentStarts.Any(c => c <= i && i < c + 2) );
        var problems = new List<ReadProblem>(p.Problems);
        problems.AddRange(Directives.Check(directives));
        var entries = root?.Kind == ValueKind.Mapping ? root.Entries : (IReadOnlyList<ConfigEntry>)Array.Empty<ConfigEntry>();
        var (dialect, certain) = DialectDetector.Detect(entries.Select(e => e.Key).ToList());
        return new[] { new ConfigDocument(path, text, ConfigSyntax.Json, dialect, entries, new JsonEditor(lines), directives, problems, lines, dialectCertain: certain) };
    }

    private sealed class JsonParser
    {
        private readonly string _t;
        private readonly LineIndex _lines;
        private int _i;
        private int _depth;
        public readonly List<ReadProblem> Problems = new();
        public readonly List<int> CommentStarts = new();

        // Laziness, as the YAML reader has it: an object or array that is the value of a top-level key is first only
        // skimmed (checked by the same code, so the text is accepted or refused exactly as a full parse would, but no
        // values, strings or entries are built) and parsed when first read. A 60 MB `"x": [1, 1, ...]` next to
        // `"max_steps": 10` then costs its text, not 30 million values.
        private readonly bool _lazy;
        private bool _skim;

        public JsonParser(string text, LineIndex lines, bool lazy = true) { _t = text; _lines = lines; _lazy = lazy; }

        private sealed class Fail : Exception { }

        public ConfigValue? ParseDocument()
        {
            try
            {
                SkipWs();
                if (_i >= _t.Length) return null;
                var (v, _, _) = ParseValue("");
                SkipWs();
                if (_i < _t.Length) Error($"unexpected '{_t[_i]}' after the top-level value", _i);
                return v;
            }
            catch (Fail) { return null; }
        }

        private void Error(string message, int at)
        {
            at = Math.Min(at, _t.Length);
            Problems.Add(ReadProblem.Unreadable("JSON syntax error: " + message, _lines.Span(at, at < _t.Length ? 1 : 0)));
            throw new Fail();
        }

        private void SkipWs()
        {
            while (_i < _t.Length)
            {
                char c = _t[_i];
                if (c is ' ' or '\t' or '\n' or '\r' or '\uFEFF') { _i++; continue; }
                if (c == '/' && _i + 1 < _t.Length && _t[_i + 1] == '/')
                {
                    CommentStarts.Add(_i);
                    while (_i < _t.Length && _t[_i] != '\n' && _t[_i] != '\r') _i++;
                    continue;
                }
                if (c == '#')
                {
                    // Not JSON, but hand-edited configs carry them; tolerated like // comments.
                    CommentStarts.Add(_i);
                    while (_i < _t.Length && _t[_i] != '\n' && _t[_i] != '\r') _i++;
                    continue;
                }
                if (c == '/' && _i + 1 < _t.Length && _t[_i + 1] == '*')
                {
                    int start = _i;
                    CommentStarts.Add(_i);
                    int end = _t.IndexOf("*/", _i + 2, StringComparison.Ordinal);
                    if (end < 0) Error("unterminated /* comment", start);
                    _i = end + 2;
                    continue;
                }
                break;
            }
        }

        /// <returns>value, start offset, end offset</returns>
        private (ConfigValue, int, int) ParseValue(string path)
        {
            SkipWs();
            if (_i >= _t.Length) Error("unexpected end of text, a value was expected", _i);
            int start = _i;
            char c = _t[_i];
            switch (c)
            {
                case '{' or '[' when _lazy && !_skim && _depth == 1: return (Skim(path, c == '{'), start, _i);
                case '{': return (ParseObject(path), start, _i);
                case '[': return (ParseArray(path), start, _i);
                case '"': return (_skim ? SkimString() : ConfigValue.String(ParseString()), start, _i);
                case 't' when Match("true"): return (ConfigValue.Bool(true), start, _i);
                case 'f' when Match("false"): return (ConfigValue.Bool(false), start, _i);
                case 'n' when Match("null"): return (ConfigValue.Null, start, _i);
                default:
                    if (c == '-' || char.IsDigit(c)) return (ParseNumber(), start, _i);
                    Error($"unexpected '{c}'", _i);
                    return default;
            }
        }

        /// <summary>Checks the collection at <see cref="_i"/> without building it; returns a value that parses it on first use.</summary>
        private ConfigValue Skim(string path, bool mapping)
        {
            int start = _i, depth = _depth;
            _skim = true;
            try { if (mapping) ParseObject(path); else ParseArray(path); }
            finally { _skim = false; }
            int end = _i;
            return mapping
                ? ConfigValue.LazyMapping(() => Materialise(start, end, depth, path).Entries)
                : ConfigValue.LazySequence(() => Materialise(start, end, depth, path).Items);
        }

        private ConfigValue Materialise(int start, int end, int depth, string path)
        {
            var parser = new JsonParser(_t, _lines, lazy: false) { _i = start, _depth = depth };
            try
            {
                var (value, _, valueEnd) = parser.ParseValue(path);
                if (valueEnd != end) throw new InvalidOperationException($"JSON value at offset {start} parsed to {valueEnd}, skimmed to {end}");
                return value;
            }
            catch (Fail)
            {
                throw new InvalidOperationException($"JSON value at offset {start} was accepted when skimmed but refused when built");
            }
        }

        private static readonly ConfigValue Skimmed = ConfigValue.Null;

        /// <summary>A string checked as <see cref="ParseString"/> checks it, without building it.</summary>
        private ConfigValue SkimString()
        {
            int start = _i;
            _i++;
            while (true)
            {
                if (_i >= _t.Length) Error("unterminated string", start);
                char c = _t[_i++];
                if (c == '"') return Skimmed;
                if (c is '\n' or '\r') Error("line break inside a string", _i - 1);
                if (c != '\\') continue;
                if (_i >= _t.Length) Error("unterminated string", start);
                char e = _t[_i++];
                switch (e)
                {
                    case '"' or '\\' or '/' or 'b' or 'f' or 'n' or 'r' or 't': break;
                    case 'u':
                        if (_i + 4 > _t.Length || !int.TryParse(_t.AsSpan(_i, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out _))
                            Error("bad \\u escape", _i - 2);
                        _i += 4;
                        break;
                    default: Error($"bad escape \\{e}", _i - 2); break;
                }
            }
        }

        private bool Match(string word)
        {
            if (string.CompareOrdinal(_t, _i, word, 0, word.Length) != 0) return false;
            _i += word.Length;
            return true;
        }

        private ConfigValue ParseNumber()
        {
            int start = _i;
            if (_t[_i] == '-') _i++;
            while (_i < _t.Length && (char.IsDigit(_t[_i]) || _t[_i] is '.' or 'e' or 'E' or '+' or '-')) _i++;
            var s = _t.AsSpan(start, _i - start);
            if (s.IndexOfAny('.', 'e', 'E') < 0 && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
                return _skim ? Skimmed : ConfigValue.Integer(l);
            if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return _skim ? Skimmed : ConfigValue.Float(d);
            Error($"'{(s.Length > 40 ? s[..40].ToString() + "..." : s.ToString())}' is not a number", start);
            return ConfigValue.Null;
        }

        private string ParseString()
        {
            int start = _i;
            _i++; // opening quote
            var sb = new StringBuilder();
            while (true)
            {
                if (_i >= _t.Length) Error("unterminated string", start);
                char c = _t[_i++];
                if (c == '"') return sb.ToString();
                if (c is '\n' or '\r') Error("line break inside a string", _i - 1);
                if (c != '\\') { sb.Append(c); continue; }
                if (_i >= _t.Length) Error("unterminated string", start);
                char e = _t[_i++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        int code = 0;
                        if (_i + 4 > _t.Length || !int.TryParse(_t.AsSpan(_i, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out code))
                            Error("bad \\u escape", _i - 2);
                        sb.Append((char)code);
                        _i += 4;
                        break;
                    default: Error($"bad escape \\{e}", _i - 2); break;
                }
            }
        }

        private ConfigValue ParseArray(string path)
        {
            if (++_depth > MaxDepth) Error($"nesting deeper than {MaxDepth} levels; not analysed", _i);
            _i++; // [
            var items = _skim ? null : new List<ConfigValue>();
            while (true)
            {
                SkipWs();
                if (_i >= _t.Length) Error("unterminated array: ']' expected", _i);
                if (_t[_i] == ']') { _i++; break; }
                var (v, _, _) = ParseValue(items is null ? "" : $"{path}[{items.Count}]");
                items?.Add(v);
                SkipWs();
                if (_i >= _t.Length) Error("unterminated array: ']' expected", _i);
                if (_t[_i] == ',') { _i++; continue; }
                if (_t[_i] == ']') { _i++; break; }
                Error("',' or ']' expected", _i);
            }
            _depth--;
            return items is null ? Skimmed : ConfigValue.Sequence(items);
        }

        private ConfigValue ParseObject(string path)
        {
            if (++_depth > MaxDepth) Error($"nesting deeper than {MaxDepth} levels; not analysed", _i);
            _i++; // {
            var entries = new List<ConfigEntry>();
            var pending = new List<(string Key, string Path, ConfigValue Value, int KeyStart, int KeyEnd, int ValueStart, int ValueEnd, int CommaAfter)>();
            while (true)
            {
                SkipWs();
                if (_i >= _t.Length) Error("unterminated object: '}' expected", _i);
                if (_t[_i] == '}') { _i++; break; }
                if (_t[_i] != '"') Error("a quoted key was expected", _i);
                int ks = _i;
                var key = _skim ? "" : ParseString();
                if (_skim) SkimString();
                int ke = _i;
                SkipWs();
                if (_i >= _t.Length || _t[_i] != ':')
                {
                    if (_skim) { int at = _i; _i = ks; key = ParseString(); _i = at; } // the same message as a full parse
                    Error($"':' expected after key \"{key}\"", _i);
                }
                _i++;
                string childPath = _skim ? "" : path.Length == 0 ? key : path + "." + key;
                var (v, vs, ve) = ParseValue(childPath);
                SkipWs();
                int comma = -1;
                if (_i < _t.Length && _t[_i] == ',') { comma = _i; _i++; }
                if (!_skim) pending.Add((key, childPath, v, ks, ke, vs, ve, comma));
                if (comma >= 0) continue;
                SkipWs();
                if (_i >= _t.Length) Error("unterminated object: '}' expected", _i);
                if (_t[_i] == '}') { _i++; break; }
                Error("',' or '}' expected", _i);
            }
            _depth--;
            if (_skim) return Skimmed;
            var members = pending.Select(x => (x.KeyStart, x.ValueEnd, x.CommaAfter)).ToList();
            for (int k = 0; k < pending.Count; k++)
            {
                var e = pending[k];
                var removal = RemovalSpan(members, k);
                // The value's text is cut from the source only when asked for (a large nested value is rarely shown).
                entries.Add(ConfigEntry.FromSource(e.Key, e.Path, e.Value, _lines.Span(e.KeyStart, e.KeyEnd - e.KeyStart),
                    _lines.Span(e.ValueStart, e.ValueEnd - e.ValueStart), removal, _t));
            }
            return ConfigValue.Mapping(entries);
        }

        /// <summary>The member and one comma: its own trailing comma (and the rest of its line when the member stands
        /// on a line of its own), or for the last member the comma before it, so the object stays valid.</summary>
        private SourceSpan RemovalSpan(List<(int KeyStart, int ValueEnd, int CommaAfter)> members, int k)
        {
            var (ks, ve, comma) = members[k];
            int lineStart = _lines.LineStart(_lines.PositionOf(ks).Line);
            bool ownLine = _t.AsSpan(lineStart, ks - lineStart).Trim().Length == 0;
            if (comma >= 0)
            {
                int end = comma + 1;
                int j = end;
                while (j < _t.Length && _t[j] is ' ' or '\t') j++;
                if (ownLine && (j >= _t.Length || _t[j] is '\n' or '\r'))
                {
                    end = _lines.LineEndIncludingBreak(_lines.PositionOf(j).Line);
                    return _lines.Span(lineStart, end - lineStart);
                }
                return _lines.Span(ks, j - ks);
            }
            if (k > 0)
            {
                // Last member without a trailing comma: take the previous member's comma and everything up to our end.
                int prevComma = members[k - 1].CommaAfter;
                int start = prevComma >= 0 ? prevComma : members[k - 1].ValueEnd;
                return _lines.Span(start, ve - start);
            }
            return _lines.Span(ownLine ? lineStart : ks, (ownLine ? _lines.LineEndIncludingBreak(_lines.PositionOf(ve).Line) : ve) - (ownLine ? lineStart : ks));
        }
    }
}
