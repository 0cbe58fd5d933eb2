using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Stepwise.Core.Keys;

namespace Stepwise.Roslyn.Tests;

/// <summary>
/// Core's TrainingArguments carries no attributes: the analyzer maps its properties through Core's generated key table.
/// The properties are read here from the compiled record as a C# compilation sees it (Roslyn symbols), so a property the
/// table missed would be a setting C# users write that the analyzer silently drops.
/// </summary>
public class TargetTypeTests
{
    [Fact]
    public void The_analyzers_map_of_Core_TrainingArguments_covers_every_settable_property_with_a_known_key()
    {
        var compilation = CSharpCompilation.Create("probe", references: new[]
        {
            MetadataReference.CreateFromFile(typeof(object).Assembly.Location), Verify.CoreReference,
        });
        var type = compilation.GetTypeByMetadataName(TargetType.CoreMetadataName);
        Assert.NotNull(type);
        var target = new TargetTypeCache().Get(type);
        Assert.NotNull(target);

        var settable = type!.GetMembers().OfType<IPropertySymbol>()
            .Where(p => !p.IsStatic && p.DeclaredAccessibility == Accessibility.Public && p.SetMethod is not null)
            .Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
        Assert.True(settable.Count >= 50, $"only {settable.Count} settable properties found");
        Assert.Equal(settable, target!.HfByProperty.Keys.OrderBy(n => n, StringComparer.Ordinal));
        foreach (var (property, key) in target.HfByProperty)
        {
            Assert.True(KeyTable.Get(key) is not null, $"{property} maps to {key}, which the key table does not know");
            Assert.Equal(property, target.PropertyFor(key));
        }
    }
}
