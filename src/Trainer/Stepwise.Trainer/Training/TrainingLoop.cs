using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Stepwise.Trainer.Data;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.Optim;
using Stepwise.Trainer.Outputs;
using Stepwise.Trainer.Progress;
using Stepwise.Trainer.Quantization;
using Stepwise.Trainer.LearningRate;

namespace Stepwise.Trainer.Training;

/// <summary>
/// The training loop, shaped like transformers Trainer._inner_training_loop: an epoch loop bounded by the engine's
/// EpochLoopBound; within an epoch, windows of gradient_accumulation_steps micro-batches, the last window of an epoch
/// possibly partial (it still makes an optimizer step, transformers &gt;= 4.52); stop at the engine's TotalSteps.
/// The loop does not compute the run's length itself: it walks the real batches, and at the end the number of
/// optimizer steps it made is checked against the engine's prediction.
///
/// Loss scaling: each window's loss is the sum of token cross-entropies over all its micro-batches divided by the
/// number of label tokens in the whole window (transformers &gt;= 4.46 with num_items_in_batch), so a partial window and
/// padding do not change what one token weighs.
/// </summary>
public static class TrainingLoop
{
    public static TrainResult Run(TrainJob job, IProgressSink sink, CancellationToken stop = default, LlamaForCausalLM? preloaded = null)
    {
        var args = job.Args;
        var sched = job.Schedule;
        long total = sched.TotalSteps ?? throw new InvalidOperationException("the engine could not size this run (no dataset size)");
        long stepsPerEpoch = sched.StepsPerEpoch!.Value;
        long loopBound = sched.EpochLoopBound!.Value;
        int A = args.GradientAccumulationSteps;
        var device = job.Load.Device;

        Directory.CreateDirectory(job.OutputDir);
        Checkpoints.CleanTemporary(job.OutputDir);

        var loader = new ExampleLoader(job.Train, (int)sched.ProcessBatch, args.DataloaderDropLast, job.Shuffle, args.Seed, job.PadId);
        if (loader.BatchesPerEpoch != sched.MicroBatchesPerEpoch)
            throw new InvalidOperationException($"the data loader makes {loader.BatchesPerEpoch} micro-batches per epoch, the engine predicted {sched.MicroBatchesPerEpoch}");

        // Model: load (4-bit or float), then LoRA on the targets, seeded.
        var model = preloaded ?? LlamaLoader.Load(job.ModelPath, job.Load);
        bool ownsModel = preloaded is null;
        try
        {
            LoraModel.Apply(model, job.Lora, args.Seed);
            // HF Trainer's decay / no-decay parameter groups, in PEFT's parameter order (optimizer.pt indices follow it).
            var groups = ParamGroups.For(model, args.WeightDecay);
            var trainable = groups.SelectMany(g => g.Parameters.Select(p => p.Parameter)).ToList();
            var embeddings = new HashSet<Parameter>(LoraModel.ModulesToSaveParameters(model).Where(m => m.Module is Models.Embedding).Select(m => m.Parameter));
            using var optimizer = Optimizers.Create(args.Optim, groups, args.LearningRate, args.AdamBeta1, args.AdamBeta2, args.AdamEpsilon, embeddings);
            if (Optimizers.IsPaged(args.Optim) && device.type == DeviceType.CPU)
                sink.Log($"note: {args.Optim}: paging (CUDA unified memory) means nothing on a CPU; the states live in ordinary memory, as bitsandbytes does there");
            var lr = new LrSchedule(args.LrSchedulerType, args.LearningRate, sched.WarmupSteps ?? 0, total);

            long logEvery = args.LoggingStrategy == "steps" ? Math.Max(1, sched.RatioToSteps(args.LoggingSteps) ?? 500) : 0;
            long evalEvery = args.EvalStrategy == "steps" ? Math.Max(1, sched.RatioToSteps(args.EvalSteps ?? args.LoggingSteps) ?? 500) : 0;
            long saveEvery = args.SaveStrategy == "steps" ? Math.Max(1, sched.RatioToSteps(args.SaveSteps) ?? 500) : 0;
            string metric = args.MetricForBestModel is { Length: > 0 } m ? (m.StartsWith("eval_", StringComparison.Ordinal) ? m : "eval_" + m) : "eval_loss";
            bool trackBest = args.LoadBestModelAtEnd || args.MetricForBestModel is not null || args.SaveStrategy == "best";
            bool greaterIsBetter = args.GreaterIsBetter ?? !(metric is "eval_loss" or "loss");
            if (metric != "eval_loss" && trackBest)
                throw new ArgumentException($"metric_for_best_model '{args.MetricForBestModel}': the bundled trainer computes eval_loss only");
            if (args.EvalStrategy != "no" && job.Eval.Count == 0)
                throw new ArgumentException($"eval_strategy is '{args.EvalStrategy}' but there is no evaluation data: set val_size / val_set_size or validation_file, or eval_strategy: no");

            var state = new TrainerState
            {
                MaxSteps = total, NumTrainEpochs = loopBound, TrainBatchSize = sched.ProcessBatch,
                LoggingSteps = logEvery == 0 ? 500 : logEvery, EvalSteps = evalEvery == 0 ? null : evalEvery, SaveSteps = saveEvery == 0 ? 500 : saveEvery,
            };

            // Resume: adapter, optimizer, trainer state; the data position follows from the step (HF skips
            // (global_step % U) x A micro-batches of epoch global_step / U); the RNG is a function of the step.
            string? resumeFrom = Checkpoints.Resolve(args.ResumeFromCheckpoint, job.OutputDir);
            long step = 0;
            if (resumeFrom is not null)
            {
                var saved = TrainerState.Read(Path.Combine(resumeFrom, "trainer_state.json"));
                if (saved.MaxSteps != total)
                    sink.Log($"note: {resumeFrom} was saved by a run of {saved.MaxSteps} steps; this run has {total}");
                Checkpoints.LoadAdapterWeights(model, job.Lora, resumeFrom);
                foreach (var n in optimizer.Load(resumeFrom)) sink.Log("note: " + n);
                step = saved.GlobalStep;
                lr = ResumeState.Schedule(resumeFrom, lr, step, groups.Count, sink);
                state.Epoch = saved.Epoch; state.GlobalStep = step; state.NumInputTokensSeen = saved.NumInputTokensSeen; state.TotalFlos = saved.TotalFlos;
                state.BestMetric = saved.BestMetric; state.BestGlobalStep = saved.BestGlobalStep; state.BestModelCheckpoint = saved.BestModelCheckpoint;
                state.LogHistory.AddRange(saved.LogHistory.Where(l => !l.ContainsKey("train_runtime")));
                sink.Log($"resuming from {resumeFrom} at step {step}");
            }
            long startStep = step;

            sink.Start(new StartEvent(job.ConfigPath, Path.GetFullPath(job.OutputDir), total, sched.Epochs ?? 0, job.Train.Count, job.Eval.Count,
                stepsPerEpoch, sched.SamplesPerStep, job.ModelName, job.Load.Quantize is not null || model.LinearLayers().Any(l => l.Layer is Linear4bit),
                args.Optim, trainable.Sum(p => p.numel()), startStep));

            long flopsPerToken = 6 * NonEmbeddingParameters(model);
            var stepLosses = new List<(long, double)>();
            var evalLosses = new List<(long, double)>();
            var epochEnds = new List<long>();
            var sinceLog = new List<double>();
            double sessionLossSum = 0; long sessionSteps = 0;
            long samples = 0, tokens = 0, micros = 0;
            bool stopped = false;
            var clock = Stopwatch.StartNew();
            string? lastCheckpoint = resumeFrom;
            double lastLoss = double.NaN;

            model.train();
            int L = loader.BatchesPerEpoch;
            long startEpoch = step / stepsPerEpoch;
            int skipMicro = (int)(step % stepsPerEpoch * A);
            for (long epoch = startEpoch; epoch < loopBound && step < total && !stopped; epoch++)
            {
                int firstMicro = epoch == startEpoch ? skipMicro : 0;
                for (int w = firstMicro; w < L && step < total; w += A)
                {
                    int windowLen = Math.Min(A, L - w);
                    var indices = Enumerable.Range(w, windowLen).Select(i => loader.BatchIndices((int)epoch, i)).ToList();
                    long windowTokens = indices.Sum(ix => ix.Sum(i => (long)job.Train[i].TrainableTokens));
                    torch.manual_seed(args.Seed + step); // dropout: the RNG depends on the step only, so a resumed run draws the same masks

                    double windowLossSum = 0;
                    for (int k = 0; k < windowLen; k++)
                    {
                        using var scope = torch.NewDisposeScope();
                        using var batch = loader.Get((int)epoch, w + k, device);
                        var lossSum = TokenLossSum(model, batch);
                        double ls = lossSum.item<float>();
                        windowLossSum += ls;
                        if (!double.IsFinite(ls)) break;
                        (lossSum / (double)windowTokens).backward();
                        samples += batch.Size; tokens += batch.Tokens; micros++;
                    }
                    double loss = windowLossSum / windowTokens;
                    if (!double.IsFinite(loss))
                    {
                        // Nothing of this window is applied: the weights are those of the last good step.
                        optimizer.ZeroGrad();
                        string? ckpt = lastCheckpoint;
                        if (step > 0 && (ckpt is null || !ckpt.EndsWith(Checkpoints.Prefix + step.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)))
                            ckpt = SaveCheckpoint(job, model, optimizer, lr, state, step, sink, trackBest);
                        throw new TrainingException($"the loss became {loss} at step {step + 1} (epoch {epoch + (double)w / L:0.00}); training stopped. " +
                            "Lower learning_rate, set max_grad_norm, or check the data." + (ckpt is null ? "" : $" Last good checkpoint: {ckpt}"), ckpt);
                    }

                    double gradNorm = args.MaxGradNorm > 0
                        ? torch.nn.utils.clip_grad_norm_(trainable, args.MaxGradNorm)
                        : TotalNorm(trainable);
                    optimizer.Step(lr.LearningRate(step));
                    optimizer.ZeroGrad();
                    step++;
                    lastLoss = loss;
                    stepLosses.Add((step, loss));
                    sinceLog.Add(loss);
                    sessionLossSum += loss; sessionSteps++;
                    state.GlobalStep = step;
                    state.Epoch = epoch + (double)(w + windowLen) / L;
                    state.NumInputTokensSeen += indices.Sum(ix => ix.Sum(i => (long)job.Train[i].Length));
                    state.TotalFlos += (double)flopsPerToken * indices.Sum(ix => ix.Sum(i => (long)job.Train[i].Length));

                    double elapsed = clock.Elapsed.TotalSeconds;
                    double perStep = elapsed / (step - startStep);
                    sink.Step(new StepEvent(step, total, state.Epoch, loss, lr.LearningRate(step), gradNorm, samples / elapsed, tokens / elapsed, perStep * (total - step)));

                    if (logEvery > 0 && step % logEvery == 0)
                    {
                        state.LogHistory.Add(LogEntry(sinceLog.Average(), gradNorm, lr.LearningRate(step), state.Epoch, step));
                        sinceLog.Clear();
                    }
                    bool endOfEpoch = w + windowLen >= L || step >= total;
                    bool doEval = (evalEvery > 0 && step % evalEvery == 0) || (args.EvalStrategy == "epoch" && endOfEpoch);
                    double? evalLoss = null;
                    if (doEval)
                    {
                        evalLoss = Evaluate(job, model, state, sink, step);
                        evalLosses.Add((step, evalLoss.Value));
                    }
                    bool newBest = false;
                    if (evalLoss is double ev && trackBest &&
                        (state.BestMetric is not double best || (greaterIsBetter ? ev > best : ev < best)))
                    {
                        state.BestMetric = ev; state.BestGlobalStep = step; newBest = true;
                    }
                    bool doSave = (saveEvery > 0 && step % saveEvery == 0) || (args.SaveStrategy == "epoch" && endOfEpoch)
                        || (args.SaveStrategy == "best" && newBest)
                        || (step >= total && args.SaveStrategy is "steps" or "epoch");
                    if (stop.IsCancellationRequested) { doSave = true; stopped = true; }
                    if (newBest && doSave) state.BestModelCheckpoint = Path.GetFullPath(Checkpoints.PathFor(job.OutputDir, step));
                    if (doSave) lastCheckpoint = SaveCheckpoint(job, model, optimizer, lr, state, step, sink, trackBest);
                    if (stopped)
                    {
                        sink.Log($"stop requested: finished step {step}, saved {lastCheckpoint}");
                        break;
                    }
                }
                epochEnds.Add(step);
            }

            if (!stopped && step != total)
                throw new InvalidOperationException(
                    $"internal error: the trainer made {step} optimizer steps but the engine predicted {total} " +
                    $"(N={job.Train.Count}, b={sched.ProcessBatch}, A={A}, drop_last={args.DataloaderDropLast}); please report it");
            // The epoch this run writes to trainer_state.json is the one the analyzer showed before it started.
            if (!stopped && sched.Epochs is double predicted && Math.Abs(state.Epoch - predicted) > 1e-9)
                throw new InvalidOperationException(
                    $"internal error: the trainer ends at epoch {state.Epoch} but the engine predicted {predicted} " +
                    $"(N={job.Train.Count}, b={sched.ProcessBatch}, A={A}, drop_last={args.DataloaderDropLast}); please report it");

            double runtime = clock.Elapsed.TotalSeconds;
            if (!stopped && args.LoadBestModelAtEnd && state.BestModelCheckpoint is { } bestPath && Directory.Exists(bestPath))
            {
                sink.Log($"loading the best model from {bestPath} ({metric} = {state.BestMetric})");
                Checkpoints.LoadAdapterWeights(model, job.Lora, bestPath);
            }

            // HF speed_metrics: samples = max_steps x total batch when max_steps is set, else N x num_train_epochs.
            double nominalSamples = args.MaxSteps > 0 ? (double)args.MaxSteps * sched.SamplesPerStep : (double)job.Train.Count * args.NumTrainEpochs;
            double trainLoss = sessionSteps > 0 ? sessionLossSum / sessionSteps : double.NaN;
            if (!stopped)
                state.LogHistory.Add(new JsonObject
                {
                    ["epoch"] = state.Epoch, ["step"] = step, ["total_flos"] = state.TotalFlos, ["train_loss"] = trainLoss,
                    ["train_runtime"] = Math.Round(runtime, 4), ["train_samples_per_second"] = Math.Round(nominalSamples / runtime, 3),
                    ["train_steps_per_second"] = Math.Round((step - startStep) / runtime, 3),
                });

            // Final outputs (trainer.save_model + save_state): the adapter, trainer_state.json, training_args.json, the curve.
            var lora = AdapterConfig(job);
            PeftAdapter.Save(model, lora, job.OutputDir);
            state.Write(Path.Combine(job.OutputDir, "trainer_state.json"));
            Checkpoints.WriteJson(Path.Combine(job.OutputDir, "training_args.json"), job.TrainingArgsJson);
            string? curve = null;
            if (job.WriteLossCurve)
            {
                curve = Path.Combine(job.OutputDir, "loss_curve.png");
                var train = stepLosses.Count > 0 ? stepLosses
                    : state.LogHistory.Where(l => l["loss"] is not null).Select(l => (l["step"]!.GetValue<long>(), l["loss"]!.GetValue<double>())).ToList();
                var evals = state.LogHistory.Where(l => l["eval_loss"] is not null).Select(l => (l["step"]!.GetValue<long>(), l["eval_loss"]!.GetValue<double>())).ToList();
                try { LossCurve.Write(curve, train, evals, $"{job.ModelName}: {step} steps"); }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    sink.Log($"warning: could not draw {curve}: {e.Message}");
                    curve = null;
                }
            }
            var result = new TrainResult
            {
                GlobalStep = step, StartStep = startStep, StepLosses = stepLosses, EvalLosses = evalLosses, EpochEndSteps = epochEnds,
                MicroBatches = micros, Stopped = stopped, AdapterPath = Path.GetFullPath(Path.Combine(job.OutputDir, PeftAdapter.WeightsFile)),
                LossCurvePath = curve, BestCheckpoint = state.BestModelCheckpoint, OptimizerStateBytes = optimizer.StateBytes,
                Runtime = runtime, SamplesPerSecond = samples / runtime, TokensPerSecond = tokens / runtime, SamplesSeen = samples, TokensSeen = tokens,
            };
            sink.Done(new DoneEvent(result.AdapterPath, lastLoss, trainLoss, step, runtime, samples / runtime, curve, state.BestModelCheckpoint, stopped));
            return result;
        }
        catch (Exception e) when (IsOutOfMemory(e))
        {
            throw new TrainingException("out of memory: lower per_device_train_batch_size (raise gradient_accumulation_steps to keep the effective batch), " +
                "max_length, or the LoRA rank; load the base with load_in_4bit to shrink it", null, e);
        }
        catch (IOException e) when (IsDiskFull(e))
        {
            throw new TrainingException($"the disk holding {Path.GetFullPath(job.OutputDir)} is full: {e.Message}. " +
                "Checkpoints are written to a temporary folder first, so the earlier ones are intact; free space or set save_total_limit", null, e);
        }
        finally
        {
            if (ownsModel) model.Dispose();
        }
    }

    /// <summary>The adapter's config as saved: base_model_name_or_path is the planner's (the model folder's full path, which
    /// AutoPeftModelForCausalLM can load), else the job's model name.</summary>
    private static LoraConfig AdapterConfig(TrainJob job) =>
        job.Lora.BaseModelNameOrPath.Length > 0 ? job.Lora : job.Lora with { BaseModelNameOrPath = job.ModelName };

    /// <summary>Sum of next-token cross-entropies over the batch's label tokens (-100 ignored).</summary>
    public static Tensor TokenLossSum(LlamaForCausalLM model, Batch batch)
    {
        var logits = model.forward(batch.InputIds, batch.AttentionMask);
        long v = logits.shape[2], t = logits.shape[1];
        var shifted = logits.narrow(1, 0, t - 1).reshape(-1, v).to(ScalarType.Float32);
        var targets = batch.Labels.narrow(1, 1, t - 1).reshape(-1);
        return functional.cross_entropy(shifted, targets, ignore_index: Example.Ignore, reduction: Reduction.Sum);
    }

    /// <summary>eval_loss as HF's evaluation loop: each batch's mean token loss, averaged over samples.</summary>
    public static double EvalLoss(LlamaForCausalLM model, IReadOnlyList<Example> eval, int batchSize, int padId, Device device)
    {
        using var _ = torch.no_grad();
        double weighted = 0; long n = 0;
        for (int start = 0; start < eval.Count; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            var items = eval.Skip(start).Take(batchSize).ToList();
            using var batch = ExampleLoader.Collate(items, padId, device);
            double mean = TokenLossSum(model, batch).item<float>() / Math.Max(1, batch.TrainableTokens);
            weighted += mean * items.Count; n += items.Count;
        }
        return weighted / Math.Max(1, n);
    }

    private static double Evaluate(TrainJob job, LlamaForCausalLM model, TrainerState state, IProgressSink sink, long step)
    {
        var sw = Stopwatch.StartNew();
        model.eval();
        double loss = EvalLoss(model, job.Eval, job.Args.PerDeviceEvalBatchSize, job.PadId, job.Load.Device);
        model.train();
        double rt = sw.Elapsed.TotalSeconds;
        int batches = (job.Eval.Count + job.Args.PerDeviceEvalBatchSize - 1) / job.Args.PerDeviceEvalBatchSize;
        state.LogHistory.Add(new JsonObject
        {
            ["epoch"] = state.Epoch, ["eval_loss"] = loss, ["eval_runtime"] = Math.Round(rt, 4),
            ["eval_samples_per_second"] = Math.Round(job.Eval.Count / rt, 3), ["eval_steps_per_second"] = Math.Round(batches / rt, 3), ["step"] = step,
        });
        sink.Eval(new EvalEvent(step, state.Epoch, loss, job.Eval.Count, rt));
        return loss;
    }

    private static string SaveCheckpoint(TrainJob job, LlamaForCausalLM model, ITrainOptimizer optimizer, LrSchedule lr, TrainerState state, long step, IProgressSink sink, bool trackBest)
    {
        string path = Checkpoints.Save(job.OutputDir, step, tmp =>
        {
            PeftAdapter.Save(model, AdapterConfig(job), tmp);
            // optimizer.pt and scheduler.pt as HF Trainer._save_optimizer_and_scheduler writes them. No rng_state.pth:
            // this trainer reseeds torch with seed + global_step before each step instead of continuing one generator,
            // a state HF's generators cannot take; without the file HF logs that it found none and continues.
            optimizer.Save(tmp, lr.LearningRate(step));
            SchedulerFile.Write(tmp, lr, step, groups: 2);
            Checkpoints.WriteJson(Path.Combine(tmp, "training_args.json"), job.TrainingArgsJson);
            // The state as it will be once this folder is in place (best_model_checkpoint already points at it).
            state.Write(Path.Combine(tmp, "trainer_state.json"));
        });
        var deleted = Checkpoints.Rotate(job.OutputDir, job.Args.SaveTotalLimit, trackBest ? state.BestModelCheckpoint : null);
        sink.Save(new SaveEvent(step, Path.GetFullPath(path), deleted));
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

    public static bool IsOutOfMemory(Exception e) =>
        e is OutOfMemoryException || (e is System.Runtime.InteropServices.ExternalException && e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase))
        || e.Message.Contains("DefaultCPUAllocator: can't allocate memory", StringComparison.Ordinal);

    public static bool IsDiskFull(IOException e) =>
        (e.HResult & 0xFFFF) is 28 or 112 || e.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase);
}
