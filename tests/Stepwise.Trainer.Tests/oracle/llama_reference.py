#!/usr/bin/python3
"""Independent reference for the trainer's tests, run with Debian's python3-torch (1.13).

  llama_reference.py logits MODEL_DIR INPUT_JSON OUT_JSON
      Llama forward pass written from transformers' modeling_llama semantics, in float64, reading config.json and
      model.safetensors with struct + json + numpy only (the safetensors package is not used). INPUT_JSON holds
      {"input_ids": [[...]], "attention_mask": [[...]]}; OUT_JSON gets {"logits": [...]} (flattened, float64).
  llama_reference.py train MODEL_DIR ADAPTER_DIR SPEC_JSON OUT_JSON
      LoRA fine-tuning written from PEFT + transformers Trainer semantics, in float64: the adapter in ADAPTER_DIR
      (PEFT layout) is the starting point; SPEC_JSON gives the examples (ids, labels with -100), batch size,
      gradient accumulation, steps, learning rate, linear warmup/decay, AdamW settings and max_grad_norm. Batches
      are taken in order (no shuffling), right-padded; each optimizer step's loss is the window's summed token
      cross-entropy over its label-token count (num_items_in_batch); the last window of an epoch may be partial.
      OUT_JSON gets {"losses": [...], "adapter": {name: flattened weights}}.
  llama_reference.py dynamic_map OUT_JSON
      bitsandbytes' create_dynamic_map(signed=True) computed with torch, as bitsandbytes computes it.
"""
import json
import math
import struct
import sys

import numpy as np
import torch

DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
          "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    buf = data[8 + n:]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        raw = buf[b:end]
        if e["dtype"] == "BF16":
            bits = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
            arr = bits.view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=DTYPES[e["dtype"]])
        out[name] = torch.from_numpy(arr.copy()).reshape(e["shape"]).to(torch.float64)
    return out


def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def llama_logits(model_dir, input_ids, attention_mask):
    cfg = json.load(open(f"{model_dir}/config.json"))
    w = read_safetensors(f"{model_dir}/model.safetensors")
    return llama_forward(cfg, w, input_ids, attention_mask)


def rope_scaled(inv_freq, rs):
    """transformers modeling_rope_utils: _compute_linear_scaling_rope_parameters / _compute_llama3_parameters."""
    if not rs:
        return inv_freq
    kind = rs.get("rope_type", rs.get("type"))
    if kind == "linear":
        return inv_freq / rs["factor"]
    assert kind == "llama3", kind
    factor, low, high = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
    old_len = rs["original_max_position_embeddings"]
    out = []
    for f in inv_freq.tolist():
        wavelen = 2 * math.pi / f
        if wavelen < old_len / high:      # high frequency: kept
            out.append(f)
        elif wavelen > old_len / low:     # low frequency: divided by the factor
            out.append(f / factor)
        else:                             # in between: interpolated
            smooth = (old_len / wavelen - low) / (high - low)
            out.append((1 - smooth) * f / factor + smooth * f)
    return torch.tensor(out, dtype=torch.float64)


def llama_forward(cfg, w, input_ids, attention_mask, lin=None):
    """Logits; lin(x, weight_name) computes a linear layer (default x @ W.T), the hook LoRA uses."""
    if lin is None:
        def lin(x, name):
            return x @ w[name].T
    hidden, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    kv_heads = cfg.get("num_key_value_heads", heads)
    head_dim = cfg.get("head_dim", hidden // heads)
    eps, theta = cfg["rms_norm_eps"], cfg.get("rope_theta", 10000.0)
    ids = torch.tensor(input_ids, dtype=torch.long)
    bsz, seq = ids.shape

    inv_freq = rope_scaled(1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)), cfg.get("rope_scaling"))
    freqs = torch.outer(torch.arange(seq, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()

    allowed = torch.ones(seq, seq, dtype=torch.bool).tril()[None, None]
    if attention_mask is not None:
        allowed = allowed & torch.tensor(attention_mask, dtype=torch.bool)[:, None, None, :]
    mask = torch.zeros(allowed.shape, dtype=torch.float64).masked_fill(~allowed, torch.finfo(torch.float64).min)

    h = w["model.embed_tokens.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        x = rms_norm(h, w[p + "input_layernorm.weight"], eps)
        q = lin(x, p + "self_attn.q_proj.weight").view(bsz, seq, heads, head_dim).transpose(1, 2)
        k = lin(x, p + "self_attn.k_proj.weight").view(bsz, seq, kv_heads, head_dim).transpose(1, 2)
        v = lin(x, p + "self_attn.v_proj.weight").view(bsz, seq, kv_heads, head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(heads // kv_heads, dim=1)
        v = v.repeat_interleave(heads // kv_heads, dim=1)
        att = torch.softmax(q @ k.transpose(2, 3) / (head_dim ** 0.5) + mask, dim=-1)
        o = (att @ v).transpose(1, 2).reshape(bsz, seq, heads * head_dim)
        h = h + lin(o, p + "self_attn.o_proj.weight")
        x = rms_norm(h, w[p + "post_attention_layernorm.weight"], eps)
        gate = lin(x, p + "mlp.gate_proj.weight")
        up = lin(x, p + "mlp.up_proj.weight")
        h = h + lin(torch.nn.functional.silu(gate) * up, p + "mlp.down_proj.weight")
    h = rms_norm(h, w["model.norm.weight"], eps)
    if cfg.get("tie_word_embeddings", False):
        return h @ w["model.embed_tokens.weight"].T
    return lin(h, "lm_head.weight")


def lora_train(model_dir, adapter_dir, spec):
    cfg = json.load(open(f"{model_dir}/config.json"))
    w = read_safetensors(f"{model_dir}/model.safetensors")
    acfg = json.load(open(f"{adapter_dir}/adapter_config.json"))
    scaling = acfg["lora_alpha"] / acfg["r"]
    init = read_safetensors(f"{adapter_dir}/adapter_model.safetensors")
    # PEFT keys: base_model.model.<module path>.lora_A.weight -> the base weight "<module path>.weight"
    lora = {}
    for key, t in init.items():
        module, part = key[len("base_model.model."):].rsplit(".lora_", 1)
        lora.setdefault(module + ".weight", {})[part[0]] = t.clone().requires_grad_(True)

    def lin(x, name):
        y = x @ w[name].T
        if name in lora:
            y = y + (x @ lora[name]["A"].T) @ lora[name]["B"].T * scaling
        return y

    names = sorted(lora)
    params = [lora[n][k] for n in names for k in ("A", "B")]
    opt = torch.optim.AdamW(params, lr=spec["lr"], betas=tuple(spec["betas"]), eps=spec["eps"], weight_decay=spec["weight_decay"])
    total, warm = spec["steps"], spec["warmup"]

    def lr_factor(step):  # transformers get_linear_schedule_with_warmup
        if step < warm:
            return step / max(1, warm)
        return max(0.0, (total - step) / max(1, total - warm))

    ex, b, acc = spec["examples"], spec["batch"], spec["accum"]
    micro = [ex[i:i + b] for i in range(0, len(ex), b)]
    losses, step = [], 0
    while step < total:
        for start in range(0, len(micro), acc):
            if step >= total:
                break
            window = micro[start:start + acc]
            n_items = sum(sum(1 for l in e["labels"][1:] if l != -100) for mb in window for e in mb)
            opt.zero_grad()
            window_loss = 0.0
            for mb in window:
                t = max(len(e["ids"]) for e in mb)
                ids = [e["ids"] + [spec["pad_id"]] * (t - len(e["ids"])) for e in mb]
                mask = [[1] * len(e["ids"]) + [0] * (t - len(e["ids"])) for e in mb]
                labels = torch.tensor([e["labels"] + [-100] * (t - len(e["labels"])) for e in mb])
                logits = llama_forward(cfg, w, ids, mask, lin)
                ce = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1),
                                                       ignore_index=-100, reduction="sum")
                (ce / n_items).backward()
                window_loss += ce.item()
            torch.nn.utils.clip_grad_norm_(params, spec["max_grad_norm"])
            for g in opt.param_groups:
                g["lr"] = spec["lr"] * lr_factor(step)
            opt.step()
            losses.append(window_loss / n_items)
            step += 1
    adapter = {}
    for n in names:
        module = n[:-len(".weight")]
        for k in ("A", "B"):
            adapter[f"base_model.model.{module}.lora_{k}.weight"] = lora[n][k].detach().reshape(-1).tolist()
    return {"losses": losses, "adapter": adapter}


def dynamic_map_signed():
    # bitsandbytes functional.create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)
    data = []
    for i in range(7):
        boundaries = torch.linspace(0.1, 1, 2 ** i + 1)
        means = (boundaries[:-1] + boundaries[1:]) / 2.0
        data += ((10 ** (-6 + i)) * means).tolist()
        data += (-(10 ** (-6 + i)) * means).tolist()
    data.append(0)
    data.append(1.0)
    data.sort()
    return torch.tensor(data).tolist()


def main():
    if sys.argv[1] == "logits":
        inp = json.load(open(sys.argv[3]))
        logits = llama_logits(sys.argv[2], inp["input_ids"], inp.get("attention_mask"))
        json.dump({"shape": list(logits.shape), "logits": logits.reshape(-1).tolist()}, open(sys.argv[4], "w"))
    elif sys.argv[1] == "train":
        spec = json.load(open(sys.argv[4]))
        json.dump(lora_train(sys.argv[2], sys.argv[3], spec), open(sys.argv[5], "w"))
    elif sys.argv[1] == "dynamic_map":
        json.dump({"map": dynamic_map_signed()}, open(sys.argv[2], "w"))
    else:
        raise SystemExit(f"unknown mode {sys.argv[1]}")


if __name__ == "__main__":
    main()
