#!/usr/bin/python3
"""Straightforward re-implementations of the tools' packers, for the packing tests.

Written from the upstream sources at the releases named beside each function, in plain Python with linear scans (no
segment trees, no Fenwick trees), so they share nothing with the C# code under test but the behaviour they describe.
Only the standard library: run with Debian's /usr/bin/python3.

Input: one JSON object per line on stdin. Output: one JSON object per line on stdout, in the same order.
"""
import bisect
import json
import math
import sys


# --------------------------------------------------------------------------------------------------------- datasets

def map_batches(rows, batch_size, num_proc):
    """datasets 4.x Dataset.map(batched=True): num_proc contiguous shards (Dataset.shard(contiguous=True): the first
    rows % k shards get one extra row; num_proc larger than the rows is lowered to the rows; 0 / None is one process),
    each cut into batches of batch_size from its own start (None or <= 0: the whole shard)."""
    n = len(rows)
    if n == 0:
        return []
    k = num_proc if num_proc and num_proc >= 1 else 1
    k = min(k, n)
    out = []
    for index in range(k):
        base, extra = divmod(n, k)
        start = base * index + min(index, extra)
        stop = start + base + (1 if index < extra else 0)
        shard = rows[start:stop]
        size = batch_size if batch_size and batch_size > 0 else len(shard)
        for s in range(0, len(shard), size):
            out.append(shard[s:s + size])
    return out


# --------------------------------------------------------------------------------------------------------- TRL

def trl_strategy(version, name):
    """Which placement trl/data_utils.py pack_dataset runs for a strategy name at a release:
    v0.16-v0.18 pack_dataset only wraps; v0.19 has "ffd" (a best-fit placement, the default) and "wrapped";
    v0.20-v0.26 "bfd" (truncating) and "wrapped"; v0.27-v0.28 "bfd" cuts every row into pieces of max_length first;
    v0.29 "bfd" truncates again and "bfd-requeue" cuts; v1.x "bfd", "bfd_split" (cuts; "bfd-requeue" is renamed to it
    in SFTConfig.__post_init__) and "wrapped"."""
    v = tuple(int(x) for x in version.split("."))
    if v < (0, 19):
        return "wrap"
    if v < (0, 20):
        return {"ffd": "truncate", "wrapped": "wrap"}[name or "ffd"]
    if v < (0, 27):
        return {"bfd": "truncate", "wrapped": "wrap"}[name or "bfd"]
    if v < (0, 29):
        return {"bfd": "split", "wrapped": "wrap"}[name or "bfd"]
    if v < (1, 0):
        return {"bfd": "truncate", "bfd-requeue": "split", "wrapped": "wrap"}[name or "bfd"]
    return {"bfd": "truncate", "bfd_split": "split", "bfd-requeue": "split", "wrapped": "wrap"}[name or "bfd"]


def best_fit_decreasing(pieces, seq):
    """_pack_bfd (v0.20-v1.9): longest piece first (a stable sort: equal lengths keep their order); it joins the open
    sequence whose free space is the smallest that still holds it; among sequences with that same free space, the one
    that has had it longest (each free-space value keeps a FIFO of sequences); if none holds it, a new sequence."""
    order = sorted(range(len(pieces)), key=lambda i: -pieces[i][2])
    bins = []      # each: [free, since, [pieces]]
    clock = 0
    for i in order:
        ex, start, length = pieces[i]
        best = None
        for b in bins:
            if b[0] >= length and (best is None or (b[0], b[1]) < (best[0], best[1])):
                best = b
        if best is None:
            best = [seq, -1, []]
            bins.append(best)
        best[0] -= length
        best[1] = clock
        clock += 1
        best[2].append([ex, start, length])
    return [b[2] for b in bins]


def wrap(pieces, seq):
    """_pack_wrapped: the batch's tokens one after another, cut every seq tokens; the last row keeps what is left."""
    rows, current, used = [], None, 0
    for ex, start, length in pieces:
        while length > 0:
            if current is None or used == seq:
                current, used = [], 0
                rows.append(current)
            take = min(length, seq - used)
            current.append([ex, start, take])
            used += take
            start += take
            length -= take
    return rows


def trl_pack(case):
    seq = case["seq"]
    kind = trl_strategy(case["version"], case.get("strategy"))
    total, bins_out = 0, []
    rows = list(range(len(case["lengths"])))
    for batch in map_batches(rows, 1000, case.get("num_proc")):
        pieces = []
        for ex in batch:
            n = case["lengths"][ex]
            if kind == "truncate":
                if n > 0:       # empty rows are filtered (v1.0+)
                    pieces.append((ex, 0, min(n, seq)))
            elif kind == "split":
                for at in range(0, n, seq):
                    pieces.append((ex, at, min(seq, n - at)))
            else:
                pieces.append((ex, 0, n))
        rows_out = wrap(pieces, seq) if kind == "wrap" else best_fit_decreasing(pieces, seq)
        total += len(rows_out)
        bins_out.extend(rows_out)
    result = {"sequences": total}
    if case.get("want_bins"):
        result["bins"] = bins_out
    return result


# --------------------------------------------------------------------------------------------------------- LLaMA-Factory

def lf_knapsack(lengths, capacity):
    """data/processor/processor_utils.py greedy_knapsack (v0.9.3-v0.9.5) with supervised.py's choice of example:
    ascending list, each sequence takes the largest length that still fits (bisect, so the last of equal ones) until
    none fits; the example is the last one read with that length (length2indexes[length].pop())."""
    numbers = sorted(lengths)
    by_length = {}
    for i, n in enumerate(lengths):
        by_length.setdefault(n, []).append(i)
    sacks = []
    while numbers:
        sack, room = [], capacity
        while True:
            at = bisect.bisect(numbers, room)
            if at == 0:
                break
            n = numbers.pop(at - 1)
            room -= n
            sack.append(by_length[n].pop())
        sacks.append(sack)
    return sacks


def lf_pack(case):
    """supervised.py PackedSupervisedDatasetProcessor over data/loader.py's map batches (preprocessing_batch_size,
    preprocessing_num_workers). Packing lowers cutoff_len by one (hparams/data_args.py), the sequence's capacity; longer
    examples are dropped. v0.9.3 packs all records and then splits the packed rows (val_size); the caller gives v0.9.4+
    cases without a split."""
    capacity = case["cutoff"] - 1
    lengths = case["lengths"]
    total, bins_out = 0, []
    for batch in map_batches(list(range(len(lengths))), case.get("batch_size", 1000), case.get("num_proc")):
        kept = [i for i in batch if 0 <= lengths[i] <= capacity]
        sacks = lf_knapsack([lengths[i] for i in kept], capacity)
        total += len(sacks)
        bins_out.extend([[kept[j] for j in s] for s in sacks])
    val = case.get("val_size", 0)
    if val > 1e-6:
        held = int(val) if val > 1 else math.ceil(val * total)
        total -= min(held, total)
    result = {"sequences": total}
    if case.get("want_bins"):
        result["bins"] = bins_out
    return result


# --------------------------------------------------------------------------------------------------------- axolotl

def axolotl_filter(lengths, seq, min_len, strategy):
    """utils/data/utils.py handle_long_seq_in_dataset (v0.18.0): "drop" keeps min_len <= n <= seq; "truncate" drops the
    short ones and cuts the rest to seq. min_sample_len unset reads as 2."""
    min_len = min_len or 2
    kept = []
    for i, n in enumerate(lengths):
        if n < 0 or n < min_len:
            continue
        if n > seq:
            if strategy != "truncate":
                continue
            n = seq
        kept.append(n)
    return kept


def first_fit(order_lengths, capacity, bin_size):
    """utils/samplers/multipack.py pack_group (v0.9.2-v0.18.0): in the order given, into the first bin that has room
    and fewer than bin_size examples, else a new bin."""
    bins = []  # [free, count, members]
    for pos, n in enumerate(order_lengths):
        for b in bins:
            if b[0] >= n and b[1] < bin_size:
                b[0] -= n
                b[1] += 1
                b[2].append(pos)
                break
        else:
            bins.append([capacity - n, 1, [pos]])
    return [b[2] for b in bins]


def next_fit(order_lengths, capacity):
    """multipack.py allocate_sequentially: a new bin whenever the next example does not fit the current one."""
    bins, current, room = [], [], capacity
    for pos, n in enumerate(order_lengths):
        if n <= room:
            current.append(pos)
            room -= n
        else:
            if current:
                bins.append(current)
            current, room = [pos], capacity - n
    if current:
        bins.append(current)
    return bins


def axolotl(case):
    """The sampler's batches for a fixed order (curriculum_sampling: SequentialSampler, no merge shuffle) and
    utils/trainer.py calculate_total_num_steps (v0.18.0)."""
    seq, mbs, ga, ws = case["seq"], case["mbs"], case["ga"], case["ws"]
    kept = axolotl_filter(case["lengths"], seq, case.get("min_len"), case.get("excess", "drop"))
    val = case.get("val_size", 0)
    held = 0
    if val:
        held = int(val) if val > 1 else math.ceil(val * len(kept))
    train = kept[:len(kept) - held]      # shared.py create_train_validation_split: shuffle=False
    real = case["real"]
    capacity = seq if real else mbs * seq
    if case["sequential"]:
        bins = len(next_fit(train, capacity))
    else:
        bins = 0
        group = case["group_size"]
        for g in range(0, len(train), group):
            bins += len(first_fit(train[g:g + group], capacity, case["bin_size"]))
    batches = bins // mbs if real else bins       # batches of mbs bins, an incomplete last one dropped
    batch_size = mbs * ga * ws                     # normalize_config: micro_batch_size x accumulation x world size
    epochs = float(case["epochs"])
    if case.get("eff_est"):
        tokens = sum(train)
        steps = int(math.floor(0.99 * tokens / case["eff_est"] / seq // batch_size) - 1) * epochs
    else:
        loader_len = max(1, batches * mbs // batch_size)
        steps = int(math.floor(loader_len * epochs))
        if case.get("drop_last"):
            steps -= int(math.ceil(epochs))
    return {"examples": len(train), "tokens": sum(train), "bins": bins, "batches": batches, "steps": steps}


def first_fit_order(case):
    """pack_parallel over an explicit order: groups of group_size, each packed by first fit, bins concatenated."""
    lengths, order = case["lengths"], case["order"]
    out = []
    for g in range(0, len(order), case["group_size"]):
        part = order[g:g + case["group_size"]]
        for b in first_fit([lengths[i] for i in part], case["cap"], case["bin_size"]):
            out.append([part[p] for p in b])
    return {"bins": out}


def main():
    handlers = {"trl": trl_pack, "lf": lf_pack, "axolotl": axolotl, "first_fit": first_fit_order}
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        case = json.loads(line)
        sys.stdout.write(json.dumps(handlers[case["kind"]](case)) + "\n")


if __name__ == "__main__":
    main()
