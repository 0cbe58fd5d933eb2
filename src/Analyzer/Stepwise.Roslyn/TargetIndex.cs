using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Stepwise.Roslyn;

/// <summary>
/// Syntax-level pre-check, so that the analyzer asks the semantic model only about creations that can be of a target
/// type. Binding every <c>new X(...)</c> of a large project costs far more than the engine itself (measured: ~1 ms per
/// creation), and almost none of them are TrainingArguments.
/// A creation passes when its type's simple name, or (for <c>new()</c> and <c>with</c>) one of the member names it
/// sets, belongs to a target type: types declared in source are found by name through the compiler's declaration
/// table; types in referenced assemblies are collected once from the assemblies that can carry HfName attributes.
/// </summary>
public sealed class TargetIndex
{
    private const string AttributeName = "HfNameAttribute";
    private static readonly ConditionalWeakTable<SyntaxTree, HashSet<string>> AliasesByTree = new();

    private readonly Compilation _compilation;
    private readonly TargetTypeCache _cache;
    private readonly Lazy<(HashSet<string> Types, HashSet<string> Members)> _metadata;
    private readonly ConcurrentDictionary<string, bool> _sourceTypeNames = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _sourceMemberNames = new(StringComparer.Ordinal);

    public TargetIndex(Compilation compilation, TargetTypeCache cache)
    {
        _compilation = compilation;
        _cache = cache;
        _metadata = new Lazy<(HashSet<string>, HashSet<string>)>(CollectMetadataTargets);
    }

    /// <summary>False when the creation certainly is not of a target type; true when the semantic model must say.</summary>
    public bool MayBeTarget(SyntaxNode node)
    {
        switch (node)
        {
            case ObjectCreationExpressionSyntax creation:
            {
                var name = SimpleName(creation.Type);
                if (name is null) return true;
                if (TypeName(name)) return true;
                // `using Args = Stepwise.Core.Model.TrainingArguments;` hides the type's name behind an alias.
                return Aliases(node.SyntaxTree).Contains(name);
            }
            case ImplicitObjectCreationExpressionSyntax implicitCreation:
            {
                if (implicitCreation.ArgumentList.Arguments.Any(a => a.NameColon is null)) return true; // positional: only the type says
                return implicitCreation.ArgumentList.Arguments.Any(a => MemberName(a.NameColon!.Name.Identifier.ValueText))
                    || SetsKnownMember(implicitCreation.Initializer);
            }
            case WithExpressionSyntax with:
                return SetsKnownMember(with.Initializer);
            default:
                return false;
        }
    }

    private bool SetsKnownMember(InitializerExpressionSyntax? initializer)
    {
        if (initializer is null) return false;
        foreach (var e in initializer.Expressions)
            if (e is AssignmentExpressionSyntax { Left: IdentifierNameSyntax id } && MemberName(id.Identifier.ValueText)) return true;
        return false;
    }

    private static string? SimpleName(TypeSyntax type) => type switch
    {
        IdentifierNameSyntax i => i.Identifier.ValueText,
        GenericNameSyntax g => g.Identifier.ValueText,
        QualifiedNameSyntax q => SimpleName(q.Right),
        AliasQualifiedNameSyntax a => SimpleName(a.Name),
        _ => null,
    };

    private bool TypeName(string name) =>
        _metadata.Value.Types.Contains(name) ||
        _sourceTypeNames.GetOrAdd(name, n => _compilation.GetSymbolsWithName(n, SymbolFilter.Type).Any(s => s is ITypeSymbol t && _cache.Get(t) is not null));

    private bool MemberName(string name) =>
        _metadata.Value.Members.Contains(name) ||
        _sourceMemberNames.GetOrAdd(name, n => _compilation.GetSymbolsWithName(n, SymbolFilter.Member)
            .Any(s => s is IPropertySymbol p && _cache.Get(p.ContainingType) is { } t && t.HfNameOf(p.Name) is not null));

    private static HashSet<string> Aliases(SyntaxTree tree) => AliasesByTree.GetValue(tree, t =>
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var u in t.GetRoot().DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax).OfType<UsingDirectiveSyntax>())
            if (u.Alias is { } a) set.Add(a.Name.Identifier.ValueText);
        return set;
    });

    /// <summary>Target types in referenced assemblies: only assemblies that define an HfNameAttribute or reference one that does.</summary>
    private (HashSet<string>, HashSet<string>) CollectMetadataTargets()
    {
        var types = new HashSet<string>(StringComparer.Ordinal) { "TrainingArguments" };
        var members = new HashSet<string>(StringComparer.Ordinal);
        var assemblies = _compilation.SourceModule.ReferencedAssemblySymbols
            .Where(a => !IsFramework(a.Identity.Name))
            .ToList();
        var defining = new HashSet<string>(assemblies.Where(a => a.TypeNames.Contains(AttributeName)).Select(a => a.Identity.Name), StringComparer.Ordinal);
        foreach (var assembly in assemblies)
        {
            bool relevant = defining.Contains(assembly.Identity.Name)
                || assembly.Modules.Any(m => m.ReferencedAssemblies.Any(r => defining.Contains(r.Name)));
            if (!relevant) continue;
            foreach (var type in AllTypes(assembly.GlobalNamespace))
            {
                if (_cache.Get(type) is not { } target) continue;
                types.Add(type.Name);
                foreach (var property in target.HfByProperty.Keys) members.Add(property);
            }
        }
        return (types, members);
    }

    private static bool IsFramework(string name) =>
        name.StartsWith("System", StringComparison.Ordinal) || name.StartsWith("Microsoft.", StringComparison.Ordinal)
        || name is "netstandard" or "mscorlib" or "WindowsBase";

    private static IEnumerable<INamedTypeSymbol> AllTypes(INamespaceSymbol ns)
    {
        foreach (var member in ns.GetMembers())
        {
            if (member is INamespaceSymbol child)
                foreach (var t in AllTypes(child)) yield return t;
            else if (member is INamedTypeSymbol type)
            {
                yield return type;
                foreach (var nested in type.GetTypeMembers()) yield return nested;
            }
        }
    }
}
