using System.Text.RegularExpressions;
using Stepwise.Core.Keys;
using Stepwise.Core.Model;
using Stepwise.Core.Text;
using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server;

namespace Stepwise.LanguageServer.Handlers;

/// <summary>
/// textDocument/completion: the keys of the detected dialect (spelled as that dialect spells them, with their docs
/// and defaults), the allowed values of enum and boolean keys (optim, lr_scheduler_type, strategies...), and a
/// QLoRA recipe snippet in YAML. A document that is not a training config gets nothing.
/// </summary>
public static partial class Completions
{
    [GeneratedRegex(@"^(?<indent>[ \t]*)(?<word>[A-Za-z0-9_.\-]*)$")] private static partial Regex YamlKey();
    [GeneratedRegex(@"^[ \t]*(?<key>[A-Za-z0-9_.\-]+)[ \t]*:[ \t]*(?<word>[^\s#]*)$")] private static partial Regex YamlValue();
    [GeneratedRegex(@"^[ \t]*(?<quote>""?)(?<word>[A-Za-z0-9_.\-]*)$")] private static partial Regex JsonKey();
    [GeneratedRegex(@"""(?<key>[A-Za-z0-9_.\-]+)""[ \t]*:[ \t]*(?<quote>""?)(?<word>[A-Za-z0-9_.\-]*)$")] private static partial Regex JsonValue();
    [GeneratedRegex(@"(?:^|[(,])[ \t]*(?<word>[A-Za-z_][A-Za-z0-9_]*)?$")] private static partial Regex PythonKey();
    [GeneratedRegex(@"(?<key>[A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(?<quote>[""']?)(?<word>[A-Za-z0-9_.\-]*)$")] private static partial Regex PythonValue();

    public static CompletionList For(DocumentSnapshot doc, LspPosition position, bool snippets)
    {
        var empty = new CompletionList(false, Array.Empty<CompletionItem>());
        int offset = doc.Lines.OffsetOf(new Position(position.Line, position.Character));
        if (Context(doc, position.Line, offset) is not var (dialect, syntax, written)) return empty;
        // The releases the last analysis assumed: keys of other releases are not offered.
        var versions = doc.Analysis.File?.Configs.FirstOrDefault()?.Result.Versions ?? VersionAssumptions.Newest;
        var document = new CompletionContext(dialect, syntax, versions);
        int lineStart = doc.Lines.LineStart(position.Line);
        var prefix = doc.Text.Substring(lineStart, offset - lineStart);

        switch (document.Syntax)
        {
            case ConfigSyntax.Yaml:
            {
                if (YamlValue().Match(prefix) is { Success: true } v)
                    return Values(document, v.Groups["key"].Value, Word(position, v.Groups["word"].Value), q => q, ConfigSyntax.Yaml);
                if (YamlKey().Match(prefix) is { Success: true } k && k.Groups["indent"].Length == 0)
                {
                    var range = Word(position, k.Groups["word"].Value);
                    var items = Keys(document, written, k.Groups["word"].Value, range, key => key + ": ");
                    if (snippets && Recipe(document.Dialect) is { } recipe)
                        items.Add(new CompletionItem
                        {
                            Label = "qlora", Kind = CompletionItemKind.Snippet, Detail = "QLoRA recipe (4-bit NF4 base, LoRA adapters, paged 8-bit AdamW)",
                            Documentation = MarkupContent.Markdown("The QLoRA recipe of Dettmers et al. (2023) for this dialect:\n\n```yaml\n" + Plain(recipe) + "\n```"),
                            InsertTextFormat = InsertTextFormat.Snippet, TextEdit = new LspTextEdit(range, recipe), SortText = "~qlora",
                        });
                    return new CompletionList(false, items);
                }
                return empty;
            }
            case ConfigSyntax.Json:
            {
                if (JsonValue().Match(prefix) is { Success: true } v)
                {
                    var range = Word(position, v.Groups["quote"].Value + v.Groups["word"].Value, After(doc, offset, '"'));
                    return Values(document, v.Groups["key"].Value, range, q => q, ConfigSyntax.Json);
                }
                if (JsonKey().Match(prefix) is { Success: true } k)
                {
                    var range = Word(position, k.Groups["quote"].Value + k.Groups["word"].Value, After(doc, offset, '"'));
                    return new CompletionList(false, Keys(document, written, k.Groups["word"].Value, range, key => $"\"{key}\": "));
                }
                return empty;
            }
            case ConfigSyntax.Python:
            {
                if (PythonValue().Match(prefix) is { Success: true } v)
                    return Values(document, v.Groups["key"].Value, Word(position, v.Groups["quote"].Value + v.Groups["word"].Value, After(doc, offset, v.Groups["quote"].Value is { Length: 1 } q ? q[0] : '\0')), q => q, ConfigSyntax.Python);
                if (PythonKey().Match(prefix) is { Success: true } k)
                    return new CompletionList(false, Keys(document, written, k.Groups["word"].Value, Word(position, k.Groups["word"].Value), key => key + "="));
                return empty;
            }
            default:
                return empty;
        }
    }

    public sealed record CompletionContext(Dialect Dialect, ConfigSyntax Syntax, VersionAssumptions? Versions = null);

    [GeneratedRegex(@"^[ \t]*[""']?(?<key>[A-Za-z_][A-Za-z0-9_.\-]*)[""']?[ \t]*[:=]", RegexOptions.Multiline)] private static partial Regex AnyKey();

    /// <summary>
    /// The dialect, syntax and top-level keys of the config under the cursor. The line being typed often breaks the
    /// syntax (a bare word in YAML, an open quote in JSON), so when the analysis has no config the text is read
    /// again without that line; failing that, the dialect is told from the keys that look written.
    /// </summary>
    private static (Dialect, ConfigSyntax, HashSet<string>)? Context(DocumentSnapshot doc, int line, int offset)
    {
        static bool Training(Dialect d) => d is Dialect.Hf or Dialect.Axolotl or Dialect.LlamaFactory or Dialect.DeepSpeed or Dialect.Accelerate;
        var config = doc.Analysis.Configs.Where(c => Training(c.Document.Dialect))
            .OrderBy(c => c.Document.ConfigSpan is { } s && offset >= s.Start && offset <= s.End ? 0 : 1)
            .FirstOrDefault()?.Document;
        if (config is null)
        {
            int start = doc.Lines.LineStart(line), end = doc.Lines.LineContentEnd(line);
            var without = doc.Text.Remove(start, end - start);
            config = Stepwise.Readers.ConfigReaders.Read(without, doc.Path).FirstOrDefault(d => Training(d.Dialect));
        }
        if (config is not null)
            return (config.Dialect, config.Syntax, new HashSet<string>(config.Entries.Select(e => e.Key), StringComparer.Ordinal));
        var keys = AnyKey().Matches(doc.Text).Select(m => m.Groups["key"].Value).ToList();
        var (dialect, _) = Stepwise.Readers.DialectDetector.Detect(keys);
        if (!Training(dialect)) return null;
        var syntax = Stepwise.Readers.ConfigReaders.ForPath(doc.Path)?.Syntax ?? (doc.Text.TrimStart().StartsWith('{') ? ConfigSyntax.Json : ConfigSyntax.Yaml);
        return (dialect, syntax, new HashSet<string>(keys, StringComparer.Ordinal));
    }

    private static int After(DocumentSnapshot doc, int offset, char c) => offset < doc.Text.Length && c != '\0' && doc.Text[offset] == c ? 1 : 0;

    private static LspRange Word(LspPosition p, string word, int after = 0) =>
        new(new LspPosition(p.Line, p.Character - word.Length), new LspPosition(p.Line, p.Character + after));

    private static List<CompletionItem> Keys(CompletionContext doc, HashSet<string> written, string word, LspRange range, Func<string, string> insert)
    {
        var items = new List<CompletionItem>();
        var declared = KeyCatalog.For(doc.Dialect, doc.Versions ?? VersionAssumptions.Newest, python: doc.Syntax == ConfigSyntax.Python);
        foreach (var info in KeyTable.KeysOf(doc.Dialect))
        {
            var key = info.SpellingIn(doc.Dialect);
            if (written.Contains(key) && key != word) continue;
            // Stepwise's own keys always; upstream keys only where a class declares them at the assumed releases.
            if (!info.Handwritten && !declared.Contains(key)) continue;
            var def = info.DefaultIn(doc.Dialect);
            var docs = info.Description + "\n\nDefault: " + (def is null ? "not set" : $"`{Hovers.Format(def)}`")
                + (info.Values.Count > 0 ? "\n\nAllowed: " + string.Join(", ", info.Values.Select(x => $"`{x}`")) : "")
                + (info.Name != key ? $"\n\nHugging Face name: `{info.Name}`" : "");
            items.Add(new CompletionItem
            {
                Label = key,
                Kind = CompletionItemKind.Property,
                Detail = Hovers.TypeName(info.Type) + (def is null ? "" : $" = {Hovers.Format(def)}"),
                Documentation = MarkupContent.Markdown(docs),
                TextEdit = new LspTextEdit(range, insert(key)),
                FilterText = key,
                Deprecated = info.ReplacedBy is not null ? true : null,
                SortText = (info.ReplacedBy is null ? "a" : "z") + key,
            });
        }
        return items;
    }

    private static CompletionList Values(CompletionContext doc, string key, LspRange range, Func<string, string> _, ConfigSyntax syntax)
    {
        var info = KeyTable.Lookup(doc.Dialect, key);
        if (info is null) return new CompletionList(false, Array.Empty<CompletionItem>());
        IEnumerable<string> values = info.Values;
        bool quoted = syntax != ConfigSyntax.Yaml;
        if (info.Type == KeyType.Bool)
        {
            values = syntax == ConfigSyntax.Python ? new[] { "True", "False" } : new[] { "true", "false" };
            quoted = false;
        }
        var def = info.DefaultIn(doc.Dialect) is { } d ? Hovers.Format(d) : null;
        var items = values.Select((v, index) => new CompletionItem
        {
            Label = v,
            Kind = CompletionItemKind.EnumMember,
            Detail = v == def || (def is not null && string.Equals(v, def, StringComparison.OrdinalIgnoreCase)) ? "default" : null,
            TextEdit = new LspTextEdit(range, quoted ? $"\"{v}\"" : v),
            FilterText = quoted ? $"\"{v}\"" : v,
            SortText = index.ToString("D3"),
        }).ToList();
        return new CompletionList(false, items);
    }

    /// <summary>The QLoRA recipe (Dettmers et al. 2023: NF4, double quantization, bf16 compute, LoRA on all linear
    /// layers with r 64 / alpha 16 / dropout 0.1, paged AdamW, lr 2e-4, max_grad_norm 0.3, constant schedule,
    /// warmup ratio 0.03) as a snippet in the dialect's spelling.</summary>
    public static string? Recipe(Dialect d) => d switch
    {
        Dialect.Hf => "load_in_4bit: true\nbnb_4bit_quant_type: nf4\nbnb_4bit_use_double_quant: true\nbnb_4bit_compute_dtype: ${1|bfloat16,float16|}\n" +
                      "r: ${2:64}\nlora_alpha: ${3:16}\nlora_dropout: ${4:0.1}\ntarget_modules: all-linear\ntask_type: CAUSAL_LM\n" +
                      "optim: ${5|paged_adamw_32bit,paged_adamw_8bit|}\nlearning_rate: ${6:2.0e-4}\nmax_grad_norm: 0.3\nlr_scheduler_type: constant\nwarmup_ratio: 0.03\n$0",
        Dialect.Axolotl => "adapter: qlora\nload_in_4bit: true\nlora_r: ${1:64}\nlora_alpha: ${2:16}\nlora_dropout: ${3:0.1}\nlora_target_linear: true\n" +
                           "optimizer: ${4|paged_adamw_32bit,paged_adamw_8bit|}\nlearning_rate: ${5:2.0e-4}\nmax_grad_norm: 0.3\nlr_scheduler: constant\nwarmup_ratio: 0.03\n$0",
        Dialect.LlamaFactory => "finetuning_type: lora\nquantization_bit: 4\nquantization_method: bnb\nquantization_type: nf4\ndouble_quantization: true\n" +
                                "lora_rank: ${1:64}\nlora_alpha: ${2:16}\nlora_dropout: ${3:0.1}\nlora_target: all\n" +
                                "optim: ${4|paged_adamw_32bit,paged_adamw_8bit|}\nlearning_rate: ${5:2.0e-4}\nmax_grad_norm: 0.3\nlr_scheduler_type: constant\nwarmup_ratio: 0.03\n$0",
        _ => null,
    };

    /// <summary>A snippet's text with placeholders resolved to their first choice/default.</summary>
    public static string Plain(string snippet) =>
        Regex.Replace(Regex.Replace(Regex.Replace(snippet, @"\$\{\d+\|([^,|]*)[^}]*\}", "$1"), @"\$\{\d+:([^}]*)\}", "$1"), @"\$\d+", "").TrimEnd();
}
