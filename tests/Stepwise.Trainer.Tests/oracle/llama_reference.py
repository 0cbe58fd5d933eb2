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
      SPEC_JSON may add: "lora" (the LoRA settings as a user writes them: r, lora_alpha, target_modules, rank_pattern,
      alpha_pattern, use_dora, use_rslora, layers_to_transform, layers_pattern, modules_to_save, exclude_modules; PEFT
      0.19.1's rules decide the targets, ranks and scalings from them), "scheduler" (linear / cosine), "resume_from" (an
      HF checkpoint folder: adapter, optimizer.pt, scheduler.pt and trainer_state.json are loaded as HF Trainer resumes),
      "save_at" + "save_dir" (write an HF checkpoint after that step, as an fp32 run would, and continue from its files).
      The optimizer is HF Trainer's: torch AdamW over the decay / no-decay parameter groups in PEFT's parameter order,
      stepped by a LambdaLR.
  llama_reference.py peft_logits MODEL_DIR ADAPTER_DIR INPUT_JSON OUT_JSON [LORA_JSON]
      Logits of the base model with a PEFT adapter applied by PEFT 0.19.1's rules (DoRA, rank/alpha patterns,
      layers_to_transform, modules_to_save), float64; LORA_JSON gives the settings as written (else adapter_config.json).
  llama_reference.py inspect CHECKPOINT_DIR SPEC_JSON OUT_JSON
      Loads optimizer.pt and scheduler.pt with the weights-only rules and describes them, beside the state dicts
      torch 1.13's AdamW and LambdaLR produce for parameters of the shapes and groups in SPEC_JSON.
  llama_reference.py dynamic_map OUT_JSON
      bitsandbytes' create_dynamic_map(signed=True) computed with torch, as bitsandbytes computes it.
"""
import functools
import io
import json
import math
import os
import pickle
import pickletools
import random
import re
import shutil
import struct
import sys
import types
import zipfile

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


# ------------------------------------------------------------------------------------------------------------------
# PEFT's rules (peft 0.19.1), written here from its semantics: which modules get adapters
# (tuners_utils.check_target_module_exists, _maybe_include_all_linear_layers), their rank and alpha
# (utils/other.get_pattern_key), modules trained in full (utils/other._set_trainable), DoRA (tuners/lora/dora.py), the
# adapter file's keys (utils/save_and_load.get_peft_model_state_dict), and HF Trainer's optimizer parameter groups
# (trainer.py create_optimizer / get_decay_parameter_names, transformers v4.57.6 and v5.1.0).

def llama_modules(cfg):
    """Every named module of transformers' LlamaForCausalLM except the root, in registration order, with its kind."""
    mods = [("model", "other"), ("model.embed_tokens", "embedding"), ("model.layers", "other")]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}"
        mods += [(p, "other"), (p + ".self_attn", "other")]
        mods += [(f"{p}.self_attn.{n}", "linear") for n in ("q_proj", "k_proj", "v_proj", "o_proj")]
        mods += [(p + ".mlp", "other")] + [(f"{p}.mlp.{n}", "linear") for n in ("gate_proj", "up_proj", "down_proj")]
        mods += [(p + ".mlp.act_fn", "other"), (p + ".input_layernorm", "norm"), (p + ".post_attention_layernorm", "norm")]
    mods += [("model.norm", "norm"), ("model.rotary_emb", "other")]
    if not cfg.get("tie_word_embeddings", False):
        mods.append(("lm_head", "linear"))
    return mods


def target_exists(lcfg, key):
    ex = lcfg.get("exclude_modules")
    if ex:
        if isinstance(ex, str):
            if re.fullmatch(ex, key):
                return False
        elif key in ex or any(key.endswith(f".{e}") for e in ex):
            return False
    mts = lcfg.get("modules_to_save")
    if mts and any(re.match(rf"(^|.*\.){m}($|\..*)", key) for m in mts):
        return False
    tm = lcfg["target_modules"]
    if isinstance(tm, str):
        return re.fullmatch(tm, key) is not None
    if key in tm:
        return True
    found = any(key.endswith(f".{t}") for t in tm)
    lt, lp = lcfg.get("layers_to_transform"), lcfg.get("layers_pattern")
    using = lt is not None and (len(lt) != 0 if isinstance(lt, list) else True)
    if using and found:
        if not lp:
            m = re.match(r".*\.[^.]*\.(\d+)\.", key)
        else:
            m = None
            for pattern in [lp] if isinstance(lp, str) else lp:
                m = re.match(rf".*\.{pattern}\.(\d+)\.", key)
                if m is not None:
                    break
        if m is None:
            return False
        idx = int(m.group(1))
        return idx == lt if isinstance(lt, int) else idx in lt
    return found


def resolve_targets(cfg, lcfg):
    mods = llama_modules(cfg)
    tm = lcfg["target_modules"]
    if isinstance(tm, str) and tm.lower() == "all-linear":
        # peft >= 0.15 expands all-linear to full module names, minus the output embedding
        lcfg = dict(lcfg, target_modules={n for n, k in mods if k == "linear" and n != "lm_head"})
    targeted = [n for n, _ in mods if target_exists(lcfg, n)]
    bad = [n for n in targeted if dict(mods)[n] != "linear"]
    if bad:
        raise SystemExit(f"PEFT would refuse to adapt non-linear modules {bad}")
    return targeted


def resolve_saved(cfg, lcfg):
    out = []
    for entry in lcfg.get("modules_to_save") or []:
        for name, kind in llama_modules(cfg):
            if name.endswith(entry) and name not in out:
                if kind not in ("linear", "embedding", "norm"):
                    raise SystemExit(f"modules_to_save {entry} matches the container {name}")
                out.append(name)
    return out


def pattern_value(pattern, key, default):
    for k, v in (pattern or {}).items():
        if re.match(rf"(.*\.)?({k})$", key):
            return v
    return default


def peft_state(cfg, w, lcfg, adapter_file):
    """The adapter's tensors per PEFT's rules: {module: {A, B, [m], s}}, the weights with modules_to_save replaced,
    and a check that the file holds exactly the keys PEFT would write."""
    aw = read_safetensors(adapter_file)
    targeted, saved = resolve_targets(cfg, lcfg), resolve_saved(cfg, lcfg)
    dora, rslora = lcfg.get("use_dora", False), lcfg.get("use_rslora", False)
    lora, keys, info = {}, set(), {}
    for m in targeted:
        r = pattern_value(lcfg.get("rank_pattern"), m, lcfg["r"])
        alpha = pattern_value(lcfg.get("alpha_pattern"), m, lcfg["lora_alpha"])
        s = alpha / math.sqrt(r) if rslora else alpha / r
        a, b = f"base_model.model.{m}.lora_A.weight", f"base_model.model.{m}.lora_B.weight"
        e = {"A": aw[a].clone().requires_grad_(True), "B": aw[b].clone().requires_grad_(True), "s": s}
        if tuple(e["A"].shape) != (r, w[m + ".weight"].shape[1]) or tuple(e["B"].shape) != (w[m + ".weight"].shape[0], r):
            raise SystemExit(f"{m}: adapter shapes {tuple(e['A'].shape)} / {tuple(e['B'].shape)} do not have rank {r}")
        keys |= {a, b}
        if dora:
            mk = f"base_model.model.{m}.lora_magnitude_vector"
            e["m"] = aw[mk].clone().requires_grad_(True)
            keys.add(mk)
        lora[m] = e
        info[m] = {"r": r, "alpha": alpha, "scaling": s}
    w = dict(w)
    for m in saved:
        k = f"base_model.model.{m}.weight"
        w[m + ".weight"] = aw[k].clone().requires_grad_(True)
        keys.add(k)
    if set(aw) != keys:
        raise SystemExit(f"adapter keys differ from PEFT's: extra {sorted(set(aw) - keys)[:5]}, missing {sorted(keys - set(aw))[:5]}")
    return lora, w, targeted, saved, info


def dora_init_error(w, lora):
    """How far each DoRA magnitude is from PEFT's init ||W + scaling * B A|| per output row (0 for a fresh adapter)."""
    worst = 0.0
    for m, e in lora.items():
        if "m" in e:
            norm = torch.linalg.norm(w[m + ".weight"] + e["s"] * (e["B"] @ e["A"]), dim=1)
            worst = max(worst, (e["m"] - norm).abs().max().item())
    return worst


def peft_lin(w, lora):
    def lin(x, name):
        module = name[:-len(".weight")]
        W = w[name]
        y = x @ W.T
        e = lora.get(module)
        if e is None:
            return y
        if "m" in e:
            # DoRA: the norm sees the LoRA weight detached and is detached itself; no dropout in the reference, so the
            # base term is the base output
            norm = torch.linalg.norm(W + e["s"] * (e["B"] @ e["A"]).detach(), dim=1).detach()
            mag = (e["m"] / norm).view(1, -1)
            return y + (mag - 1) * y + mag * ((x @ e["A"].T) @ e["B"].T) * e["s"]
        return y + ((x @ e["A"].T) @ e["B"].T) * e["s"]
    return lin


def peft_order(cfg, lora, saved):
    """(peft name, kind, module) of the trainable parameters in PeftModel.named_parameters() order."""
    out = []
    for m, _ in llama_modules(cfg):
        if m in lora:
            out.append((f"base_model.model.{m}.lora_A.default.weight", "A", m))
            out.append((f"base_model.model.{m}.lora_B.default.weight", "B", m))
            if "m" in lora[m]:
                out.append((f"base_model.model.{m}.lora_magnitude_vector.default.weight", "m", m))
        elif m in saved:
            out.append((f"base_model.model.{m}.modules_to_save.default.weight", "saved", m))
    return out


NO_DECAY = [r"bias", r"layernorm", r"rmsnorm", r"(?:^|\.)norm(?:$|\.)", r"_norm(?:$|\.)"]


def decays(name):
    return not any(re.search(p, name.lower()) for p in NO_DECAY)


# transformers.optimization's lambdas, as module-level functions bound with functools.partial (so LambdaLR saves {}).
def _linear_lambda(step, *, num_warmup_steps, num_training_steps):
    if step < num_warmup_steps:
        return float(step) / float(max(1, num_warmup_steps))
    return max(0.0, float(num_training_steps - step) / float(max(1, num_training_steps - num_warmup_steps)))


def _cosine_lambda(step, *, num_warmup_steps, num_training_steps, num_cycles=0.5):
    if step < num_warmup_steps:
        return float(step) / float(max(1, num_warmup_steps))
    progress = float(step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))


def make_scheduler(opt, spec):
    kind = spec.get("scheduler", "linear")
    fn = {"linear": _linear_lambda, "cosine": _cosine_lambda}[kind]
    return torch.optim.lr_scheduler.LambdaLR(opt, functools.partial(fn, num_warmup_steps=spec["warmup"], num_training_steps=spec["steps"]))


# torch 1.13's weights_only unpickler rejects BINFLOAT (even in the files torch 1.13 itself writes for an optimizer);
# this loader allows the same globals as weights_only and nothing else, so a file that needs any other class fails.
class _WeightsOnlyUnpickler(pickle.Unpickler):
    allowed = {("collections", "OrderedDict"), ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_parameter")}

    def find_class(self, module, name):
        if (module, name) in self.allowed:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a weights-only load")


_weights_only_pickle = types.ModuleType("weights_only_pickle")
_weights_only_pickle.Unpickler = _WeightsOnlyUnpickler
_weights_only_pickle.load = pickle.load
# The opcodes torch 1.13's weights_only unpickler accepts (torch/_weights_only_unpickler.py), plus BINFLOAT.
WEIGHTS_ONLY_OPS = {"APPEND", "APPENDS", "BINGET", "BININT", "BININT1", "BININT2", "BINPERSID", "BINPUT", "BINUNICODE",
                    "BUILD", "EMPTY_DICT", "EMPTY_LIST", "EMPTY_SET", "EMPTY_TUPLE", "GLOBAL", "LONG1", "LONG_BINGET",
                    "LONG_BINPUT", "MARK", "NEWFALSE", "NEWOBJ", "NEWTRUE", "NONE", "PROTO", "REDUCE", "SETITEM",
                    "SETITEMS", "SHORT_BINSTRING", "STOP", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "BINFLOAT"}


def load_weights_only(path, report):
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
        report.append(f"{os.path.basename(path)}: torch.load(weights_only=True) ok")
        return obj
    except Exception as e:  # torch 1.13: "Unsupported operand 71" (BINFLOAT)
        report.append(f"{os.path.basename(path)}: torch.load(weights_only=True) on torch {torch.__version__}: {str(e).splitlines()[-1]}")
    with zipfile.ZipFile(path) as z:
        pkl = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
        ops = {op.name for op, _, _ in pickletools.genops(z.read(pkl))}
    if ops - WEIGHTS_ONLY_OPS:
        raise SystemExit(f"{path}: pickle opcodes outside the weights-only set: {sorted(ops - WEIGHTS_ONLY_OPS)}")
    return torch.load(path, map_location="cpu", pickle_module=_weights_only_pickle)


def write_safetensors(path, tensors):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def save_hf_checkpoint(folder, adapter_dir, lora, w, saved, opt, sched, spec, step, losses):
    """checkpoint-<step> as HF Trainer + PEFT write it for a float32 run (our float64 state cast to float32)."""
    os.makedirs(folder, exist_ok=True)
    tensors = {}
    for m, e in lora.items():
        tensors[f"base_model.model.{m}.lora_A.weight"] = e["A"]
        tensors[f"base_model.model.{m}.lora_B.weight"] = e["B"]
        if "m" in e:
            tensors[f"base_model.model.{m}.lora_magnitude_vector"] = e["m"]
    for m in saved:
        tensors[f"base_model.model.{m}.weight"] = w[m + ".weight"]
    write_safetensors(f"{folder}/adapter_model.safetensors", tensors)
    shutil.copy(f"{adapter_dir}/adapter_config.json", f"{folder}/adapter_config.json")
    sd = opt.state_dict()
    for st in sd["state"].values():
        for k in ("exp_avg", "exp_avg_sq"):
            st[k] = st[k].to(torch.float32)
    torch.save(sd, f"{folder}/optimizer.pt")
    torch.save(sched.state_dict(), f"{folder}/scheduler.pt")
    torch.save({"python": random.getstate(), "numpy": np.random.get_state(), "cpu": torch.random.get_rng_state()}, f"{folder}/rng_state.pth")
    state = {
        "best_global_step": None, "best_metric": None, "best_model_checkpoint": None, "epoch": step * spec["batch"] * spec["accum"] / len(spec["examples"]),
        "eval_steps": 500, "global_step": step, "is_hyper_param_search": False, "is_local_process_zero": True, "is_world_process_zero": True,
        "log_history": [{"epoch": 0.0, "grad_norm": 0.0, "learning_rate": spec["lr"], "loss": round(l, 4), "step": i + 1} for i, l in enumerate(losses)],
        "logging_steps": 1, "max_steps": spec["steps"], "num_input_tokens_seen": 0, "num_train_epochs": 1, "save_steps": step,
        "stateful_callbacks": {"TrainerControl": {"args": {"should_epoch_stop": False, "should_evaluate": False, "should_log": False,
                                                           "should_save": True, "should_training_stop": False}, "attributes": {}}},
        "total_flos": 0.0, "train_batch_size": spec["batch"], "trial_name": None, "trial_params": None,
    }
    json.dump(state, open(f"{folder}/trainer_state.json", "w"), indent=2)


def lora_train(model_dir, adapter_dir, spec):
    cfg = json.load(open(f"{model_dir}/config.json"))
    w = read_safetensors(f"{model_dir}/model.safetensors")
    lcfg = spec.get("lora") or json.load(open(f"{adapter_dir}/adapter_config.json"))
    lora, w, targeted, saved, info = peft_state(cfg, w, lcfg, f"{adapter_dir}/adapter_model.safetensors")
    init_error = dora_init_error(w, lora)
    lin = peft_lin(w, lora)
    order = peft_order(cfg, lora, saved)
    tensors = [lora[m][k] if k != "saved" else w[m + ".weight"] for _, k, m in order]
    names = [n for n, _, _ in order]
    groups = [{"params": [t for n, t in zip(names, tensors) if decays(n)], "weight_decay": spec["weight_decay"]},
              {"params": [t for n, t in zip(names, tensors) if not decays(n)], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=spec["lr"], betas=tuple(spec["betas"]), eps=spec["eps"])
    sched = make_scheduler(opt, spec)
    report = []

    def load_checkpoint(folder):
        aw = read_safetensors(f"{folder}/adapter_model.safetensors")
        with torch.no_grad():
            for n, k, m in order:
                key = {"A": f"base_model.model.{m}.lora_A.weight", "B": f"base_model.model.{m}.lora_B.weight",
                       "m": f"base_model.model.{m}.lora_magnitude_vector", "saved": f"base_model.model.{m}.weight"}[k]
                (lora[m][k] if k != "saved" else w[m + ".weight"]).copy_(aw[key])
        opt.load_state_dict(load_weights_only(f"{folder}/optimizer.pt", report))
        sched.load_state_dict(load_weights_only(f"{folder}/scheduler.pt", report))
        return json.load(open(f"{folder}/trainer_state.json"))["global_step"]

    step = 0
    if spec.get("resume_from"):
        step = load_checkpoint(spec["resume_from"])

    ex, b, acc = spec["examples"], spec["batch"], spec["accum"]
    micro = [ex[i:i + b] for i in range(0, len(ex), b)]
    windows = [micro[i:i + acc] for i in range(0, len(micro), acc)]
    losses = []
    while step < spec["steps"]:
        window = windows[step % len(windows)]
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
        torch.nn.utils.clip_grad_norm_(tensors, spec["max_grad_norm"])
        opt.step()
        sched.step()
        losses.append(window_loss / n_items)
        step += 1
        if step == spec.get("save_at"):
            # write checkpoint-<step> as an fp32 HF run would, then go on from those files, as HF resuming would
            save_hf_checkpoint(spec["save_dir"], adapter_dir, lora, w, saved, opt, sched, spec, step, losses)
            load_checkpoint(spec["save_dir"])
    adapter = {}
    for n, k, m in order:
        key = {"A": f"base_model.model.{m}.lora_A.weight", "B": f"base_model.model.{m}.lora_B.weight",
               "m": f"base_model.model.{m}.lora_magnitude_vector", "saved": f"base_model.model.{m}.weight"}[k]
        adapter[key] = (lora[m][k] if k != "saved" else w[m + ".weight"]).detach().reshape(-1).tolist()
    return {"losses": losses, "adapter": adapter, "order": names, "decay": [decays(n) for n in names], "targets": info,
            "saved": saved, "dora_init_error": init_error, "load_report": report}


def peft_logits(model_dir, adapter_dir, inp, lcfg):
    cfg = json.load(open(f"{model_dir}/config.json"))
    w = read_safetensors(f"{model_dir}/model.safetensors")
    lcfg = lcfg or json.load(open(f"{adapter_dir}/adapter_config.json"))
    lora, w, targeted, saved, info = peft_state(cfg, w, lcfg, f"{adapter_dir}/adapter_model.safetensors")
    with torch.no_grad():
        logits = llama_forward(cfg, w, inp["input_ids"], inp.get("attention_mask"), peft_lin(w, lora))
    return {"shape": list(logits.shape), "logits": logits.reshape(-1).tolist(), "targets": info, "saved": saved,
            "dora_init_error": dora_init_error(w, lora)}


def reference_states(spec):
    """What torch 1.13's AdamW (and LambdaLR) state_dict hold for params of the given shapes and groups after
    `steps` steps of constant gradients: the structure our files must reproduce."""
    groups = []
    for g in spec["groups"]:
        groups.append({"params": [torch.nn.Parameter(torch.zeros(s, dtype=torch.float32)) for s in g["shapes"]], "weight_decay": float(g["weight_decay"])})
    opt = torch.optim.AdamW(groups, lr=float(spec["lr"]), betas=tuple(map(float, spec["betas"])), eps=float(spec["eps"]))
    sched = make_scheduler(opt, spec)
    for _ in range(spec["done"]):
        for g in groups:
            for p in g["params"]:
                p.grad = torch.ones_like(p)
        opt.step()
        sched.step()
    return opt.state_dict(), sched.state_dict()


def compare(ours, theirs, path, diffs, loose=("exp_avg", "exp_avg_sq")):
    """Differences between our state dict and torch's: types, keys, shapes, dtypes and values (moments: shape only)."""
    if isinstance(theirs, torch.Tensor):
        if not isinstance(ours, torch.Tensor):
            diffs.append(f"{path}: {type(ours).__name__}, torch has a tensor")
        elif ours.dtype != theirs.dtype or tuple(ours.shape) != tuple(theirs.shape):
            diffs.append(f"{path}: {ours.dtype}{tuple(ours.shape)}, torch {theirs.dtype}{tuple(theirs.shape)}")
        elif path.rsplit(".", 1)[-1] not in loose and not torch.equal(ours, theirs):
            diffs.append(f"{path}: {ours.tolist()} vs torch's {theirs.tolist()}")
    elif type(ours) is not type(theirs):
        diffs.append(f"{path}: {type(ours).__name__} {ours!r}, torch has {type(theirs).__name__} {theirs!r}")
    elif isinstance(theirs, dict):
        if set(ours) != set(theirs):
            diffs.append(f"{path}: keys {sorted(map(str, ours))}, torch's {sorted(map(str, theirs))}")
        else:
            for k in theirs:
                compare(ours[k], theirs[k], f"{path}.{k}", diffs, loose)
    elif isinstance(theirs, (list, tuple)):
        if len(ours) != len(theirs):
            diffs.append(f"{path}: {len(ours)} items, torch has {len(theirs)}")
        else:
            for i, (a, b) in enumerate(zip(ours, theirs)):
                compare(a, b, f"{path}[{i}]", diffs, loose)
    elif isinstance(theirs, float):
        if abs(ours - theirs) > 1e-12 * max(1.0, abs(theirs)):
            diffs.append(f"{path}: {ours!r}, torch {theirs!r}")
    elif ours != theirs:
        diffs.append(f"{path}: {ours!r}, torch {theirs!r}")


def check_bnb(sd, spec, diffs):
    """bitsandbytes 0.49.1 Optimizer2State's state_dict for HF's groups: group keys, per-parameter state keys, types."""
    signed, unsigned = torch.tensor(dynamic_map_signed()), torch.tensor(dynamic_map_unsigned())
    group_keys = {"weight_decay", "lr", "betas", "eps", "alpha", "t_alpha", "t_beta3", "initial_lr", "params"}
    if set(sd) != {"state", "param_groups"} or len(sd["param_groups"]) != len(spec["groups"]):
        diffs.append(f"top level: {sorted(sd)} with {len(sd.get('param_groups', []))} groups")
        return
    idx = 0
    for gi, g in enumerate(spec["groups"]):
        pg = sd["param_groups"][gi]
        if set(pg) != group_keys:
            diffs.append(f"param_groups[{gi}] keys {sorted(pg)}, bnb's {sorted(group_keys)}")
        if pg["params"] != list(range(idx, idx + len(g["shapes"]))):
            diffs.append(f"param_groups[{gi}].params {pg['params']}")
        for key, want in (("weight_decay", g["weight_decay"]), ("initial_lr", spec["lr"]), ("eps", spec["eps"]), ("betas", tuple(spec["betas"])),
                          ("alpha", 0.0), ("t_alpha", None), ("t_beta3", None)):
            if pg.get(key) != want:
                diffs.append(f"param_groups[{gi}].{key} = {pg.get(key)!r}, expected {want!r}")
        for shape in g["shapes"]:
            st, n = sd["state"].get(idx), math.prod(shape)
            eight = spec["bits"] == 8 and n >= 4096
            keys = {"step", "state1", "qmap1", "state2", "qmap2", "absmax1", "absmax2"} if eight else {"step", "state1", "state2"}
            if st is None or set(st) != keys:
                diffs.append(f"state[{idx}] keys {None if st is None else sorted(st)}, bnb's {sorted(keys)}")
                idx += 1
                continue
            if type(st["step"]) is not int or st["step"] != spec["done"]:
                diffs.append(f"state[{idx}].step = {st['step']!r}, bnb keeps the int {spec['done']}")
            for k in ("state1", "state2"):
                want = torch.uint8 if eight else torch.float32
                if st[k].dtype != want or list(st[k].shape) != list(shape):
                    diffs.append(f"state[{idx}].{k} {st[k].dtype}{list(st[k].shape)}, bnb {want}{shape}")
            if eight:
                blocks = (n + 255) // 256
                for k in ("absmax1", "absmax2"):
                    if st[k].dtype != torch.float32 or list(st[k].shape) != [blocks]:
                        diffs.append(f"state[{idx}].{k} {st[k].dtype}{list(st[k].shape)}, bnb float32[{blocks}]")
                # bnb computes the maps with the torch it runs on; torch 1.13's float32 linspace rounds a few points
                # differently from torch 2's (the one bnb users and TorchSharp run), so allow 4 units in the last place.
                for k, want in (("qmap1", signed), ("qmap2", unsigned)):
                    ok = st[k].dtype == torch.float32 and st[k].shape == want.shape
                    ulps = (st[k].view(torch.int32).long() - want.view(torch.int32).long()).abs().max().item() if ok else None
                    if not ok or ulps > 4:
                        diffs.append(f"state[{idx}].{k} is not create_dynamic_map(signed={k == 'qmap1'}) ({ulps} ulps apart)")
            idx += 1


def inspect_files(folder, spec):
    """Loads optimizer.pt / scheduler.pt with the weights-only rules and lists how they differ from what torch 1.13's
    AdamW and LambdaLR (or bitsandbytes' Optimizer2State, for spec["bits"]) hold for the same parameters and steps."""
    report, diffs = [], []
    ours_opt = load_weights_only(f"{folder}/optimizer.pt", report)
    ours_sched = load_weights_only(f"{folder}/scheduler.pt", report)
    opt_sd, sched_sd = reference_states(spec)
    if spec.get("bits"):
        check_bnb(ours_opt, spec, diffs)
    else:
        compare(ours_opt, opt_sd, "optimizer", diffs)
    compare(ours_sched, sched_sd, "scheduler", diffs)
    buf = io.BytesIO()
    torch.save(opt_sd, buf)
    own_path = f"{folder}/.torch_own_optimizer.pt"
    with open(own_path, "wb") as f:
        f.write(buf.getvalue())
    own = []
    load_weights_only(own_path, own)
    os.remove(own_path)
    return {"differences": diffs, "report": report, "torch_own_report": own}


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


def dynamic_map_unsigned():
    # bitsandbytes 0.49.1 functional.create_dynamic_map(signed=False): 2^(i+1) + 1 boundaries per decade i
    data = []
    for i in range(7):
        boundaries = torch.linspace(0.1, 1, 2 ** (i + 1) + 1, dtype=torch.float32)
        means = (boundaries[:-1] + boundaries[1:]) / 2.0
        data += ((10 ** (-6 + i)) * means).tolist()
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
    elif sys.argv[1] == "peft_logits":
        inp = json.load(open(sys.argv[4]))
        lcfg = json.load(open(sys.argv[6])) if len(sys.argv) > 6 else None
        json.dump(peft_logits(sys.argv[2], sys.argv[3], inp, lcfg), open(sys.argv[5], "w"))
    elif sys.argv[1] == "inspect":
        spec = json.load(open(sys.argv[3]))
        json.dump(inspect_files(sys.argv[2], spec), open(sys.argv[4], "w"))
    elif sys.argv[1] == "dynamic_map":
        json.dump({"map": dynamic_map_signed()}, open(sys.argv[2], "w"))
    else:
        raise SystemExit(f"unknown mode {sys.argv[1]}")


if __name__ == "__main__":
    main()
