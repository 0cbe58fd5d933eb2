using System.Collections.Generic;
using Stepwise.Core.Model;

namespace Stepwise.Core.Rules.Steps;

/// <summary>SW1007: DeepSpeed batch values that disagree with each other or with the trainer settings.</summary>
public sealed class SW1007_DeepSpeedBatchMismatch : Rule
{
    public static readonly RuleDescriptor Rule = new("SW1007", "DeepSpeed batch settings disagree", Severity.Error, "Schedule",
        "Checks the DeepSpeed JSON named by `deepspeed:`: `train_batch_size` must equal `train_micro_batch_size_per_gpu` x " +
        "`gradient_accumulation_steps` x world size, and fixed (non-\"auto\") values must equal the trainer's " +
        "per_device_train_batch_size and gradient_accumulation_steps.",
        "DeepSpeed asserts the identity at start-up and the HF integration refuses mismatching fixed values (\"Please " +
        "correct the following DeepSpeed config values that mismatch TrainingArguments values\"), after the model has loaded.",
        "```json\n{ \"train_batch_size\": 64, \"train_micro_batch_size_per_gpu\": 8, \"gradient_accumulation_steps\": 4 }\n```\nwith one GPU: 8 x 4 x 1 = 32, not 64.",
        "Set the DeepSpeed values to \"auto\" so they are filled from the trainer settings.");

    public override RuleDescriptor Descriptor => Rule;

    public override void Check(RuleContext c)
    {
        var ds = c.Inputs.DeepSpeed;
        if (ds is null) return;
        var anchor = c.Setup.Get("deepspeed").Span ?? c.Document.HeadSpan;
        long B = c.Setup.Long("per_device_train_batch_size") ?? 8;
        long A = c.Setup.Long("gradient_accumulation_steps") ?? 1;
        long W = c.Schedule?.Inputs.WorldSize ?? c.Setup.Long("world_size") ?? 1;
        string file = System.IO.Path.GetFileName(ds.Path ?? "DeepSpeed config");

        var micro = ds.Find("train_micro_batch_size_per_gpu");
        var accum = ds.Find("gradient_accumulation_steps");
        var total = ds.Find("train_batch_size");
        long? Fixed(ConfigEntry? e) => e is null || e.Value.AsString() == "auto" ? null : e.Value.AsLong();

        var mismatches = new List<string>();
        var autoEdits = new List<FileEdit>();
        void Auto(ConfigEntry e) => autoEdits.Add(new FileEdit(ds.Path, ds.Editor.SetValue(e, "auto")));

        if (Fixed(micro) is long m && m != B) { mismatches.Add($"its train_micro_batch_size_per_gpu={m} but {c.Setup.Spell("per_device_train_batch_size")}={B} here"); Auto(micro!); }
        if (Fixed(accum) is long a && a != A) { mismatches.Add($"its gradient_accumulation_steps={a} but {c.Setup.Spell("gradient_accumulation_steps")}={A} here"); Auto(accum!); }
        long effMicro = Fixed(micro) ?? B, effAccum = Fixed(accum) ?? A;
        if (Fixed(total) is long t && t != effMicro * effAccum * W)
        {
            mismatches.Add($"its train_batch_size={t} but {effMicro} x {effAccum} x {W} (world size) = {effMicro * effAccum * W}");
            Auto(total!);
        }
        if (mismatches.Count == 0) return;

        var where = micro ?? accum ?? total;
        var at = where is null ? "" : $" ({file}:{where.KeySpan.Range.Start})";
        var fix = autoEdits.Count > 0 ? new Fix($"Set the mismatching values in {file} to \"auto\"", autoEdits, IsPreferred: true) : null;
        c.Report(Rule, anchor, $"DeepSpeed config {file}{at} disagrees: {string.Join("; ", mismatches)}", Fixes.Of(fix));
    }
}
