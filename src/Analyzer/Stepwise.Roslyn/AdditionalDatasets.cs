using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Stepwise.Core.Arithmetic;
using Stepwise.Core.Model;

namespace Stepwise.Roslyn;

/// <summary>
/// Training datasets given to the compiler as AdditionalFiles, counted in memory through <see cref="AdditionalText"/>
/// (the analyzer does no file I/O). Each file is counted once per compilation.
/// </summary>
public sealed class AdditionalDatasets
{
    private readonly ImmutableArray<AdditionalText> _files;
    private readonly ConcurrentDictionary<string, DatasetCount> _counts = new(StringComparer.Ordinal);

    public AdditionalDatasets(ImmutableArray<AdditionalText> files) => _files = files.IsDefault ? ImmutableArray<AdditionalText>.Empty : files;

    /// <summary>
    /// The dataset for one creation: the file named by <c>stepwise.dataset_file</c>, else the one its TrainFile names,
    /// else the only <c>.jsonl</c> AdditionalFile. Null when none applies (N then comes from options or stays unknown).
    /// </summary>
    public ResolvedDataset? Resolve(string? datasetFileOption, ConfigEntry? trainFile, CancellationToken ct)
    {
        if (datasetFileOption is { } named)
        {
            var reference = new DatasetReference(DatasetSourceKind.PathOrHub, named, null);
            var file = Match(named);
            return file is null
                ? ResolvedDataset.Unknown(reference, $"stepwise.dataset_file '{named}' is not among the project's AdditionalFiles")
                : Resolved(reference, file, ct);
        }
        if (trainFile is not null)
        {
            if (trainFile.Value.AsString() is not { } path)
                return ResolvedDataset.Unknown(new DatasetReference(DatasetSourceKind.PathOrHub, trainFile.ValueText, trainFile.ValueSpan),
                    trainFile.Value.UnknownReason ?? "train_file is not a string");
            var reference = new DatasetReference(DatasetSourceKind.PathOrHub, path, trainFile.ValueSpan);
            var file = Match(path);
            return file is null
                ? ResolvedDataset.Unknown(reference, $"'{path}' is not among the project's AdditionalFiles (add <AdditionalFiles Include=\"{path}\" />)")
                : Resolved(reference, file, ct);
        }
        var jsonl = _files.Where(f => f.Path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)).ToList();
        if (jsonl.Count == 1)
            return Resolved(new DatasetReference(DatasetSourceKind.PathOrHub, FileName(jsonl[0].Path), null), jsonl[0], ct);
        if (jsonl.Count > 1)
            return ResolvedDataset.Unknown(new DatasetReference(DatasetSourceKind.PathOrHub, "AdditionalFiles", null),
                $"{jsonl.Count} .jsonl AdditionalFiles ({string.Join(", ", jsonl.Select(f => FileName(f.Path)))}); name one with stepwise.dataset_file");
        return null;
    }

    private ResolvedDataset Resolved(DatasetReference reference, AdditionalText file, CancellationToken ct)
    {
        var count = _counts.GetOrAdd(file.Path, _ => Count(file, ct));
        return count.Rows is long rows
            ? new ResolvedDataset(reference, rows, $"{FileName(file.Path)}: {Schedules.Num(rows)} rows (AdditionalFiles)")
            : ResolvedDataset.Unknown(reference, $"{FileName(file.Path)}: {count.Problem}");
    }

    private AdditionalText? Match(string name)
    {
        var wanted = Normalize(name);
        if (wanted.StartsWith("./", StringComparison.Ordinal)) wanted = wanted.Substring(2);
        foreach (var f in _files)
        {
            var path = Normalize(f.Path);
            if (path == wanted || path.EndsWith("/" + wanted, StringComparison.Ordinal)) return f;
        }
        return null;
    }

    private static string Normalize(string p) => p.Replace('\\', '/');
    private static string FileName(string p) => Normalize(p).Split('/').Last();

    private static DatasetCount Count(AdditionalText file, CancellationToken ct)
    {
        var text = file.GetText(ct);
        if (text is null) return new DatasetCount(null, "could not be read");
        bool jsonLines = file.Path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || file.Path.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase);
        bool json = file.Path.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
        if (!jsonLines && !json)
            return new DatasetCount(null, "only JSON and JSON Lines datasets are counted from AdditionalFiles; state stepwise.dataset_size");
        return DatasetRows.Count(text, jsonLines, ct);
    }
}

internal sealed record DatasetCount(long? Rows, string? Problem);

/// <summary>Counts records: JSON Lines (one per non-blank line) or a top-level JSON array (one per element).</summary>
internal static class DatasetRows
{
    public static DatasetCount Count(SourceText text, bool jsonLines, CancellationToken ct)
    {
        int i = 0;
        while (i < text.Length && (char.IsWhiteSpace(text[i]) || text[i] == '\uFEFF')) i++;
        if (i == text.Length) return new DatasetCount(0, null);
        // HF datasets reads a .json file as JSON Lines unless it holds one top-level array.
        if (jsonLines || text[i] != '[') return Lines(text, ct);
        return Array(text, i, ct);
    }

    private static DatasetCount Lines(SourceText text, CancellationToken ct)
    {
        long rows = 0;
        foreach (var line in text.Lines)
        {
            ct.ThrowIfCancellationRequested();
            for (int j = line.Start; j < line.End; j++)
            {
                if (char.IsWhiteSpace(text[j])) continue;
                if (text[j] != '{' && text[j] != '[')
                    return new DatasetCount(null, $"line {line.LineNumber + 1} is not a JSON record");
                rows++;
                break;
            }
        }
        return new DatasetCount(rows, null);
    }

    private static DatasetCount Array(SourceText text, int open, CancellationToken ct)
    {
        long rows = 0;
        int depth = 0;
        bool inString = false, escaped = false, expectValue = true;
        for (int i = open; i < text.Length; i++)
        {
            if ((i & 0xFFFF) == 0) ct.ThrowIfCancellationRequested();
            char c = text[i];
            if (inString)
            {
                if (escaped) escaped = false;
                else if (c == '\\') escaped = true;
                else if (c == '"') inString = false;
                continue;
            }
            if (char.IsWhiteSpace(c)) continue;
            if (depth == 1 && expectValue && c != ']' && c != ',') { rows++; expectValue = false; }
            switch (c)
            {
                case '"': inString = true; break;
                case '[': case '{': depth++; break;
                case ']': case '}':
                    depth--;
                    if (depth == 0)
                    {
                        for (int j = i + 1; j < text.Length; j++)
                            if (!char.IsWhiteSpace(text[j]))
                                return new DatasetCount(null, $"unexpected text after the top-level array at {Where(text, j)}");
                        return new DatasetCount(rows, null);
                    }
                    break;
                case ',' when depth == 1: expectValue = true; break;
            }
        }
        return new DatasetCount(null, $"the top-level JSON array is not closed (end of file at {Where(text, text.Length)})");
    }

    private static string Where(SourceText text, int offset)
    {
        var p = text.Lines.GetLinePosition(offset);
        return $"{p.Line + 1}:{p.Character + 1}";
    }
}
