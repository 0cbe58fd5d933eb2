using Stepwise.Trainer.Data;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.Progress;

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
    /// <summary>
    /// Runs <paramref name="job"/> in its phases: <see cref="RunPlan.For"/> (every refusal that needs no model, before
    /// any load), then on the loaded model <see cref="TrainingRun.Resume"/>, <see cref="TrainingRun.Train"/> (one
    /// optimizer step per window, then log / eval / save) and <see cref="TrainingRun.Finish"/> (final outputs, result).
    /// </summary>
    public static TrainResult Run(TrainJob job, IProgressSink sink, CancellationToken stop = default, LlamaForCausalLM? preloaded = null)
    {
        var plan = RunPlan.For(job);

        // Model: load (4-bit or float); the run puts LoRA on the targets, seeded.
        var model = preloaded ?? LlamaLoader.Load(job.ModelPath, job.Load);
        bool ownsModel = preloaded is null;
        try
        {
            using var run = new TrainingRun(job, plan, model, sink);
            run.Resume();
            run.Train(stop);
            return run.Finish();
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

    public static bool IsOutOfMemory(Exception e) =>
        e is OutOfMemoryException || (e is System.Runtime.InteropServices.ExternalException && e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase))
        || e.Message.Contains("DefaultCPUAllocator: can't allocate memory", StringComparison.Ordinal);

    public static bool IsDiskFull(IOException e) =>
        (e.HResult & 0xFFFF) is 28 or 112 || e.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase);
}
