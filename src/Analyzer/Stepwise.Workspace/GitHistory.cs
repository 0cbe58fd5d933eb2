using System.Collections.Concurrent;
using System.Diagnostics;

namespace Stepwise.Workspace;

/// <summary>
/// The last committed version of a file (git HEAD), for SW1003. Asks the git command line; answers are cached per file
/// until HEAD moves. No git, no repository or an untracked file simply give null.
/// </summary>
public sealed class GitHistory
{
    private readonly ConcurrentDictionary<string, (string HeadStamp, string? Text)> _cache = new();

    public string? CommittedText(string path)
    {
        try
        {
            var full = Path.GetFullPath(path);
            var root = FindRoot(Path.GetDirectoryName(full)!);
            if (root is null) return null;
            var stamp = HeadStamp(root);
            if (_cache.TryGetValue(full, out var hit) && hit.HeadStamp == stamp) return hit.Text;
            var rel = Path.GetRelativePath(root, full).Replace('\\', '/');
            var text = Run(root, "show", $"HEAD:{rel}");
            _cache[full] = (stamp, text);
            return text;
        }
        catch (Exception) { return null; }
    }

    private static string? FindRoot(string dir)
    {
        for (var d = new DirectoryInfo(dir); d is not null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, ".git")) || File.Exists(Path.Combine(d.FullName, ".git")))
                return d.FullName;
        return null;
    }

    private static string HeadStamp(string root)
    {
        // HEAD and the ref it points at change on every commit/checkout; their times are a cheap cache key.
        var git = Path.Combine(root, ".git");
        if (!Directory.Exists(git)) return Guid.NewGuid().ToString(); // worktree/submodule file: don't cache
        var head = Path.Combine(git, "HEAD");
        var stamp = File.GetLastWriteTimeUtc(head).Ticks.ToString();
        var content = RegularFiles.ReadSmallText(head)?.Trim() ?? "";
        if (content.StartsWith("ref: ", StringComparison.Ordinal))
        {
            var refPath = Path.Combine(git, content[5..]);
            stamp += File.Exists(refPath) ? ":" + RegularFiles.ReadSmallText(refPath)?.Trim() : ":" + File.GetLastWriteTimeUtc(Path.Combine(git, "packed-refs")).Ticks;
        }
        return stamp;
    }

    private static string? Run(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi);
        if (p is null) return null;
        var error = p.StandardError.ReadToEndAsync(); // read both at once: a full stderr pipe must not block git
        // The committed version is read no further than a config may be long (TextFiles.MaxConfigBytes, in chars).
        var buffer = new char[64 * 1024];
        var output = new System.Text.StringBuilder();
        int n;
        while ((n = p.StandardOutput.Read(buffer, 0, buffer.Length)) > 0)
        {
            output.Append(buffer, 0, n);
            if (output.Length > TextFiles.MaxConfigBytes) { try { p.Kill(); } catch (Exception) { } return null; }
        }
        if (!p.WaitForExit(5000)) { try { p.Kill(); } catch (Exception) { } return null; }
        _ = error.Result;
        return p.ExitCode == 0 ? output.ToString() : null;
    }
}
