using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stepwise.Trainer.Outputs;

/// <summary>
/// transformers' TrainerState (trainer_callback.py), written as trainer_state.json with the same fields so tools that
/// read HF runs read ours. log_history holds the training logs ({loss, grad_norm, learning_rate, epoch, step}), the
/// evaluations ({eval_loss, eval_runtime, eval_samples_per_second, eval_steps_per_second, epoch, step}) and the final
/// summary ({train_runtime, train_samples_per_second, train_steps_per_second, total_flos, train_loss, epoch, step}).
/// </summary>
public sealed class TrainerState
{
    public double Epoch { get; set; }
    public long GlobalStep { get; set; }
    public long MaxSteps { get; set; }
    public long LoggingSteps { get; set; } = 500;
    public long? EvalSteps { get; set; }
    public long SaveSteps { get; set; } = 500;
    public long NumTrainEpochs { get; set; }
    public long TrainBatchSize { get; set; }
    public long NumInputTokensSeen { get; set; }
    public double TotalFlos { get; set; }
    public double? BestMetric { get; set; }
    public long? BestGlobalStep { get; set; }
    public string? BestModelCheckpoint { get; set; }
    public List<JsonObject> LogHistory { get; } = new();

    public JsonObject ToJson() => new()
    {
        ["best_global_step"] = BestGlobalStep,
        ["best_metric"] = BestMetric,
        ["best_model_checkpoint"] = BestModelCheckpoint,
        ["epoch"] = Epoch,
        ["eval_steps"] = EvalSteps,
        ["global_step"] = GlobalStep,
        ["is_hyper_param_search"] = false,
        ["is_local_process_zero"] = true,
        ["is_world_process_zero"] = true,
        ["log_history"] = new JsonArray(LogHistory.Select(l => (JsonNode)l.DeepClone()).ToArray()),
        ["logging_steps"] = LoggingSteps,
        ["max_steps"] = MaxSteps,
        ["num_input_tokens_seen"] = NumInputTokensSeen,
        ["num_train_epochs"] = NumTrainEpochs,
        ["save_steps"] = SaveSteps,
        ["stateful_callbacks"] = new JsonObject
        {
            ["TrainerControl"] = new JsonObject
            {
                ["args"] = new JsonObject
                {
                    ["should_epoch_stop"] = false, ["should_evaluate"] = false, ["should_log"] = false,
                    ["should_save"] = true, ["should_training_stop"] = GlobalStep >= MaxSteps,
                },
                ["attributes"] = new JsonObject(),
            },
        },
        ["total_flos"] = TotalFlos,
        ["train_batch_size"] = TrainBatchSize,
        ["trial_name"] = null,
        ["trial_params"] = null,
    };

    public void Write(string path)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Move(tmp, path, overwrite: true);
    }

    public static TrainerState Read(string path)
    {
        JsonObject o;
        try { o = JsonNode.Parse(File.ReadAllText(path))!.AsObject(); }
        catch (JsonException e) { throw new IOException($"{path}: not valid JSON: {e.Message}"); }
        // HF writes the *_steps fields from float TrainingArguments fields (500 or 500.0), so numbers are read as doubles.
        static double? D(JsonNode? n) => n is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;
        static long? L(JsonNode? n) => D(n) is double d ? (long)Math.Round(d) : null;
        var s = new TrainerState
        {
            Epoch = D(o["epoch"]) ?? 0,
            GlobalStep = L(o["global_step"]) ?? 0,
            MaxSteps = L(o["max_steps"]) ?? 0,
            LoggingSteps = L(o["logging_steps"]) ?? 500,
            EvalSteps = L(o["eval_steps"]),
            SaveSteps = L(o["save_steps"]) ?? 500,
            NumTrainEpochs = L(o["num_train_epochs"]) ?? 0,
            TrainBatchSize = L(o["train_batch_size"]) ?? 0,
            NumInputTokensSeen = L(o["num_input_tokens_seen"]) ?? 0,
            TotalFlos = D(o["total_flos"]) ?? 0,
            BestMetric = D(o["best_metric"]),
            BestGlobalStep = L(o["best_global_step"]),
            BestModelCheckpoint = o["best_model_checkpoint"] is JsonValue b && b.TryGetValue<string>(out var bs) ? bs : null,
        };
        if (o["log_history"] is JsonArray logs)
            foreach (var l in logs.OfType<JsonObject>()) s.LogHistory.Add((JsonObject)l.DeepClone());
        return s;
    }

    /// <summary>Rounded as HF rounds logged losses (4 decimals).</summary>
    public static double Round4(double v) => double.IsFinite(v) ? Math.Round(v, 4) : v;

    public static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
