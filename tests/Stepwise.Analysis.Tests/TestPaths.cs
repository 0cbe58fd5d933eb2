namespace Stepwise.Analysis.Tests;

/// <summary>Finds the repository root (the folder with Tooling.sln) and shared/ beside it.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>../shared from the repository root (read-only reference material and corpus).</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string Corpus => Path.Combine(Shared, "corpus", "llama-factory");

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Tooling.sln"))) return d.FullName;
        throw new InvalidOperationException("Tooling.sln not found above " + AppContext.BaseDirectory);
    }

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "stepwise-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
