using System.Collections.Generic;
using Stepwise.Core.Text;

namespace Stepwise.Core.Model;

/// <summary>The text syntax a document is written in; decides how fixes are spelled.</summary>
public enum ConfigSyntax { Yaml, Json, Python, CSharp }

/// <summary>Which tool a config is written for. Keys and defaults differ between them.</summary>
public enum Dialect { Unknown, Hf, Axolotl, LlamaFactory, DeepSpeed, Accelerate }

public static class DialectNames
{
    public static string Id(this Dialect d) => d switch
    {
        Dialect.Hf => "hf",
        Dialect.Axolotl => "axolotl",
        Dialect.LlamaFactory => "llama-factory",
        Dialect.DeepSpeed => "deepspeed",
        Dialect.Accelerate => "accelerate",
        _ => "unknown",
    };

    public static string DisplayName(this Dialect d) => d switch
    {
        Dialect.Hf => "Hugging Face TrainingArguments",
        Dialect.Axolotl => "axolotl",
        Dialect.LlamaFactory => "LLaMA-Factory",
        Dialect.DeepSpeed => "DeepSpeed",
        Dialect.Accelerate => "accelerate",
        _ => "unknown",
    };

    public static Dialect? Parse(string? id) => id?.ToLowerInvariant() switch
    {
        "hf" or "trl" or "transformers" => Dialect.Hf,
        "axolotl" => Dialect.Axolotl,
        "llama-factory" or "llamafactory" or "llama_factory" => Dialect.LlamaFactory,
        "deepspeed" => Dialect.DeepSpeed,
        "accelerate" => Dialect.Accelerate,
        _ => null,
    };
}

/// <summary>
/// One key: value pair as written, with exact spans. Nested entries (inside a mapping or a list item)
/// carry a dotted <see cref="Path"/> such as <c>datasets[0].path</c>.
/// </summary>
public sealed class ConfigEntry
{
    public ConfigEntry(string key, string path, ConfigValue value, SourceSpan keySpan, SourceSpan valueSpan,
        SourceSpan removalSpan, string valueText, string? section = null)
    {
        Key = key; Path = path; Value = value; KeySpan = keySpan; ValueSpan = valueSpan;
        RemovalSpan = removalSpan; _valueText = valueText; Section = section;
    }

    /// <summary>The key as written (dialect spelling).</summary>
    public string Key { get; }
    /// <summary>Dotted path from the document root; equals Key at the top level.</summary>
    public string Path { get; }
    public ConfigValue Value { get; }
    public SourceSpan KeySpan { get; }
    public SourceSpan ValueSpan { get; }
    /// <summary>What to delete to remove the entry cleanly (whole line(s) in YAML, the item and its comma in JSON/Python).</summary>
    public SourceSpan RemovalSpan { get; }
    /// <summary>The value's source text.</summary>
    public string ValueText => _valueText ??= _source!.Substring(ValueSpan.Start, ValueSpan.Length);
    private string? _valueText;
    private readonly string? _source;

    /// <summary>The value's source text for a message: at most <paramref name="max"/> characters ("[1, 1, 1, ..." for a
    /// 60 MB list), without cutting the whole value out of the source first.</summary>
    public string ValuePreview(int max = 60)
    {
        if (ValueSpan.Length <= max) return ValueText;
        var head = _valueText is not null ? _valueText.Substring(0, max - 3) : _source!.Substring(ValueSpan.Start, max - 3);
        return head + "...";
    }

    /// <summary>An entry whose value text is cut from <paramref name="source"/> only when asked for (large nested values).</summary>
    public static ConfigEntry FromSource(string key, string path, ConfigValue value, SourceSpan keySpan, SourceSpan valueSpan,
        SourceSpan removalSpan, string source, string? section = null) =>
        new(key, path, value, keySpan, valueSpan, removalSpan, source, section, lazy: true);

    private ConfigEntry(string key, string path, ConfigValue value, SourceSpan keySpan, SourceSpan valueSpan,
        SourceSpan removalSpan, string source, string? section, bool lazy)
    {
        Key = key; Path = path; Value = value; KeySpan = keySpan; ValueSpan = valueSpan;
        RemovalSpan = removalSpan; _source = source; Section = section;
    }
    /// <summary>For Python/C# documents: the call or type the entry belongs to (TrainingArguments, LoraConfig...).</summary>
    public string? Section { get; }
    /// <summary>
    /// For Python documents: the upstream class whose field this key is (TrainingArguments, SFTConfig, LoraConfig,
    /// BitsAndBytesConfig...), so a key is judged against its own class. For a call of a subclass defined in the file it
    /// is the upstream class the subclass extends, except for the fields that subclass declares itself, whose Owner is
    /// the subclass's own name (no upstream table knows it). Null where the file's dialect decides (YAML, JSON).
    /// </summary>
    public string? Owner { get; init; }
    public bool IsTopLevel => Path == Key;

    public override string ToString() => $"{Path} = {ValueText} @{KeySpan.Range.Start}";
}

/// <summary>An inline directive a user wrote to state what cannot be known: <c># stepwise: dataset_size=52002 world_size=2</c>.</summary>
public sealed record Directive(string Name, string Value, SourceSpan Span);

/// <summary>A problem found while reading a document (parse error, wrong type). Becomes an SW9xxx finding.</summary>
public sealed record ReadProblem(string Id, string Message, SourceSpan Span, Severity Severity = Severity.Error)
{
    /// <summary>SW9001: the text could not be read (syntax, encoding, size, nesting, a bad directive).</summary>
    public static ReadProblem Unreadable(string message, SourceSpan span, Severity severity = Severity.Error) =>
        new(Stepwise.Core.Rules.File.FileRules.ReadError.Id, message, span, severity);

    /// <summary>SW9004: a file the config refers to (DeepSpeed, accelerate, a dataset) is missing or unreadable.</summary>
    public static ReadProblem ReferenceMissing(string message, SourceSpan span, Severity severity = Severity.Warning) =>
        new(Stepwise.Core.Rules.File.FileRules.ReferenceMissing.Id, message, span, severity);

    /// <summary>SW9002: a value that cannot be used (a setting of the analysis itself, e.g. an .editorconfig entry).</summary>
    public static ReadProblem InvalidValue(string message, SourceSpan span, Severity severity = Severity.Error) =>
        new(Stepwise.Core.Rules.File.FileRules.InvalidValue.Id, message, span, severity);
}

/// <summary>
/// One configuration as read from a text: its entries with spans, its dialect, directives and read problems,
/// and the editor that spells fixes in its syntax. Documents holding several configurations (a Python file
/// with several TrainingArguments calls) are read as several ConfigDocuments sharing the same text.
/// </summary>
public sealed class ConfigDocument
{
    public ConfigDocument(string? path, string text, ConfigSyntax syntax, Dialect dialect, IReadOnlyList<ConfigEntry> entries,
        IConfigEditor editor, IReadOnlyList<Directive>? directives = null, IReadOnlyList<ReadProblem>? problems = null,
        LineIndex? lines = null, SourceSpan? configSpan = null, bool dialectCertain = false)
    {
        Path = path; Text = text; Syntax = syntax; Dialect = dialect; Entries = entries; Editor = editor;
        Directives = directives ?? System.Array.Empty<Directive>();
        Problems = problems ?? System.Array.Empty<ReadProblem>();
        Lines = lines ?? new LineIndex(text, path);
        ConfigSpan = configSpan;
        DialectCertain = dialectCertain;
    }

    public string? Path { get; }
    public string Text { get; }
    public ConfigSyntax Syntax { get; }
    public Dialect Dialect { get; }
    /// <summary>True when the dialect was recognised by its tell-tale keys (unknown keys may then be reported).</summary>
    public bool DialectCertain { get; }
    /// <summary>Top-level entries (nested ones hang off their values).</summary>
    public IReadOnlyList<ConfigEntry> Entries { get; }
    public IConfigEditor Editor { get; }
    public IReadOnlyList<Directive> Directives { get; }
    public IReadOnlyList<ReadProblem> Problems { get; }
    public LineIndex Lines { get; }
    /// <summary>Where this configuration is in the text (the call in a Python file); null for a whole file.</summary>
    public SourceSpan? ConfigSpan { get; }
    /// <summary>
    /// False for a Python document built from a BitsAndBytesConfig or LoraConfig call that no TrainingArguments-family
    /// call is connected to: it is checked on its own, and no schedule is made up from TrainingArguments' defaults.
    /// </summary>
    public bool HasTrainingArguments { get; init; } = true;

    public ConfigEntry? Find(string key)
    {
        ConfigEntry? found = null;
        foreach (var e in Entries) if (e.Key == key) found = e; // the last one wins, as in YAML loaders and Python kwargs
        return found;
    }

    /// <summary>The entry of a key written with a value: a null (YAML `key:` left empty, JSON null, Python None) means
    /// "not set" to every tool we model, so it is not returned.</summary>
    public ConfigEntry? FindSet(string key) => Find(key) is { } e && e.Value.Kind != ValueKind.Null ? e : null;

    /// <summary>A span for findings that belong to the whole document (the first line, or the config's call).</summary>
    public SourceSpan HeadSpan => ConfigSpan is { } s
        ? Lines.Span(s.Start, System.Math.Min(s.Length, Lines.LineContentEnd(s.Range.Start.Line) - s.Start))
        : Lines.Span(0, Lines.LineContentEnd(0));
}

/// <summary>
/// Spells edits in one syntax (YAML, JSON, Python call, C# initializer). The rules ask for intent
/// (rename, set, remove, add); the editor keeps indentation, commas and comments intact.
/// </summary>
public interface IConfigEditor
{
    /// <summary>How a value is written in this syntax (true/True, "text"/'text').</summary>
    string FormatValue(object? value);
    TextEdit SetValue(ConfigEntry entry, object? value);
    TextEdit Rename(ConfigEntry entry, string newKey);
    TextEdit Remove(ConfigEntry entry);
    /// <summary>Adds key: value as a new sibling right after <paramref name="anchor"/>.</summary>
    TextEdit AddAfter(ConfigEntry anchor, string key, object? value);
    /// <summary>Replaces a whole entry by key: value in place (keeps a trailing comment where the syntax has one).</summary>
    TextEdit Replace(ConfigEntry entry, string newKey, object? value);
}
