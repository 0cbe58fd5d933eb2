using Stepwise.Core.Packing;

namespace Stepwise.Workspace.Tokens;

/// <summary>A token count to run: its cache key, what it reads, and the work itself.</summary>
public sealed class TokenJob
{
    internal TokenJob(string key, string tokenizerFolder, string describe, long records, Func<Action<long>?, int, CancellationToken, TokenLengths> run)
    {
        Key = key; TokenizerFolder = tokenizerFolder; Describe = describe; Records = records; _run = run;
    }

    private readonly Func<Action<long>?, int, CancellationToken, TokenLengths> _run;
    /// <summary>(dataset stamps, tokenizer files, renderer and its settings, sequence length): equal keys give equal lengths.</summary>
    public string Key { get; }
    public string TokenizerFolder { get; }
    /// <summary>"tokenizer.json of /models/llama, axolotl alpaca, sequence_len 2048".</summary>
    public string Describe { get; }
    public long Records { get; }

    /// <summary>Renders and tokenizes every record (<paramref name="progress"/> gets the records done so far) on up to
    /// <paramref name="parallelism"/> threads.</summary>
    public TokenLengths Run(Action<long>? progress, int parallelism, CancellationToken ct) => _run(progress, Math.Max(1, parallelism), ct);
}

/// <summary>A token count that ran and failed; the message says what failed and what to fix.</summary>
public sealed class TokenCountException : Exception
{
    public TokenCountException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Either a job, or why the token lengths cannot be counted (no tokenizer, a format not reproduced).</summary>
public sealed record TokenJobPlan(TokenJob? Job, string? Unavailable);
