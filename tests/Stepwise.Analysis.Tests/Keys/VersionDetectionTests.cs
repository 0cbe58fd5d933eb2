using Stepwise.Core.Keys;
using Stepwise.Core.Model;
using Stepwise.Workspace.Versions;

namespace Stepwise.Analysis.Tests.Keys;

/// <summary>Which library versions a config will run with, from each kind of file a Python project states them in.</summary>
public sealed class VersionDetectionTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "stepwise-versions-" + Guid.NewGuid().ToString("N"));

    public VersionDetectionTests()
    {
        Directory.CreateDirectory(_root);
        // a repository boundary: the walk up stops here, whatever the temp folder's parents hold
        Directory.CreateDirectory(Path.Combine(_root, ".git"));
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private string Write(string relative, string text)
    {
        var p = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        File.WriteAllText(p, text);
        return p;
    }

    private static VersionDetector Detector() => new(_ => null);

    private AssumedVersion Transformers(Dialect dialect = Dialect.Hf, string folder = "") =>
        Detector().Detect(Path.Combine(_root, folder), dialect)["transformers"]!;

    [Fact]
    public void Nothing_stated_means_the_newest_release_in_the_data()
    {
        var v = Transformers();
        Assert.Equal(VersionAssumptions.NewestKnown, v.Source);
        Assert.Equal(Stepwise.Core.Keys.Upstream.UpstreamData.Instance.Library("transformers")!.NewestRelease.Version, v.Version);
    }

    [Theory]
    [InlineData("peft")]
    [InlineData("axolotl")]
    [InlineData("llamafactory")]
    public void The_newest_known_is_a_tagged_release_never_the_main_branch_the_data_also_reads(string library)
    {
        // The data reads these libraries' main branch too (the shared corpus was taken from it): "is the key declared
        // upstream at all" may use it, but no one installs peft 0.20.1.dev0 from an index, so it is never assumed.
        var lib = Stepwise.Core.Keys.Upstream.UpstreamData.Instance.Library(library)!;
        Assert.True(lib.Newest.IsBranchHead, $"{library}: the data's last entry {lib.Newest.Version} is expected to be its main branch");
        Assert.False(lib.NewestRelease.IsBranchHead);
        Assert.StartsWith("v", lib.NewestRelease.Ref);
        var assumed = VersionAssumptions.Newest[library]!;
        Assert.Equal(lib.NewestRelease.Version, assumed.Version);
        Assert.Same(lib.NewestRelease, assumed.Release);
        var detected = Detector().Detect(_root, library == "axolotl" ? Dialect.Axolotl : library == "llamafactory" ? Dialect.LlamaFactory : Dialect.Hf)[library]!;
        Assert.Equal(lib.NewestRelease.Version, detected.Version);
    }

    [Fact]
    public void A_range_resolves_to_a_release_not_a_development_version()
    {
        // axolotl 0.13-0.16 require peft>=0.18.1: pip installs the newest release, never the main branch's 0.20.1.dev0.
        var peft = Stepwise.Core.Keys.Upstream.UpstreamData.Instance.Library("peft")!;
        Assert.Equal(peft.NewestRelease.Version, VersionDetector.Resolve(peft, ">=0.18.1"));
        Write("requirements.txt", "peft>=0.18.1\ntransformers==5.3.0\n");
        var d = Detector().Detect(_root, Dialect.Hf);
        Assert.Equal(peft.NewestRelease.Version, d["peft"]!.Version);
        Assert.Equal(">=0.18.1", d["peft"]!.Range);
        Assert.False(d["peft"]!.IsExact);
        Assert.Null(d["transformers"]!.Range);
        Assert.True(d["transformers"]!.IsExact);
    }

    [Fact]
    public void Installed_package_in_a_venv_wins()
    {
        Directory.CreateDirectory(Path.Combine(_root, ".venv", "lib", "python3.12", "site-packages", "transformers-4.57.1.dist-info"));
        Write("requirements.txt", "transformers==4.46.0\n");
        var v = Transformers();
        Assert.Equal("4.57.1", v.Version);
        Assert.Contains("installed in .venv", v.Source);
        Assert.Equal("4.57.6", v.Release!.Version); // the data's release of that minor
    }

    [Fact]
    public void Windows_venv_layout_and_venv_folder_name_are_read()
    {
        Directory.CreateDirectory(Path.Combine(_root, "venv", "Lib", "site-packages", "trl-0.24.0.dist-info"));
        var v = Detector().Detect(_root, Dialect.Hf)["trl"]!;
        Assert.Equal("0.24.0", v.Version);
    }

    [Fact]
    public void Requirements_exact_pin_and_range()
    {
        Write("requirements.txt", "torch>=2.4\ntransformers==4.51.3  # pinned\npeft>=0.15,<0.17\n");
        var d = Detector().Detect(_root, Dialect.Hf);
        Assert.Equal("4.51.3", d["transformers"]!.Version);
        Assert.Contains("requirements.txt:2", d["transformers"]!.Source);
        // a range: the newest release in the data it allows (peft 0.16.0)
        Assert.Equal("0.16.0", d["peft"]!.Version);
    }

    [Fact]
    public void Range_upper_bound_itself_counts_when_the_data_holds_a_later_patch()
    {
        Write("requirements-train.txt", "transformers>=4.55.0,<=5.8.0,!=5.6.0\n");
        Assert.Equal("5.8.0", Transformers().Version);
    }

    [Fact]
    public void Pyproject_dependencies_and_poetry_tables()
    {
        Write("a/pyproject.toml", "[project]\ndependencies = [\n  \"transformers~=4.56.0\",\n  \"datasets\",\n]\n");
        Assert.Equal("4.56.2", Transformers(folder: "a").Version);
        Write("b/pyproject.toml", "[tool.poetry.dependencies]\npython = \"^3.10\"\ntransformers = \"^4.48\"\n");
        Assert.Equal("4.57.6", Transformers(folder: "b").Version); // ^4.48 = >=4.48,<5.0
    }

    [Fact]
    public void Lock_files_give_exact_versions()
    {
        Write("uv/uv.lock", "version = 1\n\n[[package]]\nname = \"transformers\"\nversion = \"4.53.2\"\nsource = { registry = \"https://pypi.org/simple\" }\n");
        Assert.Equal("4.53.2", Transformers(folder: "uv").Version);
        Write("poetry/poetry.lock", "[[package]]\nname = \"transformers\"\nversion = \"4.48.3\"\ndescription = \"x\"\n");
        Assert.Equal("4.48.3", Transformers(folder: "poetry").Version);
        Write("pipenv/Pipfile.lock", "{\"default\": {\"transformers\": {\"hashes\": [], \"version\": \"==4.47.1\"}}}");
        Assert.Equal("4.47.1", Transformers(folder: "pipenv").Version);
    }

    [Fact]
    public void Conda_environment_file()
    {
        Write("environment.yml", "name: ft\ndependencies:\n  - python=3.11\n  - pip:\n    - transformers==5.2.0\n    - trl=0.29.1\n");
        var d = Detector().Detect(_root, Dialect.Hf);
        Assert.Equal("5.2.0", d["transformers"]!.Version);
        Assert.Equal("0.29.1", d["trl"]!.Version);
    }

    [Fact]
    public void Nearest_folder_wins()
    {
        Write("requirements.txt", "transformers==4.46.3\n");
        Write("recipes/sft/requirements.txt", "transformers==5.1.0\n");
        Assert.Equal("5.1.0", Transformers(folder: "recipes/sft").Version);
        Assert.Equal("4.46.3", Transformers(folder: "recipes").Version);
    }

    [Fact]
    public void Environment_variable_venv_is_the_last_resort()
    {
        var venv = Path.Combine(_root, "outside");
        Directory.CreateDirectory(Path.Combine(venv, "lib", "python3.11", "site-packages", "peft-0.13.2.dist-info"));
        var d = new VersionDetector(n => n == "VIRTUAL_ENV" ? venv : null).Detect(Path.Combine(_root, "x"), Dialect.Hf);
        Assert.Equal("0.13.2", d["peft"]!.Version);
    }

    [Fact]
    public void Axolotl_config_takes_the_tools_pins()
    {
        // nothing installed: the newest axolotl in the data, and what it pins (transformers==5.14.1 in its pyproject.toml)
        var d = Detector().Detect(_root, Dialect.Axolotl);
        Assert.Equal("5.14.1", d["transformers"]!.Version);
        Assert.Contains("axolotl", d["transformers"]!.Source);
        Assert.Equal("1.8.0", d["trl"]!.Version);
        // axolotl 0.12 installed: its own pins (requirements.txt at v0.12.2: transformers==4.55.x)
        Write("requirements.txt", "axolotl==0.12.2\n");
        var old = Detector().Detect(_root, Dialect.Axolotl);
        Assert.StartsWith("4.5", old["transformers"]!.Version);
        Assert.Contains("axolotl 0.12.2 requires", old["transformers"]!.Source);
    }

    [Fact]
    public void Llamafactory_config_takes_the_tools_range_pins()
    {
        var d = Detector().Detect(_root, Dialect.LlamaFactory);
        var t = d["transformers"]!;
        Assert.Contains("LLaMA-Factory", t.Source);
        var release = Stepwise.Core.Keys.Upstream.UpstreamData.Instance.Library("llamafactory")!.NewestRelease;
        Assert.True(VersionDetector.Allows(release.Pins["transformers"], t.Parsed, t.Version), $"{t.Version} vs {release.Pins["transformers"]}");
        Assert.Contains($"LLaMA-Factory {release.Version} requires", t.Source);
        Assert.Equal(release.Pins["transformers"], t.Range); // a range: any allowed release may be installed
        Assert.False(t.IsExact);
    }

    [Fact]
    public void Stated_transformers_version_overrides_detection()
    {
        Write("requirements.txt", "transformers==5.3.0\n");
        var options = new Stepwise.Core.AnalysisOptions { Versions = Detector().Detect(_root, Dialect.Hf), TransformersVersion = "4.57" };
        Assert.Equal("4.57", options.EffectiveVersions["transformers"]!.Version);
        Assert.Contains("--transformers-version", options.EffectiveVersions["transformers"]!.Source);
        Assert.Equal((4, 57), options.Version);
        Assert.False(options.IsV5);
    }

    [Theory]
    [InlineData(">=4.45,<4.50", "4.49.0", true)]
    [InlineData(">=4.45,<4.50", "4.50.3", false)]
    [InlineData("!=4.57.0,>=4.55", "4.57.0", false)]
    [InlineData("~=4.56.0", "4.56.2", true)]
    [InlineData("~=4.56.0", "4.57.6", false)]
    [InlineData("==4.57.*", "4.57.6", true)]
    public void Specifiers_follow_pep_440(string spec, string version, bool allowed) =>
        Assert.Equal(allowed, VersionDetector.Allows(spec, LibraryVersion.Parse(version)!.Value, version));
}
