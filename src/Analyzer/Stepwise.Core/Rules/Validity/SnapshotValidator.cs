using System;
using System.Collections.Generic;
using FluentValidation;
using FluentValidation.Results;
using Stepwise.Core.Model;
using Stepwise.Core.Text;

namespace Stepwise.Core.Rules.Validity;

/// <summary>
/// The FluentValidation side of a rule: field and cross-field checks over <see cref="SetupSnapshot"/>. A failure's
/// PropertyName says which key it belongs to (OverridePropertyName picks the anchor of a cross-field check);
/// <see cref="Report"/> maps it to that key's span and lets the rule add its fixes.
/// </summary>
public abstract class SnapshotValidator : AbstractValidator<SetupSnapshot>
{
    /// <summary>Marks a failure as milder than the rule's default severity (WithState(_ =&gt; Mild.Warning)).</summary>
    public static class Mild
    {
        public static readonly object Warning = Severity.Warning;
        public static readonly object Information = Severity.Information;
    }

    public static bool IsStepStrategy(string? s) => s == "steps";

    /// <summary>A number as a config writes it (500, 0.1).</summary>
    public static string F(double? d) => d is double x ? x.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "unset";

    /// <summary>Runs the checks and reports each failure at the span of the key it names.</summary>
    public void Report(RuleContext c, RuleDescriptor rule, Func<ValidationFailure, Setting, Fix[]>? fixes = null)
    {
        var snapshot = c.SnapshotCache();
        ValidationResult result = Validate(snapshot);
        foreach (var failure in result.Errors)
        {
            var hf = SetupSnapshot.HfNameOf(failure.PropertyName) ?? failure.PropertyName;
            var setting = c.Setup.Get(hf);
            SourceSpan span = setting.IsWritten && setting.Document == c.Document && setting.Entry is { } e ? e.ValueSpan : c.Document.HeadSpan;
            var fx = fixes?.Invoke(failure, setting) ?? Array.Empty<Fix>();
            if (failure.CustomState is Severity sev) c.Report(rule, span, failure.ErrorMessage, sev, fx);
            else c.Report(rule, span, failure.ErrorMessage, fx);
        }
    }
}

internal static class SnapshotCacheExtensions
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<RuleContext, SetupSnapshot> Cache = new();

    /// <summary>One snapshot per analysis, shared by the rules that validate it.</summary>
    public static SetupSnapshot SnapshotCache(this RuleContext c) => Cache.GetValue(c, ctx => SetupSnapshot.Of(ctx.Setup, ctx.Options));
}

/// <summary>Fix helpers spelled in the document's dialect and syntax.</summary>
internal static class Fixes
{
    public static Fix[] None => Array.Empty<Fix>();

    /// <summary>The entry of a key written in this document, or null.</summary>
    public static ConfigEntry? Written(RuleContext c, string hf)
    {
        var s = c.Setup.Get(hf);
        return s.IsWritten && s.Document == c.Document ? s.Entry : null;
    }

    /// <summary>"key: value" in YAML/JSON titles, "key=value" for Python calls.</summary>
    private static string Pair(RuleContext c, string key, object? value) =>
        c.Document.Syntax is ConfigSyntax.Python or ConfigSyntax.CSharp ? $"{key}={c.Editor.FormatValue(value)}" : $"{key}: {c.Editor.FormatValue(value)}";

    public static Fix Set(RuleContext c, ConfigEntry e, object? value, bool preferred = true) =>
        new($"Set {Pair(c, e.Key, value)}", new[] { RuleContext.Here(c.Editor.SetValue(e, value)) }, preferred);

    public static Fix Remove(RuleContext c, ConfigEntry e, string? why = null, bool preferred = true) =>
        new($"Remove {e.Key}{(why is null ? "" : " (" + why + ")")}", new[] { RuleContext.Here(c.Editor.Remove(e)) }, preferred);

    /// <summary>Adds a key (in the dialect's spelling) after <paramref name="anchor"/>.</summary>
    public static Fix Add(RuleContext c, ConfigEntry anchor, string hf, object? value, bool preferred = true)
    {
        var key = c.Setup.Spell(hf);
        return new($"Add {Pair(c, key, value)}", new[] { RuleContext.Here(c.Editor.AddAfter(anchor, key, value)) }, preferred);
    }

    /// <summary>The last top-level entry of the config: where added keys go when nothing closer applies.</summary>
    public static ConfigEntry? Last(RuleContext c)
    {
        ConfigEntry? last = null;
        foreach (var e in c.Document.Entries) if (last is null || e.RemovalSpan.Start > last.RemovalSpan.Start) last = e;
        return last;
    }

    public static Fix[] Of(params Fix?[] fixes)
    {
        var list = new List<Fix>();
        foreach (var f in fixes) if (f is not null) list.Add(f);
        return list.ToArray();
    }
}
