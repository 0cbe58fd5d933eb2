using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Core.Model;
using Stepwise.Core.Packing;
using Stepwise.Tokenizers;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.Tokenization;
using Stepwise.Workspace.Datasets;

namespace Stepwise.Workspace.Tokens;

/// <summary>Planning a count: whether a config needs token lengths, and the job that counts them (the renderer its tool
/// uses, the tokenizer, the dataset files, the cache key).</summary>
public sealed partial class TokenCounter
{
    /// <summary>Whether the config's numbers depend on token lengths at all (packing, or a length filter that changes N).</summary>
    public static bool Needed(PackingSettings s) =>
        s.Packed
        || (s.Tool == PackingTool.Axolotl && s.ExcessLength != "truncate")
        || (s.Tool == PackingTool.Trl && s.Version >= new ToolVersion(1, 9) && s.LabelsMasked != false && s.SequenceLength is not null);

    /// <summary>The count a config needs, or why it cannot be made.</summary>
    public TokenJobPlan Plan(ConfigDocument doc, TrainingSetup setup, PackingSettings settings, IReadOnlyList<ResolvedDataset> datasets,
        string? configDir, string? workingDir)
    {
        try { return PlanOrThrow(doc, setup, settings, datasets, configDir, workingDir); }
        catch (NotReproducedException e) { return new(null, e.Message); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return new(null, $"cannot read what the count needs: {e.Message}"); }
        // Planning runs on every analysis: whatever else goes wrong leaves the count out, never the analysis.
        catch (Exception e) when (e is not OperationCanceledException) { return new(null, $"cannot plan the token count ({e.GetType().Name}: {e.Message})"); }
    }

    private TokenJobPlan PlanOrThrow(ConfigDocument doc, TrainingSetup setup, PackingSettings settings, IReadOnlyList<ResolvedDataset> datasets,
        string? configDir, string? workingDir)
    {
        if (datasets.Count == 0) return new(null, "no training dataset to count");
        if (datasets.FirstOrDefault(d => d.Rows is null) is { } unresolved) return new(null, $"{unresolved.Reference.Name} is not resolved");
        var (folder, looked) = TokenizerLocator.Find(doc, setup, configDir, workingDir, _roots);
        if (folder is null) return new(null, looked);

        var sources = new List<(ResolvedDataset Dataset, List<string> Files, Func<TextTokenizer, ChatTemplate?, IRecordRenderer> Renderer, long Cap)>();
        var axolotlItems = doc.Dialect == Dialect.Axolotl ? AxolotlItems(doc) : null;
        long? maxSamples = doc.Dialect == Dialect.LlamaFactory ? setup.Long("max_samples") : null;
        int seq = settings.SequenceLength ?? 2048;
        for (int i = 0; i < datasets.Count; i++)
        {
            var d = datasets[i];
            var files = d.Files.Where(f => !string.Equals(Path.GetFileName(f), "dataset_info.json", StringComparison.Ordinal)).ToList();
            if (files.Count == 0) return new(null, $"{d.Reference.Name}: no data files to read");
            if (files.FirstOrDefault(f => !RecordFiles.IsDataFile(f)) is { } other)
                return new(null, $"{d.Reference.Name}: {Path.GetFileName(other)} is not a JSON, JSONL, CSV or Parquet file (Stepwise counts the tokens of those)");
            Func<TextTokenizer, ChatTemplate?, IRecordRenderer> renderer;
            switch (doc.Dialect)
            {
                case Dialect.Axolotl:
                {
                    var item = axolotlItems is not null && i < axolotlItems.Count ? axolotlItems[i] : null;
                    string type = item?.Find("type")?.Value.AsString() ?? "";
                    bool trainOnInputs = setup.Bool("train_on_inputs");
                    string? field = item?.Find("field")?.Value.AsString();
                    renderer = type switch
                    {
                        "alpaca" => (t, _) => new AxolotlAlpacaRenderer(t, seq, trainOnInputs),
                        "completion" => (t, _) => new AxolotlCompletionRenderer(t, seq, field),
                        _ => throw Stop($"axolotl dataset type '{(type.Length == 0 ? "(none)" : type)}' is not one Stepwise renders (alpaca, completion)"),
                    };
                    break;
                }
                case Dialect.LlamaFactory:
                {
                    var templateName = setup.String("template") ?? "default";
                    if (!LlamaFactoryTemplate.Known.TryGetValue(templateName, out var template))
                        return new(null, $"LLaMA-Factory template '{templateName}' is not one Stepwise renders ({string.Join(", ", LlamaFactoryTemplate.Known.Keys)})");
                    if (setup.Document.FindSet("mask_history")?.Value.AsBool() == true) return new(null, "mask_history is not reproduced");
                    var columns = LlamaFactoryColumnsOf(d);
                    if (columns is null) return new(null, $"{d.Reference.Name}: its dataset_info.json entry uses a formatting Stepwise does not render");
                    // hparams/data_args.py: packing lowers cutoff_len by one before the examples are encoded.
                    int cutoff = settings.Packed ? seq - 1 : seq;
                    bool trainOnPrompt = setup.Document.FindSet("train_on_prompt")?.Value.AsBool() == true;
                    renderer = (t, _) => new LlamaFactoryRenderer(t, template, cutoff, trainOnPrompt, columns);
                    break;
                }
                default:
                {
                    string? textField = setup.Document.FindSet("dataset_text_field")?.Value.AsString();
                    bool? completionOnly = setup.Document.FindSet("completion_only_loss")?.Value.AsBool();
                    bool assistantOnly = setup.Document.FindSet("assistant_only_loss")?.Value.AsBool() == true;
                    renderer = (t, template) => new TrlRenderer(t, template, textField, completionOnly, assistantOnly);
                    break;
                }
            }
            long cap = maxSamples is long m && m > 0 ? m : long.MaxValue;
            sources.Add((d, files, renderer, cap));
        }

        var key = new StringBuilder("tokens/v1|");
        key.Append(settings.Describe()).Append('|').Append(seq).Append('|').Append(doc.Dialect);
        foreach (var f in TokenizerLocator.Files(folder)) key.Append('|').Append(Stamp(f));
        foreach (var s in sources)
        {
            key.Append("|ds:").Append(s.Dataset.Reference.Name).Append(':').Append(s.Cap);
            foreach (var f in s.Files) key.Append('|').Append(Stamp(f));
        }
        // What the renderers read from the config.
        foreach (var k in new[] { "train_on_inputs", "train_on_prompt", "template", "dataset_text_field", "completion_only_loss", "assistant_only_loss", "chat_template", "datasets" })
            key.Append('|').Append(k).Append('=').Append(setup.Document.FindSet(k)?.ValueText ?? "");

        long records = sources.Sum(s => Math.Min(s.Cap, s.Dataset.Rows ?? 0));
        string describe = $"{TokenizerLocator.Describe(folder)}, {settings.ToolName} {(doc.Dialect == Dialect.LlamaFactory ? "template " + (setup.String("template") ?? "default") : "rendering")}, {settings.SequenceKey} {seq}";
        return new(new TokenJob(key.ToString(), folder, describe, records, (progress, parallelism, ct) => Run(folder, sources, describe, progress, parallelism, ct)), null);

        static Exception Stop(string why) => new NotReproducedException(why);
    }

    private static string Stamp(string path)
    {
        var fi = new FileInfo(path);
        return fi.Exists ? $"{fi.FullName}:{fi.Length}:{fi.LastWriteTimeUtc.Ticks}" : path + ":missing";
    }

    /// <summary>The axolotl datasets items that name a path, in the order SetupBuilder.DatasetReferences lists them.</summary>
    private static List<ConfigValue> AxolotlItems(ConfigDocument doc)
    {
        var list = new List<ConfigValue>();
        if (doc.Find("datasets") is not { } ds) return list;
        foreach (var item in ds.Value.Items)
            if (item.Kind == ValueKind.Mapping && item.Find("path")?.Value.AsString() is not null) list.Add(item);
        return list;
    }

    /// <summary>A LLaMA-Factory dataset's formatting and columns from its dataset_info.json entry (data/parser.py DatasetAttr).</summary>
    private static LlamaFactoryColumns? LlamaFactoryColumnsOf(ResolvedDataset d)
    {
        var registry = d.Files.FirstOrDefault(f => string.Equals(Path.GetFileName(f), "dataset_info.json", StringComparison.Ordinal));
        if (registry is null) return new LlamaFactoryColumns();
        try
        {
            if (JsonNode.Parse(File.ReadAllText(registry)) is not JsonObject root || root[d.Reference.Name] is not JsonObject entry) return new LlamaFactoryColumns();
            if (entry["num_samples"] is not null) return null;   // a random sample (np.random.permutation) of the records
            if (entry["ranking"]?.GetValue<bool>() == true) return null;
            string formatting = entry["formatting"]?.GetValue<string>() ?? "alpaca";
            if (formatting is not ("alpaca" or "sharegpt")) return null;
            var c = entry["columns"] as JsonObject;
            var t = entry["tags"] as JsonObject;
            string? S(JsonObject? o, string k) => o?[k] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            if (S(c, "images") is not null || S(c, "videos") is not null || S(c, "audios") is not null || S(c, "tools") is not null) return null;
            var result = new LlamaFactoryColumns { Formatting = formatting };
            return formatting == "alpaca"
                ? result with { Prompt = S(c, "prompt") ?? "instruction", Query = S(c, "query") ?? "input", Response = S(c, "response") ?? "output", History = S(c, "history"), System = S(c, "system") }
                : result with
                {
                    Messages = S(c, "messages") ?? "conversations", System = S(c, "system"),
                    RoleTag = S(t, "role_tag") ?? "from", ContentTag = S(t, "content_tag") ?? "value",
                    UserTag = S(t, "user_tag") ?? "human", AssistantTag = S(t, "assistant_tag") ?? "gpt", SystemTag = S(t, "system_tag") ?? "system",
                };
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException or UnauthorizedAccessException) { return null; }
    }
}
