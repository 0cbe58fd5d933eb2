#!/usr/bin/python3
"""Independent reference for the trainer's tests, run with Debian's python3-torch (1.13).

  llama_reference.py logits MODEL_DIR INPUT_JSON OUT_JSON
      Llama forward pass written from transformers' modeling_llama semantics, in float64, reading config.json and
      model.safetensors with struct + json + numpy only (the safetensors package is not used). INPUT_JSON holds
      {"input_ids": [[...]], "attention_mask": [[...]]}; OUT_JSON gets {"logits": [...]} (flattened, float64).
  llama_reference.py dynamic_map OUT_JSON
      bitsandbytes' create_dynamic_map(signed=True) computed with torch, as bitsandbytes computes it.
"""
import json
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
    hidden, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    kv_heads = cfg.get("num_key_value_heads", heads)
    head_dim = cfg.get("head_dim", hidden // heads)
    eps, theta = cfg["rms_norm_eps"], cfg.get("rope_theta", 10000.0)
    ids = torch.tensor(input_ids, dtype=torch.long)
    bsz, seq = ids.shape

    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
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
        q = (x @ w[p + "self_attn.q_proj.weight"].T).view(bsz, seq, heads, head_dim).transpose(1, 2)
        k = (x @ w[p + "self_attn.k_proj.weight"].T).view(bsz, seq, kv_heads, head_dim).transpose(1, 2)
        v = (x @ w[p + "self_attn.v_proj.weight"].T).view(bsz, seq, kv_heads, head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(heads // kv_heads, dim=1)
        v = v.repeat_interleave(heads // kv_heads, dim=1)
        att = torch.softmax(q @ k.transpose(2, 3) / (head_dim ** 0.5) + mask, dim=-1)
        o = (att @ v).transpose(1, 2).reshape(bsz, seq, heads * head_dim)
        h = h + o @ w[p + "self_attn.o_proj.weight"].T
        x = rms_norm(h, w[p + "post_attention_layernorm.weight"], eps)
        gate = x @ w[p + "mlp.gate_proj.weight"].T
        up = x @ w[p + "mlp.up_proj.weight"].T
        h = h + (torch.nn.functional.silu(gate) * up) @ w[p + "mlp.down_proj.weight"].T
    h = rms_norm(h, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", False) else w["lm_head.weight"]
    return h @ head.T


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
    elif sys.argv[1] == "dynamic_map":
        json.dump({"map": dynamic_map_signed()}, open(sys.argv[2], "w"))
    else:
        raise SystemExit(f"unknown mode {sys.argv[1]}")


if __name__ == "__main__":
    main()
