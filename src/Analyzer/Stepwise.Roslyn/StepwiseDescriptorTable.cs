using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace Stepwise.Roslyn;

public static class StepwiseDescriptors
{
    public static readonly DiagnosticDescriptor SW0001 = new(
        id: "SW0001",
        title: "Internal error",
        messageFormat: "{0}",
        category: "Internal",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly ImmutableArray<DiagnosticDescriptor> All = ImmutableArray.Create(SW0001);

    public static DiagnosticDescriptor? Find(string id) => id switch { "SW0001" => SW0001, _ => null };
}
