using System.Text.Json.Nodes;
using Stepwise.Core;
using Stepwise.Core.Model;
using Stepwise.Core.Text;
using Stepwise.Readers.Python;

namespace Stepwise.Analysis.Tests.Python;

/// <summary>Broken input of every kind: the readers report problems, they never throw or hang, and every edit they spell applies.</summary>
public class PythonRobustnessTests
{
    private const string Tricky = "'\"()[]{}\\#\n\t fbrFBR=,*:.0x_e-+j;$\r";

    private static string Mutate(string text, Random rng)
    {
        var sb = new System.Text.StringBuilder(text);
        int edits = rng.Next(1, 6);
        for (int k = 0; k < edits && sb.Length > 0; k++)
        {
            int at = rng.Next(sb.Length);
            switch (rng.Next(3))
            {
                case 0: sb.Remove(at, Math.Min(sb.Length - at, rng.Next(1, 4))); break;
                case 1: sb.Insert(at, Tricky[rng.Next(Tricky.Length)]); break;
                default: sb.Insert(at, new string(Tricky[rng.Next(Tricky.Length)], rng.Next(1, 4))); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Every edit an editor can spell for every entry applies to the text without throwing.</summary>
    private static void ExerciseEditors(string text, IReadOnlyList<ConfigDocument> docs)
    {
        foreach (var doc in docs)
        {
            Engine.Analyze(new AnalysisInputs(doc), new AnalysisOptions { DatasetSize = 1000 });
            foreach (var e in doc.Entries)
            {
                Assert.InRange(e.KeySpan.Start, 0, text.Length);
                Assert.InRange(e.RemovalSpan.End, 0, text.Length);
                foreach (var edit in new[]
                {
                    doc.Editor.SetValue(e, 1), doc.Editor.Rename(e, "k"), doc.Editor.Remove(e),
                    doc.Editor.AddAfter(e, "k", "v"), doc.Editor.Replace(e, "k", 2.5),
                })
                {
                    TextEdit.Apply(text, new[] { edit });
                }
            }
        }
    }

    [Fact]
    public void Mutated_scripts_never_throw_and_all_edits_apply()
    {
        var seed = PythonFixtures.Read("seed_qlora.py");
        var reader = new PythonConfigReader();
        var rng = new Random(20240601);
        int withProblems = 0, withEntries = 0;
        for (int i = 0; i < 400; i++)
        {
            var text = Mutate(seed, rng);
            var docs = reader.Read(text, "m.py");
            ExerciseEditors(text, docs);
            if (docs.Any(d => d.Problems.Count > 0)) withProblems++;
            if (docs.Any(d => d.Entries.Count > 0)) withEntries++;
        }
        // The mutations did break things, and reading still found the configs most of the time.
        Assert.InRange(withProblems, 40, 400);
        Assert.InRange(withEntries, 300, 400);
    }

    [Fact]
    public void Mutated_notebooks_never_throw_and_all_edits_apply()
    {
        var original = PythonFixtures.Read("qlora.ipynb");
        var reader = new NotebookConfigReader();
        var rng = new Random(99);
        for (int i = 0; i < 200; i++)
        {
            // Broken Python inside valid JSON...
            var root = JsonNode.Parse(original)!;
            var cell = root["cells"]![3]!;
            var code = string.Concat(cell["source"]!.AsArray().Select(x => (string)x!));
            cell["source"] = Mutate(code, rng);
            var text = root.ToJsonString();
            var docs = reader.Read(text, "m.ipynb");
            ExerciseEditors(text, docs);

            // ...and broken JSON.
            var broken = Mutate(original, rng);
            ExerciseEditors(broken, reader.Read(broken, "b.ipynb"));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("\uFEFF")]
    [InlineData("TrainingArguments(")]
    [InlineData("TrainingArguments(**")]
    [InlineData("TrainingArguments(x=")]
    [InlineData("TrainingArguments(x=1,,,y=2)")]
    [InlineData("TrainingArguments(=1)")]
    [InlineData("TrainingArguments(x=lambda a=1: a, y=2)")]
    [InlineData("x = TrainingArguments)(")]
    [InlineData("TrainingArguments(x=f'{')")]
    [InlineData("TrainingArguments(x=f\"{a:{b:{c:{d}}}}\")")]
    [InlineData("TrainingArguments(x='\\")]
    [InlineData("TrainingArguments(x=1)\\")]
    [InlineData("A = A\nB = B + 1\nTrainingArguments(x=A, y=B)")]
    [InlineData("A, *B = 1, 2, 3\nTrainingArguments(x=A, y=B)")]
    [InlineData("x = 10 ** 10 ** 10\nTrainingArguments(a=x, b=2 ** 64, c=1 / 0, d=-9223372036854775807 - 2, e=99999999999999999999)")]
    [InlineData("def f(:\n  TrainingArguments(a=1)\nclass")]
    [InlineData("if x:\nTrainingArguments(a=1)\n  else")]
    [InlineData("@\nTrainingArguments(a=1)")]
    public void Odd_scripts_read_without_throwing(string text)
    {
        var docs = new PythonConfigReader().Read(text, "odd.py");
        ExerciseEditors(text, docs);
    }

    [Fact]
    public void Huge_and_cyclic_constants_become_unknown_not_wrong()
    {
        var text = "A = 2 ** 64\nB = 10 ** 10 ** 10\nC = 1 / 0\nD = C + 1\nE = E\nTrainingArguments(a=A, b=B, c=C, d=D, e=E, f=9223372036854775807 + 1)\n";
        var doc = new PythonConfigReader().Read(text, "big.py").Single();
        Assert.All(doc.Entries, e => Assert.Equal(ValueKind.Unknown, e.Value.Kind));
        Assert.Contains("too large", doc.Find("a")!.Value.UnknownReason);
        Assert.Contains("division by zero", doc.Find("d")!.Value.UnknownReason);
        Assert.Contains("`E` is not assigned", doc.Find("e")!.Value.UnknownReason);
    }
}
