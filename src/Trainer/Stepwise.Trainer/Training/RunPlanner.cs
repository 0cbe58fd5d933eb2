using System.Globalization;
using System.Text.Json.Nodes;
using Stepwise.Core;
using Stepwise.Core.Arithmetic;
using Stepwise.Core.Model;
using Stepwise.Core.Rules.Trainer;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.Optim;
using Stepwise.Trainer.Quantization;
using Stepwise.Trainer.LearningRate;
using Stepwise.Trainer.Tokenization;

namespace Stepwise.Trainer.Training;

/// <summary>A config the trainer cannot run, with the places (file:line:col) to fix.</summary>
public sealed class PlanException : Exception
{
    public IReadOnlyList<string> Problems { get; }
    public PlanException(IReadOnlyList<string> problems) : base(string.Join("\n", problems)) { Problems = problems; }
}

public sealed record PlanOptions
{
    public string? OutputDir { get; init; }
    /// <summary>alpaca / messages / text; null = detect from the first record (or the config's dataset_format).</summary>
    public string? DataFormat { get; init; }
    public Device Device { get; init; } = torch.CPU;
    /// <summary>Where the embedded default model is materialised (created once, same seed, same bytes).</summary>
    public string DefaultModelFolder { get; init; } = Path.Combine(Path.GetTempPath(), "stepwise-default-model-v1");
}

/// <summary>
/// Turns the engine's analysis of a config into a <see cref="TrainJob"/>: the typed settings (Core's
/// TrainingArguments), the refusals that must come before any model loads, the data (read, shaped, tokenized, split),
/// and the engine's schedule recomputed with N = the real number of training examples (Schedules.Compute; nothing
/// here re-derives the arithmetic).
/// </summary>
public static class RunPlanner
{
    public static (TrainJob Job, IReadOnlyList<string> Notes) Plan(AnalysisResult analysis, string configPath, string? datasetPath, PlanOptions options)
    {
        var setup = analysis.Setup;
        var notes = new List<string>();
        var problems = new List<string>();
        var conversion = new List<string>();
        var args = TrainingArguments.FromSetup(setup, conversion);
        string At(string key) => setup.Find(key)?.Entry is { } e ? $"{e.ValueSpan.File ?? configPath}:{e.ValueSpan.Range.Start}" : configPath;
        problems.AddRange(conversion.Select(c => $"{configPath}: {c}"));

        // Refusals before any model loads: every setting the trainer would not do as written (the table SW5001 reports
        // from), then what only the typed view can tell.
        foreach (var (entry, key, reason) in BundledTrainerSupport.Refusals(setup))
            problems.Add($"{(entry is null ? configPath : $"{entry.KeySpan.File ?? configPath}:{entry.KeySpan.Range.Start}")}: error: SW5001 {key}: {reason}");
        if (analysis.Schedule is null) problems.Add($"{configPath}: error: the batch settings cannot be used (see the errors above)");
        if (problems.Count > 0) throw new PlanException(problems);
        var inert = BundledTrainerSupport.Notes(setup);
        if (inert.Count > 0)
            notes.Add("settings that change nothing here: " + string.Join("; ", inert.GroupBy(n => n.Note).Select(g => $"{string.Join(", ", g.Select(n => n.Entry.Key))} ({g.Key})")));

        // Model.
        bool quantize = args.LoadIn4Bit || setup.Long("quantization_bit") == 4 || setup.String("adapter") == "qlora";
        string modelPath, modelName;
        if (args.ModelNameOrPath is { Length: > 0 } m)
        {
            string dir = Path.GetDirectoryName(Path.GetFullPath(configPath)) ?? ".";
            modelPath = Directory.Exists(m) ? m : Path.Combine(dir, m);
            if (!Directory.Exists(modelPath))
                throw new PlanException(new[] { $"{At("model_name_or_path")}: error: model '{m}' is not a local folder; the bundled trainer does not download from the hub (put the model folder next to the config)" });
            modelName = m;
        }
        else
        {
            modelPath = options.DefaultModelFolder;
            if (!File.Exists(Path.Combine(modelPath, "model.safetensors")))
            {
                string tmp = modelPath + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
                DefaultModel.Create(tmp, 0);
                try { Directory.Move(tmp, modelPath); } catch (IOException) { Directory.Delete(tmp, true); } // another process won
            }
            modelName = "stepwise/default-tiny-llama";
            notes.Add("no model_name_or_path: training the embedded default model (tiny Llama, byte tokenizer)");
        }
        // The dialect's own quantization defaults (axolotl and LLaMA-Factory build nf4 with double quant), which the record's
        // BitsAndBytesConfig defaults are not: read from the setup, which holds them.
        var quantType = (setup.String("bnb_4bit_quant_type") ?? "nf4") == "fp4" ? QuantType.Fp4 : QuantType.Nf4;
        bool doubleQuant = setup.Bool("bnb_4bit_use_double_quant") || (setup.Dialect == Dialect.LlamaFactory && setup.Get("bnb_4bit_use_double_quant").Value.AsBool() != false);
        if ((args.Bf16 || args.Fp16) && options.Device.type == DeviceType.CPU)
            notes.Add("bf16/fp16 on a CPU: computing in float32 (half-precision matmuls are slower than float32 there)");
        if (quantize && options.Device.type == DeviceType.CPU && args.Bnb4BitComputeDtype is var cd && cd.Replace("torch.", "") is not ("float32" or "float"))
            notes.Add($"bnb_4bit_compute_dtype={cd} on a CPU: the 4-bit layers compute in float32 (half-precision matmuls are slower there)");
        var load = new LoadOptions { Device = options.Device, Quantize = quantize ? quantType : null, DoubleQuant = doubleQuant };

        // LoRA, with PEFT's options in every dialect's spelling.
        LoraConfig lora;
        try { lora = PeftSettings.Read(setup, args, Path.GetFullPath(modelPath)); }
        catch (ArgumentException e) { throw new PlanException(new[] { $"{configPath}: error: {e.Message}" }); }

        // Data.
        TextTokenizer tok;
        try { tok = TextTokenizer.Load(modelPath); }
        catch (TokenizerFormatException e) { throw new PlanException(new[] { "error: " + e.Message }); }
        int maxLength = (int)(setup.Dialect switch
        {
            Dialect.LlamaFactory => setup.Long("cutoff_len") ?? 2048,
            Dialect.Axolotl => setup.Long("sequence_len") ?? 2048,
            _ => args.MaxLength,
        });
        if (maxLength < 2) throw new PlanException(new[] { $"{configPath}: error: the maximum sequence length must be at least 2, got {maxLength}" });
        IReadOnlyList<DataRecord> records;
        try { records = datasetPath is null ? BundledData.Dataset() : RecordFiles.Load(datasetPath); }
        catch (DatasetException e) { throw new PlanException(new[] { "error: " + e.Message }); }
        // LLaMA-Factory's max_samples keeps each dataset's first records (data/loader.py: dataset.select(range(n))).
        if (setup.Dialect == Dialect.LlamaFactory && setup.Long("max_samples") is long cap && cap > 0 && records.Count > cap)
        {
            notes.Add($"max_samples {cap}: using the first {cap} of {records.Count} records");
            records = records.Take((int)Math.Min(cap, int.MaxValue)).ToList();
        }
        if (datasetPath is null) notes.Add($"no dataset: training on the bundled {BundledData.DatasetName} ({records.Count} instruction records)");
        string? format = options.DataFormat ?? setup.Document.Find("dataset_format")?.Value.AsString();
        RecordShape shape;
        try { shape = format is null ? RecordShapes.Detect(records[0]) : RecordShapes.Parse(format); }
        catch (DatasetException e) { throw new PlanException(new[] { "error: " + e.Message }); }

        // Chat records: the model's own chat template unless the config picks another format (logged once).
        ChatTemplate? chatTemplate = null;
        if (shape == RecordShape.Messages)
        {
            try
            {
                var (template, note) = ChatFormat.Choose(setup, modelPath, configPath);
                chatTemplate = template;
                notes.Add(note);
            }
            catch (Exception e) when (e is DatasetException or SafeTensors.CheckpointFormatException) { throw new PlanException(new[] { "error: " + e.Message }); }
        }

        double valSize = setup.Dialect == Dialect.Axolotl ? setup.Double("val_set_size") ?? 0 : args.ValSize;
        bool packing = args.Packing || setup.Bool("sample_packing");
        bool trainOnInputs = args.TrainOnInputs;
        List<Example> train, eval;
        try
        {
            var (trainRecords, evalRecords) = Shuffle.Split(records, valSize, args.Seed);
            if (args.ValidationFile is { Length: > 0 } vf)
            {
                string dir = Path.GetDirectoryName(Path.GetFullPath(configPath)) ?? ".";
                evalRecords = RecordFiles.Load(File.Exists(vf) ? vf : Path.Combine(dir, vf)).ToList();
            }
            var (tr, stats) = ExampleBuilder.BuildAll(trainRecords, shape, tok, maxLength, trainOnInputs, packing, chatTemplate);
            var (ev, _) = ExampleBuilder.BuildAll(evalRecords, shape, tok, maxLength, trainOnInputs, packing, chatTemplate);
            train = tr; eval = ev;
            if (stats.Truncated > 0) notes.Add($"{stats.Truncated} of {stats.Records} training records were cut to {maxLength} tokens");
            if (stats.DroppedNoTrainable > 0) notes.Add($"{stats.DroppedNoTrainable} records left nothing to train on after truncation and were dropped");
            if (packing) notes.Add($"packing: {stats.Packed} examples packed into {train.Count} sequences of up to {maxLength} tokens");
        }
        catch (DatasetException e) { throw new PlanException(new[] { "error: " + e.Message }); }
        if (train.Count == 0) throw new PlanException(new[] { "error: no training examples left after preprocessing" });
        // What the loop refuses from the settings and the data alone (evaluation without evaluation data, ...), here
        // at the key's place rather than after the model has loaded.
        var refused = RunPlan.Refusals(args, eval.Count);
        if (refused.Count > 0) throw new PlanException(refused.Select(r => $"{At(r.Key)}: error: {r.Message}").ToList());

        // The schedule: the engine's, with the real N. The bundled trainer is one process.
        var engineInputs = analysis.Schedule!.Inputs;
        if (engineInputs.WorldSize > 1)
            notes.Add($"the config predicts {engineInputs.WorldSize} processes; the bundled trainer runs one, so steps are computed for world size 1");
        // The real rows are known here, packed or not: the engine's "packed rows unknown" no longer applies.
        var schedule = Schedules.Compute(engineInputs with { DatasetSize = train.Count, WorldSize = 1, Loop = TrainerLoop.Current, StepsUnknown = null, SamplerBatches = null, ToolSteps = null });
        if (analysis.DatasetSize.Count is long predicted && predicted != train.Count)
            notes.Add($"the engine counted {predicted} training records; after preprocessing there are {train.Count} examples, and the schedule uses {train.Count}");
        if (args.LrSchedulerType is "constant" && (schedule.WarmupSteps ?? 0) > 0)
            notes.Add("lr_scheduler_type constant ignores warmup (as transformers does); use constant_with_warmup");

        string outputDir = options.OutputDir ?? args.OutputDir ?? "trainer_output";

        var job = new TrainJob
        {
            // The accumulation the engine computed (axolotl derives it from batch_size when it is not written).
            Args = args with { OutputDir = outputDir, MaxLength = maxLength, ValSize = valSize, Packing = packing,
                               GradientAccumulationSteps = (int)schedule.Inputs.GradientAccumulation },
            Schedule = schedule, ModelPath = modelPath, ModelName = modelName, Load = load, Lora = lora,
            Train = train, Eval = eval, OutputDir = outputDir, ConfigPath = configPath,
            PadId = tok.EosId ?? 0, TrainingArgsJson = ArgsJson(args with { OutputDir = outputDir, GradientAccumulationSteps = (int)schedule.Inputs.GradientAccumulation }),
        };
        return (job, notes);
    }

    /// <summary>training_args.json: every setting of the typed view under its HF name.</summary>
    public static JsonObject ArgsJson(TrainingArguments args)
    {
        var o = new JsonObject();
        foreach (var (hf, v) in args.Values().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            o[hf] = v switch
            {
                null => null,
                string str => str,
                bool b => b,
                int i => i,
                long l => l,
                double d => d,
                IEnumerable<string> list => new JsonArray(list.Select(x => (JsonNode)JsonValue.Create(x)!).ToArray()),
                _ => Convert.ToString(v, CultureInfo.InvariantCulture),
            };
        }
        return o;
    }
}
