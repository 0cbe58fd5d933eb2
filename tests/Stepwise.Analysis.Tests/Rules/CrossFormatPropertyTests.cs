using CsCheck;
using Stepwise.Core;
using static Stepwise.Analysis.Tests.Rules.RuleTestKit;

namespace Stepwise.Analysis.Tests.Rules;

/// <summary>The same settings written in YAML, JSON and a Python TrainingArguments(...) call give the same schedule, for random valid configs.</summary>
public class CrossFormatPropertyTests
{
    [Fact]
    public void Yaml_json_and_python_give_the_same_schedule()
    {
        var gen = Gen.Select(Gen.Long[1, 200_000], Gen.Int[1, 256], Gen.Int[1, 16], Gen.Int[-1, 5000], Gen.Double[0.1, 10], Gen.Bool, Gen.Int[1, 8]);
        gen.Sample((n, b, a, maxSteps, epochs, dropLast, w) =>
        {
            var e = Math.Round(epochs, 3).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var yaml = $"per_device_train_batch_size: {b}\ngradient_accumulation_steps: {a}\nmax_steps: {maxSteps}\nnum_train_epochs: {e}\ndataloader_drop_last: {(dropLast ? "true" : "false")}\n";
            var json = $"{{\"per_device_train_batch_size\": {b}, \"gradient_accumulation_steps\": {a}, \"max_steps\": {maxSteps}, \"num_train_epochs\": {e}, \"dataloader_drop_last\": {(dropLast ? "true" : "false")}}}";
            var py = $"from transformers import TrainingArguments\nBATCH = {b}\nargs = TrainingArguments(\n    output_dir=\"out\",\n    per_device_train_batch_size=BATCH,\n    gradient_accumulation_steps={a},\n    max_steps={maxSteps},\n    num_train_epochs={e},\n    dataloader_drop_last={(dropLast ? "True" : "False")},\n)\n";
            var opts = new AnalysisOptions { DatasetSize = n, WorldSize = w };
            var y = Analyze(yaml, "c.yaml", opts).Result.Schedule!;
            var j = Analyze(json, "c.json", opts).Result.Schedule!;
            Assert.Equal(y.TotalSteps, j.TotalSteps);
            Assert.Equal(y.StepsPerEpoch, j.StepsPerEpoch);
            Assert.Equal(y.Epochs, j.Epochs);
            Assert.Equal(y.Samples, j.Samples);
            var p = Analyze(py, "train.py", opts).Result.Schedule!;
            Assert.Equal(y.TotalSteps, p.TotalSteps);
            Assert.Equal(y.StepsPerEpoch, p.StepsPerEpoch);
            Assert.Equal(y.Epochs, p.Epochs);
            Assert.Equal(y.Samples, p.Samples);
            Assert.Equal(Analyze(yaml, "c.yaml", opts).Result.Findings.Select(f => f.Id), Analyze(json, "c.json", opts).Result.Findings.Select(f => f.Id));
        }, iter: 300);
    }
}
