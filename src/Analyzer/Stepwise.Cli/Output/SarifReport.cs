using System.Text.Json;
using Stepwise.Core;
using Stepwise.Core.Rules;
using Stepwise.Core.Text;
using Stepwise.Workspace;

namespace Stepwise.Cli.Output;

/// <summary>SARIF 2.1.0 for code scanning: rules from the rule table, results with 1-based UTF-16 regions, fixes as replacements.</summary>
public static class SarifReport
{
    public static void Write(IReadOnlyList<FileAnalysis> files, TextWriter output)
    {
        var rules = RuleSet.Descriptors.ToList();
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 * 1024);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
            w.WriteString("version", "2.1.0");
            w.WriteStartArray("runs");
            w.WriteStartObject();
            w.WriteStartObject("tool");
            w.WriteStartObject("driver");
            w.WriteString("name", "Stepwise");
            w.WriteString("semanticVersion", typeof(SarifReport).Assembly.GetName().Version?.ToString(3) ?? "0.1.0");
            w.WriteStartArray("rules");
            foreach (var d in rules)
            {
                w.WriteStartObject();
                w.WriteString("id", d.Id);
                w.WriteString("name", d.Title);
                w.WriteStartObject("shortDescription"); w.WriteString("text", d.Title); w.WriteEndObject();
                w.WriteStartObject("fullDescription"); w.WriteString("text", d.What); w.WriteEndObject();
                w.WriteString("helpUri", d.HelpUri.ToString());
                w.WriteStartObject("help"); w.WriteString("text", d.Why); w.WriteString("markdown", d.ToMarkdown()); w.WriteEndObject();
                w.WriteStartObject("defaultConfiguration"); w.WriteString("level", Level(d.DefaultSeverity)); w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject(); // driver
            w.WriteEndObject(); // tool
            w.WriteString("columnKind", "utf16CodeUnits");
            w.WriteStartArray("results");
            foreach (var file in files)
                foreach (var c in file.Configs)
                    foreach (var f in c.Result.Findings)
                    {
                        ChunkedJson.Drain(w, buffer, output);
                        w.WriteStartObject();
                        w.WriteString("ruleId", f.Id);
                        int index = rules.FindIndex(r => r.Id == f.Id);
                        if (index >= 0) w.WriteNumber("ruleIndex", index);
                        w.WriteString("level", Level(f.Severity));
                        w.WriteStartObject("message"); w.WriteString("text", f.Message); w.WriteEndObject();
                        w.WriteStartArray("locations");
                        w.WriteStartObject();
                        w.WriteStartObject("physicalLocation");
                        Artifact(w, f.Span.File ?? file.Path);
                        Region(w, "region", f.Span.Range);
                        w.WriteEndObject();
                        w.WriteEndObject();
                        w.WriteEndArray();
                        if (f.Fixes.Count > 0)
                        {
                            w.WriteStartArray("fixes");
                            foreach (var fix in f.Fixes)
                            {
                                w.WriteStartObject();
                                w.WriteStartObject("description"); w.WriteString("text", fix.Title); w.WriteEndObject();
                                w.WriteStartArray("artifactChanges");
                                foreach (var g in fix.Edits.GroupBy(e => e.Path ?? file.Path))
                                {
                                    w.WriteStartObject();
                                    Artifact(w, g.Key);
                                    w.WriteStartArray("replacements");
                                    foreach (var e in g)
                                    {
                                        w.WriteStartObject();
                                        Region(w, "deletedRegion", e.Edit.Range);
                                        w.WriteStartObject("insertedContent"); w.WriteString("text", e.Edit.NewText); w.WriteEndObject();
                                        w.WriteEndObject();
                                    }
                                    w.WriteEndArray();
                                    w.WriteEndObject();
                                }
                                w.WriteEndArray();
                                w.WriteEndObject();
                            }
                            w.WriteEndArray();
                        }
                        w.WriteEndObject();
                    }
            w.WriteEndArray();
            w.WriteEndObject(); // run
            w.WriteEndArray();
            w.WriteEndObject();
            ChunkedJson.Drain(w, buffer, output);
        }
        output.WriteLine();
    }

    private static string Level(Severity s) => s switch { Severity.Error => "error", Severity.Warning => "warning", _ => "note" };

    private static void Artifact(Utf8JsonWriter w, string path)
    {
        w.WriteStartObject("artifactLocation");
        w.WriteString("uri", Path.IsPathRooted(path) ? new Uri(path).AbsoluteUri : path.Replace('\\', '/'));
        w.WriteEndObject();
    }

    private static void Region(Utf8JsonWriter w, string name, TextRange r)
    {
        w.WriteStartObject(name);
        w.WriteNumber("startLine", r.Start.Line + 1);
        w.WriteNumber("startColumn", r.Start.Character + 1);
        w.WriteNumber("endLine", r.End.Line + 1);
        w.WriteNumber("endColumn", r.End.Character + 1);
        w.WriteEndObject();
    }
}
