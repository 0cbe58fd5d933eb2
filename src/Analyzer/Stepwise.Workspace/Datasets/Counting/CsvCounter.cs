using System.Runtime.CompilerServices;
using System.Buffers;

namespace Stepwise.Workspace.Datasets.Counting;

/// <summary>
/// Counts CSV/TSV data rows as datasets' <c>csv</c> builder gets them from pandas.read_csv: RFC 4180 records
/// (a field that starts with a quote may hold delimiters, newlines and "" escapes; a quote inside an unquoted
/// field is an ordinary character), '\n', "\r\n" or '\r' ending a record, blank and whitespace-only lines
/// skipped (skip_blank_lines=True), and the first record taken as the header.
/// </summary>
public sealed class CsvCounter : ChunkCounter
{
    private enum State { Unquoted, Quoted, QuoteInQuoted }

    private static readonly SearchValues<byte> Blank = SearchValues.Create(" \t"u8);
    private readonly byte _delimiter;
    private readonly SearchValues<byte> _unquotedStops;
    private State _state = State.Unquoted;
    private bool _fieldStart = true;   // the next byte begins a field (a quote there opens a quoted field)
    private bool _recordContent;       // the record in progress holds something besides spaces/tabs
    private bool _afterCr;             // the previous byte was a '\r' that ended a record
    private long _records;             // non-blank records, header included
    private long _quoteOpenedAt = -1;

    public CsvCounter(byte delimiter = (byte)',')
    {
        _delimiter = delimiter;
        _unquotedStops = SearchValues.Create([delimiter, (byte)'"', (byte)'\n', (byte)'\r']);
    }

    // Hot loop: compile optimised at once; a one-shot `check` would otherwise count at tier 0.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Feed(ReadOnlySpan<byte> s)
    {
        int i = 0;
        while (i < s.Length)
        {
            if (_afterCr)
            {
                _afterCr = false;
                if (s[i] == (byte)'\n') { i++; continue; }
            }
            switch (_state)
            {
                case State.Quoted:
                {
                    int k = s[i..].IndexOf((byte)'"');
                    if (k < 0) { i = s.Length; break; }
                    i += k + 1;
                    _state = State.QuoteInQuoted;
                    break;
                }
                case State.QuoteInQuoted:
                {
                    byte b = s[i];
                    if (b == (byte)'"') { _state = State.Quoted; i++; break; }
                    // The closing quote was real: what follows is handled as in an unquoted field.
                    _state = State.Unquoted;
                    _fieldStart = false;
                    break;
                }
                default:
                {
                    var rest = s[i..];
                    int k = rest.IndexOfAny(_unquotedStops);
                    var segment = k < 0 ? rest : rest[..k];
                    if (!segment.IsEmpty)
                    {
                        if (!_recordContent && segment.IndexOfAnyExcept(Blank) >= 0) _recordContent = true;
                        _fieldStart = false;
                    }
                    if (k < 0) { i = s.Length; break; }
                    i += k;
                    byte b = s[i++];
                    if (b == _delimiter) { _recordContent = true; _fieldStart = true; }
                    else if (b == (byte)'"')
                    {
                        _recordContent = true;
                        if (_fieldStart) { _state = State.Quoted; _quoteOpenedAt = Offset + i - 1; }
                        _fieldStart = false;
                    }
                    else
                    {
                        EndRecord();
                        _afterCr = b == (byte)'\r';
                    }
                    break;
                }
            }
        }
        Offset += s.Length;
    }

    private void EndRecord()
    {
        if (_recordContent) _records++;
        _recordContent = false;
        _fieldStart = true;
    }

    public override ChunkCount Finish()
    {
        if (_state == State.Quoted)
            return ChunkCount.Fail("quoted field never closed (a '\"' opens it here and no closing quote follows)", _quoteOpenedAt, "CSV");
        EndRecord();
        return ChunkCount.Ok(Math.Max(0, _records - 1), _delimiter == (byte)'\t' ? "TSV rows after the header" : "CSV rows after the header");
    }
}
