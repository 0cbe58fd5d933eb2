using System;
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
/// sets, belongs to a target type. The names are collected once per compilation: from the source files whose text
/// mentions HfName, and from the referenced assemblies that define or reference an HfNameAttribute.
/// (Asking the compiler by name for each creation instead, with GetSymbolsWithName, cost 8-40 s on 2,000 files.)
/// Not seen: a source type that inherits its [HfName] properties from a class in another file without naming HfName
/// itself, and a global using alias declared in another file.
/// </summary>
public sealed class TargetIndex
{
    private const string AttributeName = "HfNameAttribute";
    private static readonly ConditionalWeakTable<SyntaxTree, HashSet<string>> AliasesByTree = new();

    private readonly Compilation _compilation;
    private readonly TargetTypeCache _cache;
    private readonly Lazy<(HashSet<string> Types, HashSet<string> Members)> _names;

    public TargetIndex(Compilation compilation, TargetTypeCache cache)
    {
        _compilation = compilation;
        _cache = cache;
        _names = new Lazy<(HashSet<string>, HashSet<string>)>(CollectTargets);
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

    private bool TypeName(string name) => _names.Value.Types.Contains(name);

    private bool MemberName(string name) => _names.Value.Members.Contains(name);

    private static HashSet<string> Aliases(SyntaxTree tree) => AliasesByTree.GetValue(tree, t =>
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var u in t.GetRoot().DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax).OfType<UsingDirectiveSyntax>())
            if (u.Alias is { } a) set.Add(a.Name.Identifier.ValueText);
        return set;
    });

    private (HashSet<string>, HashSet<string>) CollectTargets()
    {
        var types = new HashSet<string>(StringComparer.Ordinal) { "TrainingArguments" };
        var members = new HashSet<string>(StringComparer.Ordinal);
        void Add(INamedTypeSymbol type)
        {
            if (_cache.Get(type) is not { } target) return;
            types.Add(type.Name);
            foreach (var property in target.HfByProperty.Keys) members.Add(property);
        }

        // Source: only files that say HfName can declare [HfName] properties.
        foreach (var tree in _compilation.SyntaxTrees)
        {
            if (tree.GetText().ToString().IndexOf("HfName", StringComparison.Ordinal) < 0) continue;
            var model = _compilation.GetSemanticModel(tree);
            foreach (var declaration in tree.GetRoot().DescendantNodes(n => n is not MemberDeclarationSyntax || n is BaseNamespaceDeclarationSyntax || n is TypeDeclarationSyntax)
                         .OfType<TypeDeclarationSyntax>())
                if (model.GetDeclaredSymbol(declaration) is INamedTypeSymbol type) Add(type);
        }
        CollectMetadataTargets(Add);
        return (types, members);
    }

    /// <summary>Target types in referenced assemblies: only assemblies that define an HfNameAttribute or reference one that does.</summary>
    private void CollectMetadataTargets(Action<INamedTypeSymbol> add)
    {
        var assemblies = _compilation.SourceModule.ReferencedAssemblySymbols
            .Where(a => !IsFramework(a.Identity.Name))
            .ToList();
        var defining = new HashSet<string>(assemblies.Where(a => a.TypeNames.Contains(AttributeName)).Select(a => a.Identity.Name), StringComparer.Ordinal);
        foreach (var assembly in assemblies)
        {
            bool relevant = defining.Contains(assembly.Identity.Name)
                || assembly.Modules.Any(m => m.ReferencedAssemblies.Any(r => defining.Contains(r.Name)));
            if (!relevant) continue;
            foreach (var type in AllTypes(assembly.GlobalNamespace)) add(type);
        }
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
