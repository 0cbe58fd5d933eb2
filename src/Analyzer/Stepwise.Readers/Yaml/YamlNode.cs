using YamlDotNet.Core;

namespace Stepwise.Readers.Yaml;

internal enum YamlNodeKind { Scalar, Sequence, Mapping }

/// <summary>A YAML node with its source offsets, built by either parser (the fast one or YamlDotNet's).</summary>
internal sealed class YamlNode
{
    public YamlNodeKind Kind;
    public int Start, End;
    public string Scalar = "";
    public ScalarStyle Style;
    public bool Flow;
    private static readonly List<YamlNode> None = new();
    private List<YamlNode>? _children;
    private Func<List<YamlNode>>? _lazyChildren;
    /// <summary>Mapping: key, value, key, value...; sequence: items. Allocated for collections only; a collection the
    /// fast parser only skimmed parses them on first use.</summary>
    public List<YamlNode> Children => Volatile.Read(ref _children) ?? Materialise();
    public List<YamlNode> MutableChildren => _children ??= new List<YamlNode>();
    /// <summary>True while the children are still to be parsed.</summary>
    public bool IsLazy => Volatile.Read(ref _children) is null && _lazyChildren is not null;

    internal void SetLazyChildren(Func<List<YamlNode>> parse) => _lazyChildren = parse;

    private List<YamlNode> Materialise()
    {
        var parse = Volatile.Read(ref _lazyChildren);
        // No parser left: there never was one, or another thread has published the children already.
        if (parse is null) return Volatile.Read(ref _children) ?? None;
        var built = parse();
        var winner = Interlocked.CompareExchange(ref _children, built, null) ?? built;
        _lazyChildren = null;
        return winner;
    }
}
