using System.Globalization;
using System.Text;

namespace Stepwise.Core.Text;

/// <summary>
/// JSON string literals, written one way everywhere (the JSON editor's fixes, the schema writer, notebook cells, the
/// trainer's Jinja <c>tojson</c>): the escapes Python's json.dumps(ensure_ascii=False) writes, other text as is.
/// </summary>
public static class JsonText
{
    public static string Quote(string s) => AppendEscaped(new StringBuilder(s.Length + 2).Append('"'), s).Append('"').ToString();

    /// <summary>The inside of a JSON string literal.</summary>
    public static string Escape(string s) => AppendEscaped(new StringBuilder(s.Length + 8), s).ToString();

    public static StringBuilder AppendEscaped(StringBuilder sb, string s)
    {
        foreach (var ch in s)
        {
            switch (ch)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (ch < 0x20) sb.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(ch);
                    break;
            }
        }
        return sb;
    }
}
