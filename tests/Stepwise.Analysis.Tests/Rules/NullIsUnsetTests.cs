using Stepwise.Core;
using Stepwise.Core.Keys;
using Stepwise.Core.Model;
using static Stepwise.Analysis.Tests.Rules.RuleTestKit;

namespace Stepwise.Analysis.Tests.Rules;

/// <summary>
/// A key written with no value (`eval_steps:`, `~`, JSON null) is unset, in every rule: axolotl's validators test
/// `data.get(key)`, and pydantic models and the TrainingArguments dataclass take None as "use the default". Every rule
/// case's failing and passing config, with any known key of its dialect added as null, gets the same findings as without.
/// Known means what SW9003 accepts: a key the classes reading the dialect's files declare at the assumed releases (the
/// generated key data, KeyCatalog) or one of Stepwise's own handwritten keys. KeyTable's spellings of a dialect are wider
/// (every upstream key of every class ever, PEFT's included for Hugging Face files): such a key is rightly reported.
/// One exception by design: a keyword TrainingArguments / SFTConfig no longer has (`evaluation_strategy`,
/// `max_seq_length`) fails as a keyword whatever its value, so SW4001 / SW4002 still name it outside axolotl.
/// </summary>
public class NullIsUnsetTests
{
    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var k in RuleCases.All.Keys.OrderBy(k => k, StringComparer.Ordinal)) data.Add(k);
        return data;
    }

    private static Dialect DialectOf(Base b) => b switch { Base.Hf => Dialect.Hf, Base.LlamaFactory => Dialect.LlamaFactory, _ => Dialect.Axolotl };

    private static string Signature(AnalysisResult r) =>
        string.Join("\n", r.Findings.Select(f => $"{f.Id} {f.Severity} {f.Message}").OrderBy(x => x, StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Any_key_left_empty_changes_no_finding(string name)
    {
        var c = RuleCases.All[name];
        var dialect = DialectOf(c.Base);
        int compared = 0;
        foreach (var pairs in new[] { c.Fail, c.Pass })
        {
            var written = Configs.Pairs(c.Base, pairs);
            var text = Configs.Yaml(written);
            var (doc, baseline) = Analyze(text, options: c.Options);
            var expected = Signature(baseline);
            var present = new HashSet<string>(written.Select(p => p.Key), StringComparer.Ordinal);
            foreach (var key in Declared(dialect, c.Options).Where(k => !present.Contains(k)))
            {
                if (dialect != Dialect.Axolotl && key is "evaluation_strategy" or "max_seq_length") continue;
                // A key SW9003 suggests for a typo is a different question: renaming onto a key that is written (even
                // empty) would duplicate it, so the finding rightly drops its rename fix and says why.
                if (baseline.Findings.Any(f => f.Id == "SW9003" && f.Message.Contains($"did you mean {key}?"))) continue;
                var (doc2, r) = Analyze(text + key + ":\n", options: c.Options);
                // A key name can be a dialect's tell-tale (axolotl writes `adapter:` empty for full fine-tuning): the
                // question here is values, so only documents that keep their dialect are compared.
                if (doc2.Dialect != doc.Dialect || doc2.DialectCertain != doc.DialectCertain) continue;
                Assert.True(expected == Signature(r), $"{name}: adding `{key}:` (null) changed the findings\nwithout:\n{expected}\nwith:\n{Signature(r)}");
                compared++;
            }
        }
        Assert.True(compared > 20, $"{name}: only {compared} null keys compared");
    }

    /// <summary>
    /// The keys of <paramref name="dialect"/>'s YAML that its classes declare at the assumed releases, and Stepwise's own
    /// (handwritten keys that no class reading such a file declares in any release of the data, or that a package the data
    /// does not read declares too).
    /// </summary>
    private static IEnumerable<string> Declared(Dialect dialect, AnalysisOptions options)
    {
        var ever = KeyCatalog.EverDeclared(dialect, python: false);
        return KeyCatalog.For(dialect, options.EffectiveVersions).Names
            .Concat(KeyTable.KeysOf(dialect).Where(k => k.Handwritten && (k.DeclaredOutsideData || !ever.ContainsKey(k.SpellingIn(dialect)))).Select(k => k.SpellingIn(dialect)))
            .Distinct(StringComparer.Ordinal)
            .OrderBy(k => k, StringComparer.Ordinal);
    }

    [Fact]
    public void The_keys_compared_are_those_the_dialects_classes_declare_at_the_assumed_releases()
    {
        var newest = new AnalysisOptions();
        var hf = Declared(Dialect.Hf, newest).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("per_device_train_batch_size", hf);   // TrainingArguments
        Assert.Contains("max_prompt_length", hf);             // a TRL config
        Assert.DoesNotContain("ab_svd_init", hf);             // PEFT's, not read from Hugging Face YAML
        Assert.DoesNotContain("logging_dir", hf);             // gone in transformers 5.15.0 (PR #46917)
        Assert.Contains("logging_dir", Declared(Dialect.Hf, new AnalysisOptions { TransformersVersion = "5.14" }));
        Assert.Contains("lora_mlp_kernel", Declared(Dialect.Axolotl, newest));
    }

    [Theory]
    [InlineData("eval_steps:\n")]
    [InlineData("eval_steps: ~\n")]
    [InlineData("eval_steps: null\n")]
    [InlineData("eval_steps: 0\n")] // axolotl tests truthiness: 0 is not set either
    public void Axolotl_evals_per_epoch_with_an_empty_eval_steps_is_fine(string evalSteps)
    {
        // axolotl's own example archived/starcoder2/qlora.yml writes `eval_steps:` and `save_steps:` empty beside
        // evals_per_epoch / saves_per_epoch; validation.py check_evals tests data.get("evals_per_epoch") and data.get("eval_steps").
        var text = Configs.Yaml(Configs.Pairs(Base.Axolotl, new[] { ("evals_per_epoch", "4"), ("val_set_size", "0.05") })) + evalSteps;
        var (_, r) = Analyze(text);
        Assert.DoesNotContain(r.Findings, f => f.Id == "SW3012");
        var (_, both) = Analyze(Configs.Yaml(Configs.Pairs(Base.Axolotl, new[] { ("evals_per_epoch", "4"), ("val_set_size", "0.05"), ("eval_steps", "10") })));
        Assert.Equal(Severity.Error, Single(both, "SW3012").Severity);
    }

    [Fact]
    public void A_null_batch_size_is_the_default_not_an_invalid_value()
    {
        var (_, r) = Analyze("output_dir: out\nper_device_train_batch_size:\ngradient_accumulation_steps: ~\nmax_steps:\nnum_train_epochs:\n# stepwise: dataset_size=80\n");
        Assert.DoesNotContain(r.Findings, f => f.Id == "SW9002");
        Assert.Equal(8, r.Schedule!.Inputs.PerDeviceBatch);   // TrainingArguments' default
        Assert.Equal(1, r.Schedule.Inputs.GradientAccumulation);
        Assert.Equal(30, r.Schedule.TotalSteps);              // 3 default epochs x ceil(80 / 8)
    }
}
