using Stepwise.LanguageServer.Protocol;
using Stepwise.Workspace;

namespace Stepwise.LanguageServer.Server;

/// <summary>What the engine said about one snapshot, already turned into LSP diagnostics.</summary>
public sealed class DocumentAnalysis
{
    public DocumentAnalysis(FileAnalysis? file, IReadOnlyList<Diagnostic> diagnostics, string? internalError, IReadOnlyList<string> watched)
    {
        File = file; Diagnostics = diagnostics; InternalError = internalError; Watched = watched;
    }

    /// <summary>Null when the engine crashed or the document is too large to analyse.</summary>
    public FileAnalysis? File { get; }
    public IReadOnlyList<Diagnostic> Diagnostics { get; }
    public string? InternalError { get; }
    /// <summary>Absolute paths of files the result depends on (datasets, DeepSpeed/accelerate configs).</summary>
    public IReadOnlyList<string> Watched { get; }

    /// <summary>The training configurations of the file (Unknown-dialect documents are not configs and get nothing).</summary>
    public IEnumerable<ConfigAnalysis> Configs => File?.Configs.Where(c => c.Document.Dialect != Stepwise.Core.Model.Dialect.Unknown) ?? Enumerable.Empty<ConfigAnalysis>();
}
