using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Stepwise.Core.Model;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.Optim;
using Stepwise.Trainer.Outputs;
using Stepwise.Trainer.Progress;
using Stepwise.Trainer.Quantization;
using Stepwise.Trainer.LearningRate;

namespace Stepwise.Trainer.Training;

/// <summary>
/// One run's state between its phases, on a loaded model: <see cref="Resume"/> (the checkpoint's adapter, optimizer
/// and trainer state), <see cref="Train"/> (the epochs of windows, each one <see cref="Step"/> then
/// <see cref="EndStep"/>: log, eval, best, save), <see cref="Finish"/> (the step-count check, the best model, the final
/// outputs, the result). The plan before it (<see cref="RunPlan"/>) has refused whatever it could without the model.
/// </summary>
internal sealed class TrainingRun : IDisposable
{
    private readonly TrainJob _job;
    private readonly RunPlan _plan;
    private readonly LlamaForCausalLM _model;
    private readonly IProgressSink _sink;
    private readonly List<Parameter> _trainable;
    private readonly ITrainOptimizer _optimizer;
    private readonly TrainerState _state;
    private readonly long _flopsPerToken;

    private readonly List<(long, double)> _stepLosses = new();
    private readonly List<(long, double)> _evalLosses = new();
    private readonly List<long> _epochEnds = new();
    private readonly List<double> _sinceLog = new();
    private double _sessionLossSum;
    private long _sessionSteps, _samples, _tokens, _micros;
    private long _step, _startStep;
    private bool _stopped;
    private Stopwatch _clock = new();
    private string? _lastCheckpoint;
    private double _lastLoss = double.NaN;

    private TrainingArguments Args => _job.Args;
    private LrSchedule Lr => _plan.Lr;

    /// <summary>LoRA on the targets (seeded), HF's parameter groups and the optimizer over them, an empty trainer state.</summary>
    public TrainingRun(TrainJob job, RunPlan plan, LlamaForCausalLM model, IProgressSink sink)
    {
        _job = job; _plan = plan; _model = model; _sink = sink;
        LoraModel.Apply(model, job.Lora, Args.Seed);
        // HF Trainer's decay / no-decay parameter groups, in PEFT's parameter order (optimizer.pt indices follow it).
        var groups = ParamGroups.For(model, Args.WeightDecay);
        _trainable = groups.SelectMany(g => g.Parameters.Select(p => p.Parameter)).ToList();
        var embeddings = new HashSet<Parameter>(LoraModel.ModulesToSaveParameters(model).Where(m => m.Module is Models.Embedding).Select(m => m.Parameter));
        _optimizer = Optimizers.Create(Args.Optim, groups, Args.LearningRate, Args.AdamBeta1, Args.AdamBeta2, Args.AdamEpsilon, embeddings);
        if (Optimizers.IsPaged(Args.Optim) && job.Load.Device.type == DeviceType.CPU)
            sink.Log($"note: {Args.Optim}: paging (CUDA unified memory) means nothing on a CPU; the states live in ordinary memory, as bitsandbytes does there");
        _state = new TrainerState
        {
            MaxSteps = plan.TotalSteps, NumTrainEpochs = plan.LoopBound, TrainBatchSize = job.Schedule.ProcessBatch,
            LoggingSteps = plan.LogEvery == 0 ? 500 : plan.LogEvery, EvalSteps = plan.EvalEvery == 0 ? null : plan.EvalEvery,
            SaveSteps = plan.SaveEvery == 0 ? 500 : plan.SaveEvery,
        };
        _flopsPerToken = 6 * NonEmbeddingParameters(model);
    }

    public void Dispose() => _optimizer.Dispose();

    /// <summary>
    /// Resume: adapter, optimizer, trainer state; the data position follows from the step (HF skips
    /// (global_step % U) x A micro-batches of epoch global_step / U); the RNG is a function of the step. Then the
    /// start event, from which the clock runs.
    /// </summary>
    public void Resume()
    {
        if (_plan.ResumeFrom is { } resumeFrom && _plan.Saved is { } saved)
        {
            if (saved.MaxSteps != _plan.TotalSteps)
                _sink.Log($"note: {resumeFrom} was saved by a run of {saved.MaxSteps} steps; this run has {_plan.TotalSteps}");
            Checkpoints.LoadAdapterWeights(_model, _job.Lora, resumeFrom);
            foreach (var n in _optimizer.Load(resumeFrom)) _sink.Log("note: " + n);
            foreach (var n in _plan.ScheduleNotes) _sink.Log(n);
            _step = saved.GlobalStep;
            _state.Epoch = saved.Epoch; _state.GlobalStep = _step; _state.NumInputTokensSeen = saved.NumInputTokensSeen; _state.TotalFlos = saved.TotalFlos;
            _state.BestMetric = saved.BestMetric; _state.BestGlobalStep = saved.BestGlobalStep; _state.BestModelCheckpoint = saved.BestModelCheckpoint;
            _state.LogHistory.AddRange(saved.LogHistory.Where(l => !l.ContainsKey("train_runtime")));
            _sink.Log($"resuming from {resumeFrom} at step {_step}");
        }
        _startStep = _step;
        _lastCheckpoint = _plan.ResumeFrom;

        var sched = _job.Schedule;
        _sink.Start(new StartEvent(_job.ConfigPath, Path.GetFullPath(_job.OutputDir), _plan.TotalSteps, sched.Epochs ?? 0, _job.Train.Count, _job.Eval.Count,
            _plan.StepsPerEpoch, sched.SamplesPerStep, _job.ModelName, _job.Load.Quantize is not null || _model.LinearLayers().Any(l => l.Layer is Linear4bit),
            Args.Optim, _trainable.Sum(p => p.numel()), _startStep));
        _clock = Stopwatch.StartNew();
    }

    /// <summary>The epoch loop: windows of A micro-batches (the last of an epoch possibly partial) until the
    /// engine's TotalSteps, or until a stop is requested (then the step in progress finishes and is saved).</summary>
    public void Train(CancellationToken stop)
    {
        _model.train();
        int L = _plan.Loader.BatchesPerEpoch, A = _plan.Accumulation;
        long startEpoch = _step / _plan.StepsPerEpoch;
        int skipMicro = (int)(_step % _plan.StepsPerEpoch * A);
        for (long epoch = startEpoch; epoch < _plan.LoopBound && _step < _plan.TotalSteps && !_stopped; epoch++)
        {
            int firstMicro = epoch == startEpoch ? skipMicro : 0;
            for (int w = firstMicro; w < L && _step < _plan.TotalSteps; w += A)
            {
                int windowLen = Math.Min(A, L - w);
                double gradNorm = Step(epoch, w, windowLen);
                if (EndStep(gradNorm, endOfEpoch: w + windowLen >= L || _step >= _plan.TotalSteps, stop)) break;
            }
            _epochEnds.Add(_step);
        }
    }

    /// <summary>
    /// One optimizer step over micro-batches [w, w + windowLen) of <paramref name="epoch"/>: the window's token
    /// losses backpropagated over its label-token count, clipped, stepped. A non-finite loss applies nothing and
    /// stops the run with the last good checkpoint. Returns the gradient norm.
    /// </summary>
    private double Step(long epoch, int w, int windowLen)
    {
        var loader = _plan.Loader;
        int L = loader.BatchesPerEpoch;
        var train = _job.Train;
        var indices = Enumerable.Range(w, windowLen).Select(i => loader.BatchIndices((int)epoch, i)).ToList();
        long windowTokens = indices.Sum(ix => ix.Sum(i => (long)train[i].TrainableTokens));
        torch.manual_seed(Args.Seed + _step); // dropout: the RNG depends on the step only, so a resumed run draws the same masks

        double windowLossSum = 0;
        for (int k = 0; k < windowLen; k++)
        {
            using var scope = torch.NewDisposeScope();
            using var batch = loader.Get((int)epoch, w + k, _job.Load.Device);
            var lossSum = TrainingLoop.TokenLossSum(_model, batch);
            double ls = lossSum.item<float>();
            windowLossSum += ls;
            if (!double.IsFinite(ls)) break;
            (lossSum / (double)windowTokens).backward();
            _samples += batch.Size; _tokens += batch.Tokens; _micros++;
        }
        double loss = windowLossSum / windowTokens;
        if (!double.IsFinite(loss))
        {
            // Nothing of this window is applied: the weights are those of the last good step.
            _optimizer.ZeroGrad();
            string? ckpt = _lastCheckpoint;
            if (_step > 0 && (ckpt is null || !ckpt.EndsWith(Checkpoints.Prefix + _step.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)))
                ckpt = SaveCheckpoint();
            throw new TrainingException($"the loss became {loss} at step {_step + 1} (epoch {epoch + (double)w / L:0.00}); training stopped. " +
                "Lower learning_rate, set max_grad_norm, or check the data." + (ckpt is null ? "" : $" Last good checkpoint: {ckpt}"), ckpt);
        }

        double gradNorm = Args.MaxGradNorm > 0
            ? torch.nn.utils.clip_grad_norm_(_trainable, Args.MaxGradNorm)
            : TotalNorm(_trainable);
        _optimizer.Step(Lr.LearningRate(_step));
        _optimizer.ZeroGrad();
        _step++;
        _lastLoss = loss;
        _stepLosses.Add((_step, loss));
        _sinceLog.Add(loss);
        _sessionLossSum += loss; _sessionSteps++;
        _state.GlobalStep = _step;
        _state.Epoch = epoch + (double)(w + windowLen) / L;
        long windowLength = indices.Sum(ix => ix.Sum(i => (long)train[i].Length));
        _state.NumInputTokensSeen += windowLength;
        _state.TotalFlos += (double)_flopsPerToken * windowLength;

        double elapsed = _clock.Elapsed.TotalSeconds;
        double perStep = elapsed / (_step - _startStep);
        _sink.Step(new StepEvent(_step, _plan.TotalSteps, _state.Epoch, loss, Lr.LearningRate(_step), gradNorm, _samples / elapsed, _tokens / elapsed,
            perStep * (_plan.TotalSteps - _step)));
        return gradNorm;
    }

    /// <summary>What follows a step, as HF's _maybe_log_save_evaluate: the log entry, the evaluation, the best metric,
    /// the checkpoint. True when a stop was requested (the checkpoint is saved and the loop ends).</summary>
    private bool EndStep(double gradNorm, bool endOfEpoch, CancellationToken stop)
    {
        long step = _step;
        if (_plan.LogEvery > 0 && step % _plan.LogEvery == 0)
        {
            _state.LogHistory.Add(LogEntry(_sinceLog.Average(), gradNorm, Lr.LearningRate(step), _state.Epoch, step));
            _sinceLog.Clear();
        }
        bool doEval = (_plan.EvalEvery > 0 && step % _plan.EvalEvery == 0) || (Args.EvalStrategy == "epoch" && endOfEpoch);
        double? evalLoss = null;
        if (doEval)
        {
            evalLoss = Evaluate();
            _evalLosses.Add((step, evalLoss.Value));
        }
        bool newBest = false;
        if (evalLoss is double ev && _plan.TrackBest &&
            (_state.BestMetric is not double best || (_plan.GreaterIsBetter ? ev > best : ev < best)))
        {
            _state.BestMetric = ev; _state.BestGlobalStep = step; newBest = true;
        }
        bool doSave = (_plan.SaveEvery > 0 && step % _plan.SaveEvery == 0) || (Args.SaveStrategy == "epoch" && endOfEpoch)
            || (Args.SaveStrategy == "best" && newBest)
            || (step >= _plan.TotalSteps && Args.SaveStrategy is "steps" or "epoch");
        if (stop.IsCancellationRequested) { doSave = true; _stopped = true; }
        if (newBest && doSave) _state.BestModelCheckpoint = Path.GetFullPath(Checkpoints.PathFor(_job.OutputDir, step));
        if (doSave) _lastCheckpoint = SaveCheckpoint();
        if (_stopped) _sink.Log($"stop requested: finished step {step}, saved {_lastCheckpoint}");
        return _stopped;
    }

    /// <summary>
    /// The end of a run: the step count (and epoch) checked against the engine's prediction, the best model loaded
    /// back, the train summary, and the final outputs (trainer.save_model + save_state): the adapter,
    /// trainer_state.json, training_args.json, the loss curve.
    /// </summary>
    public TrainResult Finish()
    {
        var sched = _job.Schedule;
        long step = _step;
        if (!_stopped && step != _plan.TotalSteps)
            throw new InvalidOperationException(
                $"internal error: the trainer made {step} optimizer steps but the engine predicted {_plan.TotalSteps} " +
                $"(N={_job.Train.Count}, b={sched.ProcessBatch}, A={_plan.Accumulation}, drop_last={Args.DataloaderDropLast}); please report it");
        // The epoch this run writes to trainer_state.json is the one the analyzer showed before it started.
        if (!_stopped && sched.Epochs is double predicted && Math.Abs(_state.Epoch - predicted) > 1e-9)
            throw new InvalidOperationException(
                $"internal error: the trainer ends at epoch {_state.Epoch} but the engine predicted {predicted} " +
                $"(N={_job.Train.Count}, b={sched.ProcessBatch}, A={_plan.Accumulation}, drop_last={Args.DataloaderDropLast}); please report it");

        double runtime = _clock.Elapsed.TotalSeconds;
        if (!_stopped && Args.LoadBestModelAtEnd && _state.BestModelCheckpoint is { } bestPath && Directory.Exists(bestPath))
        {
            _sink.Log($"loading the best model from {bestPath} ({_plan.Metric} = {_state.BestMetric})");
            Checkpoints.LoadAdapterWeights(_model, _job.Lora, bestPath);
        }

        // HF speed_metrics: samples = max_steps x total batch when max_steps is set, else N x num_train_epochs.
        double nominalSamples = Args.MaxSteps > 0 ? (double)Args.MaxSteps * sched.SamplesPerStep : (double)_job.Train.Count * Args.NumTrainEpochs;
        double trainLoss = _sessionSteps > 0 ? _sessionLossSum / _sessionSteps : double.NaN;
        if (!_stopped)
            _state.LogHistory.Add(new JsonObject
            {
                ["epoch"] = _state.Epoch, ["step"] = step, ["total_flos"] = _state.TotalFlos, ["train_loss"] = trainLoss,
                ["train_runtime"] = Math.Round(runtime, 4), ["train_samples_per_second"] = Math.Round(nominalSamples / runtime, 3),
                ["train_steps_per_second"] = Math.Round((step - _startStep) / runtime, 3),
            });

        PeftAdapter.Save(_model, AdapterConfig(), _job.OutputDir);
        _state.Write(Path.Combine(_job.OutputDir, "trainer_state.json"));
        Checkpoints.WriteJson(Path.Combine(_job.OutputDir, "training_args.json"), _job.TrainingArgsJson);
        string? curve = _job.WriteLossCurve ? DrawLossCurve() : null;
        var result = new TrainResult
        {
            GlobalStep = step, StartStep = _startStep, StepLosses = _stepLosses, EvalLosses = _evalLosses, EpochEndSteps = _epochEnds,
            MicroBatches = _micros, Stopped = _stopped, AdapterPath = Path.GetFullPath(Path.Combine(_job.OutputDir, PeftAdapter.WeightsFile)),
            LossCurvePath = curve, BestCheckpoint = _state.BestModelCheckpoint, OptimizerStateBytes = _optimizer.StateBytes,
            Runtime = runtime, SamplesPerSecond = _samples / runtime, TokensPerSecond = _tokens / runtime, SamplesSeen = _samples, TokensSeen = _tokens,
        };
        _sink.Done(new DoneEvent(result.AdapterPath, _lastLoss, trainLoss, step, runtime, _samples / runtime, curve, _state.BestModelCheckpoint, _stopped));
        return result;
    }

    /// <summary>loss_curve.png from this session's steps (or the resumed log history) and the evaluations; null when it cannot be drawn.</summary>
    private string? DrawLossCurve()
    {
        string curve = Path.Combine(_job.OutputDir, "loss_curve.png");
        var train = _stepLosses.Count > 0 ? _stepLosses
            : _state.LogHistory.Where(l => l["loss"] is not null).Select(l => (l["step"]!.GetValue<long>(), l["loss"]!.GetValue<double>())).ToList();
        var evals = _state.LogHistory.Where(l => l["eval_loss"] is not null).Select(l => (l["step"]!.GetValue<long>(), l["eval_loss"]!.GetValue<double>())).ToList();
        try
        {
            LossCurve.Write(curve, train, evals, $"{_job.ModelName}: {_step} steps");
            return curve;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _sink.Log($"warning: could not draw {curve}: {e.Message}");
            return null;
        }
    }

    /// <summary>The adapter's config as saved: base_model_name_or_path is the planner's (the model folder's full path, which
    /// AutoPeftModelForCausalLM can load), else the job's model name.</summary>
    private LoraConfig AdapterConfig() =>
        _job.Lora.BaseModelNameOrPath.Length > 0 ? _job.Lora : _job.Lora with { BaseModelNameOrPath = _job.ModelName };

    private double Evaluate()
    {
        var sw = Stopwatch.StartNew();
        _model.eval();
        double loss = TrainingLoop.EvalLoss(_model, _job.Eval, Args.PerDeviceEvalBatchSize, _job.PadId, _job.Load.Device);
        _model.train();
        double rt = sw.Elapsed.TotalSeconds;
        int batches = (_job.Eval.Count + Args.PerDeviceEvalBatchSize - 1) / Args.PerDeviceEvalBatchSize;
        _state.LogHistory.Add(new JsonObject
        {
            ["epoch"] = _state.Epoch, ["eval_loss"] = loss, ["eval_runtime"] = Math.Round(rt, 4),
            ["eval_samples_per_second"] = Math.Round(_job.Eval.Count / rt, 3), ["eval_steps_per_second"] = Math.Round(batches / rt, 3), ["step"] = _step,
        });
        _sink.Eval(new EvalEvent(_step, _state.Epoch, loss, _job.Eval.Count, rt));
        return loss;
    }

    private string SaveCheckpoint()
    {
        long step = _step;
        string path = Checkpoints.Save(_job.OutputDir, step, tmp =>
        {
            PeftAdapter.Save(_model, AdapterConfig(), tmp);
            // optimizer.pt and scheduler.pt as HF Trainer._save_optimizer_and_scheduler writes them. No rng_state.pth:
            // this trainer reseeds torch with seed + global_step before each step instead of continuing one generator,
            // a state HF's generators cannot take; without the file HF logs that it found none and continues.
            _optimizer.Save(tmp, Lr.LearningRate(step));
            SchedulerFile.Write(tmp, Lr, step, groups: ParamGroups.GroupCount);
            Checkpoints.WriteJson(Path.Combine(tmp, "training_args.json"), _job.TrainingArgsJson);
            // The state as it will be once this folder is in place (best_model_checkpoint already points at it).
            _state.Write(Path.Combine(tmp, "trainer_state.json"));
        });
        var deleted = Checkpoints.Rotate(_job.OutputDir, Args.SaveTotalLimit, _plan.TrackBest ? _state.BestModelCheckpoint : null);
        _sink.Save(new SaveEvent(step, Path.GetFullPath(path), deleted));
        return path;
    }

    private static JsonObject LogEntry(double loss, double gradNorm, double lr, double epoch, long step) => new()
    {
        ["epoch"] = epoch, ["grad_norm"] = gradNorm, ["learning_rate"] = lr, ["loss"] = TrainerState.Round4(loss), ["step"] = step,
    };

    private static double TotalNorm(IEnumerable<Parameter> ps)
    {
        using var _ = torch.no_grad();
        double sq = 0;
        foreach (var p in ps) if (p.grad is { } g) sq += g.pow(2).sum().item<float>();
        return Math.Sqrt(sq);
    }

    private static long NonEmbeddingParameters(LlamaForCausalLM model)
    {
        long n = model.LinearLayers().Where(l => l.Layer is ILinearLayer).Sum(l => ((ILinearLayer)l.Layer).InFeatures * ((ILinearLayer)l.Layer).OutFeatures);
        n += model.named_parameters().Where(p => p.name.EndsWith("norm.weight", StringComparison.Ordinal)).Sum(p => p.parameter.numel());
        return n;
    }
}
