using Stepwise.CommandLine;
using TrainerProgram = Stepwise.Trainer.Cli.Program;

namespace Stepwise.Trainer.Tests;

/// <summary>stepwise-trainer's command line: the list the `stepwise` front end embeds is current, every command has
/// help with examples, numeric options refuse NaN, infinities and out-of-range values by name.</summary>
public class CommandLineTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(TrainerProgram.Root(), TrainerProgram.Tool, args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Tooling.sln"))) return d.FullName;
        throw new InvalidOperationException("Tooling.sln not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void The_front_ends_list_of_trainer_commands_is_current()
    {
        var file = Path.Combine(RepoRoot(), "src", "Analyzer", "Stepwise.Cli", "TrainerCommands.txt");
        var expected = TrainerProgram.Listed().Select(c => $"{c.Name}\t{c.Summary}").ToList();
        var actual = File.ReadAllLines(file).Where(l => l.Length > 0 && l[0] != '#').ToList();
        Assert.True(expected.SequenceEqual(actual),
            $"{file} is stale: regenerate it with `dotnet src/Trainer/Stepwise.Trainer.Cli/bin/Release/net10.0/stepwise-trainer.dll commands > {file}`\n" +
            $"expected:\n{string.Join("\n", expected)}\nfound:\n{string.Join("\n", actual)}");
    }

    [Fact]
    public void Every_visible_command_answers_help_with_examples()
    {
        var names = TrainerProgram.Listed().Select(c => c.Name).ToList();
        Assert.Contains("train", names);
        Assert.Contains("quantize", names);
        Assert.Contains("generate", names);
        Assert.Contains("merge", names);
        foreach (var name in names)
        {
            var (code, output, error) = Run(name, "--help");
            Assert.True(code == 0 && error == "", $"{name} --help: exit {code}, {error}");
            Assert.Contains("Examples:", output);
        }
    }

    [Theory]
    [InlineData("generate m --temperature nan", "--temperature needs a finite number, not 'nan'")]
    [InlineData("generate m --temperature Infinity", "--temperature needs a finite number, not 'Infinity'")]
    [InlineData("generate m --temperature -1", "--temperature must be between 0 and 100, not -1")]
    [InlineData("generate m --max-new-tokens 0", "--max-new-tokens must be an integer from 1 to 1000000, not 0")]
    [InlineData("generate m --top-k nan", "--top-k needs an integer, not 'nan'")]
    [InlineData("generate m --seed -3", "--seed must be an integer from 0 to 2147483647, not -3")]
    [InlineData("generate m --device tpu", "--device must be cpu or cuda[:N], not 'tpu'")]
    [InlineData("quantize a b --quant-type int8", "--quant-type must be nf4 or fp4, not 'int8'")]
    [InlineData("merge a b c --dtype half", "--dtype must be bfloat16, float16 or float32, not 'half'")]
    [InlineData("train --progress fancy", "--progress must be auto, bar, json or plain, not 'fancy'")]
    [InlineData("bench-train --steps 1e3", "--steps needs an integer, not '1e3'")]
    public void Bad_values_exit_2_naming_the_option(string line, string message)
    {
        var args = line.Split(' ');
        var (code, _, error) = Run(args);
        Assert.Equal(2, code);
        Assert.Contains($"stepwise-trainer {args[0]}: {message}", error);
    }
}
