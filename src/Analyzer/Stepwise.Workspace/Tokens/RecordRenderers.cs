using Stepwise.Tokenizers;
using Stepwise.Trainer.Data;

namespace Stepwise.Workspace.Tokens;

/// <summary>One record as the tool tokenizes it: its length, and the first and last trained label (-1: none). Length -1: dropped while tokenizing.</summary>
public readonly record struct TokenizedRecord(int Length, int FirstLabel, int LastLabel)
{
    public static readonly TokenizedRecord Invalid = new(-1, -1, -1);
}

/// <summary>Renders and tokenizes one record the way a tool's preprocessing does (see each implementation's source).</summary>
public interface IRecordRenderer
{
    /// <summary>What it reproduces, for messages ("axolotl alpaca (AlpacaPrompter, instruct)").</summary>
    string Describe { get; }
    TokenizedRecord Render(DataRecord record);
}

/// <summary>Thrown for a dataset format or template Stepwise does not reproduce: the counts stay unknown, with this reason.</summary>
public sealed class NotReproducedException : Exception
{
    public NotReproducedException(string message) : base(message) { }
}

/// <summary>Tokenizer calls the way transformers makes them.</summary>
internal static class Tok
{
    /// <summary>
    /// tokenizer(text, truncation=True, max_length=max) for one sequence: the special tokens stay, the text's own tokens
    /// are cut from the end so the whole fits (tokenization_utils_base.py truncate_sequences, "longest_first" on one
    /// sequence removes from its end).
    /// </summary>
    public static int[] Call(TextTokenizer tok, string text, bool addSpecialTokens, int? max = null)
    {
        var enc = tok.EncodeWithOffsets(text, addSpecialTokens);
        var ids = enc.Ids;
        if (max is not int m || ids.Length <= m) return ids;
        int content = enc.SequenceEnd - enc.SequenceStart, special = ids.Length - content;
        int keep = Math.Max(0, m - special);
        var result = new int[special + keep];
        Array.Copy(ids, 0, result, 0, enc.SequenceStart);
        Array.Copy(ids, enc.SequenceStart, result, enc.SequenceStart, keep);
        Array.Copy(ids, enc.SequenceEnd, result, enc.SequenceStart + keep, ids.Length - enc.SequenceEnd);
        return result;
    }
}
