using System.Text;

namespace Stepwise.Workspace;

/// <summary>Reads config files as text, refusing what is not text before any parser sees it.</summary>
public static class TextFiles
{
    /// <summary>Configs above this size are refused (a config is kilobytes; 10 MB ones are checked in well under a second).</summary>
    public const long MaxConfigBytes = 64L * 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The text of a file, or a one-line reason it cannot be read as a UTF-8 config.</summary>
    public static (string? Text, string? Error) Read(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) return (null, Directory.Exists(path) ? "is a folder" : "no such file");
            if (info.Length > MaxConfigBytes) return (null, $"file is {info.Length / (1024 * 1024)} MB; configs above {MaxConfigBytes / (1024 * 1024)} MB are not analysed");
            var bytes = File.ReadAllBytes(path);
            return Decode(bytes);
        }
        catch (UnauthorizedAccessException) { return (null, "permission denied"); }
        catch (IOException ex) { return (null, ex.Message); }
    }

    public static (string? Text, string? Error) Decode(byte[] bytes)
    {
        int probe = Math.Min(bytes.Length, 8192);
        int nul = Array.IndexOf(bytes, (byte)0, 0, probe);
        if (nul >= 0) return (null, $"binary file (NUL byte at offset {nul}); not a config");
        try
        {
            int skip = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
            return (StrictUtf8.GetString(bytes, skip, bytes.Length - skip), null);
        }
        catch (DecoderFallbackException ex)
        {
            return (null, $"not UTF-8 text (invalid byte at offset {ex.Index}); save the file as UTF-8");
        }
    }
}
