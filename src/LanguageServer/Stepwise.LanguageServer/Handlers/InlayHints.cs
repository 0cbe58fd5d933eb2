using Stepwise.Core.Arithmetic;
using Stepwise.Core.Model;
using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server;
using Stepwise.Workspace;

namespace Stepwise.LanguageServer.Handlers;

/// <summary>
/// textDocument/inlayHint: what max_steps, num_train_epochs and the per-device batch amount to, right after their
/// values (`= 2.46 epochs`, `x4 accum = 128/step`). VS Code cuts labels at 43 characters; the tooltip holds the
/// whole arithmetic.
/// </summary>
public static class InlayHints
{
    public const int MaxLabel = 43;

    public static List<InlayHint> For(DocumentSnapshot doc, LspRange range)
    {
        var hints = new List<InlayHint>();
        foreach (var config in doc.Analysis.Configs)
        {
            if (config.Document.Dialect is not (Dialect.Hf or Dialect.Axolotl or Dialect.LlamaFactory)) continue;
            if (config.Result.Schedule is not { } s) continue;
            var tooltip = MarkupContent.Markdown("```text\n" + string.Join("\n", ScheduleSummary.Derivation(config.Result)) + "\n```");
            foreach (var (key, label) in Labels(s))
            {
                if (label is null || ConfigEntries.Find(config.Document, key) is not { } entry) continue;
                if (entry.Value.Kind is ValueKind.Mapping or ValueKind.Sequence or ValueKind.Unknown) continue;
                var at = Diagnostics.Range(entry.ValueSpan.Range).End;
                if (!CodeActions.Overlaps(new LspRange(at, at), range)) continue;
                hints.Add(new InlayHint { Position = at, Label = Fit(label), Tooltip = tooltip, PaddingLeft = true });
            }
        }
        return hints;
    }

    /// <summary>The label after each key, by canonical name; null where there is nothing to say.</summary>
    public static IEnumerable<(string Key, string? Label)> Labels(Schedule s)
    {
        var i = s.Inputs;
        if (s.Packing is { Packed: true } plan)
        {
            var key = plan.Settings.Tool == Stepwise.Core.Packing.PackingTool.Axolotl ? "sample_packing" : plan.Settings.Neat ? "neat_packing" : "packing";
            yield return (key, s.PackedUnknown is not null ? $"= {ScheduleSummary.Short(s)}"
                : plan.Sequences is { } rows ? $"= {rows} sequences" : plan.SamplerBatches is { } nb ? $"= {nb} batches/epoch" : null);
        }
        if (s.MaxStepsSetsLength)
        {
            yield return ("max_steps", s.Epochs is double e ? $"= {Schedules.Epochs(e)} epochs" + (s.StepsPerEpoch is long u ? $" ({Schedules.Num(u)} steps/epoch)" : "")
                : s.PackedUnknown is not null ? "= ? epochs (packed)" : null);
            yield return ("num_train_epochs", "ignored: max_steps sets the length");
        }
        else if (s.TotalSteps is long total)
            yield return ("num_train_epochs", $"= {Schedules.Num(total)} steps" + (s.StepsPerEpoch is long u ? $" ({Schedules.Num(u)}/epoch)" : ""));
        else if (s.Spread?.TotalSteps is { } range)
            yield return ("num_train_epochs", $"= {range} steps");

        var batch = i.GradientAccumulation > 1 ? $"x{i.GradientAccumulation} accum" : "";
        if (i.WorldSize > 1) batch += (batch.Length > 0 ? " " : "") + $"x{i.WorldSize} procs";
        if (i.NGpu > 1) batch = $"x{i.NGpu} gpu " + batch;
        yield return ("per_device_train_batch_size", (batch.Length > 0 ? batch + " " : "") + $"= {Schedules.Num(s.SamplesPerStep)}/step");
    }

    public static string Fit(string label) => label.Length <= MaxLabel ? label : label.Substring(0, MaxLabel - 1) + "…";
}
