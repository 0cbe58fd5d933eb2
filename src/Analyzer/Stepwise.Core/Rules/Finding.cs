using System;
using System.Collections.Generic;
using Stepwise.Core.Text;

namespace Stepwise.Core;

public enum Severity { Error, Warning, Information, Hint }

public static class SeverityNames
{
    public static string Id(this Severity s) => s switch
    {
        Severity.Error => "error",
        Severity.Warning => "warning",
        Severity.Information => "information",
        _ => "hint",
    };

    /// <summary>Parses error/warning/info/information/hint; "off"/"none" give null with ok = true.</summary>
    public static bool TryParse(string? text, out Severity? severity)
    {
        severity = null;
        switch (text?.Trim().ToLowerInvariant())
        {
            case "error": severity = Severity.Error; return true;
            case "warning": case "warn": severity = Severity.Warning; return true;
            case "info": case "information": severity = Severity.Information; return true;
            case "hint": severity = Severity.Hint; return true;
            case "off": case "none": return true;
            default: return false;
        }
    }
}

/// <summary>An edit in a file: Path null means the document the finding belongs to.</summary>
public sealed record FileEdit(string? Path, TextEdit Edit);

/// <summary>A mechanical fix: one or more edits applied together.</summary>
public sealed record Fix(string Title, IReadOnlyList<FileEdit> Edits, bool IsPreferred = false);

/// <summary>What a rule reports: where, how bad, what to do about it.</summary>
public sealed record Finding(string Id, Severity Severity, string Message, SourceSpan Span, IReadOnlyList<Fix> Fixes)
{
    public string Title { get; init; } = "";
    public Uri? HelpUri { get; init; }
    /// <summary>Set when the span is in a file other than the one checked (a DeepSpeed config).</summary>
    public string? File => Span.File;
}
