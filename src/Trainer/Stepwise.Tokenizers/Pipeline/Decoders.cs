using System.Text;
using Stepwise.Tokenizers.Text;
using Stepwise.Tokenizers.Unicode;

namespace Stepwise.Tokenizers.Pipeline;

/// <summary>A tokenizer.json decoder (tokenizers/src/decoders/*.rs): a chain over token strings, joined at the end.</summary>
public abstract class Decoder
{
    public string Decode(List<string> tokens) => string.Concat(DecodeChain(tokens));
    public abstract List<string> DecodeChain(List<string> tokens);
}

public sealed class SequenceDecoder(IReadOnlyList<Decoder> decoders) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        foreach (var d in decoders) tokens = d.DecodeChain(tokens);
        return tokens;
    }
}

/// <summary>
/// ByteLevel: the byte-alphabet characters of all tokens back to bytes, then UTF-8 with U+FFFD for invalid sequences
/// (String::from_utf8_lossy). A token with a character outside the alphabet contributes its own UTF-8 bytes.
/// </summary>
public sealed class ByteLevelDecoder : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var bytes = new List<byte>();
        var own = new List<byte>();
        foreach (var t in tokens)
        {
            own.Clear();
            bool all = true;
            foreach (char c in t)
            {
                if (ByteLevelAlphabet.CharToByte.TryGetValue(c, out byte b)) own.Add(b);
                else { all = false; break; }
            }
            if (all) bytes.AddRange(own);
            else bytes.AddRange(Encoding.UTF8.GetBytes(t));
        }
        return new List<string> { Encoding.UTF8.GetString(bytes.ToArray()) };
    }
}

/// <summary>ByteFallback: runs of &lt;0xXX&gt; tokens become their UTF-8 text, or one U+FFFD per byte when invalid.</summary>
public sealed class ByteFallbackDecoder : Decoder
{
    private static readonly UTF8Encoding Strict = new(false, true);

    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var pending = new List<byte>();
        void Flush()
        {
            if (pending.Count == 0) return;
            try { result.Add(Strict.GetString(pending.ToArray())); }
            catch (DecoderFallbackException) { for (int i = 0; i < pending.Count; i++) result.Add("\uFFFD"); }
            pending.Clear();
        }
        foreach (var t in tokens)
        {
            if (t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>' && IsHex(t[3]) && IsHex(t[4]))
            {
                pending.Add(Convert.ToByte(t.Substring(3, 2), 16));
                continue;
            }
            Flush();
            result.Add(t);
        }
        Flush();
        return result;
    }

    // u8::from_str_radix accepts a leading '+' too; "<0x+A>" is not a byte token anyone writes, so it is not reproduced.
    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);
}

/// <summary>Fuse: all tokens into one string.</summary>
public sealed class FuseDecoder : Decoder
{
    public override List<string> DecodeChain(List<string> tokens) => new() { string.Concat(tokens) };
}

/// <summary>Strip: up to start leading and stop trailing occurrences of a character removed from each token.</summary>
public sealed class StripDecoder(int content, int start, int stop) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        foreach (var t in tokens)
        {
            var cps = new List<int>(t.Length);
            for (int i = 0; i < t.Length;) { cps.Add(UnicodeChars.At(t, i, out int n)); i += n; }
            int startCut = 0;
            for (int i = 0; i < start && i < cps.Count; i++) { if (cps[i] == content) startCut = i + 1; else break; }
            int stopCut = cps.Count;
            for (int i = 0; i < stop && i < cps.Count; i++) { int index = cps.Count - i - 1; if (cps[index] == content) stopCut = index; else break; }
            var sb = new StringBuilder();
            for (int i = startCut; i < stopCut; i++) UnicodeChars.Append(sb, cps[i]);
            result.Add(sb.ToString());
        }
        return result;
    }
}

/// <summary>Replace: the pattern's matches in each token replaced by the content.</summary>
public sealed class ReplaceDecoder(IPattern pattern, string content) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var matches = new List<SplitRange>();
        foreach (var t in tokens)
        {
            matches.Clear();
            pattern.FindMatches(t, matches);
            var sb = new StringBuilder(t.Length);
            foreach (var m in matches) sb.Append(m.IsMatch ? content : t.AsSpan(m.Start, m.End - m.Start));
            result.Add(sb.ToString());
        }
        return result;
    }
}

/// <summary>
/// Metaspace: the replacement character becomes a space, except in the first token (all of them there) unless the
/// prepend_scheme is never (pre_tokenizers/metaspace.rs).
/// </summary>
public sealed class MetaspaceDecoder(int replacement, PrependScheme scheme) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            var sb = new StringBuilder(tokens[i].Length);
            var t = tokens[i];
            for (int k = 0; k < t.Length;)
            {
                int cp = UnicodeChars.At(t, k, out int n);
                if (cp == replacement) { if (!(i == 0 && scheme != PrependScheme.Never)) sb.Append(' '); }
                else UnicodeChars.Append(sb, cp);
                k += n;
            }
            result.Add(sb.ToString());
        }
        return result;
    }
}

/// <summary>BPEDecoder: the end-of-word suffix becomes a space (nothing on the last token).</summary>
public sealed class BpeDecoder(string suffix) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++) result.Add(tokens[i].Replace(suffix, i == tokens.Count - 1 ? "" : " ", StringComparison.Ordinal));
        return result;
    }
}
