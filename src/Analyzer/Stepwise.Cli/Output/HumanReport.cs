using Stepwise.Core;
using Stepwise.Core.Arithmetic;
using Stepwise.Core.Model;
using Stepwise.Workspace;

namespace Stepwise.Cli.Output;

/// <summary>`file:line:col: warning SW1001: message`, the fixes on, and one summary line of the run's arithmetic per config.</summary>
public static class HumanReport
{
    public static void Write(IReadOnlyList<FileAnalysis> files, TextWriter w, bool colors)
    {
        int errors = 0, warnings = 0, infos = 0, configs = 0;
        foreach (var file in files)
        {
            if (file.Error is not null) continue; // already said on stderr
            foreach (var c in file.Configs)
            {
                if (c.Document.Dialect is Dialect.Unknown && c.Result.Findings.Count == 0)
                {
                    w.WriteLine($"{file.Path}: not a training config (no known trainer keys)");
                    continue;
                }
                configs++;
                var where = c.Document.ConfigSpan is { } cs ? $"{file.Path}:{cs.Range.Start}" : file.Path;
                // A quantization or LoRA call on its own has no schedule to summarise; its findings follow.
                if (c.Document.Dialect is not (Dialect.DeepSpeed or Dialect.Accelerate or Dialect.Unknown))
                {
                    w.WriteLine(Paint($"{where}: {c.Document.Dialect.Id()}: " + (c.Document.HasTrainingArguments
                        ? ScheduleSummary.Line(c.Result)
                        : "checked on its own (no TrainingArguments-family call uses it), no schedule"), "\u001b[2m", colors));
                    w.WriteLine(Paint($"{where}: assumed {c.Result.Versions.Describe(c.Document.Dialect)}", "\u001b[2m", colors));
                }
                foreach (var f in c.Result.Findings)
                {
                    switch (f.Severity) { case Severity.Error: errors++; break; case Severity.Warning: warnings++; break; default: infos++; break; }
                    var path = f.Span.File ?? file.Path;
                    if (f.Span.File is not null && Path.GetFullPath(f.Span.File) == Path.GetFullPath(file.Path)) path = file.Path;
                    var sev = f.Severity.Id();
                    var color = f.Severity switch { Severity.Error => "\u001b[31m", Severity.Warning => "\u001b[33m", _ => "\u001b[36m" };
                    w.WriteLine($"{path}:{f.Span.Range.Start}: {Paint(sev, color, colors)} {f.Id}: {f.Message}");
                    foreach (var fix in f.Fixes)
                        w.WriteLine($"    fix{(fix.IsPreferred ? " (preferred)" : "")}: {fix.Title}");
                }
            }
        }
        var summary = $"{configs} config{(configs == 1 ? "" : "s")} checked: {errors} error{(errors == 1 ? "" : "s")}, {warnings} warning{(warnings == 1 ? "" : "s")}, {infos} note{(infos == 1 ? "" : "s")}";
        w.WriteLine(summary);
    }

    private static string Paint(string s, string code, bool colors) => colors ? code + s + "\u001b[0m" : s;
}
