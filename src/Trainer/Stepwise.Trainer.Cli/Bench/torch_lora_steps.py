#!/usr/bin/python3
"""PyTorch eager side of `stepwise-trainer bench-train`: the same LoRA fp32 training steps as the bundled trainer.

  torch_lora_steps.py MODEL_DIR SPEC_JSON OUT_JSON

The Llama model of MODEL_DIR (config.json + model.safetensors in float32, read with struct + json + numpy) in float32,
written as transformers' modeling_llama computes it with attn_implementation="eager" (torch 1.13 has no
scaled_dot_product_attention); LoRA adapters on the layers SPEC_JSON names, scaled by alpha / r; mean token
cross-entropy; torch.nn.utils.clip_grad_norm_(1.0); torch.optim.AdamW. SPEC_JSON gives the token ids of each
micro-batch ([steps + warmup] x batch x seq), the thread count, r and alpha. OUT_JSON gets the wall and CPU seconds of each step
and the losses, so the caller compares the work done, not only the time.
"""
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


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
        if e["dtype"] != "F32":
            raise SystemExit(f"{name}: {e['dtype']}; the benchmark model is float32")
        b, end = e["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(buf[b:end], dtype=np.float32).copy()).reshape(e["shape"])
    return out


def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def main():
    model_dir, spec = sys.argv[1], json.load(open(sys.argv[2]))
    torch.set_num_threads(spec["threads"])
    torch.manual_seed(0)
    cfg = json.load(open(f"{model_dir}/config.json"))
    w = read_safetensors(f"{model_dir}/model.safetensors")
    hidden, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    kv_heads = cfg.get("num_key_value_heads", heads)
    head_dim = cfg.get("head_dim", hidden // heads)
    eps, theta, layers = cfg["rms_norm_eps"], cfg.get("rope_theta", 10000.0), cfg["num_hidden_layers"]
    r, scaling = spec["r"], spec["alpha"] / spec["r"]

    lora = {}
    for name, t in w.items():
        module = name[:-len(".weight")]
        if module.split(".")[-1] in spec["targets"]:
            a = torch.empty(r, t.shape[1])
            torch.nn.init.kaiming_uniform_(a, a=5 ** 0.5)
            lora[name] = (a.requires_grad_(True), torch.zeros(t.shape[0], r, requires_grad=True))
    params = [p for pair in lora.values() for p in pair]
    opt = torch.optim.AdamW(params, lr=spec["lr"])

    def lin(x, name):
        y = F.linear(x, w[name])
        if name in lora:
            a, b = lora[name]
            y = y + F.linear(F.linear(x, a), b) * scaling
        return y

    batch, seq = len(spec["batches"][0]), len(spec["batches"][0][0])
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))

    def step(ids):
        ids = torch.tensor(ids, dtype=torch.long)
        freqs = torch.outer(torch.arange(seq, dtype=torch.float32), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        mask = torch.full((seq, seq), torch.finfo(torch.float32).min).triu(1)[None, None]
        h = F.embedding(ids, w["model.embed_tokens.weight"])
        for i in range(layers):
            p = f"model.layers.{i}."
            x = rms_norm(h, w[p + "input_layernorm.weight"], eps)
            q = lin(x, p + "self_attn.q_proj.weight").view(batch, seq, heads, head_dim).transpose(1, 2)
            k = lin(x, p + "self_attn.k_proj.weight").view(batch, seq, kv_heads, head_dim).transpose(1, 2)
            v = lin(x, p + "self_attn.v_proj.weight").view(batch, seq, kv_heads, head_dim).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            k = k.repeat_interleave(heads // kv_heads, dim=1)
            v = v.repeat_interleave(heads // kv_heads, dim=1)
            att = torch.softmax(q @ k.transpose(2, 3) * head_dim ** -0.5 + mask, dim=-1, dtype=torch.float32)
            o = (att @ v).transpose(1, 2).reshape(batch, seq, heads * head_dim)
            h = h + lin(o, p + "self_attn.o_proj.weight")
            x = rms_norm(h, w[p + "post_attention_layernorm.weight"], eps)
            h = h + lin(F.silu(lin(x, p + "mlp.gate_proj.weight")) * lin(x, p + "mlp.up_proj.weight"), p + "mlp.down_proj.weight")
        h = rms_norm(h, w["model.norm.weight"], eps)
        logits = lin(h, "lm_head.weight")
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item()

    seconds, cpu, losses = [], [], []
    for ids in spec["batches"]:
        t0, c0 = time.perf_counter(), time.process_time()
        losses.append(step(ids))
        seconds.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    json.dump({"seconds": seconds, "cpu": cpu, "losses": losses, "torch": torch.__version__, "threads": torch.get_num_threads(),
               "blas": blas_library()}, open(sys.argv[3], "w"))


def blas_library():
    """The BLAS shared library this process mapped (Debian's torch links the generic libblas.so.3, which the
    alternatives system or LD_LIBRARY_PATH points at netlib's reference BLAS, OpenBLAS, BLIS...)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    except OSError:
        return None
    return sorted(os.path.realpath(p) for p in paths) or None


if __name__ == "__main__":
    main()
