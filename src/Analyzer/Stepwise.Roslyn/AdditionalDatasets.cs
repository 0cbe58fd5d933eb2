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
        // datasets reads .json files with the same builder: a document, or JSON Lines saved as .json.
        bool json = file.Path.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
        if (!jsonLines && !json)
            return new DatasetCount(null, "only JSON and JSON Lines datasets are counted from AdditionalFiles; state stepwise.dataset_size");
        return DatasetRows.Count(text, jsonLines, ct);
    }
}

internal sealed record DatasetCount(long? Rows, string? Problem);

/// <summary>
/// Counts records the way datasets' json builder reads them (the same answers as Stepwise.Workspace's counters,
/// which read files; this one reads an in-memory SourceText): JSON Lines give one record per line holding anything
/// but whitespace; a JSON document gives one per element of a top-level array, of the one array under a top-level
/// object (<c>{"data": [...]}</c>), or one per top-level value when several follow each other.
/// </summary>
internal static class DatasetRows
{
    public static DatasetCount Count(SourceText text, bool jsonLines, CancellationToken ct)
    {
        int i = 0;
        while (i < text.Length && (IsJsonSpace(text[i]) || text[i] == '\uFEFF')) i++;
        if (i == text.Length) return new DatasetCount(0, null);
        if (!jsonLines || text[i] == '[') return Document(text, i, ct);
        if (text[i] != '{') return new DatasetCount(null, $"not JSON Lines: the first record starts with '{text[i]}', not '{{'");
        return Lines(text, ct);
    }

    private static bool IsJsonSpace(char c) => c is ' ' or '\t' or '\r' or '\n';

    private static DatasetCount Lines(SourceText text, CancellationToken ct)
    {
        long rows = 0;
        foreach (var line in text.Lines)
        {
            ct.ThrowIfCancellationRequested();
            for (int j = line.Start; j < line.End; j++)
            {
                if (IsJsonSpace(text[j])) continue;
                rows++;
                break;
            }
        }
        return new DatasetCount(rows, null);
    }

    private static DatasetCount Document(SourceText text, int start, CancellationToken ct)
    {
        var stack = new List<char>();
        var expectValue = new List<bool>();
        long topValues = 0, arrayElements = 0, objectArrayElements = 0;
        int objectArrays = 0;
        char topKind = '\0';
        bool inString = false, escaped = false, inScalar = false;
        for (int i = start; i < text.Length; i++)
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
            if (IsJsonSpace(c)) { inScalar = false; continue; }
            bool structural = c is '[' or ']' or '{' or '}' or ',' or ':';
            if (!structural && inScalar) continue;
            inScalar = false;
            int depth = stack.Count;
            if (c is not (']' or '}' or ',' or ':') && (depth == 0 || expectValue[depth - 1]))
            {
                if (depth == 0) { topValues++; if (topKind == '\0') topKind = c; }
                else if (depth == 1 && stack[0] == '[') arrayElements++;
                else if (depth == 1 && stack[0] == '{' && c == '[') objectArrays++;
                else if (depth == 2 && stack[0] == '{' && stack[1] == '[') objectArrayElements++;
                if (depth > 0) expectValue[depth - 1] = false;
            }
            switch (c)
            {
                case '"': inString = true; break;
                case '[': stack.Add('['); expectValue.Add(true); break;
                case '{': stack.Add('{'); expectValue.Add(false); break;
                case ']': case '}':
                    if (depth == 0 || stack[depth - 1] != (c == ']' ? '[' : '{'))
                        return new DatasetCount(null, $"unmatched '{c}' at {Where(text, i)}");
                    stack.RemoveAt(depth - 1); expectValue.RemoveAt(depth - 1);
                    break;
                case ',': if (depth > 0) expectValue[depth - 1] = stack[depth - 1] == '['; break;
                case ':': if (depth > 0 && stack[depth - 1] == '{') expectValue[depth - 1] = true; break;
                default: inScalar = true; break;
            }
        }
        if (inString) return new DatasetCount(null, "the file ends inside a string");
        if (stack.Count > 0) return new DatasetCount(null, $"the file ends with {stack.Count} unclosed bracket(s)");
        if (topValues == 0) return new DatasetCount(0, null);
        if (topValues > 1) return new DatasetCount(topValues, null);
        if (topKind == '[') return new DatasetCount(arrayElements, null);
        if (topKind == '{' && objectArrays == 1) return new DatasetCount(objectArrayElements, null);
        return new DatasetCount(null, topKind == '{'
            ? (objectArrays == 0 ? "the top-level JSON object holds no list of records" : $"the top-level JSON object holds {objectArrays} lists; which one is read depends on the loader's field= argument")
            : "a single JSON value, not a list of records");
    }

    private static string Where(SourceText text, int offset)
    {
        var p = text.Lines.GetLinePosition(offset);
        return $"{p.Line + 1}:{p.Character + 1}";
    }
}
