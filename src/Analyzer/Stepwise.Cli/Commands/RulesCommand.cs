using System.CommandLine;
using Stepwise.CommandLine;
using Stepwise.Core;
using Stepwise.Core.Artefacts;
using Stepwise.Core.Rules;

namespace Stepwise.Cli.Commands;

/// <summary>`stepwise explain SWnnnn`: a rule's page (what, why, example, fix).</summary>
public sealed class ExplainCommand : CliCommand
{
    public override int Order => 20;

    public override Command Build()
    {
        var id = new Argument<string>("RULE") { Description = "A rule id such as SW1001", HelpName = "SWnnnn" };
        id.CompletionSources.Add(_ => RuleSet.Descriptors.Select(d => d.Id));
        var command = WithExamples(new Command("explain", "What a rule checks, why it matters, an example and the fix") { id }, "stepwise explain SW1001");
        command.SetAction(parse => Explain(parse.GetValue(id)!, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    public static int Explain(string id, TextWriter stdout, TextWriter stderr)
    {
        var d = RuleSet.Descriptor(id.ToUpperInvariant());
        if (d is null)
        {
            stderr.WriteLine($"stepwise explain: no rule {id}; `stepwise rules` lists them");
            return 2;
        }
        stdout.Write(d.ToMarkdown());
        return 0;
    }
}

/// <summary>`stepwise rules`: every rule id with its default severity and title.</summary>
public sealed class RulesCommand : CliCommand
{
    public override int Order => 30;

    public override Command Build()
    {
        var command = WithExamples(new Command("rules", "List every rule with its default severity"), "stepwise rules", "stepwise rules | grep SW3");
        command.SetAction(parse =>
        {
            foreach (var d in RuleSet.Descriptors)
                parse.InvocationConfiguration.Output.WriteLine($"{d.Id}  {d.DefaultSeverity.Id(),-11}  {d.Title}");
            return 0;
        });
        return command;
    }
}

/// <summary>`stepwise docs DIR`: docs/rules/SWnnnn.md and an index, generated from the rule descriptors (never written twice).</summary>
public sealed class DocsCommand : CliCommand
{
    public override int Order => 70;

    public override Command Build()
    {
        var dir = new Argument<string>("OUT_DIR") { Description = "The folder to write the rule pages into" };
        var command = WithExamples(new Command("docs", "Write the rule pages (one Markdown file per rule and an index)") { dir }, "stepwise docs docs/rules");
        command.SetAction(parse => Write(parse.GetValue(dir)!, parse.InvocationConfiguration.Output));
        return command;
    }

    public static int Write(string outDir, TextWriter stdout)
    {
        Directory.CreateDirectory(outDir);
        foreach (var d in RuleSet.Descriptors)
            AtomicFile.WriteAllText(Path.Combine(outDir, d.Id + ".md"), d.ToMarkdown());
        AtomicFile.WriteAllText(Path.Combine(outDir, "README.md"), GeneratedFiles.RuleIndex());
        stdout.WriteLine($"wrote {RuleSet.Descriptors.Count()} rule pages to {outDir}");
        return 0;
    }
}
