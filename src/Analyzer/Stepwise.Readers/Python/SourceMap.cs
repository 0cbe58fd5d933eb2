using System.Globalization;
using System.Text;

namespace Stepwise.Readers.Python;

/// <summary>
/// Maps offsets in the Python code the reader analyses to offsets in the file's text, and spells inserted text
/// the way the file needs it. For a .py file both are the identity; for a notebook the code lives in JSON strings.
/// </summary>
public interface ISourceMap
{
    /// <summary>The host offset of the Python character at <paramref name="offset"/> (or of the end, for the code's length).</summary>
    int ToHost(int offset);
    /// <summary>Python text as it must be written into the host text.</summary>
    string Escape(string pythonText);
}

public sealed class IdentityMap : ISourceMap
{
    public static readonly IdentityMap Instance = new();
    public int ToHost(int offset) => offset;
    public string Escape(string pythonText) => pythonText;
}

/// <summary>
/// Python code assembled from JSON string literals (a notebook's code cells): every code character knows where its
/// escape sequence starts in the JSON text. Offsets at the start of a line point just after the opening quote of
/// the JSON string holding that line, so a range of whole lines maps to a range of whole JSON strings plus the
/// separators between them, and replacing it keeps the JSON valid.
/// </summary>
public sealed class JsonStringMap : ISourceMap
{
    private readonly int[] _host;

    /// <param name="host">host[i] = offset of code character i in the JSON text; host[code.Length] = the end.</param>
    public JsonStringMap(int[] host) => _host = host;

    public int ToHost(int offset) => _host[Math.Max(0, Math.Min(offset, _host.Length - 1))];

    public string Escape(string pythonText) => Stepwise.Core.Text.JsonText.Escape(pythonText);
}
