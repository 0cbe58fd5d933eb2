using Stepwise.Core.Arithmetic;
using Stepwise.Core.Model;
using Stepwise.Core;
using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server;

namespace Stepwise.LanguageServer.Handlers;

/// <summary>
/// textDocument/codeLens: one line at the top of each training config, `52,002 examples · 1,000 steps · 2.46 epochs`.
/// The lens is information only (its command has no id); the Train lens belongs to the launch work, not here.
/// </summary>
public static class CodeLenses
{
    public static List<CodeLens> For(DocumentSnapshot doc)
    {
        var lenses = new List<CodeLens>();
        foreach (var config in doc.Analysis.Configs)
        {
            if (config.Document.Dialect is not (Dialect.Hf or Dialect.Axolotl or Dialect.LlamaFactory) || !config.Document.HasTrainingArguments) continue;
            int line = config.Document.ConfigSpan?.Range.Start.Line ?? 0;
            var at = new LspRange(new LspPosition(line, 0), new LspPosition(line, 0));
            lenses.Add(new CodeLens { Range = at, Command = new Command { Title = Title(config.Result), CommandId = "" } });
        }
        lenses.AddRange(TrainCommands.Lenses(doc));
        return lenses;
    }

    public static string Title(AnalysisResult r)
    {
        var examples = r.DatasetSize.Count is long n ? $"{Schedules.Num(n)} examples" : "? examples";
        if (r.Schedule is not { } s) return $"{examples} · batch settings invalid";
        // A packed run whose rows are unknown never shows the unpacked step count.
        if (s.PackedUnknown is not null)
            return s.MaxStepsSetsLength && s.TotalSteps is long fixedSteps
                ? $"{examples} · {Schedules.Num(fixedSteps)} steps · ? epochs ({ScheduleSummary.Short(s)})"
                : $"{examples} · {ScheduleSummary.Short(s)}";
        if (s.Packing is { Packed: true, Sequences: { } rows }) examples += $" → {rows} packed";
        else if (s.Packing is { Packed: true, SamplerBatches: { } bins }) examples += $" → {bins} packed batches/epoch";
        var steps = s.TotalSteps is long t ? $"{Schedules.Num(t)} steps" : s.Spread?.TotalSteps is { } tr ? $"{tr} steps" : "? steps";
        var epochs = s.Epochs is double e ? $"{Schedules.Epochs(e)} epochs"
            : s.Spread is { EpochsLow: double lo, EpochsHigh: double hi } ? $"{Schedules.Epochs(lo)}-{Schedules.Epochs(hi)} epochs"
            : s.MaxStepsSetsLength ? "? epochs" : $"{Schedules.Epochs(s.Inputs.NumTrainEpochs)} epochs";
        return $"{examples} · {steps} · {epochs}";
    }
}
