using Stepwise.Core.Keys;

namespace Stepwise.Analysis.Tests.Keys;

/// <summary>
/// KeyTable.cs is the overlay in our words over the generated key data. Types and defaults belong to the data: the
/// overlay may state one only where the data does not decide it (a key no pinned class declares under that name, a
/// field whose default is None or computed where the tool's behaviour gives a value, a deliberate Any). A stated value
/// the data overrides would be dead text that reads as if it mattered.
/// </summary>
public class KeyTableOverlayTests
{
    [Fact]
    public void The_overlay_states_no_type_or_default_that_the_key_data_decides()
    {
        var dead = new List<string>();
        foreach (var k in KeyTable.All.Where(k => k.Handwritten))
        {
            if (k.StatedType is { } t && k.TypeFromData) dead.Add($"{k.Name}: type {t} (the data gives {k.Type})");
            if (k.StatesDefault && k.DefaultFromData) dead.Add($"{k.Name}: default (the data gives {k.Default ?? "null"})");
            foreach (var d in k.DialectDefaultsStated.Intersect(k.DialectDefaultsFromData))
                dead.Add($"{k.Name}: {d} default (the data gives {k.DefaultIn(d) ?? "null"})");
            // A stated dialect default wins over the dialect's own field of the same name: it must then say something the
            // field's default does not.
            foreach (var d in k.DialectDefaultsStated.Except(k.DialectDefaultsFromData))
                if (k.Declarations.TryGetValue(d, out var f) && f.DefaultExpression is null && Equals(f.Default, k.DefaultIn(d)))
                    dead.Add($"{k.Name}: {d} default {k.DefaultIn(d) ?? "null"} (the same as {f.Owner}'s)");
        }
        Assert.True(dead.Count == 0, "remove from KeyTable.cs:\n" + string.Join("\n", dead));
    }

    [Fact]
    public void Every_key_the_data_does_not_type_has_a_type_from_the_overlay()
    {
        var untyped = KeyTable.All.Where(k => k.Handwritten && !k.TypeFromData && k.StatedType is null).Select(k => k.Name).ToList();
        Assert.True(untyped.Count == 0, "state a type in KeyTable.cs (the key data has no home field for them): " + string.Join(", ", untyped));
    }
}
