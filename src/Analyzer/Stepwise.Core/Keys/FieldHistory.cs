using System.Linq;
using Stepwise.Core.Keys.Upstream;

namespace Stepwise.Core.Keys;

/// <summary>When a field of an upstream class came and went, from the generated key data (rules cite these releases).</summary>
public sealed record FieldHistory(UpstreamRelease? FirstSeen, UpstreamRelease? LastSeen, UpstreamRelease? RemovedIn)
{
    /// <summary>The releases of <paramref name="library"/>'s <paramref name="cls"/> that declare <paramref name="field"/>.</summary>
    public static FieldHistory Of(string library, string cls, string field)
    {
        var c = UpstreamData.Instance.Library(library)?.Class(cls);
        if (c is null) return new FieldHistory(null, null, null);
        var set = c.Fields.Where(f => f.Name == field).Aggregate(new ReleaseSet(0), (s, f) => s.Union(f.Releases));
        if (set.IsEmpty) return new FieldHistory(null, null, null);
        var rels = c.Library.Releases;
        var last = rels[set.Last];
        return new FieldHistory(rels[set.First], last, set.Last + 1 < rels.Count ? rels[set.Last + 1] : null);
    }

    /// <summary>Whether the field exists in <paramref name="release"/>.</summary>
    public bool ExistsIn(UpstreamRelease? release) =>
        release is not null && FirstSeen is not null && release.Index >= FirstSeen.Index && (RemovedIn is null || release.Index < RemovedIn.Index);
}
