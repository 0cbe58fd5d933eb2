using System.CommandLine;
using Stepwise.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Core.Model;
using Stepwise.Trainer.Data;
using Stepwise.Workspace;

namespace Stepwise.Trainer.Cli.Commands;

/// <summary>
/// `tokenize MODEL_DIR`: what the trainer's tokenizer makes of a text, through the code training uses.
/// <list type="bullet">
/// <item>--text T: the tokens and ids (--add-special-tokens: what transformers adds by default, e.g. BOS).</item>
/// <item>--text T --config C: T is one dataset record (a JSON object, or plain text for a text record) rendered with C's
/// data format and chat template exactly as `train` renders it; each token shows its label, -100 where the loss does
/// not look (axolotl's preprocess debug view).</item>
/// <item>--texts FILE.json: a JSON array of strings in, a JSON array of id arrays out (for scripts and tests).</item>
/// </list>
/// </summary>
public sealed class TokenizeCommand : CliCommand
{
    public override int Order => 60;

    public override Command Build()
    {
        var dir = new Argument<string>("MODEL_DIR") { Description = "A model folder with tokenizer.json (+ tokenizer_config.json) or tokenizer.model" };
        var text = new Option<string?>("--text") { Description = "One text (with --config: one dataset record, a JSON object or plain text)", HelpName = "T" };
        var texts = new Option<string?>("--texts") { Description = "A JSON array of strings; prints a JSON array of id arrays", HelpName = "FILE.json" };
        var config = new Option<string?>("--config") { Description = "A training config: render --text as its data format and chat template do, and show the label of each token", HelpName = "C" };
        var special = new Option<bool>("--add-special-tokens") { Description = "Add what transformers adds by default (BOS through the post-processor)" };
        var command = WithExamples(new Command("tokenize", "Tokens and ids of a text through the trainer's tokenizer, and with a config the tokens training learns from") { dir, text, texts, config, special },
            "stepwise tokenize models/tiny --text \"Hello world\"",
            "stepwise tokenize models/llama3 --text \"Hello world\" --add-special-tokens",
            "stepwise tokenize models/tiny --config train.yaml --text '{\"instruction\": \"Hi\", \"output\": \"Hello\"}'",
            "stepwise tokenize models/tiny --texts texts.json");
        command.SetAction(parse => Run(parse.GetValue(dir)!, parse.GetValue(text), parse.GetValue(texts), parse.GetValue(config), parse.GetValue(special)));
        return command;
    }

    public static int Run(string dir, string? text, string? textsFile, string? configPath, bool special)
    {
        if ((text is null) == (textsFile is null)) throw new UsageException("give one of --text T or --texts FILE.json");
        if (configPath is not null && text is null) throw new UsageException("--config goes with --text (one dataset record)");
        if (configPath is not null && special) throw new UsageException("with --config the data format decides the special tokens, as in training; drop --add-special-tokens");
        if (!Directory.Exists(dir)) throw new UsageException($"MODEL_DIR '{dir}' is not a folder");

        var tok = TextTokenizer.Load(dir);
        if (textsFile is not null) return Texts(tok, textsFile, special);
        if (configPath is not null) return Record(tok, dir, text!, configPath);
        var enc = tok.EncodeWithOffsets(text!, special);
        Console.WriteLine($"tokenizer: {tok.Description}");
        Console.WriteLine($"text: {Json(text!)}  ({enc.Count} tokens{(special ? ", special tokens added" : "")})");
        Console.WriteLine("     #  id        token");
        for (int i = 0; i < enc.Count; i++) Console.WriteLine($"{i,6}  {enc.Ids[i],-8}  {Json(enc.Tokens[i])}");
        Console.WriteLine($"ids: [{string.Join(", ", enc.Ids)}]");
        return 0;
    }

    private static int Texts(TextTokenizer tok, string path, bool special)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { Console.Error.WriteLine($"{path}:{(e.LineNumber ?? 0) + 1}:{(e.BytePositionInLine ?? 0) + 1}: error: not valid JSON: {e.Message}"); return 1; }
        if (root is not JsonArray array || array.Any(n => n is not JsonValue v || !v.TryGetValue<string>(out _)))
        {
            Console.Error.WriteLine($"{path}: error: expected a JSON array of strings");
            return 1;
        }
        var output = new StringBuilder("[");
        for (int i = 0; i < array.Count; i++)
        {
            string t = array[i]!.GetValue<string>();
            IReadOnlyList<int> ids;
            try { ids = tok.Encode(t, special); }
            catch (ArgumentException e) { Console.Error.WriteLine($"{path}: error: text {i}: {e.Message}"); return 1; }
            if (i > 0) output.Append(',');
            output.Append('[').AppendJoin(',', ids).Append(']');
        }
        Console.WriteLine(output.Append(']').ToString());
        return 0;
    }

    private static int Record(TextTokenizer tok, string modelDir, string text, string configPath)
    {
        var file = new ConfigChecker(new WorkspaceOptions { UseGit = false }).AnalyzeFile(configPath);
        if (file.Error is not null) { Console.Error.WriteLine($"{configPath}: error: {file.Error}"); return 1; }
        var config = file.Configs.FirstOrDefault(c => c.Document.Dialect is Dialect.Hf or Dialect.Axolotl or Dialect.LlamaFactory) ?? file.Configs.FirstOrDefault();
        if (config is null) { Console.Error.WriteLine($"{configPath}: error: no configuration found"); return 1; }
        var setup = config.Result.Setup;
        var args = TrainingArguments.FromSetup(setup, new List<string>());

        JsonObject fields;
        try { fields = JsonNode.Parse(text) as JsonObject ?? new JsonObject { ["text"] = text }; }
        catch (JsonException) { fields = new JsonObject { ["text"] = text }; }
        var record = new DataRecord(fields, "--text", 1);
        try
        {
            string? format = setup.Document.Find("dataset_format")?.Value.AsString();
            var shape = format is null ? RecordShapes.Detect(record) : RecordShapes.Parse(format);
            var (template, note) = shape == RecordShape.Messages ? ChatFormat.Choose(setup, modelDir, configPath) : (null, $"{shape.ToString().ToLowerInvariant()} records");
            var segments = RecordShapes.Render(record, shape, template);
            var e = ExampleBuilder.Build(segments, tok, int.MaxValue, args.TrainOnInputs, template is not null && shape == RecordShape.Messages, out _);
            Console.WriteLine($"tokenizer: {tok.Description}");
            Console.WriteLine($"format: {note}{(args.TrainOnInputs ? "; train_on_inputs: every token is trained" : "")}");
            Console.WriteLine($"rendered: {Json(string.Concat(segments.Select(s => s.Text)))}");
            Console.WriteLine("     #  id        label     token");
            for (int i = 0; i < e.Length; i++)
            {
                bool trained = e.Labels[i] != Example.Ignore;
                Console.WriteLine($"{i,6}  {e.Ids[i],-8}  {e.Labels[i],-8}  {(trained ? "*" : " ")} {Json(tok.IdToToken(e.Ids[i]) ?? "?")}");
            }
            Console.WriteLine($"trained: {e.Labels.Count(l => l != Example.Ignore)} of {e.Length} tokens (* above; the loss reads each label at the position before it)");
            return 0;
        }
        catch (DatasetException ex) { Console.Error.WriteLine("error: " + ex.Message); return 1; }
    }

    /// <summary>A quoted string with only quotes, backslashes and control characters escaped (emoji and CJK stay readable).</summary>
    private static string Json(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s)
            sb.Append(c switch
            {
                '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", '\r' => "\\r", '\t' => "\\t",
                < ' ' or '\u007F' or '\u0085' or '\u2028' or '\u2029' => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        return sb.Append('"').ToString();
    }
}
