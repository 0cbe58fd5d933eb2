using Stepwise.Core;
using static Stepwise.Analysis.Tests.Rules.RuleTestKit;

namespace Stepwise.Analysis.Tests.Rules;

/// <summary>Fix round-trips in each dialect: the finding goes, comments and every other key stay.</summary>
public class DialectFixTests
{
    [Fact]
    public void LlamaFactory_fix_writes_num_train_epochs_and_keeps_the_file()
    {
        var text = "### model\nmodel_name_or_path: Qwen/Qwen3-8B\nstage: sft\nfinetuning_type: lora\n### train\nper_device_train_batch_size: 8\nmax_steps: 500  # quick\nlearning_rate: 1.0e-5\n# stepwise: dataset_size=999\n";
        var (doc, r) = Analyze(text);
        Assert.Equal(Stepwise.Core.Model.Dialect.LlamaFactory, doc.Dialect);
        var fix = Single(r, "SW1001").Fixes.First(f => f.IsPreferred);
        var after = Apply(text, fix);
        Assert.Equal(new[] { "max_steps: 500  # quick" }, LinesGone(text, after).ToArray());
        Assert.Contains("num_train_epochs: 3  # quick", after);
        var (_, r2) = Analyze(after);
        Assert.DoesNotContain(r2.Findings, f => f.Id is "SW1001" or "SW1002");
        Assert.Equal(3 * 125, r2.Schedule!.TotalSteps);
    }

    [Fact]
    public void Axolotl_flow_style_entries_are_removed_with_their_comma()
    {
        var text = "base_model: m\nmicro_batch_size: 64\ntraining: {max_steps: 1, x: 2}\nnum_epochs: 2\nmax_steps: 100\n# stepwise: dataset_size=1000\n";
        var (_, r) = Analyze(text);
        var after = Apply(text, Single(r, "SW1002").Fixes.Single(f => f.IsPreferred));
        Assert.Equal("base_model: m\nmicro_batch_size: 64\ntraining: {max_steps: 1, x: 2}\nnum_epochs: 2\n# stepwise: dataset_size=1000\n", after);
    }

    [Fact]
    public void Crlf_files_stay_crlf_after_a_fix()
    {
        var text = "per_device_train_batch_size: 128\r\nmax_steps: 1000\r\nnum_train_epochs: 3\r\n# stepwise: dataset_size=52002\r\n";
        var (_, r) = Analyze(text);
        var after = Apply(text, Single(r, "SW1001").Fixes.Single(f => f.IsPreferred));
        Assert.Equal("per_device_train_batch_size: 128\r\nnum_train_epochs: 3\r\n# stepwise: dataset_size=52002\r\n", after);
    }

    [Fact]
    public void Last_line_without_newline_is_removed_cleanly()
    {
        var text = "per_device_train_batch_size: 128\nnum_train_epochs: 3\nmax_steps: 1000";
        var (_, r) = Analyze(text, options: new AnalysisOptions { DatasetSize = 52002 });
        var after = Apply(text, Single(r, "SW1001").Fixes.Single(f => f.IsPreferred));
        Assert.Equal("per_device_train_batch_size: 128\nnum_train_epochs: 3\n", after);
    }
}
