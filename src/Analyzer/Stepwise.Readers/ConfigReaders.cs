using Stepwise.Core.Model;

namespace Stepwise.Readers;

/// <summary>Chooses the reader for a file by its extension, then by its content.</summary>
public static class ConfigReaders
{
    public static readonly IConfigReader Yaml = new Yaml.YamlConfigReader();
    public static readonly IConfigReader Json = new Json.JsonConfigReader();

    /// <summary>Extensions whose files may hold a training config.</summary>
    public static readonly string[] Extensions = { ".yaml", ".yml", ".json", ".jsonc", ".py", ".ipynb" };

    public static IConfigReader? ForPath(string path)
    {
        var ext = System.IO.Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".yaml" or ".yml" => Yaml,
            ".json" or ".jsonc" => Json,
            ".py" => Python.PythonConfigReader.Instance, ".ipynb" => Python.NotebookConfigReader.Instance,
            _ => null,
        };
    }

    /// <summary>Reads a text with the reader its path asks for; a path with no known extension is tried as JSON when
    /// it starts with '{', else as YAML.</summary>
    public static IReadOnlyList<ConfigDocument> Read(string text, string? path)
    {
        var reader = path is null ? null : ForPath(path);
        if (reader is null)
            reader = text.TrimStart().StartsWith('{') ? Json : Yaml;
        return reader.Read(text, path);
    }
}
