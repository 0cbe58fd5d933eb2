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
            // Regular files only: a FIFO would block the open until a writer comes, a device never ends.
            if (RegularFiles.NotRegular(path) is { } what) return (null, what == "no such file" ? what : $"is {what}, not a regular file; only regular files are read");
            var bytes = RegularFiles.ReadAllBytes(path, MaxConfigBytes);
            return Decode(bytes);
        }
        catch (FileTooLargeException ex) { return (null, $"file is {ex.Length / (1024 * 1024)} MB; configs above {MaxConfigBytes / (1024 * 1024)} MB are not analysed"); }
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
