using System.CommandLine;
using Stepwise.CommandLine;
using TorchSharp;
using static TorchSharp.torch;
using System.Runtime.InteropServices;
using Stepwise.Core;
using Stepwise.Core.Model;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.Progress;
using Stepwise.Trainer.Training;
using Stepwise.Workspace;
using Stepwise.Workspace.Datasets;

namespace Stepwise.Trainer.Cli.Commands;

/// <summary>
/// `train [CONFIG]`: the config goes through the engine first (errors stop the run before any model loads,
/// warnings are printed), then RunPlanner builds the job and Trainer runs it. Exit codes: 0 done, 1 refused or
/// failed, 2 usage, 130 stopped by SIGINT/SIGTERM after saving a checkpoint.
/// </summary>
public sealed class TrainCommand : CliCommand
{
    public override int Order => 10;

    public override Command Build()
    {
        var config = new Argument<string?>("CONFIG") { Description = "The training config (HF/TRL, axolotl or LLaMA-Factory YAML/JSON); none: the bundled demo", Arity = ArgumentArity.ZeroOrOne };
        var progress = CliOptions.Choice("--progress", "How progress is shown (default auto: a bar on a terminal, plain lines otherwise; json: the protocol editors read)", "auto", "bar", "json", "plain");
        var outputDir = new Option<string?>("--output-dir") { Description = "Overrides the config's output_dir", HelpName = "DIR" };
        var dataFormat = CliOptions.Choice("--data-format", "The record shape (default: detected from the first record)", "alpaca", "messages", "text");
        var device = TrainerOptions.Device();
        var command = WithExamples(new Command("train", "Train a LoRA/QLoRA adapter on a local Llama folder; no CONFIG trains the bundled demo") { config, progress, outputDir, dataFormat, device },
            "stepwise train                              # the demo: 21 steps on the tiny model, ~1 min",
            "stepwise train examples/axolotl/qlora.yml",
            "stepwise train train.yaml --output-dir runs/a --progress plain",
            "",
            "The config goes through `stepwise check` first: error findings stop the run before any model loads.",
            "Exit codes: 0 done, 1 refused or failed, 2 usage, 130 stopped by Ctrl-C after saving a checkpoint.");
        command.SetAction(parse => Run(parse.GetValue(config), parse.GetValue(progress) ?? "auto", parse.GetValue(outputDir), parse.GetValue(dataFormat), parse.GetValue(device) ?? "cpu"));
        return command;
    }

    public static int Run(string? configPath, string progressMode, string? outputDir, string? dataFormat, string device)
    {

        bool json = progressMode == "json";
        var log = json ? Console.Error : Console.Out;
        IProgressSink? earlySink = json ? new JsonLinesProgress(Console.Out, Console.Error) : null;
        try
        {
            // 1. The engine.
            // ForBundledTrainer: the engine also reports (SW5001) every setting this trainer would not do as written,
            // so the run is refused here, before any model loads, with the same findings `check --for-trainer stepwise` shows.
            var forTrainer = new AnalysisOptions { ForBundledTrainer = true };
            var checker = new ConfigChecker(new WorkspaceOptions { UseGit = false, Analysis = forTrainer });
            FileAnalysis file;
            string shownPath;
            if (configPath is null)
            {
                shownPath = BundledData.ConfigName;
                file = checker.AnalyzeText(shownPath, BundledData.ConfigText(), new WorkspaceOptions
                {
                    UseGit = false, UseDefaultAccelerateConfig = false,
                    Analysis = forTrainer with { DatasetSize = BundledTrainCount() },
                });
            }
            else
            {
                shownPath = configPath;
                file = checker.AnalyzeFile(configPath);
                if (file.Error is not null) return Fail(earlySink, log, $"{configPath}: {file.Error}");
            }
            var config = file.Configs.FirstOrDefault(c => c.Document.Dialect is Dialect.Hf or Dialect.Axolotl or Dialect.LlamaFactory)
                ?? file.Configs.FirstOrDefault();
            if (config is null) return Fail(earlySink, log, $"{shownPath}: no configuration found");
            int errors = 0;
            foreach (var f in config.Result.Findings)
            {
                if (f.Severity > Severity.Warning) continue;
                if (f.Severity == Severity.Error) errors++;
                log.WriteLine($"{f.Span.File ?? shownPath}:{f.Span.Range.Start}: {f.Severity.Id()} {f.Id}: {f.Message}");
            }
            if (errors > 0)
                return Fail(earlySink, log, $"{shownPath}: {errors} error{(errors == 1 ? "" : "s")} in the config; nothing was trained (fix them, or run `stepwise check {shownPath}`)");

            // 2. The dataset: a local file or folder (HF keys, axolotl datasets[].path, LLaMA-Factory registry).
            string? datasetPath = configPath is null ? null : LocateDataset(config.Result.Setup, configPath);

            // 3. The plan (refusals, data, the engine's schedule with the real N), then the run.
            var (job, notes) = RunPlanner.Plan(config.Result, shownPath, datasetPath, new PlanOptions
            {
                OutputDir = outputDir, DataFormat = dataFormat, Device = device == "cuda" ? torch.CUDA : torch.CPU,
            });
            foreach (var n in notes) log.WriteLine("note: " + n);

            using var stop = new CancellationTokenSource();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; Interrupted(stop, log); });
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; Interrupted(stop, log); });

            bool bar = progressMode == "bar" || (progressMode == "auto" && !Console.IsOutputRedirected && !Console.IsErrorRedirected);
            TrainResult result = json
                ? TrainingLoop.Run(job, earlySink!, stop.Token)
                : bar ? TrainProgressBar.Run(job, stop.Token)
                : TrainingLoop.Run(job, new PlainProgress(Console.Out, Math.Max(1, (int)(job.Schedule.TotalSteps!.Value / 20))), stop.Token);
            if (!json)
            {
                log.WriteLine($"adapter:      {result.AdapterPath}");
                log.WriteLine($"loss curve:   {result.LossCurvePath}");
                log.WriteLine($"final loss:   {result.StepLosses.LastOrDefault().Loss:0.0000} after {result.GlobalStep} steps in {result.Runtime:0.0}s " +
                    $"({result.SamplesPerSecond:0.0} samples/s, {result.TokensPerSecond:0} tokens/s); optimizer state {result.OptimizerStateBytes:N0} bytes");
            }
            return result.Stopped ? 130 : 0;
        }
        catch (PlanException e)
        {
            foreach (var p in e.Problems) log.WriteLine(p);
            earlySink?.Error(string.Join("; ", e.Problems));
            return 1;
        }
        catch (TrainingException e)
        {
            return Fail(earlySink, log, e.Message, e.Checkpoint);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or DatasetException or SafeTensors.CheckpointFormatException)
        {
            return Fail(earlySink, log, e.Message);
        }
    }

    private static void Interrupted(CancellationTokenSource stop, TextWriter log)
    {
        if (stop.IsCancellationRequested) return;
        log.WriteLine("stop requested: finishing the current optimizer step, then saving a checkpoint...");
        stop.Cancel();
    }

    private static int Fail(IProgressSink? sink, TextWriter log, string message, string? checkpoint = null)
    {
        log.WriteLine("error: " + message);
        sink?.Error(message, checkpoint);
        return 1;
    }

    private static long BundledTrainCount()
    {
        // The engine is told N for the bundled dataset (records minus the demo's val_size split).
        var records = BundledData.Dataset();
        return Shuffle.Split(records, 0.05, 42).Train.Count;
    }

    private static string? LocateDataset(TrainingSetup setup, string configPath)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(configPath));
        var reference = setup.Datasets.FirstOrDefault();
        if (reference is null) return null;
        if (setup.Datasets.Count > 1) throw new ArgumentException($"{configPath}: the bundled trainer reads one dataset; this config names {setup.Datasets.Count}");
        string where = reference.Span is { } s ? $"{configPath}:{s.Range.Start}" : configPath;
        if (reference.Kind == DatasetSourceKind.LlamaFactoryRegistry)
        {
            string dd = Path.Combine(dir ?? ".", reference.DatasetDir ?? "data");
            var registry = LlamaFactoryRegistry.Read(new FileInfo(Path.Combine(dd, "dataset_info.json")));
            if (registry.Problem is not null) throw new ArgumentException($"{where}: {registry.Problem}");
            if (!registry.Entries.TryGetValue(reference.Name, out var entry) || entry.FileName is null)
                throw new ArgumentException($"{where}: dataset '{reference.Name}' is not a local file in {registry.Path}");
            return Path.Combine(dd, entry.FileName);
        }
        foreach (var candidate in new[] { reference.Name, Path.Combine(dir ?? ".", reference.Name) })
            if (File.Exists(candidate) || Directory.Exists(candidate)) return candidate;
        throw new ArgumentException($"{where}: dataset '{reference.Name}' is not a local file or folder (the bundled trainer does not download datasets)");
    }
}
