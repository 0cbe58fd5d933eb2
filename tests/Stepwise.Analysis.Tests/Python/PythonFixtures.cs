namespace Stepwise.Analysis.Tests.Python;

/// <summary>Finds tests/Stepwise.Analysis.Tests/Fixtures/python from the test's output folder.</summary>
internal static class PythonFixtures
{
    public static string Dir
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            {
                var candidate = Path.Combine(d.FullName, "tests", "Stepwise.Analysis.Tests", "Fixtures", "python");
                if (Directory.Exists(candidate)) return candidate;
            }
            throw new DirectoryNotFoundException("tests/Stepwise.Analysis.Tests/Fixtures/python not found above " + AppContext.BaseDirectory);
        }
    }

    public static string PathOf(string name) => Path.Combine(Dir, name);
    public static string Read(string name) => File.ReadAllText(PathOf(name));
}
