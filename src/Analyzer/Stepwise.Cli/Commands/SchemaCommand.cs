using System.CommandLine;
using Stepwise.CommandLine;
using Stepwise.Core.Model;
using Stepwise.Core.Schema;

namespace Stepwise.Cli.Commands;

/// <summary>`stepwise schema --dialect X [--out FILE]` and `stepwise schema --all DIR`: the published JSON schemas.</summary>
public sealed class SchemaCommand : CliCommand
{
    public override int Order => 60;

    public override Command Build()
    {
        var ids = JsonSchemaWriter.Dialects.Select(d => d.Id()).ToArray();
        var dialect = CliOptions.Choice("--dialect", "The dialect whose schema to print", ids);
        var outFile = new Option<string?>("--out") { Description = "Write the schema to this file instead of stdout", HelpName = "FILE" };
        var all = new Option<string?>("--all") { Description = "Write every dialect's schema into this folder", HelpName = "DIR" };
        var command = WithExamples(new Command("schema", "JSON schema of a config dialect, from the key table (for yaml-language-server and other editors)")
        { dialect, outFile, all }, "stepwise schema --dialect axolotl --out axolotl.schema.json", "stepwise schema --all schemas");
        command.SetAction(parse => Run(parse.GetValue(dialect), parse.GetValue(outFile), parse.GetValue(all), parse.InvocationConfiguration.Output));
        return command;
    }

    public static int Run(string? dialectId, string? outFile, string? allDir, TextWriter stdout)
    {
        var known = string.Join(", ", JsonSchemaWriter.Dialects.Select(d => d.Id()));
        if (allDir is not null)
        {
            if (dialectId is not null || outFile is not null) throw new UsageException("--all writes every dialect; do not combine it with --dialect or --out");
            Directory.CreateDirectory(allDir);
            foreach (var d in JsonSchemaWriter.Dialects)
                AtomicFile.WriteAllText(Path.Combine(allDir, JsonSchemaWriter.FileName(d)), JsonSchemaWriter.Write(d));
            stdout.WriteLine($"wrote {JsonSchemaWriter.Dialects.Length} schemas ({known}) to {allDir}");
            return 0;
        }
        if (dialectId is null) throw new UsageException($"schema needs --dialect ({known}) or --all DIR");
        var dialect = DialectNames.Parse(dialectId);
        if (dialect is null || Array.IndexOf(JsonSchemaWriter.Dialects, dialect.Value) < 0)
            throw new UsageException($"unknown dialect '{dialectId}'; one of {known}");
        var text = JsonSchemaWriter.Write(dialect.Value);
        if (outFile is null) stdout.Write(text);
        else
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(outFile));
            if (dir is not null) Directory.CreateDirectory(dir);
            AtomicFile.WriteAllText(outFile, text);
            stdout.WriteLine($"wrote {outFile}");
        }
        return 0;
    }
}
