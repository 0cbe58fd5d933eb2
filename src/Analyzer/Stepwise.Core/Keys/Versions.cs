using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Stepwise.Core.Keys.Upstream;

namespace Stepwise.Core.Keys;

/// <summary>A release number as PEP 440 orders its first three parts ("4.57.1", "5.0.0rc1" -> 5.0.0, "0.9.4.dev0" -> 0.9.4).</summary>
public readonly struct LibraryVersion : IComparable<LibraryVersion>, IEquatable<LibraryVersion>
{
    public LibraryVersion(int major, int minor, int patch) { Major = major; Minor = minor; Patch = patch; }
    public int Major { get; }
    public int Minor { get; }
    public int Patch { get; }

    /// <summary>Parses the leading numbers of a version ("v4.57", "4.57.1.dev0", "5.0.0rc1"); null when there are none.</summary>
    public static LibraryVersion? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var s = text!.Trim();
        if (s.StartsWith("v", StringComparison.OrdinalIgnoreCase)) s = s.Substring(1);
        var nums = new List<int>();
        int i = 0;
        while (nums.Count < 3 && i < s.Length && char.IsDigit(s[i]))
        {
            int start = i;
            while (i < s.Length && char.IsDigit(s[i])) i++;
            if (!int.TryParse(s.Substring(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return null;
            nums.Add(n);
            if (i < s.Length && s[i] == '.' && i + 1 < s.Length && char.IsDigit(s[i + 1])) i++;
            else break;
        }
        if (nums.Count == 0) return null;
        return new LibraryVersion(nums[0], nums.Count > 1 ? nums[1] : 0, nums.Count > 2 ? nums[2] : 0);
    }

    public int CompareTo(LibraryVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major) : Minor != other.Minor ? Minor.CompareTo(other.Minor) : Patch.CompareTo(other.Patch);
    public bool Equals(LibraryVersion other) => CompareTo(other) == 0;
    public override bool Equals(object? obj) => obj is LibraryVersion v && Equals(v);
    public override int GetHashCode() => (Major * 1000 + Minor) * 1000 + Patch;
    public static bool operator <(LibraryVersion a, LibraryVersion b) => a.CompareTo(b) < 0;
    public static bool operator >(LibraryVersion a, LibraryVersion b) => a.CompareTo(b) > 0;
    public static bool operator <=(LibraryVersion a, LibraryVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >=(LibraryVersion a, LibraryVersion b) => a.CompareTo(b) >= 0;
    public override string ToString() => $"{Major}.{Minor}.{Patch}";
    /// <summary>"4.57" (major.minor), the form messages use.</summary>
    public string Short => $"{Major}.{Minor}";
}

/// <summary>
/// The version of one library a config will run with, and why Stepwise assumes it. <paramref name="Range"/> is the
/// requirement specifier when the version is only the newest release that a range allows (LLaMA-Factory's
/// `transformers>=4.55.0,<=5.6.0`): the run may use any release in it, so rules that depend on the exact release say so
/// and speak more softly than for an installed, locked or stated version.
/// </summary>
public sealed record AssumedVersion(string Library, string Version, string Source, string? Range = null)
{
    public LibraryVersion Parsed => LibraryVersion.Parse(Version) ?? new LibraryVersion(0, 0, 0);

    /// <summary>Installed, locked, pinned exactly or stated: not a guess (the newest known) and not a range.</summary>
    public bool IsExact => Range is null && Source != VersionAssumptions.NewestKnown;

    /// <summary>The release of the key data that stands for this version (same major.minor, else the nearest below).</summary>
    public UpstreamRelease? Release => Source == VersionAssumptions.NewestKnown
        ? UpstreamData.Instance.Library(Library)?.NewestRelease
        : UpstreamData.Instance.Library(Library)?.ReleaseFor(Parsed);

    public override string ToString() => $"{Library} {Version} ({Source})";
}

/// <summary>
/// The library versions an analysis assumes (transformers, trl, peft, axolotl, llamafactory, accelerate, deepspeed),
/// each with its source: an installed package, a requirements file, the tool's own pins, an override, or "newest known".
/// </summary>
public sealed class VersionAssumptions
{
    public const string NewestKnown = "newest release in Stepwise's key data";

    private readonly Dictionary<string, AssumedVersion> _versions;

    public VersionAssumptions(IEnumerable<AssumedVersion> versions)
    {
        _versions = new Dictionary<string, AssumedVersion>(StringComparer.Ordinal);
        foreach (var v in versions) _versions[v.Library] = v;
        foreach (var lib in UpstreamData.Instance.Libraries)
            if (!_versions.ContainsKey(lib.Name))
                _versions[lib.Name] = new AssumedVersion(lib.Name, lib.NewestRelease.Version, NewestKnown);
        Key = string.Join(";", _versions.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + (kv.Value.Release?.Index ?? -1)));
    }

    /// <summary>Every library at its newest tagged release in the data (never a branch head).</summary>
    public static VersionAssumptions Newest { get; } = new(Array.Empty<AssumedVersion>());

    public IReadOnlyCollection<AssumedVersion> All => _versions.Values;

    /// <summary>Identifies the set of releases (for caches): two assumptions with equal keys read the same key sets.</summary>
    public string Key { get; }

    public AssumedVersion? this[string library] => _versions.TryGetValue(library, out var v) ? v : null;

    /// <summary>The release standing for the assumed version of <paramref name="library"/>.</summary>
    public UpstreamRelease? Release(string library) => this[library]?.Release;

    /// <summary>A copy with one library's version replaced.</summary>
    public VersionAssumptions With(string library, string version, string source)
    {
        var list = _versions.Values.Where(v => v.Library != library).ToList();
        list.Add(new AssumedVersion(library, version, source));
        return new VersionAssumptions(list);
    }

    /// <summary>The libraries a dialect's files are read by, in the order messages name them.</summary>
    public static IReadOnlyList<string> LibrariesOf(Model.Dialect dialect) => dialect switch
    {
        Model.Dialect.Axolotl => new[] { "axolotl", "transformers", "trl", "peft" },
        Model.Dialect.LlamaFactory => new[] { "llamafactory", "transformers", "trl", "peft" },
        Model.Dialect.DeepSpeed => new[] { "deepspeed" },
        Model.Dialect.Accelerate => new[] { "accelerate" },
        _ => new[] { "transformers", "trl", "peft" },
    };

    /// <summary>"transformers 5.15.0 (newest ...), trl 1.9.0 (...)" for the libraries of a dialect.</summary>
    public string Describe(Model.Dialect dialect) =>
        string.Join("; ", LibrariesOf(dialect).Select(l => this[l]).Where(v => v is not null).Select(v => $"{v!.Library} {v.Version} ({v.Source})"));

    public override string ToString() => string.Join("; ", _versions.Values.Select(v => v.ToString()));
}
