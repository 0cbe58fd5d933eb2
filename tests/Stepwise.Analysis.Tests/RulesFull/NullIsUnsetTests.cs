using Stepwise.Core;
using Stepwise.Core.Keys;
using Stepwise.Core.Model;
using static Stepwise.Analysis.Tests.Rules.RuleTestKit;

namespace Stepwise.Analysis.Tests.RulesFull;

/// <summary>
/// A key written with no value (`eval_steps:`, `~`, JSON null) is unset, in every rule: axolotl's validators test
/// `data.get(key)`, and pydantic models and the TrainingArguments dataclass take None as "use the default". Every rule
/// case's failing and passing config, with any known key of its dialect added as null, gets the same findings as without.
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
            foreach (var key in KeyTable.SpellingsOf(dialect).Distinct().Where(k => !present.Contains(k)))
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
