namespace Stepwise.LanguageServer.Server;

/// <summary>file:// URIs to paths and back. Buffers with other schemes (untitled:) get a made-up path whose
/// extension follows the language id, so the reader still knows the syntax.</summary>
public static class DocumentUris
{
    public static string ToPath(string uri, string? languageId = null)
    {
        if (Uri.TryCreate(uri, UriKind.Absolute, out var u) && u.IsFile) return u.LocalPath;
        var name = new string(uri.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());
        var ext = languageId switch
        {
            "yaml" => ".yaml",
            "json" or "jsonc" => ".json",
            "python" => ".py",
            "jupyter" or "ipynb" => ".ipynb",
            _ => "",
        };
        if (ext.Length > 0 && name.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) ext = "";
        return System.IO.Path.Combine(System.IO.Path.GetTempPath(), "stepwise-untitled", name + ext);
    }

    public static string FromPath(string path) => new Uri(System.IO.Path.GetFullPath(path)).AbsoluteUri;

    public static bool SamePath(string? a, string? b)
    {
        if (a is null || b is null) return false;
        try { return string.Equals(System.IO.Path.GetFullPath(a), System.IO.Path.GetFullPath(b), StringComparison.Ordinal); }
        catch (Exception) { return false; }
    }
}
