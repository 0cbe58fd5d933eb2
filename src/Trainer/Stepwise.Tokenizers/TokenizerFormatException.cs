namespace Stepwise.Tokenizers;

/// <summary>
/// A tokenizer file that cannot be read, or that asks for a component the pipeline cannot reproduce exactly. The
/// message names the file and the component ("tokenizer.json: pre_tokenizer.pretokenizers[0] (Split): ...").
/// It is an <see cref="IOException"/>, so every shell that reports unreadable input files reports it the same way.
/// </summary>
public sealed class TokenizerFormatException : IOException
{
    public TokenizerFormatException(string message) : base(message) { }
}
