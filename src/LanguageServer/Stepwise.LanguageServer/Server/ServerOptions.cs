using Stepwise.Workspace;

namespace Stepwise.LanguageServer.Server;

/// <summary>How a <see cref="StepwiseServer"/> is set up: limits, and the seams tests use.</summary>
public sealed class ServerOptions
{
    /// <summary>Documents longer than this (UTF-16 code units) are kept but not analysed.</summary>
    public int MaxAnalysedLength { get; init; } = 16 * 1024 * 1024;
    /// <summary>Awaited by every read-only request before it runs (tests use it to hold a request in flight).</summary>
    public Func<CancellationToken, Task>? ReadGate { get; init; }
    /// <summary>Replaces the engine entry point (tests use it to make analysis throw).</summary>
    public Func<string, string, WorkspaceOptions, FileAnalysis>? Analyze { get; init; }
    public TextWriter? Log { get; init; }
    /// <summary>Compile the JSON and engine code paths on a background thread while the connection is set up and
    /// the client sends initialized/didOpen (<see cref="Warmup"/>). The executable turns it on; tests leave it off.</summary>
    public bool WarmUp { get; init; }
    /// <summary>The token counter (and its disk cache) for packed runs; null = the shared one over ~/.cache/stepwise.</summary>
    public Stepwise.Workspace.Tokens.TokenCounter? TokenCounter { get; init; }
    /// <summary>Awaited by a background token count once it has its turn, before it starts (tests hold a count in flight).</summary>
    public Func<CancellationToken, Task>? TokenCountGate { get; init; }
}
