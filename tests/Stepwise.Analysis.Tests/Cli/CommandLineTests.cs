using Stepwise.Cli;

namespace Stepwise.Analysis.Tests.Cli;

/// <summary>The `stepwise` command line as a user meets it: help with examples on every command, errors that name the
/// option, numbers that must be finite and in range, completion, the trainer's commands listed and forwarded.</summary>
public class CommandLineTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Program.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    public static TheoryData<string> OwnCommands() => new() { "check", "lsp", "explain", "rules", "schema", "docs", "bench", "completion" };

    [Theory]
    [MemberData(nameof(OwnCommands))]
    public void Every_command_answers_help_with_examples(string command)
    {
        var (code, output, error) = Run(command, "--help");
        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Contains($"stepwise {command}", output);
        Assert.Contains("Examples:", output);
    }

    [Fact]
    public void Top_level_help_lists_every_command_including_the_trainers()
    {
        var (code, output, _) = Run("--help");
        Assert.Equal(0, code);
        foreach (var c in new[] { "check", "lsp", "explain", "rules", "schema", "docs", "bench", "completion", "train", "quantize", "generate", "merge", "init-default" })
            Assert.Matches($"(?m)^  {c}\\b", output);
        var (noArgs, usage, _) = Run();
        Assert.Equal(2, noArgs);
        Assert.Contains("Commands:", usage);
    }

    /// <summary>
    /// The newest tagged release of each library as the generator's input lists it (tools/keygen/upstream.json, the
    /// releases keygen.py read): the last release whose ref is a tag, not the branch head "main".
    /// </summary>
    private static Dictionary<string, string> NewestTaggedInGeneratorInput()
    {
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tools", "keygen", "upstream.json")));
        var newest = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var lib in json.RootElement.GetProperty("libraries").EnumerateObject())
            foreach (var r in lib.Value.GetProperty("releases").EnumerateArray())
                if (r.GetProperty("ref").GetString() != "main") newest[lib.Name] = r.GetProperty("version").GetString()!;
        return newest;
    }

    [Fact]
    public void Transformers_version_help_names_the_key_datas_newest_release_not_a_fixed_default()
    {
        var newest = NewestTaggedInGeneratorInput()["transformers"];
        var (code, output, _) = Run("check", "--help");
        Assert.Equal(0, code);
        var help = System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " ");
        Assert.Contains("installed or pinned in the workspace", help);
        Assert.Contains($"newest release Stepwise's key data knows, {newest})", help);
        Assert.DoesNotContain("default 4.", help);
    }

    [Fact]
    public void Newest_release_read_from_the_release_lines_agrees_with_the_generator_input_for_every_library()
    {
        // UpstreamData.NewestReleaseOf reads only the release lines (help texts must not load the whole data); the
        // generator's input is the independent account of which releases were read.
        var keys = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "src", "Analyzer", "Stepwise.Core", "Keys", "Upstream", "keys.txt"));
        var parsed = Stepwise.Core.Keys.Upstream.UpstreamData.Parse(keys);
        foreach (var (library, version) in NewestTaggedInGeneratorInput())
        {
            Assert.Equal(version, Stepwise.Core.Keys.Upstream.UpstreamData.NewestReleaseIn(new StringReader(keys), library));
            Assert.Equal(version, parsed.Library(library)!.NewestRelease.Version);
            Assert.Equal(version, Stepwise.Core.Keys.Upstream.UpstreamData.NewestReleaseOf(library));
        }
        Assert.Null(Stepwise.Core.Keys.Upstream.UpstreamData.NewestReleaseIn(new StringReader(keys), "no-such-library"));
    }

    [Theory]
    [InlineData("--epoch-threshold", "nan", "--epoch-threshold needs a finite number, not 'nan'")]
    [InlineData("--epoch-threshold", "NaN", "--epoch-threshold needs a finite number, not 'NaN'")]
    [InlineData("--epoch-threshold", "Infinity", "--epoch-threshold needs a finite number, not 'Infinity'")]
    [InlineData("--epoch-threshold", "-Infinity", "--epoch-threshold needs a finite number, not '-Infinity'")]
    [InlineData("--epoch-threshold", "0", "--epoch-threshold must be greater than 0, not 0")]
    [InlineData("--epoch-threshold", "two", "--epoch-threshold needs a number, not 'two'")]
    [InlineData("--world-size", "0", "--world-size must be a positive integer, not 0")]
    [InlineData("--world-size", "1.5", "--world-size needs an integer, not '1.5'")]
    [InlineData("--world-size", "nan", "--world-size needs an integer, not 'nan'")]
    [InlineData("--dataset-size", "-1", "--dataset-size must be a non-negative integer, not -1")]
    [InlineData("--dataset-size", "99999999999999999999", "--dataset-size needs an integer, not '99999999999999999999'")]
    [InlineData("--format", "xml", "--format must be human, json or sarif, not 'xml'")]
    [InlineData("--severity", "SW1001", "--severity wants SWnnnn=error|warning|info|hint|off, not 'SW1001'")]
    [InlineData("--transformers-version", "latest", "--transformers-version needs a release such as 4.57 or 4.46.3, not 'latest'")]
    public void Bad_option_values_exit_2_naming_the_option(string option, string value, string message)
    {
        var (code, output, error) = Run("check", option, value, "x.yaml");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains($"stepwise check: {message}", error);
        Assert.Contains("Run 'stepwise check --help' for usage.", error);
    }

    [Fact]
    public void Grouped_integers_and_finite_numbers_are_accepted()
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "a.yaml");
        File.WriteAllText(path, "per_device_train_batch_size: 8\nnum_train_epochs: 1\n");
        var (code, output, _) = Run("check", "--no-git", "--dataset-size", "52,002", "--world-size", "2", "--epoch-threshold", "1.5e0", path);
        Assert.Equal(0, code);
        Assert.Contains("52,002 examples · 8 x 1 x 2 = 16 samples/step", output);
    }

    [Fact]
    public void Unknown_commands_and_options_are_named()
    {
        var (code, _, error) = Run("chek");
        Assert.Equal(2, code);
        Assert.Contains("'chek'", error);
        (code, _, error) = Run("check", "--word-size", "2", "x.yaml");
        Assert.Equal(2, code);
        Assert.Contains("'--word-size'", error);
    }

    [Theory]
    [InlineData("bash", "complete -o default -F _stepwise_complete stepwise")]
    [InlineData("zsh", "compdef _stepwise_complete stepwise")]
    [InlineData("fish", "complete -c stepwise")]
    public void Completion_scripts_ask_the_tool_through_the_suggest_directive(string shell, string registers)
    {
        var (code, output, _) = Run("completion", shell);
        Assert.Equal(0, code);
        Assert.Contains("[suggest:", output);
        Assert.Contains(registers, output);
    }

    [Fact]
    public void The_suggest_directive_completes_options_and_values()
    {
        var (code, output, _) = Run("[suggest:18]", "stepwise check --fo");
        Assert.Equal(0, code);
        Assert.Equal(new[] { "--format" }, output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        (_, output, _) = Run("[suggest:25]", "stepwise check --format j");
        Assert.Equal(new[] { "json" }, output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}

/// <summary>The trainer's commands run stepwise-trainer with the arguments as given (one test class: it sets
/// STEPWISE_TRAINER for the process).</summary>
public class TrainerForwardingTests
{
    [Fact]
    public void Trainer_commands_are_forwarded_with_their_arguments_and_exit_code_or_say_what_to_install()
    {
        var dir = TestPaths.TempDir();
        var fake = Path.Combine(dir, "stepwise-trainer");
        var log = Path.Combine(dir, "args.txt");
        File.WriteAllText(fake, $"#!/bin/sh\nprintf '%s\\n' \"$@\" > '{log}'\nexit 7\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var before = Environment.GetEnvironmentVariable("STEPWISE_TRAINER");
        try
        {
            Environment.SetEnvironmentVariable("STEPWISE_TRAINER", fake);
            Assert.Equal(7, Program.Run(new[] { "train", "my config.yaml", "--help", "--progress", "json" }, new StringWriter(), new StringWriter()));
            Assert.Equal(new[] { "train", "my config.yaml", "--help", "--progress", "json" }, File.ReadAllLines(log));
            Environment.SetEnvironmentVariable("STEPWISE_TRAINER", Path.Combine(dir, "missing"));
            var error = new StringWriter();
            Assert.Equal(2, Program.Run(new[] { "quantize", "a", "b" }, new StringWriter(), error));
            Assert.Contains("cannot start", error.ToString());
        }
        finally { Environment.SetEnvironmentVariable("STEPWISE_TRAINER", before); }
    }
}
