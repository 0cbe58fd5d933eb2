using System.Text;

namespace Stepwise.Analysis.Tests.Datasets;

/// <summary>Paths to the shared corpus and throw-away folders for dataset tests.</summary>
internal static class DatasetTestFiles
{
    /// <summary>The repository root: the first folder above the test binaries that holds Tooling.sln.</summary>
    public static string RepoRoot
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "Tooling.sln"))) return d.FullName;
            throw new InvalidOperationException($"no Tooling.sln above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>/work/shared beside the checkout (the repository's shared/ folder when there is one).</summary>
    public static string Shared
    {
        get
        {
            var inRepo = Path.Combine(RepoRoot, "shared");
            if (Directory.Exists(Path.Combine(inRepo, "corpus"))) return inRepo;
            return Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
        }
    }

    public static string LlamaFactory => Path.Combine(Shared, "corpus", "llama-factory");
}

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "stepwise-ds-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Write(string relative, string text) => Write(relative, Encoding.UTF8.GetBytes(text));

    public string Write(string relative, byte[] bytes)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
        return full;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
