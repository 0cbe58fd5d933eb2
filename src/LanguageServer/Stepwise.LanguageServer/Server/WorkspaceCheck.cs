using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Stepwise.LanguageServer.Handlers;
using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server.Training;
using Stepwise.Readers;
using Stepwise.Workspace;
using StreamJsonRpc;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// <c>stepwise.server.checkWorkspace</c>: analyses every config file under the given folders that is not open in the
/// editor and publishes its diagnostics (open documents already have theirs, from their buffer). Files are listed by
/// git where the folder is in a work tree (<c>git ls-files --cached --others --exclude-standard</c>, so .gitignore,
/// .git/info/exclude and the global excludes apply exactly as git applies them), else by a walk that skips hidden
/// folders and the usual build and package folders. Exclude globs (VS Code's <c>files.exclude</c> syntax, relative to
/// the folder) drop files and whole folders. Progress goes on the request's workDoneToken, else on a token the server
/// creates, when the client supports work-done progress; a cancelled request or progress stops at the next file.
/// </summary>
public sealed class WorkspaceCheck
{
    /// <summary>Folders that are never configs' homes, for the walk outside git.</summary>
    private static readonly HashSet<string> SkippedDirs = new(StringComparer.Ordinal) { "node_modules", "bin", "obj", "venv", "__pycache__", "site-packages" };

    /// <summary>More candidate files than this and the check stops listing (and says so).</summary>
    public const int MaxFiles = 20_000;

    private readonly IClientConnection _client;
    private readonly ServerLog _log;
    private readonly object _lock = new();
    private HashSet<string> _published = new(StringComparer.Ordinal);
    private CancellationTokenSource? _running;
    private string? _token;

    public WorkspaceCheck(IClientConnection client, ServerLog log) { _client = client; _log = log; }

    /// <summary>What to check: the folders (file URIs or paths) and the exclude globs, read from the command's arguments:
    /// strings are folders; an object may carry <c>folders</c> (strings) and <c>exclude</c> (globs).</summary>
    public static (List<string> Folders, List<string> Exclude) ParseArguments(IReadOnlyList<JsonElement>? args)
    {
        var folders = new List<string>();
        var exclude = new List<string>();
        foreach (var a in args ?? Array.Empty<JsonElement>())
        {
            if (a.ValueKind == JsonValueKind.String && a.GetString() is { Length: > 0 } s) folders.Add(s);
            else if (a.ValueKind == JsonValueKind.Object)
            {
                if (a.TryGetProperty("folders", out var f) && f.ValueKind == JsonValueKind.Array)
                    folders.AddRange(f.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).Where(x => x.Length > 0));
                if (a.TryGetProperty("exclude", out var e) && e.ValueKind == JsonValueKind.Array)
                    exclude.AddRange(e.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).Where(x => x.Length > 0));
            }
        }
        return (folders.Select(f => DocumentUris.ToPath(f)).ToList(), exclude);
    }

    /// <summary>Cancels the running check when <paramref name="token"/> is its progress token.</summary>
    public bool Cancel(string token)
    {
        lock (_lock)
        {
            if (_token != token || _running is null) return false;
            _running.Cancel();
            return true;
        }
    }

    /// <summary>A document the editor opened: its published workspace result would stand beside the pulled one.</summary>
    public void Opened(string path, bool pullDiagnostics)
    {
        if (!pullDiagnostics) return; // pushed results replace each other under one URI
        var uri = DocumentUris.FromPath(path);
        bool had;
        lock (_lock) had = _published.Remove(uri);
        if (had && _client.IsOpen)
            _ = _client.Notify("textDocument/publishDiagnostics", new PublishDiagnosticsParams(uri, null, Array.Empty<Diagnostic>()))
                .ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
    }

    public async Task<CheckWorkspaceResult> RunAsync(
        IReadOnlyList<string> folders, IReadOnlyList<string> exclude, Func<string, string, FileAnalysis> analyze,
        Func<string, (string Uri, int Version)?> lookupOpen, bool workDoneProgress, string? clientToken, CancellationToken requestCancelled)
    {
        if (folders.Count == 0) throw new ArgumentException("no workspace folder to check: pass the folder URIs as arguments");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(requestCancelled);
        var token = clientToken ?? "stepwise-check-" + Guid.NewGuid().ToString("N");
        lock (_lock)
        {
            _running?.Cancel(); // a new check replaces one still running
            _running = cts;
            _token = token;
        }
        var clock = Stopwatch.StartNew();
        var progress = new Progress(this, token, workDoneProgress || clientToken is not null);
        try
        {
            if (clientToken is null && progress.Enabled) await progress.CreateAsync().ConfigureAwait(false);
            await progress.SendAsync(new ProgressValue("begin", Title: "Stepwise: checking the workspace", Cancellable: true, Message: "listing files", Percentage: 0u)).ConfigureAwait(false);

            var matcher = new ExcludeGlobs(exclude);
            var files = new List<string>();
            bool truncated = false;
            var notes = new List<string>();
            foreach (var folder in folders.Distinct(StringComparer.Ordinal))
            {
                if (!Directory.Exists(folder)) { notes.Add($"{folder}: no such folder"); continue; }
                var (listed, how) = ListFiles(folder, cts.Token);
                _log.Info($"check workspace: {folder}: {listed.Count} candidate files ({how})");
                foreach (var f in listed)
                {
                    if (matcher.Excludes(Path.GetRelativePath(folder, f).Replace('\\', '/'))) continue;
                    if (files.Count >= MaxFiles) { truncated = true; break; }
                    files.Add(f);
                }
            }
            if (truncated) notes.Add($"more than {MaxFiles:N0} candidate files: the first {MaxFiles:N0} were checked");

            var published = new HashSet<string>(StringComparer.Ordinal);
            int configs = 0, errors = 0, warnings = 0, infos = 0, unreadable = 0, open = 0, done = 0;
            long lastReport = 0;
            foreach (var path in files)
            {
                cts.Token.ThrowIfCancellationRequested();
                done++;
                if (lookupOpen(path) is not null) { open++; continue; } // its live diagnostics come from the buffer
                var (text, error) = TextFiles.Read(path);
                if (text is null) { unreadable++; continue; }
                FileAnalysis file;
                try { file = analyze(path, text); }
                catch (Exception ex) { _log.Error($"check workspace: analysing {path} failed: {ex}"); continue; }
                if (!file.IsConfig) continue;
                configs++;
                var uri = DocumentUris.FromPath(path);
                var doc = new DocumentSnapshot(uri, path, null, 0, text, 0, _ => throw new InvalidOperationException("not analysed here"));
                var diagnostics = Diagnostics.From(doc, file, _ => null);
                errors += diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error);
                warnings += diagnostics.Count(d => d.Severity == DiagnosticSeverity.Warning);
                infos += diagnostics.Count(d => d.Severity is DiagnosticSeverity.Information or DiagnosticSeverity.Hint);
                await PublishAsync(uri, diagnostics).ConfigureAwait(false);
                published.Add(uri);
                if (clock.ElapsedMilliseconds - lastReport >= 200)
                {
                    lastReport = clock.ElapsedMilliseconds;
                    await progress.SendAsync(new ProgressValue("report", Message: $"{done}/{files.Count} files · {Path.GetFileName(path)}",
                        Percentage: (uint)(100L * done / Math.Max(1, files.Count)))).ConfigureAwait(false);
                }
            }

            // Files published by an earlier check that are no configs now (or are excluded now) lose their diagnostics.
            HashSet<string> stale;
            lock (_lock) { stale = _published; _published = published; }
            foreach (var uri in stale.Where(u => !published.Contains(u)))
                if (lookupOpen(DocumentUris.ToPath(uri)) is null) await PublishAsync(uri, Array.Empty<Diagnostic>()).ConfigureAwait(false);

            var result = new CheckWorkspaceResult(folders.ToList(), files.Count, configs, errors, warnings, infos, open, unreadable, truncated,
                clock.ElapsedMilliseconds, notes);
            var summary = $"{configs} config{(configs == 1 ? "" : "s")} in {files.Count} file{(files.Count == 1 ? "" : "s")}: " +
                $"{errors} error{(errors == 1 ? "" : "s")}, {warnings} warning{(warnings == 1 ? "" : "s")}, {infos} note{(infos == 1 ? "" : "s")}";
            _log.Info($"check workspace: {summary} ({clock.ElapsedMilliseconds} ms)" + (notes.Count > 0 ? "; " + string.Join("; ", notes) : ""));
            await progress.SendAsync(new ProgressValue("end", Message: summary)).ConfigureAwait(false);
            return result;
        }
        catch (OperationCanceledException)
        {
            await progress.SendAsync(new ProgressValue("end", Message: "cancelled")).ConfigureAwait(false);
            throw;
        }
        finally
        {
            lock (_lock)
            {
                if (ReferenceEquals(_running, cts)) { _running = null; _token = null; }
            }
        }
    }

    private async Task PublishAsync(string uri, IReadOnlyList<Diagnostic> diagnostics)
    {
        if (!_client.IsOpen) return;
        try { await _client.Notify("textDocument/publishDiagnostics", new PublishDiagnosticsParams(uri, null, diagnostics)).ConfigureAwait(false); }
        catch (Exception ex) when (ex is ConnectionLostException or ObjectDisposedException) { }
    }

    /// <summary>The candidate files (by extension: YAML, JSON, Python, notebooks) under <paramref name="folder"/>, sorted.</summary>
    public static (List<string> Files, string How) ListFiles(string folder, CancellationToken ct)
    {
        var fromGit = GitFiles(folder);
        if (fromGit is not null)
            return (fromGit.Where(f => ConfigReaders.ForPath(f) is not null && File.Exists(f)).OrderBy(f => f, StringComparer.Ordinal).ToList(), "git ls-files, .gitignore applied");
        var files = new List<string>();
        var stack = new Stack<string>();
        stack.Push(folder);
        while (stack.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            var d = stack.Pop();
            try
            {
                foreach (var f in Directory.EnumerateFiles(d)) if (ConfigReaders.ForPath(f) is not null) files.Add(f);
                foreach (var s in Directory.EnumerateDirectories(d))
                {
                    var name = Path.GetFileName(s);
                    if (name.StartsWith('.') || SkippedDirs.Contains(name)) continue;
                    if (new DirectoryInfo(s).LinkTarget is not null) continue; // no symlink loops
                    stack.Push(s);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
            if (files.Count > MaxFiles) break;
        }
        files.Sort(StringComparer.Ordinal);
        return (files, "folder walk: not a git work tree");
    }

    /// <summary>Tracked and untracked-but-not-ignored files as absolute paths, or null when git cannot list them.</summary>
    private static List<string>? GitFiles(string folder)
    {
        try
        {
            var psi = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, CreateNoWindow = true, WorkingDirectory = folder };
            foreach (var a in new[] { "-c", "core.quotePath=false", "ls-files", "-z", "--cached", "--others", "--exclude-standard" }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi);
            if (p is null) return null;
            var stderr = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(60_000)) { try { p.Kill(true); } catch (InvalidOperationException) { } return null; }
            _ = stderr.Result;
            if (p.ExitCode != 0) return null;
            return output.Split('\0', StringSplitOptions.RemoveEmptyEntries).Select(rel => Path.GetFullPath(Path.Combine(folder, rel))).Distinct(StringComparer.Ordinal).ToList();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            return null; // no git: the walk
        }
    }

    private sealed class Progress(WorkspaceCheck owner, string token, bool enabled)
    {
        public bool Enabled { get; private set; } = enabled;

        public async Task CreateAsync()
        {
            if (!owner._client.IsOpen) { Enabled = false; return; }
            try { await owner._client.Request("window/workDoneProgress/create", new WorkDoneProgressCreateParams(token)).ConfigureAwait(false); }
            catch (Exception ex) when (ex is RemoteInvocationException or ConnectionLostException or ObjectDisposedException or InvalidOperationException)
            {
                owner._log.Warning($"window/workDoneProgress/create failed ({ex.Message}): the workspace check reports no progress");
                Enabled = false;
            }
        }

        public async Task SendAsync(ProgressValue value)
        {
            if (!Enabled || !owner._client.IsOpen) return;
            try { await owner._client.Notify("$/progress", new ProgressParams(token, value)).ConfigureAwait(false); }
            catch (Exception ex) when (ex is ConnectionLostException or ObjectDisposedException) { }
        }
    }
}

/// <summary>
/// Exclude globs in VS Code's <c>files.exclude</c> syntax, matched against a path relative to the workspace folder:
/// <c>*</c> and <c>?</c> within a segment, <c>**</c> across segments, <c>{a,b}</c> alternatives, <c>[...]</c>
/// classes. A glob that matches a folder excludes everything under it (<c>**/node_modules</c>).
/// </summary>
public sealed class ExcludeGlobs
{
    private readonly List<Regex> _patterns;

    public ExcludeGlobs(IEnumerable<string> globs)
    {
        _patterns = globs.Select(g => g.Trim().Replace('\\', '/').TrimStart('/')).Where(g => g.Length > 0)
            .Select(g => new Regex("^" + ToRegex(g.TrimEnd('/')) + "(?:/.*)?$", RegexOptions.CultureInvariant)).ToList();
    }

    public bool Excludes(string relativePath) => _patterns.Any(p => p.IsMatch(relativePath));

    private static string ToRegex(string glob)
    {
        var sb = new System.Text.StringBuilder();
        int braces = 0;
        for (int i = 0; i < glob.Length; i++)
        {
            char c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                i++;
                if (i + 1 < glob.Length && glob[i + 1] == '/') { i++; sb.Append("(?:.*/)?"); }
                else sb.Append(".*");
            }
            else if (c == '*') sb.Append("[^/]*");
            else if (c == '?') sb.Append("[^/]");
            else if (c == '{') { braces++; sb.Append("(?:"); }
            else if (c == '}' && braces > 0) { braces--; sb.Append(')'); }
            else if (c == ',' && braces > 0) sb.Append('|');
            else if (c == '[')
            {
                int close = glob.IndexOf(']', i + 1);
                if (close < 0) { sb.Append("\\["); continue; }
                var body = glob[(i + 1)..close];
                if (body.StartsWith('!')) body = "^" + body[1..];
                sb.Append('[').Append(body.Replace("\\", "\\\\")).Append(']');
                i = close;
            }
            else sb.Append(Regex.Escape(c.ToString()));
        }
        while (braces-- > 0) sb.Append(')');
        return sb.ToString();
    }
}
