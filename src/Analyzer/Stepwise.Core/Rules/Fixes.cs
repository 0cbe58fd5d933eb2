using System;
using System.Collections.Generic;
using Stepwise.Core.Model;

namespace Stepwise.Core.Rules;

/// <summary>
/// The fixes every rule offers, spelled by the document's editor in its own dialect and syntax: set, remove, add or
/// replace one key, and the schedule's remedies (max_steps to epochs, a smaller per-device batch). Titles say what the
/// edit writes ("Set save_steps: 600", "save_steps=600" in Python and C#).
/// </summary>
public static class Fixes
{
    public static Fix[] None => Array.Empty<Fix>();

    /// <summary>The fixes that exist, in order (a null stands for one that does not apply).</summary>
    public static Fix[] Of(params Fix?[] fixes)
    {
        var list = new List<Fix>();
        foreach (var f in fixes) if (f is not null) list.Add(f);
        return list.ToArray();
    }

    /// <summary>The entry of a key written in this document, or null.</summary>
    public static ConfigEntry? Written(RuleContext c, string hf)
    {
        var s = c.Setup.Get(hf);
        return s.IsWritten && s.Document == c.Document ? s.Entry : null;
    }

    /// <summary>The last top-level entry of the config: where added keys go when nothing closer applies.</summary>
    public static ConfigEntry? Last(RuleContext c)
    {
        ConfigEntry? last = null;
        foreach (var e in c.Document.Entries) if (last is null || e.RemovalSpan.Start > last.RemovalSpan.Start) last = e;
        return last;
    }

    /// <summary>"key: value" in YAML/JSON titles, "key=value" for Python calls and C# initializers.</summary>
    private static string Pair(RuleContext c, string key, object? value) =>
        c.Document.Syntax is ConfigSyntax.Python or ConfigSyntax.CSharp ? $"{key}={c.Editor.FormatValue(value)}" : $"{key}: {c.Editor.FormatValue(value)}";

    public static Fix Set(RuleContext c, ConfigEntry e, object? value, bool preferred = true) =>
        new($"Set {Pair(c, e.Key, value)}", new[] { RuleContext.Here(c.Editor.SetValue(e, value)) }, preferred);

    public static Fix Remove(RuleContext c, ConfigEntry e, string? why = null, bool preferred = true) =>
        new($"Remove {e.Key}{(why is null ? "" : " (" + why + ")")}", new[] { RuleContext.Here(c.Editor.Remove(e)) }, preferred);

    /// <summary>Set a field of a view where this document writes it; no fix where it does not.</summary>
    public static Fix[] SetWritten(RuleContext c, Model.Views.Field f, object? value, bool preferred = true) =>
        f.Entry is { } e ? new[] { Set(c, e, value, preferred) } : None;

    /// <summary>Remove a field of a view where this document writes it; no fix where it does not.</summary>
    public static Fix[] RemoveWritten(RuleContext c, Model.Views.Field f, string? why = null, bool preferred = true) =>
        f.Entry is { } e ? new[] { Remove(c, e, why, preferred) } : None;

    /// <summary>Adds a key (in the dialect's spelling) after <paramref name="anchor"/>.</summary>
    public static Fix Add(RuleContext c, ConfigEntry anchor, string hf, object? value, bool preferred = true)
    {
        var key = c.Setup.Spell(hf);
        return new($"Add {Pair(c, key, value)}", new[] { RuleContext.Here(c.Editor.AddAfter(anchor, key, value)) }, preferred);
    }

    /// <summary>Replaces the entry by another key (in the dialect's spelling) holding <paramref name="value"/>:
    /// "Replace by warmup_steps: 0.03".</summary>
    public static Fix Replace(RuleContext c, ConfigEntry e, string hf, double value, bool preferred = true)
    {
        var key = c.Setup.Spell(hf);
        return new($"Replace by {key}: {Rule.F(value)}", new[] { RuleContext.Here(c.Editor.Replace(e, key, value)) }, preferred);
    }

    /// <summary>Rename the key, keeping its value: "Rename to eval_strategy".</summary>
    public static Fix Rename(RuleContext c, ConfigEntry e, string newKey) =>
        new($"Rename to {newKey}", new[] { RuleContext.Here(c.Editor.Rename(e, newKey)) }, true);

    // --- the schedule's remedies -------------------------------------------------------------------------------------

    /// <summary>max_steps as written in this document.</summary>
    public static bool MaxStepsWritten(RuleContext c, out ConfigEntry entry)
    {
        entry = null!;
        var s = c.Setup.Get("max_steps");
        if (s.Entry is null || s.Document != c.Document || !s.IsWritten) return false;
        entry = s.Entry;
        return true;
    }

    /// <summary>Replace max_steps by num_train_epochs = <paramref name="epochs"/> in the file's dialect.</summary>
    public static Fix? ReplaceMaxStepsByEpochs(RuleContext c, double epochs, string title, bool preferred)
    {
        if (!MaxStepsWritten(c, out var maxSteps)) return null;
        var epochsSetting = c.Setup.Get("num_train_epochs");
        // A written num_train_epochs whose value is unknown (a variable) is the user's to keep, not ours to overwrite.
        if (epochsSetting.IsWritten && !epochsSetting.Value.IsKnown) return null;
        object value = RoundEpochs(epochs);
        var edits = new List<FileEdit>();
        if (epochsSetting.IsWritten && epochsSetting.Entry is { } e && epochsSetting.Document == c.Document)
        {
            edits.Add(RuleContext.Here(c.Editor.Remove(maxSteps)));
            if (epochsSetting.Value.AsDouble() is not double current || Math.Abs(current - epochs) > 1e-9)
                edits.Add(RuleContext.Here(c.Editor.SetValue(e, value)));
        }
        else
        {
            edits.Add(RuleContext.Here(c.Editor.Replace(maxSteps, c.Setup.Spell("num_train_epochs"), value)));
        }
        return new Fix(title, edits, preferred);
    }

    /// <summary>Epoch values written by fixes: whole numbers as integers, else two decimals.</summary>
    public static object RoundEpochs(double epochs)
    {
        var r = Math.Round(epochs, 2);
        if (Math.Abs(r - Math.Round(r)) < 1e-9) return (long)Math.Round(r);
        return r;
    }

    /// <summary>Split per-device batch B into B/k x accumulation A*k (same effective batch, less memory).</summary>
    public static Fix? SplitBatch(RuleContext c)
    {
        var bSetting = c.Setup.Get("per_device_train_batch_size");
        if (!bSetting.IsWritten || bSetting.Entry is null || bSetting.Document != c.Document) return null;
        if (bSetting.Value.AsLong() is not long b || b < 64) return null;
        long k = 1;
        while (b / k > 32 && b % (k * 2) == 0) k *= 2;
        if (k == 1) return null;
        var aSetting = c.Setup.Get("gradient_accumulation_steps");
        long a = aSetting.Value.AsLong() ?? 1;
        var edits = new List<FileEdit> { RuleContext.Here(c.Editor.SetValue(bSetting.Entry, b / k)) };
        if (aSetting.IsWritten && aSetting.Entry is { } ae && aSetting.Document == c.Document)
            edits.Add(RuleContext.Here(c.Editor.SetValue(ae, a * k)));
        else
            edits.Add(RuleContext.Here(c.Editor.AddAfter(bSetting.Entry, c.Setup.Spell("gradient_accumulation_steps"), a * k)));
        return new Fix($"Use {c.Setup.Spell("per_device_train_batch_size")} {b / k} x {c.Setup.Spell("gradient_accumulation_steps")} {a * k} (same {b * a} samples per device per step, less memory)", edits);
    }
}
