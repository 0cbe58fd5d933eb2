using System.Text.RegularExpressions;
using Stepwise.Core;
using Stepwise.Core.Keys.Upstream;
using Stepwise.Core.Model;
using Stepwise.Core.Model.Views;
using Stepwise.Readers;

namespace Stepwise.Analysis.Tests.Keys;

/// <summary>
/// The typed views the validators check (Model/Views/ConfigViews.g.cs, written by `/usr/bin/python3
/// tools/keygen/keygen.py render`; UpstreamKeysTests.Generator_render_is_fresh runs `keygen.py check`): their fields
/// against the classes in the embedded key data as Core's own parser reads it, and what a field reads from a config.
/// </summary>
public class ConfigViewTests
{
    private static TrainingSetup Setup(string text, string path) => SetupBuilder.Build(ConfigReaders.Read(text, path).Single());
    private static ConfigViews Views(string text, string path = "config.yaml") => new(Setup(text, path), new AnalysisOptions());

    /// <summary>Field names a class and its bases declare in any release (private fields and **kwargs are not settings).</summary>
    private static SortedSet<string> Declared(string qualified, bool otherLibraries)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<string>();
        var root = UpstreamData.Instance.Class(qualified)!;
        void Visit(UpstreamClass c)
        {
            if (!seen.Add(c.QualifiedName)) return;
            foreach (var f in c.Fields)
                if (Regex.IsMatch(f.Name, "^[A-Za-z][A-Za-z0-9_]*$")) names.Add(f.Name);
            foreach (var (_, bases) in c.Bases)
                foreach (var b in bases)
                {
                    var q = b.Contains(':') ? b : c.Library.Name + ":" + b;
                    if (!otherLibraries && !q.StartsWith(root.Library.Name + ":", StringComparison.Ordinal)) continue;
                    if (UpstreamData.Instance.Class(q) is { } bc) Visit(bc);
                }
        }
        Visit(root);
        return names;
    }

    public static TheoryData<string, string, bool> Classes => new()
    {
        { "TrainingArguments", "transformers:TrainingArguments", true },
        { "BitsAndBytesConfig", "transformers:BitsAndBytesConfig", true },
        { "LoraConfig", "peft:LoraConfig", true },
        { "ModelConfig", "trl:ModelConfig", true },
        { "AxolotlConfig", "axolotl:AxolotlInputConfig", true },
        // LLaMA-Factory's parser union, its own classes only (transformers' TrainingArguments has its own view).
        { "LlamaFactoryArguments", "llamafactory:ParserArguments", false },
    };

    private static ConfigView ViewNamed(ConfigViews v, string name) => name switch
    {
        "TrainingArguments" => v.TrainingArguments,
        "BitsAndBytesConfig" => v.BitsAndBytesConfig,
        "LoraConfig" => v.LoraConfig,
        "ModelConfig" => v.ModelConfig,
        "AxolotlConfig" => v.AxolotlConfig,
        _ => v.LlamaFactoryArguments,
    };

    [Theory]
    [MemberData(nameof(Classes))]
    public void A_view_has_one_field_for_each_field_its_class_and_bases_declare(string view, string qualified, bool otherLibraries)
    {
        var v = ViewNamed(Views("output_dir: o\n"), view);
        Assert.Equal(qualified, $"{v.Library}:{v.UpstreamClass}");
        Assert.Equal(Declared(qualified, otherLibraries), new SortedSet<string>(v.FieldNames, StringComparer.Ordinal));
    }

    [Fact]
    public void Hugging_Face_class_fields_are_the_canonical_names_themselves()
    {
        // The setup stores settings under Hugging Face names; transformers' and PEFT's own fields are those names.
        var views = Views("output_dir: o\n");
        foreach (ConfigView v in new ConfigView[] { views.TrainingArguments, views.BitsAndBytesConfig, views.LoraConfig })
            foreach (var name in v.FieldNames)
                Assert.Equal(name, v.Canonical(name));
    }

    [Fact]
    public void An_axolotl_field_reads_its_canonical_setting_with_the_entry_it_came_from()
    {
        const string text = "base_model: m\nlora_r: 16\nmicro_batch_size: 2\nadapter: qlora\nbf16: auto\n";
        var ax = Views(text, "axolotl.yaml").AxolotlConfig;
        Assert.Equal(Dialect.Axolotl, ax.Dialect);
        Assert.Equal("lora_r", ax.LoraR.Key);
        Assert.Equal("r", ax.LoraR.Name);
        Assert.Equal(16, ax.LoraR.Value);
        Assert.True(ax.LoraR.IsWritten);
        var span = ax.LoraR.Entry!.ValueSpan;
        Assert.Equal("16", text.Substring(span.Start, span.Length));
        Assert.Equal("per_device_train_batch_size", ax.MicroBatchSize.Name);
        Assert.Equal(2, ax.MicroBatchSize.Value);
        Assert.Equal("qlora", ax.Adapter.Value);
        // bf16 is `Literal["auto"] | bool | None` in axolotl: a ValueField; "auto" is no boolean.
        Assert.Equal(ValueKind.String, ax.Bf16.Value.Kind);
        Assert.Null(ax.Bf16.Bool);
        Assert.Equal("auto", ax.Bf16.Text);
        // the same setting seen through PEFT's LoraConfig
        Assert.Equal(16, Views(text, "axolotl.yaml").LoraConfig.R.Value);
    }

    [Fact]
    public void An_unwritten_field_has_the_dialects_default_and_no_entry()
    {
        var ta = Views("output_dir: o\nlogging_steps: 0\n").TrainingArguments;
        Assert.False(ta.SaveSteps.IsWritten);
        Assert.Null(ta.SaveSteps.Entry);
        Assert.Equal(500, ta.SaveSteps.Value); // TrainingArguments.save_steps default
        Assert.Equal("no", ta.EvalStrategy.Value);
        Assert.True(ta.LoggingSteps.IsWritten);
        Assert.False(ta.LoggingSteps.IsTruthy); // 0 is written but not truthy (axolotl's data.get(key))
        Assert.Equal(0, ta.LoggingSteps.Value);
    }

    [Fact]
    public void A_value_of_the_wrong_type_or_unknown_reads_as_null()
    {
        var ta = Views("output_dir: o\nsave_steps: often\nfp16: \"true\"\n").TrainingArguments;
        Assert.True(ta.SaveSteps.IsWritten);
        Assert.Null(ta.SaveSteps.Value);
        Assert.True(ta.Fp16.Value); // "true" as a string is a boolean, as the readers take it
        var py = Views("from transformers import TrainingArguments\nargs = TrainingArguments(output_dir='o', save_steps=n)\n", "train.py").TrainingArguments;
        Assert.Equal(ValueKind.Unknown, py.SaveSteps.Raw.Kind);
        Assert.Null(py.SaveSteps.Value);
        Assert.True(py.SaveSteps.IsTruthy); // a variable counts as set
    }
}
