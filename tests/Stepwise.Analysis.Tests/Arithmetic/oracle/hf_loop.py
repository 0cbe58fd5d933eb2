"""Walks Hugging Face Trainer's training loop micro-batch by micro-batch, as a check on Stepwise's closed forms.

Reads cases (JSON lines on stdin) and prints, per case, what the loop ends with: the optimizer steps made, the epoch
that trainer_state.json records, and the samples consumed. It models, in plain loops and in our own words:
- the per-process dataloader length: accelerate's BatchSamplerShard (drop_last floors, otherwise even_batches pads);
- Trainer.set_initial_training_values: steps per epoch, max_steps from num_train_epochs, the epoch loop bound, and the
  ValueError for a dataloader of length 0 without max_steps;
- the three generations of Trainer._inner_training_loop: "current" (>= 4.52: per-epoch windows of
  gradient_accumulation_steps batches, the last one shorter), "prefetch" (4.46-4.51: the last window fetches
  num_examples % accumulation batches) and "running" (< 4.46: a step every accumulation batches, counted over the run,
  plus one at the end of an epoch that has no more batches than the accumulation);
- the stop at global_step >= max_steps (DefaultFlowCallback.on_step_end).
Nothing here is imported from transformers; it needs only Python's standard library.
"""
import json
import math
import sys


def loader_length(n, b, w, drop_last):
    batches = n // b if drop_last else -(-n // b)
    if w == 1 or batches % w == 0:
        return batches // w
    return batches // w if drop_last else batches // w + 1


def batch_sizes(n, b, w, drop_last, length):
    """Samples in each micro-batch of one epoch, summed over processes."""
    sizes = []
    for i in range(length):
        if w == 1 and not drop_last and i == length - 1:
            sizes.append(n - (length - 1) * b)
        else:
            sizes.append(b * w)
    return sizes


def run(case):
    n, b, a, w = case["n"], case["b"], case["a"], case["w"]
    drop, max_steps, epochs, loop = case["drop_last"], case["max_steps"], case["epochs"], case["loop"]
    length = loader_length(n, b, w, drop)
    if loop == "current":
        per_epoch = max(length // a + (1 if length % a else 0), 1)
    else:
        per_epoch = max(length // a, 1)
    if max_steps > 0:
        planned = max_steps
        bound = planned // per_epoch + (1 if planned % per_epoch else 0)
    else:
        planned = math.ceil(epochs * per_epoch)
        bound = math.ceil(epochs)
    if length == 0:
        # A length of 0 counts as "no length": without max_steps the Trainer raises, with it the loop finds nothing.
        return {"steps": 0, "epoch": 0.0, "samples": 0, "raises": max_steps <= 0}
    sizes = batch_sizes(n, b, w, drop, length)
    steps, epoch_value, samples, running = 0, 0.0, 0, 0
    for epoch in range(bound):
        if loop == "running":
            for i in range(length):
                running += 1
                samples += sizes[i]
                if running % a == 0 or (length <= a and i + 1 == length):
                    steps += 1
                    epoch_value = epoch + (i + 1) / length
                    if steps >= planned:
                        return {"steps": steps, "epoch": epoch_value, "samples": samples, "raises": False}
            continue
        if loop == "current":
            last = length % a or a
            updates = length // a + (1 if last < a else 0)
        else:
            last = n % a or a
            updates = length // a + 1 if a > 1 else length
        consumed = 0
        for u in range(updates):
            want = a if u != updates - 1 else last
            window = list(range(consumed, min(consumed + want, length)))
            consumed += len(window)
            for i in window:
                samples += sizes[i]
                if (i + 1) % a == 0 or i + 1 == length:
                    steps += 1
                    epoch_value = epoch + (i + 1) / length
                    if steps >= planned:
                        return {"steps": steps, "epoch": epoch_value, "samples": samples, "raises": False}
    return {"steps": steps, "epoch": epoch_value, "samples": samples, "raises": False}


for line in sys.stdin:
    line = line.strip()
    if line:
        print(json.dumps(run(json.loads(line))))
