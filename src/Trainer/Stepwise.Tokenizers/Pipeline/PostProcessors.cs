using Stepwise.Tokenizers.Unicode;

namespace Stepwise.Tokenizers.Pipeline;

/// <summary>A token on its way out: id, token string, original UTF-16 range, and whether a post-processor added it.</summary>
public record struct OutToken(int Id, string Value, int Start, int End, bool Added);

/// <summary>A tokenizer.json post-processor (tokenizers/src/processors/*.rs), for one sequence (no pairs).</summary>
public abstract class PostProcessor
{
    public abstract void Process(List<OutToken> tokens, bool addSpecialTokens);
}

/// <summary>Sequence: each processor in turn.</summary>
public sealed class SequencePostProcessor(IReadOnlyList<PostProcessor> processors) : PostProcessor
{
    public override void Process(List<OutToken> tokens, bool addSpecialTokens) { foreach (var p in processors) p.Process(tokens, addSpecialTokens); }
}

/// <summary>One piece of a template: a special token's ids, or the sequence.</summary>
public sealed record TemplatePiece(bool IsSequence, string SpecialId, IReadOnlyList<int> Ids, IReadOnlyList<string> TokenStrings);

/// <summary>TemplateProcessing with its "single" template: special tokens around $A when add_special_tokens.</summary>
public sealed class TemplatePostProcessor(IReadOnlyList<TemplatePiece> single) : PostProcessor
{
    public IReadOnlyList<TemplatePiece> Single => single;

    public override void Process(List<OutToken> tokens, bool addSpecialTokens)
    {
        if (!addSpecialTokens) return;
        var result = new List<OutToken>(tokens.Count + 4);
        foreach (var piece in single)
        {
            if (piece.IsSequence) { result.AddRange(tokens); continue; }
            for (int k = 0; k < piece.Ids.Count; k++) result.Add(new OutToken(piece.Ids[k], piece.TokenStrings[k], 0, 0, true));
        }
        tokens.Clear();
        tokens.AddRange(result);
    }
}

/// <summary>
/// ByteLevel as a post-processor: adds nothing; with trim_offsets the offsets lose leading / trailing spaces
/// (pre_tokenizers/byte_level.rs process_offsets).
/// </summary>
public sealed class ByteLevelPostProcessor(bool trimOffsets, bool addPrefixSpace) : PostProcessor
{
    public override void Process(List<OutToken> tokens, bool addSpecialTokens)
    {
        if (trimOffsets) TrimOffsets(tokens, addPrefixSpace);
    }

    internal static void TrimOffsets(List<OutToken> tokens, bool addPrefixSpace)
    {
        char space = ByteLevelAlphabet.ByteToChar[' '];
        bool IsSpace(int cp) => cp == space || UnicodeChars.IsWhiteSpace(cp);
        for (int i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            string v = t.Value;
            int leading = 0, trailing = 0;
            for (int k = 0; k < v.Length;) { int cp = UnicodeChars.At(v, k, out int n); if (!IsSpace(cp)) break; leading++; k += n; }
            for (int k = v.Length; k > 0;)
            {
                int j = char.IsLowSurrogate(v[k - 1]) && k >= 2 ? k - 2 : k - 1;
                if (!IsSpace(UnicodeChars.At(v, j, out _))) break;
                trailing++; k = j;
            }
            if (leading > 0 || trailing > 0)
            {
                // The crate counts spaces in characters and moves byte-free char offsets; a space is one UTF-16 unit.
                int start = t.Start, end = t.End;
                if (leading > 0)
                {
                    bool isFirst = i == 0 || start == 0;
                    if (isFirst && addPrefixSpace && leading == 1) leading = 0;
                    start = Math.Min(start + leading, end);
                }
                if (trailing > 0 && end >= trailing) end = Math.Max(end - trailing, start);
                tokens[i] = t with { Start = start, End = end };
            }
        }
    }
}

/// <summary>RobertaProcessing: trims offsets like ByteLevel (when trim_offsets), then cls $A sep.</summary>
public sealed class RobertaPostProcessor((string Token, int Id) sep, (string Token, int Id) cls, bool trimOffsets, bool addPrefixSpace) : PostProcessor
{
    public override void Process(List<OutToken> tokens, bool addSpecialTokens)
    {
        if (trimOffsets) ByteLevelPostProcessor.TrimOffsets(tokens, addPrefixSpace);
        if (!addSpecialTokens) return;
        tokens.Insert(0, new OutToken(cls.Id, cls.Token, 0, 0, true));
        tokens.Add(new OutToken(sep.Id, sep.Token, 0, 0, true));
    }
}

/// <summary>BertProcessing: cls $A sep.</summary>
public sealed class BertPostProcessor((string Token, int Id) sep, (string Token, int Id) cls) : PostProcessor
{
    public override void Process(List<OutToken> tokens, bool addSpecialTokens)
    {
        if (!addSpecialTokens) return;
        tokens.Insert(0, new OutToken(cls.Id, cls.Token, 0, 0, true));
        tokens.Add(new OutToken(sep.Id, sep.Token, 0, 0, true));
    }
}
