using Stepwise.Core.Model;
using Stepwise.Core.Schema;

namespace Stepwise.Cli.Commands;

/// <summary>`stepwise schema --dialect X [--out FILE]` and `stepwise schema --all DIR`: the published JSON schemas.</summary>
public static class SchemaCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string? dialectId = null, outFile = null, allDir = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--dialect": dialectId = Next(); break;
                case "--out": outFile = Next(); break;
                case "--all": allDir = Next(); break;
                default: throw new UsageException($"unknown schema option '{args[i]}'");
            }
        }
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
