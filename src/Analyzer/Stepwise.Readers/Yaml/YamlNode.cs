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
    /// <summary>Mapping: key, value, key, value...; sequence: items. Allocated for collections only.</summary>
    public List<YamlNode> Children => _children ?? None;
    public List<YamlNode> MutableChildren => _children ??= new List<YamlNode>();
}
