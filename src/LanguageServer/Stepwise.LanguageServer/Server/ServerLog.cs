using Stepwise.LanguageServer.Protocol;
using StreamJsonRpc;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// Logs each line once: to stderr (never stdout: it carries the protocol) until the client is initialized, then as
/// window/logMessage only. Clients show the server's stderr in the same place as its log messages (vscode-languageclient
/// writes both to the output channel), so writing both doubled every line there. Once the connection is gone, stderr again.
/// </summary>
public sealed class ServerLog
{
    private readonly TextWriter _stderr;
    private readonly object _lock = new();
    private IClientConnection? _client;

    public ServerLog(TextWriter stderr) { _stderr = stderr; }

    public void Attach(IClientConnection client) => _client = client;

    public void Error(string message) => Write(MessageType.Error, message);
    public void Warning(string message) => Write(MessageType.Warning, message);
    public void Info(string message) => Write(MessageType.Info, message);

    private void Write(int type, string message)
    {
        if (_client is { IsOpen: true } client)
        {
            _ = client.Notify("window/logMessage", new LogMessageParams(type, message))
                .ContinueWith(t => { _ = t.Exception; ToStderr(type, message); }, TaskContinuationOptions.OnlyOnFaulted);
            return;
        }
        ToStderr(type, message);
    }

    private void ToStderr(int type, string message)
    {
        var level = type switch { MessageType.Error => "error", MessageType.Warning => "warning", MessageType.Info => "info", _ => "log" };
        lock (_lock)
        {
            try { _stderr.WriteLine($"[stepwise-lsp {DateTime.Now:HH:mm:ss.fff}] {level}: {message}"); _stderr.Flush(); }
            catch (Exception) { /* stderr closed: nothing else to tell */ }
        }
    }
}
