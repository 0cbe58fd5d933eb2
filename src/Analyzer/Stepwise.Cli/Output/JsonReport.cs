using System.Text.Json;
using Stepwise.Core;
using Stepwise.Core.Keys;
using Stepwise.Core.Arithmetic;
using Stepwise.Core.Model;
using Stepwise.Core.Text;
using Stepwise.Workspace;

namespace Stepwise.Cli.Output;

/// <summary>
/// The JSON contract (stable; extended, never broken):
/// {"files":[{"path", "dialect", "findings":[{"id","severity","message","range","fixes":[{"title","edits":[{"range","newText"}]}]}],
/// "schedule":{"dataset_size","per_device_train_batch_size","gradient_accumulation_steps","world_size","steps_per_epoch",
/// "total_steps","epochs","samples","note"}, "schedules":[{...,"range"}], "versions":[{"library","version","source","release","commit"}]}]}.
/// Lines and characters are 0-based UTF-16 as in LSP.
/// A number that is unknown is null, never NaN or infinity (which JSON cannot hold); "note" says why the schedule or its
/// run length is null when the dataset size does not explain it (a non-finite or over-range value), else it is null.
/// </summary>
public static class JsonReport
{
    public static void Write(IReadOnlyList<FileAnalysis> files, TextWriter output)
    {
        // Written out file by file (ChunkedJson): the report of 50,000 configs is never held whole as bytes and as text.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 * 1024);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartArray("files");
            foreach (var f in files) WriteFile(w, f, () => ChunkedJson.Drain(w, buffer, output));
            w.WriteEndArray();
            w.WriteEndObject();
            ChunkedJson.Drain(w, buffer, output);
        }
        output.WriteLine();
    }

    private static void WriteFile(Utf8JsonWriter w, FileAnalysis f, Action drain)
    {
        w.WriteStartObject();
        w.WriteString("path", f.Path);
        w.WriteString("dialect", f.Dialect.Id());
        if (f.Error is not null) w.WriteString("error", f.Error);
        w.WriteStartArray("findings");
        foreach (var c in f.Configs)
        {
            foreach (var finding in c.Result.Findings) WriteFinding(w, finding, f.Path);
            drain();
        }
        w.WriteEndArray();
        var trainingConfigs = f.Configs.Where(c => c.Document.Dialect is Dialect.Hf or Dialect.Axolotl or Dialect.LlamaFactory
            && c.Document.HasTrainingArguments).ToList();
        if (trainingConfigs.Count > 0)
        {
            w.WritePropertyName("schedule");
            WriteSchedule(w, trainingConfigs[0].Result, null);
            w.WriteStartArray("schedules");
            foreach (var c in trainingConfigs)
            {
                WriteSchedule(w, c.Result, c.Document.ConfigSpan?.Range);
                drain();
            }
            w.WriteEndArray();
        }
        else w.WriteNull("schedule");
        if (trainingConfigs.Count > 0)
        {
            // The library versions the analysis assumed for this file, and why (installed, pinned, stated, newest known).
            w.WriteStartArray("versions");
            foreach (var v in trainingConfigs[0].Result.Versions.All
                         .Where(v => VersionAssumptions.LibrariesOf(trainingConfigs[0].Document.Dialect).Contains(v.Library))
                         .OrderBy(v => v.Library, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("library", v.Library);
                w.WriteString("version", v.Version);
                w.WriteString("source", v.Source);
                if (v.Release is { } r)
                {
                    w.WriteString("release", r.Version);
                    w.WriteString("commit", r.Commit);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    internal static void WriteFinding(Utf8JsonWriter w, Finding f, string filePath)
    {
        w.WriteStartObject();
        w.WriteString("id", f.Id);
        w.WriteString("severity", f.Severity.Id());
        w.WriteString("message", f.Message);
        w.WriteString("title", f.Title);
        if (f.HelpUri is not null) w.WriteString("helpUri", f.HelpUri.ToString());
        if (f.Span.File is not null && Path.GetFullPath(f.Span.File) != Path.GetFullPath(filePath)) w.WriteString("path", f.Span.File);
        WriteRange(w, "range", f.Span.Range);
        w.WriteStartArray("fixes");
        foreach (var fix in f.Fixes)
        {
            w.WriteStartObject();
            w.WriteString("title", fix.Title);
            w.WriteBoolean("isPreferred", fix.IsPreferred);
            w.WriteStartArray("edits");
            foreach (var e in fix.Edits)
            {
                w.WriteStartObject();
                if (e.Path is not null) w.WriteString("path", e.Path);
                WriteRange(w, "range", e.Edit.Range);
                w.WriteString("newText", e.Edit.NewText);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void WriteRange(Utf8JsonWriter w, string name, TextRange r)
    {
        w.WriteStartObject(name);
        w.WriteStartObject("start"); w.WriteNumber("line", r.Start.Line); w.WriteNumber("character", r.Start.Character); w.WriteEndObject();
        w.WriteStartObject("end"); w.WriteNumber("line", r.End.Line); w.WriteNumber("character", r.End.Character); w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteSchedule(Utf8JsonWriter w, AnalysisResult r, TextRange? range)
    {
        w.WriteStartObject();
        void Num(string name, long? v) { if (v is long x) w.WriteNumber(name, x); else w.WriteNull(name); }
        Num("dataset_size", r.DatasetSize.Count);
        w.WriteString("dataset_detail", r.DatasetSize.Detail);
        var s = r.Schedule;
        Num("per_device_train_batch_size", s?.Inputs.PerDeviceBatch);
        Num("gradient_accumulation_steps", s?.Inputs.GradientAccumulation);
        Num("world_size", s?.Inputs.WorldSize);
        Num("steps_per_epoch", s?.StepsPerEpoch);
        Num("total_steps", s?.TotalSteps);
        void Real(string name, double? v) { if (v is double x && double.IsFinite(x)) w.WriteNumber(name, x); else w.WriteNull(name); }
        Real("epochs", s?.Epochs is double e ? Math.Round(e, 6) : null);
        Num("samples", s?.Samples);
        Num("samples_per_step", s?.SamplesPerStep);
        Num("max_steps", s?.Inputs.MaxSteps);
        Real("num_train_epochs", s?.Inputs.NumTrainEpochs);
        Num("warmup_steps", s?.WarmupSteps);
        if (r.ScheduleNote is { } note) w.WriteString("note", note); else w.WriteNull("note");
        if (s?.Packing is { } p && (p.Packed || p.Examples is not null))
        {
            // How the tool's length handling shaped the rows: packed counts (a low/high range when the tool packs a
            // shuffled order) or why they are unknown. Numbers above that depend on them are null when unknown.
            w.WriteStartObject("packing");
            w.WriteString("tool", p.Settings.ToolName);
            w.WriteString("version", p.Settings.Version.ToString());
            w.WriteString("strategy", p.Settings.StrategyName);
            w.WriteBoolean("packed", p.Packed);
            if (p.Unknown is { } why) w.WriteString("unknown", why); else w.WriteNull("unknown");
            Num("examples", p.Examples);
            Num("tokens", p.Tokens);
            void RangeOf(string name, Stepwise.Core.Packing.CountRange? c)
            {
                if (c is not { } v) { w.WriteNull(name); return; }
                w.WriteStartObject(name); w.WriteNumber("low", v.Low); w.WriteNumber("high", v.High); w.WriteEndObject();
            }
            RangeOf("sequences", p.Sequences);
            RangeOf("sampler_batches", p.SamplerBatches);
            RangeOf("tool_steps", p.ToolSteps);
            RangeOf("total_steps_range", s.Spread?.TotalSteps);
            w.WriteNumber("simulations", p.Simulations);
            w.WriteEndObject();
        }
        if (range is { } rg) WriteRange(w, "range", rg);
        w.WriteEndObject();
    }
}
