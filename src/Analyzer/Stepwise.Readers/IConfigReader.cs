using Stepwise.Core.Model;

namespace Stepwise.Readers;

/// <summary>
/// Reads one syntax into ConfigDocuments with exact spans. Pure: the text comes in, nothing is read from disk.
/// Never throws on bad input: problems become <see cref="ConfigDocument.Problems"/> (SW9001) with positions.
/// A text usually holds one configuration; a Python script may hold several (one document per training-arguments call).
/// </summary>
public interface IConfigReader
{
    ConfigSyntax Syntax { get; }
    IReadOnlyList<ConfigDocument> Read(string text, string? path);
}
