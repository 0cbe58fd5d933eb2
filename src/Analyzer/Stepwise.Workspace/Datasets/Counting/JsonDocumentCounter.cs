using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;

namespace Stepwise.Workspace.Datasets.Counting;

/// <summary>
/// Counts the records of a <c>.json</c> file the way datasets' <c>json</c> builder reads it, without building
/// any of them: a top-level array gives one record per element; a top-level object whose values include exactly
/// one array gives that array's elements (the <c>{"data": [...]}</c> shape, read with <c>field="data"</c>);
/// several top-level values in a row (JSON Lines saved as .json) give one record each.
/// </summary>
/// <remarks>
/// A depth- and string-aware byte scanner: strings are skipped with a vectorised search for '"' or '\\',
/// the inside of records with a search for brackets and quotes only; commas are looked at only where they
/// separate counted elements. Brackets are matched on an explicit stack (no recursion, so deep nesting cannot
/// overflow). It checks structure, not tokens: <c>[tru, 1]</c> counts 2.
/// </remarks>
public sealed class JsonDocumentCounter : ChunkCounter
{
    public const int MaxDepth = 1_000_000;
    private const int MaxKeyBytes = 200;

    private static readonly SearchValues<byte> Shallow = SearchValues.Create("\"[]{},:"u8);
    private static readonly SearchValues<byte> Deep = SearchValues.Create("\"[]{}"u8);
    private static readonly SearchValues<byte> StringStops = SearchValues.Create("\"\\"u8);
    private static readonly SearchValues<byte> JsonWhitespace = SearchValues.Create(" \t\r\n"u8);

    private byte[] _stack = new byte[64];
    private int _depth;
    private bool _inString, _escape;

    private long _topValues;
    private byte _topKind;            // '[', '{' or 0 before the first value

    // The array whose elements are being counted (depth 1 for a top-level array, 2 for an array under a key).
    private int _countDepth = -1;
    private long _count;
    private bool _sawElement;         // something since the last separating comma at _countDepth

    // Top-level object: its keys and, for array values, their element counts.
    private readonly List<(string Key, long? Elements)> _keys = new();
    private bool _expectKey;          // at depth 1 of the top object, the next string is a key
    private bool _capturingKey;
    private readonly List<byte> _key = new();
    private string? _pendingKey;      // key read, value not yet started

    private string? _problem;
    private long _problemAt;

    // Hot loop: compile optimised at once; a one-shot `check` would otherwise count at tier 0.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Feed(ReadOnlySpan<byte> s)
    {
        if (_problem is not null) { Offset += s.Length; return; }
        int i = 0;
        while (i < s.Length)
        {
            if (!IsShallow && s.Length - i >= 64 && Vector128.IsHardwareAccelerated)
            {
                i = SkipDeep(s, i);
                if (_problem is not null) break;
                continue;
            }
            if (_inString)
            {
                if (_escape) { _escape = false; Capture(s.Slice(i, 1)); i++; continue; }
                if (_capturingKey)
                {
                    int k = s[i..].IndexOfAny(StringStops);
                    if (k < 0) { Capture(s[i..]); break; }
                    Capture(s.Slice(i, k));
                    i += k;
                    if (s[i] == (byte)'\\') { _escape = true; Capture(s.Slice(i, 1)); i++; continue; }
                    _inString = false;
                    EndKey();
                    i++;
                    continue;
                }
                // Tight loop over the string: escapes are common in text ("\n", "\""), so stay here past them.
                while (true)
                {
                    int k = s[i..].IndexOfAny(StringStops);
                    if (k < 0) { i = s.Length; break; }
                    i += k;
                    if (s[i] == (byte)'"') { _inString = false; i++; break; }
                    if (i + 1 >= s.Length) { _escape = true; i = s.Length; break; }
                    i += 2;
                }
                continue;
            }

            bool shallow = IsShallow;
            var rest = s[i..];
            int at = rest.IndexOfAny(shallow ? Shallow : Deep);
            var segment = at < 0 ? rest : rest[..at];
            if (shallow && !segment.IsEmpty)
            {
                int c = segment.IndexOfAnyExcept(JsonWhitespace);
                if (c >= 0) Scalar(Offset + i + c);
                if (_problem is not null) break;
            }
            if (at < 0) break;
            i += at;
            long pos = Offset + i;
            byte b = s[i++];
            switch (b)
            {
                case (byte)'"':
                    ValueStarts(b, pos);
                    _inString = true;
                    break;
                case (byte)'[':
                case (byte)'{':
                    ValueStarts(b, pos);
                    if (_problem is not null) break;
                    Push(b, pos);
                    if (_depth == 1 && b == (byte)'[') StartCounting(1);
                    if (_depth == 1 && b == (byte)'{') _expectKey = _topValues == 1;
                    if (_depth == 2 && b == (byte)'[' && InTopObject) StartCounting(2);
                    break;
                case (byte)']':
                case (byte)'}':
                    Close(b, pos);
                    break;
                case (byte)',':
                    if (_depth == _countDepth)
                    {
                        if (!_sawElement) Fail("empty element: a comma with no value before it", pos);
                        _count++;
                        _sawElement = false;
                    }
                    else if (_depth == 1 && InTopObject) _expectKey = true;
                    else if (_depth == 0) Fail("a comma between top-level values (is this a JSON array missing its '['?)", pos);
                    break;
                case (byte)':':
                    if (_depth == 0) Fail("unexpected ':' at top level", pos);
                    break;
            }
            if (_problem is not null) break;
        }
        Offset += s.Length;
    }

    // Commas, colons and scalars matter only where elements are counted or top-level keys are read; deeper, inside
    // a record, only brackets outside strings do.
    private bool IsShallow => _depth <= _countDepth || _depth <= 1 || (_depth == 2 && InTopObject);

    /// <summary>
    /// Inside a record: 64 bytes at a time, finds the brackets that are outside strings with bit masks (quotes
    /// not escaped by a backslash toggle "in string"; a prefix XOR turns toggles into spans, as in simdjson's
    /// stage 1) and follows the depth until the record closes. Returns where the byte loop resumes.
    /// </summary>
    // Hot loop: compile optimised at once; a one-shot `check` would otherwise count at tier 0.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int SkipDeep(ReadOnlySpan<byte> s, int i)
    {
        ref byte r = ref MemoryMarshal.GetReference(s);
        while (i + 64 <= s.Length)
        {
            Masks(ref r, i, out ulong quotes, out ulong backslashes, out ulong opens, out ulong closes);
            // Escaped bytes: each backslash that is not itself escaped escapes the next byte (rare: walk them).
            ulong escaped = _escape ? 1UL : 0UL;
            bool carry = false;
            for (ulong bs = backslashes & ~escaped; bs != 0;)
            {
                int t = BitOperations.TrailingZeroCount(bs);
                if (t == 63) { carry = true; break; }
                escaped |= 1UL << (t + 1);
                bs &= ~(3UL << t);
            }
            ulong inString = PrefixXor(quotes & ~escaped) ^ (_inString ? ulong.MaxValue : 0UL);
            ulong brackets = (opens | closes) & ~inString;
            for (; brackets != 0; brackets &= brackets - 1)
            {
                int t = BitOperations.TrailingZeroCount(brackets);
                long pos = Offset + i + t;
                byte b = Unsafe.Add(ref r, i + t);
                if ((opens >> t & 1) != 0) Push(b, pos); else Close(b, pos);
                if (_problem is not null) return s.Length;
                if (IsShallow)
                {
                    // The record closed: the byte loop takes over right after the bracket, outside any string.
                    _inString = false;
                    _escape = false;
                    return i + t + 1;
                }
            }
            _inString = (inString >> 63) != 0;
            _escape = carry;
            i += 64;
        }
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong PrefixXor(ulong x)
    {
        x ^= x << 1; x ^= x << 2; x ^= x << 4; x ^= x << 8; x ^= x << 16; x ^= x << 32;
        return x;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Masks(ref byte r, int i, out ulong quotes, out ulong backslashes, out ulong opens, out ulong closes)
    {
        // '[' 0x5B and '{' 0x7B differ only in bit 0x20, as do ']' 0x5D and '}' 0x7D.
        if (Vector512.IsHardwareAccelerated)
        {
            var v = Vector512.LoadUnsafe(ref r, (nuint)i);
            var folded = v | Vector512.Create((byte)0x20);
            quotes = Vector512.Equals(v, Vector512.Create((byte)'"')).ExtractMostSignificantBits();
            backslashes = Vector512.Equals(v, Vector512.Create((byte)'\\')).ExtractMostSignificantBits();
            opens = Vector512.Equals(folded, Vector512.Create((byte)'{')).ExtractMostSignificantBits();
            closes = Vector512.Equals(folded, Vector512.Create((byte)'}')).ExtractMostSignificantBits();
            return;
        }
        quotes = backslashes = opens = closes = 0;
        for (int k = 0; k < 64; k += 16)
        {
            var v = Vector128.LoadUnsafe(ref r, (nuint)(i + k));
            var folded = v | Vector128.Create((byte)0x20);
            quotes |= (ulong)Vector128.Equals(v, Vector128.Create((byte)'"')).ExtractMostSignificantBits() << k;
            backslashes |= (ulong)Vector128.Equals(v, Vector128.Create((byte)'\\')).ExtractMostSignificantBits() << k;
            opens |= (ulong)Vector128.Equals(folded, Vector128.Create((byte)'{')).ExtractMostSignificantBits() << k;
            closes |= (ulong)Vector128.Equals(folded, Vector128.Create((byte)'}')).ExtractMostSignificantBits() << k;
        }
    }

    /// <summary>A non-structural, non-whitespace byte (a number, true/false/null, or junk) at depth 0..2.</summary>
    private void Scalar(long pos)
    {
        if (_depth == 0) { Fail(_topValues == 0 ? "not JSON: the file does not start with '[' or '{'" : "unexpected text after the top-level value", pos); return; }
        if (_depth == _countDepth) _sawElement = true;
        if (_depth == 1 && InTopObject && _pendingKey is { } key) { _keys.Add((key, null)); _pendingKey = null; }
    }

    private void ValueStarts(byte b, long pos)
    {
        if (_depth == 0)
        {
            if (b == (byte)'"') { Fail("the top-level JSON value is a string, not records", pos); return; }
            if (_topValues > 0 && _topKind == (byte)'[') { Fail("a second top-level value after the array", pos); return; }
            _topValues++;
            if (_topValues == 1) _topKind = b;
            return;
        }
        if (_depth == _countDepth) _sawElement = true;
        if (_depth == 1 && InTopObject)
        {
            if (_expectKey && b == (byte)'"') { _expectKey = false; _capturingKey = true; _key.Clear(); return; }
            if (_pendingKey is { } key)
            {
                _pendingKey = null;
                if (b == (byte)'[') _keys.Add((key, 0)); // count filled in when it closes
                else _keys.Add((key, null));
            }
        }
    }

    // Keys are collected for the first top-level object only: later ones mean JSON Lines, counted per value.
    private bool InTopObject => _topKind == (byte)'{' && _topValues == 1;

    private void StartCounting(int depth)
    {
        _countDepth = depth;
        _count = 0;
        _sawElement = false;
    }

    private void Push(byte b, long pos)
    {
        if (_depth >= MaxDepth) { Fail($"nesting deeper than {MaxDepth:N0} levels", pos); return; }
        if (_depth == _stack.Length) Array.Resize(ref _stack, _stack.Length * 2);
        _stack[_depth++] = b;
    }

    private void Close(byte b, long pos)
    {
        byte open = b == (byte)']' ? (byte)'[' : (byte)'{';
        if (_depth == 0) { Fail($"'{(char)b}' closes nothing", pos); return; }
        if (_stack[_depth - 1] != open) { Fail($"'{(char)b}' closes a '{(char)_stack[_depth - 1]}'", pos); return; }
        if (_depth == _countDepth)
        {
            if (_sawElement) _count++;
            else if (_count > 0) { Fail("trailing comma before ']'", pos); return; }
            if (_depth == 2 && _keys.Count > 0) _keys[^1] = (_keys[^1].Key, _count); // no key: invalid JSON, failed when the key was due
            _countDepth = -1;
        }
        _depth--;
    }

    private void Capture(ReadOnlySpan<byte> bytes)
    {
        if (!_capturingKey) return;
        foreach (var x in bytes)
            if (_key.Count < MaxKeyBytes) _key.Add(x);
    }

    private void EndKey()
    {
        _capturingKey = false;
        _pendingKey = Encoding.UTF8.GetString(_key.ToArray());
    }

    private void Fail(string problem, long pos)
    {
        _problem ??= problem;
        if (_problem == problem) _problemAt = pos;
    }

    public override ChunkCount Finish()
    {
        if (_problem is not null) return ChunkCount.Fail(_problem, _problemAt, "JSON");
        if (_inString) return ChunkCount.Fail("the file ends inside a string", Offset, "JSON");
        if (_depth > 0) return ChunkCount.Fail($"the file ends with {_depth} unclosed bracket(s)", Offset, "JSON");
        if (_topValues == 0) return ChunkCount.Ok(0, "empty JSON file");
        if (_topValues > 1) return ChunkCount.Ok(_topValues, "JSON Lines in a .json file");
        if (_topKind == (byte)'[') return ChunkCount.Ok(_count, "JSON array");

        var arrays = _keys.Where(k => k.Elements is not null).ToList();
        if (arrays.Count == 1) return ChunkCount.Ok(arrays[0].Elements!.Value, $"JSON object, list under key \"{arrays[0].Key}\"");
        string keys = string.Join(", ", _keys.Take(8).Select(k => $"\"{k.Key}\"")) + (_keys.Count > 8 ? ", ..." : "");
        return ChunkCount.Fail(arrays.Count == 0
            ? $"the top-level JSON object holds no list of records (keys: {(keys.Length == 0 ? "none" : keys)}); datasets reads it as one row at best"
            : $"the top-level JSON object holds {arrays.Count} lists ({string.Join(", ", arrays.Select(a => $"\"{a.Key}\": {a.Elements:N0}"))}); which one is read depends on the loader's field= argument",
            null, "JSON object");
    }
}
