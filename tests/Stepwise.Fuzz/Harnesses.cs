using System.Text;
using System.Text.Json;
using Stepwise.Cli.Output;
using Stepwise.Core;
using Stepwise.Core.Arithmetic;
using Stepwise.Core.Model;
using Stepwise.Core.Text;
using Stepwise.LanguageServer.Server;
using Stepwise.Readers;
using Stepwise.Readers.Yaml;
using Stepwise.Workspace;
using Stepwise.Workspace.Datasets;
using Stepwise.Workspace.Datasets.Counting;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace Stepwise.Fuzz;

/// <summary>
/// The harnesses: every reader (YAML fast path and YamlDotNet, JSONC, Python, notebooks, directives), the dataset
/// counters, DeepSpeed/accelerate references, the whole engine (text, findings, fixes applied, re-check) and the LSP
/// framing. Each checks, on every input: no exception escapes; every span lies inside its text with a range that
/// matches its offsets; every schedule number is finite and non-negative; the JSON and SARIF reports are valid JSON;
/// every fix applies and the fixed text reads again without a new syntax error; applying preferred fixes one after the
/// other ends (no text comes back). Differential oracles where an independent parser exists: YamlDotNet for the fast
/// YAML parser, System.Text.Json for the JSON reader and for JSON Lines counts.
/// </summary>
public static class Harnesses
{
    public static IReadOnlyList<Harness> All(string? sharedCorpus) => new[]
    {
        new Harness { Name = "yaml", Run = Yaml, Seeds = Seeds.Files(sharedCorpus, ".yaml", ".yml"), Dictionary = Seeds.YamlTokens },
        new Harness { Name = "yaml-fallback", Run = YamlFallback, Seeds = Seeds.Files(sharedCorpus, ".yaml", ".yml"), Dictionary = Seeds.YamlTokens },
        new Harness { Name = "json", Run = Json, Seeds = Seeds.Files(sharedCorpus, ".json").Concat(Seeds.JsonConfigs).ToList(), Dictionary = Seeds.JsonTokens },
        new Harness { Name = "python", Run = b => Pipeline(b, "train.py"), Seeds = Seeds.Files(sharedCorpus, ".py"), Dictionary = Seeds.PythonTokens },
        new Harness { Name = "notebook", Run = b => Pipeline(b, "train.ipynb"), Seeds = Seeds.Files(sharedCorpus, ".ipynb"), Dictionary = Seeds.NotebookTokens, MaxLength = 64 * 1024 },
        new Harness { Name = "directives", Run = DirectivesHarness, Seeds = Seeds.Directives, Dictionary = Seeds.DirectiveTokens },
        new Harness { Name = "datasets", Run = Datasets, Seeds = Seeds.DataFiles(sharedCorpus), Dictionary = Seeds.DataTokens },
        new Harness { Name = "deepspeed-accelerate", Run = References, Seeds = Seeds.Files(sharedCorpus, ".json").Take(30).Concat(Seeds.AccelerateConfigs).ToList(), Dictionary = Seeds.JsonTokens.Concat(Seeds.YamlTokens).ToList() },
        new Harness { Name = "engine", Run = Engine, Seeds = Seeds.EngineSeeds(sharedCorpus), Dictionary = Seeds.YamlTokens.Concat(Seeds.JsonTokens).Concat(Seeds.PythonTokens).ToList() },
        new Harness { Name = "lsp-framing", Run = LspFraming, Seeds = Seeds.LspStreams, Dictionary = Seeds.LspTokens },
    };

    public static string Text(byte[] b) => Encoding.UTF8.GetString(b);

    private static void Check(bool ok, string message) { if (!ok) throw new InvariantException(message); }

    /// <summary>The message of a check is built only when the check fails (they run for every span of every input).</summary>
    private static void Check(bool ok, [System.Runtime.CompilerServices.InterpolatedStringHandlerArgument("ok")] ref CheckMessage message)
    {
        if (!ok) throw new InvariantException(message.ToStringAndClear());
    }

    [System.Runtime.CompilerServices.InterpolatedStringHandler]
    public ref struct CheckMessage
    {
        private System.Runtime.CompilerServices.DefaultInterpolatedStringHandler _inner;
        public CheckMessage(int literalLength, int formattedCount, bool ok, out bool shouldAppend)
        {
            shouldAppend = !ok;
            _inner = shouldAppend ? new System.Runtime.CompilerServices.DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
        }
        public void AppendLiteral(string s) => _inner.AppendLiteral(s);
        public void AppendFormatted<T>(T value) => _inner.AppendFormatted(value);
        public void AppendFormatted<T>(T value, string? format) => _inner.AppendFormatted(value, format);
        public string ToStringAndClear() => _inner.ToStringAndClear();
    }

    // ---- readers --------------------------------------------------------------------------------

    private static void Yaml(byte[] b)
    {
        var text = Text(b);
        bool fast = FastYamlParser.TryParse(text, YamlConfigReader.MaxDepth, out var root);
        bool eagerOk = FastYamlParser.TryParse(text, YamlConfigReader.MaxDepth, lazy: false, out var eager);
        Check(fast == eagerOk, $"lazy fast parse {(fast ? "accepted" : "refused")} what the eager one {(eagerOk ? "accepted" : "refused")}");
        if (fast)
        {
            // Differential: YamlDotNet's events must give the same nodes wherever the fast parser accepts the text.
            var problems = new List<ReadProblem>();
            int last = 0;
            YamlNode? oracle = null;
            bool oracleOk;
            try { oracle = YamlConfigReader.Parse(text, problems, new LineIndex(text), ref last); oracleOk = problems.Count == 0; }
            catch (YamlDotNet.Core.YamlException) { oracleOk = false; }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException) { oracleOk = false; }
            Check(oracleOk, "the fast YAML parser accepted a text YamlDotNet refuses");
            string a = Dump(root), e2 = Dump(eager), o = Dump(oracle);
            Check(a == e2, "lazy and eager fast parses differ:\n" + a + "\n---\n" + e2);
            Check(a == o, "the fast YAML parser and YamlDotNet differ:\n" + a + "\n--- YamlDotNet:\n" + o);
        }
        Pipeline(b, "config.yaml");
    }

    private static void YamlFallback(byte[] b)
    {
        var text = Text(b);
        var problems = new List<ReadProblem>();
        int last = 0;
        try { Dump(YamlConfigReader.Parse(text, problems, new LineIndex(text), ref last)); }
        catch (YamlDotNet.Core.YamlException) { }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException) { } // the reader catches these too
        Pipeline(b, "config.yml");
    }

    internal static string Dump(YamlNode? n)
    {
        var sb = new StringBuilder();
        void Walk(YamlNode? x, int depth)
        {
            if (x is null) { sb.Append("null\n"); return; }
            sb.Append(' ', depth * 2).Append($"{x.Kind} {x.Start}-{x.End} {(x.Kind == YamlNodeKind.Scalar ? $"{x.Style} [{x.Scalar}]" : x.Flow ? "flow" : "block")}\n");
            foreach (var c in x.Children) Walk(c, depth + 1);
        }
        Walk(n, 0);
        return sb.ToString();
    }

    private static void Json(byte[] b)
    {
        var text = Text(b);
        Pipeline(b, "config.json");
        // Differential: what System.Text.Json reads (JSONC: comments, trailing commas) our reader reads the same.
        JsonDocument oracle;
        try { oracle = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 200 }); }
        catch (JsonException) { return; }
        using (oracle)
        try
        {
            var doc = ConfigReaders.Read(text, "config.json").Single();
            Check(doc.Problems.Count == 0, "System.Text.Json reads a text our JSON reader refuses: " + string.Join("; ", doc.Problems.Select(p => p.Message)));
            if (oracle.RootElement.ValueKind != JsonValueKind.Object) return;
            var props = oracle.RootElement.EnumerateObject().ToList();
            Check(props.Count == doc.Entries.Count, $"{props.Count} members, our reader has {doc.Entries.Count} entries");
            for (int i = 0; i < props.Count; i++)
            {
                Check(props[i].Name == doc.Entries[i].Key, $"key {i}: {props[i].Name} vs {doc.Entries[i].Key}");
                Same(props[i].Value, doc.Entries[i].Value, props[i].Name);
            }
        }
        catch (InvalidOperationException e) when (e.Message.Contains("surrogate", StringComparison.Ordinal)) { } // System.Text.Json will not decode a lone surrogate escape (in a key): no oracle
    }

    private static void Same(JsonElement e, ConfigValue v, string path)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                Check(v.Kind == ValueKind.Mapping, $"{path}: object read as {v.Kind}");
                var props = e.EnumerateObject().ToList();
                Check(props.Count == v.Entries.Count, $"{path}: {props.Count} members vs {v.Entries.Count}");
                for (int i = 0; i < props.Count; i++) Same(props[i].Value, v.Entries[i].Value, path + "." + props[i].Name);
                break;
            case JsonValueKind.Array:
                Check(v.Kind == ValueKind.Sequence, $"{path}: array read as {v.Kind}");
                var items = e.EnumerateArray().ToList();
                Check(items.Count == v.Items.Count, $"{path}: {items.Count} items vs {v.Items.Count}");
                for (int i = 0; i < items.Count; i++) Same(items[i], v.Items[i], $"{path}[{i}]");
                break;
            case JsonValueKind.String:
                string? expected;
                try { expected = e.GetString(); }
                catch (InvalidOperationException) { break; } // a lone surrogate escape System.Text.Json will not decode
                Check(v.Kind == ValueKind.String && expected == v.AsString(), $"{path}: string {e.GetRawText()} read as {v}");
                break;
            case JsonValueKind.Number:
                double d = double.Parse(e.GetRawText(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);
                Check(v.AsDouble() is double x && (x.Equals(d) || Math.Abs(x - d) <= Math.Abs(d) * 1e-15), $"{path}: number {e.GetRawText()} read as {v}");
                break;
            case JsonValueKind.True or JsonValueKind.False:
                Check(v.AsBool() == e.GetBoolean(), $"{path}: {e.GetRawText()} read as {v}");
                break;
            default:
                Check(v.Kind == ValueKind.Null, $"{path}: null read as {v}");
                break;
        }
    }

    private static void DirectivesHarness(byte[] b)
    {
        var text = Text(b);
        var lines = new LineIndex(text);
        var found = Stepwise.Readers.Directives.Find(text, lines);
        foreach (var d in found) SpanInside(d.Span, text, lines, "directive");
        foreach (var p in Stepwise.Readers.Directives.Check(found)) SpanInside(p.Span, text, lines, "directive problem");
        Pipeline(b, "directives.yaml");
    }

    // ---- datasets -------------------------------------------------------------------------------

    private static void Datasets(byte[] b)
    {
        foreach (var format in new[] { DataFormat.JsonLines, DataFormat.Json, DataFormat.Csv, DataFormat.Tsv, DataFormat.Text })
        {
            ChunkCount c;
            try { c = RecordCounter.CountScanned(new MemoryStream(b, writable: false), format, bufferBytes: 4096); }
            catch (Exception e) when (e is InvalidDataException) { continue; } // CountUncached reports these as unreadable files
            Check(c.Rows is null ? c.Problem is not null : c.Rows >= 0, $"{format}: rows {c.Rows}, problem {c.Problem}");
            Check(c.ProblemOffset is null || (c.ProblemOffset >= 0 && c.ProblemOffset <= b.Length), $"{format}: problem offset {c.ProblemOffset} outside {b.Length} bytes");
            if (format == DataFormat.JsonLines && JsonLinesOracle(b) is long expected)
                Check(c.Rows == expected, $"JSON Lines: counted {c.Rows?.ToString() ?? c.Problem}, System.Text.Json reads {expected} objects");
        }
        foreach (var count in new Func<Stream, ChunkCount>[] { s => ParquetFooter.Count(s), s => ArrowStreamCounter.Count(s) })
        {
            try { count(new MemoryStream(b, writable: false)); }
            // CountUncached turns these into "malformed file" findings: a binary format's reader tripping over its offsets.
            catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or IndexOutOfRangeException or OverflowException or FormatException or NotSupportedException) { }
        }
    }

    /// <summary>Objects in a JSON Lines text as System.Text.Json reads them line by line, when every non-blank line is
    /// one object and the text is plain (no BOM, CR or NUL, valid UTF-8); else null (no opinion).</summary>
    private static long? JsonLinesOracle(byte[] b)
    {
        if (b.Length == 0 || b.AsSpan().IndexOfAny((byte)'\r', (byte)0) >= 0 || b.AsSpan().StartsWith("\uFEFF"u8)) return null;
        try { new UTF8Encoding(false, true).GetString(b); } catch (DecoderFallbackException) { return null; }
        long n = 0;
        foreach (var line in Encoding.UTF8.GetString(b).Split('\n'))
        {
            if (line.Trim(' ', '\t').Length == 0) continue;
            try
            {
                using var d = JsonDocument.Parse(line);
                if (d.RootElement.ValueKind != JsonValueKind.Object) return null;
                n++;
            }
            catch (JsonException) { return null; }
        }
        return n;
    }

    // ---- referenced configs -----------------------------------------------------------------------

    private const string Training = "# stepwise: dataset_size=1000\nper_device_train_batch_size: 4\ngradient_accumulation_steps: 2\nmax_steps: 100\ndeepspeed: ds.json\n";

    private static void References(byte[] b)
    {
        var text = Text(b);
        var main = ConfigReaders.Read(Training, "train.yaml").Single();
        // The same bytes as a DeepSpeed JSON and as an accelerate YAML, both referenced by one training config.
        var ds = ConfigReaders.Read(text, "ds.json").FirstOrDefault();
        var acc = ConfigReaders.Read(text, "accelerate.yaml").FirstOrDefault();
        var inputs = new AnalysisInputs(main) { DeepSpeed = ds, Accelerate = acc };
        var result = Stepwise.Core.Engine.Analyze(inputs, new AnalysisOptions());
        var texts = new Dictionary<string, string> { ["train.yaml"] = Training, ["ds.json"] = text, ["accelerate.yaml"] = text };
        foreach (var f in result.Findings)
            SpanInside(f.Span, texts[f.Span.File ?? "train.yaml"], null, f.Id);
        ScheduleSane(result);
        Reports(new[] { new FileAnalysis("train.yaml", Training, new[] { new ConfigAnalysis(main, result) }, null, Array.Empty<string>()) });
    }

    // ---- the whole engine ----------------------------------------------------------------------

    /// <summary>The first byte picks the syntax (so one corpus mixes them); the rest is the file.</summary>
    private static void Engine(byte[] b)
    {
        if (b.Length == 0) return;
        string name = (b[0] % 5) switch { 0 => "c.yaml", 1 => "c.json", 2 => "c.py", 3 => "c.ipynb", _ => "c.yml" };
        Pipeline(b.AsSpan(1).ToArray(), name, fixRounds: 6, withPrevious: b[0] >= 128);
    }

    /// <summary>Read, analyse, check spans, schedules, reports and every fix; with <paramref name="fixRounds"/>, apply
    /// preferred fixes one after another until none is left, and fail if a text comes back.</summary>
    public static void Pipeline(byte[] b, string path, int fixRounds = 1, bool withPrevious = false)
    {
        var text = Text(b);
        var seen = new HashSet<string> { text };
        for (int round = 0; round < fixRounds; round++)
        {
            var docs = ConfigReaders.Read(text, path);
            var configs = new List<ConfigAnalysis>();
            foreach (var doc in docs)
            {
                Check(ReferenceEquals(doc.Text, text) || doc.Text == text, "a document's text is not the file's");
                foreach (var e in doc.Entries) { SpanInside(e.KeySpan, text, doc.Lines, "key " + e.Path); SpanInside(e.ValueSpan, text, doc.Lines, "value " + e.Path); SpanInside(e.RemovalSpan, text, doc.Lines, "removal " + e.Path); }
                if (doc.ConfigSpan is { } cs) SpanInside(cs, text, doc.Lines, "config span");
                var inputs = new AnalysisInputs(doc) { Previous = withPrevious ? ConfigReaders.Read(text.Replace("8", "16"), path).FirstOrDefault() : null };
                var result = Stepwise.Core.Engine.Analyze(inputs, new AnalysisOptions());
                foreach (var f in result.Findings) SpanInside(f.Span, text, doc.Lines, f.Id);
                ScheduleSane(result);
                _ = ScheduleSummary.Line(result);
                _ = ScheduleSummary.Derivation(result);
                configs.Add(new ConfigAnalysis(doc, result));
            }
            Reports(new[] { new FileAnalysis(path, text, configs, null, Array.Empty<string>()) });

            // Every fix applies and reads again without a new syntax error.
            bool hadSyntaxErrors = configs.Any(c => c.Document.Problems.Any(p => p.Id == "SW9001"));
            Fix? preferred = null;
            foreach (var c in configs)
                foreach (var f in c.Result.Findings)
                    foreach (var fix in f.Fixes)
                    {
                        var edits = fix.Edits.Where(e => e.Path is null).Select(e => e.Edit).ToList();
                        foreach (var e in edits) Check(e.Start >= 0 && e.Start + e.Length <= text.Length, $"{f.Id} fix '{fix.Title}' edits outside the text");
                        string fixedText;
                        try { fixedText = TextEdit.Apply(text, edits); }
                        catch (Exception ex) { throw new InvariantException($"{f.Id} fix '{fix.Title}' does not apply: {ex.Message}"); }
                        var again = ConfigReaders.Read(fixedText, path);
                        if (!hadSyntaxErrors && again.SelectMany(d => d.Problems).FirstOrDefault(p => p.Id == "SW9001") is { } broken)
                            throw new InvariantException($"{f.Id} fix '{fix.Title}' makes the text unreadable: {broken.Message}\n--- fixed:\n{fixedText}");
                        if (preferred is null && (fix.IsPreferred || f.Fixes.Count == 1) && edits.Count == fix.Edits.Count) preferred = fix;
                    }
            if (preferred is null || round + 1 == fixRounds) return;
            text = TextEdit.Apply(text, preferred.Edits.Select(e => e.Edit));
            Check(seen.Add(text), $"applying preferred fixes loops: '{preferred.Title}' brings back an earlier text");
        }
    }

    private static void SpanInside(SourceSpan s, string text, LineIndex? lines, string what)
    {
        Check(s.Start >= 0 && s.Length >= 0 && s.Start + s.Length <= text.Length, $"{what}: span {s.Start}+{s.Length} outside a text of {text.Length}");
        if (lines is not null && ReferenceEquals(lines.Text, text))
        {
            Check(s.Range.Start == lines.PositionOf(s.Start), $"{what}: range start {s.Range.Start} is not offset {s.Start} ({lines.PositionOf(s.Start)})");
            Check(s.Range.End == lines.PositionOf(s.Start + s.Length), $"{what}: range end {s.Range.End} is not offset {s.Start + s.Length} ({lines.PositionOf(s.Start + s.Length)})");
        }
    }

    private static void ScheduleSane(AnalysisResult r)
    {
        Check(r.DatasetSize.Count is null or >= 0, $"dataset size {r.DatasetSize.Count}");
        if (r.Schedule is not { } s) return;
        foreach (var (name, v) in new (string, long?)[] { ("b", s.ProcessBatch), ("nb", s.Batches), ("L", s.MicroBatchesPerEpoch), ("U", s.StepsPerEpoch),
                     ("S", s.TotalSteps), ("loop", s.EpochLoopBound), ("samples", s.Samples), ("samples/step", s.SamplesPerStep), ("warmup", s.WarmupSteps) })
            Check(v is null or >= 0, $"schedule {name} = {v}");
        Check(s.Epochs is null || double.IsFinite(s.Epochs.Value) && s.Epochs >= 0, $"schedule epochs = {s.Epochs}");
    }

    private static void Reports(IReadOnlyList<FileAnalysis> files)
    {
        foreach (var write in new Action<IReadOnlyList<FileAnalysis>, TextWriter>[] { JsonReport.Write, SarifReport.Write })
        {
            var sw = new StringWriter();
            write(files, sw);
            try { using var _ = JsonDocument.Parse(sw.ToString()); }
            catch (JsonException e) { throw new InvariantException($"{write.Method.DeclaringType?.Name} wrote invalid JSON: {e.Message}"); }
        }
    }

    // ---- LSP framing ---------------------------------------------------------------------------

    private static readonly byte[] First = Frame("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"zz/first\"}");
    private static readonly byte[] Last = Frame("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"zz/after-garbage\"}");

    public static byte[] Frame(string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        return Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n").Concat(body).ToArray();
    }

    /// <summary>The input alone as a byte stream must be read to its end; and as garbage between two well-formed
    /// requests, the request after it must still arrive whole (the framing always finds the next header).</summary>
    private static void LspFraming(byte[] b)
    {
        ReadAll(b);
        var messages = ReadAll(First.Concat(b).Concat(Last).ToArray());
        Check(messages.FirstOrDefault() is JsonRpcRequest { Method: "zz/first" }, "the request before the garbage was not read first");
        Check(messages.Any(m => m is JsonRpcRequest { Method: "zz/after-garbage" }), "the request after the garbage was lost: " + string.Join(", ", messages.Select(m => (m as JsonRpcRequest)?.Method ?? m.GetType().Name)));
    }

    private static List<JsonRpcMessage> ReadAll(byte[] stream)
    {
        var handler = new LspMessageHandler(Stream.Null, new MemoryStream(stream, writable: false), new SystemTextJsonFormatter(), _ => { });
        var list = new List<JsonRpcMessage>();
        for (int guard = 0; guard < 100_000; guard++)
        {
            var m = handler.ReadAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
            if (m is null) return list;
            list.Add(m);
        }
        throw new InvariantException("the LSP reader returned 100,000 messages from a short input");
    }
}
