using System;
using System.Collections.Generic;

namespace Stepwise.Core.Keys.Upstream;

/// <summary>One library the key data covers (transformers, trl, peft, axolotl, llamafactory, accelerate, deepspeed).</summary>
public sealed class UpstreamLibrary
{
    internal UpstreamLibrary(string name, string repo, string source) { Name = name; Repo = repo; Source = source; }

    public string Name { get; }
    /// <summary>The name messages use: the project's own spelling where it differs from the package's (LLaMA-Factory, DeepSpeed).</summary>
    public string DisplayName => Name switch { "llamafactory" => "LLaMA-Factory", "deepspeed" => "DeepSpeed", _ => Name };
    /// <summary>The upstream repository ("huggingface/transformers").</summary>
    public string Repo { get; }
    /// <summary>The git mirror the sources were read from (a fork carrying upstream's tags where upstream is too big).</summary>
    public string Source { get; }
    /// <summary>Releases, oldest first.</summary>
    public IReadOnlyList<UpstreamRelease> Releases => _releases;
    internal readonly List<UpstreamRelease> _releases = new();
    /// <summary>The last entry of the data, which may be a branch head (<see cref="UpstreamRelease.IsBranchHead"/>).</summary>
    public UpstreamRelease Newest => _releases[_releases.Count - 1];
    /// <summary>
    /// The newest tagged release: what `pip install NAME` gives today and so what Stepwise assumes when nothing says.
    /// A branch head (peft 0.20.1.dev0, LLaMA-Factory 0.9.6.dev0) is never assumed: pip does not pick a development
    /// version unless asked (PEP 440 pre-releases), and no one can have installed it from a tag.
    /// </summary>
    public UpstreamRelease NewestRelease
    {
        get
        {
            for (int i = _releases.Count - 1; i >= 0; i--)
                if (!_releases[i].IsBranchHead) return _releases[i];
            return Newest;
        }
    }
    internal readonly Dictionary<string, UpstreamClass> _classes = new(StringComparer.Ordinal);
    public IEnumerable<UpstreamClass> Classes => _classes.Values;
    public UpstreamClass? Class(string name) => _classes.TryGetValue(name, out var c) ? c : null;

    /// <summary>
    /// The release that stands for <paramref name="version"/>: among the releases of the same major.minor the newest
    /// whose patch is not above it (else the oldest of that minor, whose fields it shares); without one, the newest
    /// release below it; a version older than every release maps to the oldest.
    /// </summary>
    public UpstreamRelease ReleaseFor(LibraryVersion version)
    {
        UpstreamRelease? sameMinor = null, firstOfMinor = null, below = null;
        foreach (var r in _releases)
        {
            if (r.Parsed.Major == version.Major && r.Parsed.Minor == version.Minor)
            {
                firstOfMinor ??= r;
                // a tagged release wins over the branch head of the same number ("0.18.0" over "0.18.0+main")
                if (r.Parsed.Patch <= version.Patch && !(sameMinor is not null && sameMinor.Parsed.Equals(r.Parsed) && r.IsBranchHead)) sameMinor = r;
            }
            else if (r.Parsed.CompareTo(version) < 0) below = r;
        }
        return sameMinor ?? firstOfMinor ?? below ?? _releases[0];
    }

    public override string ToString() => Name;
}

/// <summary>One pinned release: its version, the tag (or branch) read and the exact commit.</summary>
public sealed class UpstreamRelease
{
    internal UpstreamRelease(UpstreamLibrary library, int index, string version, string @ref, string commit, IReadOnlyDictionary<string, string> pins)
    {
        Library = library; Index = index; Version = version; Ref = @ref; Commit = commit; Pins = pins;
        Parsed = LibraryVersion.Parse(version) ?? new LibraryVersion(0, 0, 0);
    }

    public UpstreamLibrary Library { get; }
    public int Index { get; }
    public string Version { get; }
    public LibraryVersion Parsed { get; }
    /// <summary>The git tag read ("v4.57.6"), or "main" for the branch head the shared corpus was taken from.</summary>
    public string Ref { get; }
    public string Commit { get; }
    /// <summary>
    /// A branch head read for the shared corpus (Ref "main": peft 0.20.1.dev0, axolotl 0.18.0+main), not a release
    /// anyone installs from an index: it answers "is this key declared upstream at all", never "which release runs".
    /// </summary>
    public bool IsBranchHead => Ref == "main";
    /// <summary>Requirement specifiers this release declares for other libraries ("transformers" -> "==5.14.1").</summary>
    public IReadOnlyDictionary<string, string> Pins { get; }

    public override string ToString() => $"{Library.Name} {Version}";
}
