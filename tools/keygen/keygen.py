#!/usr/bin/python3
"""Stepwise key generator: the settings every config class of the fine-tuning ecosystem declares, per release.

    /usr/bin/python3 tools/keygen/keygen.py extract   # read the pinned releases from git mirrors -> upstream.json
    /usr/bin/python3 tools/keygen/keygen.py render    # upstream.json -> src/Analyzer/Stepwise.Core/Keys/Upstream/keys.txt,
                                                      #   the typed views src/Analyzer/Stepwise.Core/Model/Views/ConfigViews.g.cs
                                                      #   and the record src/Analyzer/Stepwise.Core/Model/TrainingArguments.g.cs
    /usr/bin/python3 tools/keygen/keygen.py check     # exit 1 when either is not what render would write

`extract` needs the upstream sources as bare git mirrors (the search tool's `fetch` puts them under
/work/.mirror/<owner>+<name>/repo; --mirrors DIR or STEPWISE_MIRRORS points elsewhere). It reads each pinned release
with `git show TAG:path` and never imports or runs upstream code: the Python `ast` module parses it. Files are cached
under tools/keygen/.cache/ (gitignored; nothing fetched from upstream is committed).

What is extracted, for each class: its name, module, bases (resolved across libraries), and per field the name as a
config file spells it (a pydantic alias wins), the annotation, the default (a JSON value, or the expression text when
it is not a literal), the allowed values (Literal[...], an Enum annotation, or metadata "choices"), and the releases
that declare the field with that type and default. Help texts are never copied: Stepwise keeps its own descriptions.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
UPSTREAM_JSON = HERE / "upstream.json"
KEYS_TXT = ROOT / "src/Analyzer/Stepwise.Core/Keys/Upstream/keys.txt"
VIEWS_CS = ROOT / "src/Analyzer/Stepwise.Core/Model/Views/ConfigViews.g.cs"
RECORD_CS = ROOT / "src/Analyzer/Stepwise.Core/Model/TrainingArguments.g.cs"
CACHE = HERE / ".cache"

# ---------------------------------------------------------------------------------------------------------------------
# The pinned releases. A library's releases are listed oldest first; "main" entries are the branch head the shared
# corpus was taken from (its commit is recorded like any tag's).
# ---------------------------------------------------------------------------------------------------------------------
LIBRARIES = {
    "transformers": {
        "repo": "huggingface/transformers",
        # The upstream repository is over the snapshot size limit; this fork carries upstream's release tags
        # (v4.45.0 .. v5.15.0; the same tag commits as in FyrbyAdditive/transformers, a second fork).
        "mirror": "8b-is+transformers",
        "tags": [f"v4.{m}.{p}" for m, p in [(45, 2), (46, 3), (47, 1), (48, 3), (49, 0), (50, 3), (51, 3), (52, 4),
                                              (53, 3), (54, 0), (55, 4), (56, 2), (57, 6)]]
                + ["v5.0.0", "v5.1.0", "v5.2.0", "v5.3.0", "v5.4.0", "v5.5.4", "v5.6.2", "v5.7.0", "v5.8.1", "v5.9.0",
                   "v5.10.3", "v5.11.0", "v5.12.1", "v5.13.1", "v5.14.1", "v5.15.0"],
        "files": ["src/transformers/training_args.py", "src/transformers/training_args_seq2seq.py",
                  "src/transformers/utils/quantization_config.py", "src/transformers/trainer_utils.py",
                  "src/transformers/debug_utils.py", "src/transformers/utils/generic.py"],
        "module_prefix": "src/",
    },
    "trl": {
        "repo": "huggingface/trl", "mirror": "huggingface+trl",
        "tags": ["v0.16.1", "v0.17.0", "v0.18.2", "v0.19.1", "v0.20.0", "v0.21.0", "v0.22.2", "v0.23.1", "v0.24.0",
                 "v0.25.1", "v0.26.2", "v0.27.2", "v0.28.0", "v0.29.1", "v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0",
                 "v1.4.0", "v1.5.1", "v1.6.0", "v1.7.1", "v1.8.0", "v1.9.0"],
        "globs": [r"^trl/.*\.py$"],
        "exclude": [r"^trl/.*/(tests?|templates)/"],
        "module_prefix": "",
    },
    "peft": {
        "repo": "huggingface/peft", "mirror": "huggingface+peft",
        "tags": ["v0.10.0", "v0.11.1", "v0.12.0", "v0.13.2", "v0.14.0", "v0.15.2", "v0.16.0", "v0.17.1", "v0.18.1",
                 "v0.19.1", "v0.20.0", "main"],
        "globs": [r"^src/peft/config\.py$", r"^src/peft/tuners/.*config\.py$", r"^src/peft/tuners/[^/]+/[^/]+\.py$",
                  r"^src/peft/utils/peft_types\.py$"],
        "module_prefix": "src/",
    },
    "axolotl": {
        "repo": "axolotl-ai-cloud/axolotl", "mirror": "axolotl-ai-cloud+axolotl",
        "tags": ["v0.8.1", "v0.9.2", "v0.10.1", "v0.11.0", "v0.12.2", "v0.13.2", "v0.14.0", "v0.15.0", "v0.16.1",
                 "v0.17.0", "v0.18.0", "main"],
        "globs": [r"^src/axolotl/utils/schemas/.*\.py$", r"^src/axolotl/utils/config/models/.*\.py$",
                  r"^src/axolotl/integrations/.*\.py$"],
        "module_prefix": "src/",
        "pins": ["requirements.txt", "pyproject.toml", "setup.py"],
    },
    "llamafactory": {
        "repo": "hiyouga/LLaMA-Factory", "mirror": "hiyouga+LLaMA-Factory",
        "tags": ["v0.9.0", "v0.9.1", "v0.9.2", "v0.9.3", "v0.9.4", "v0.9.5", "main"],
        "globs": [r"^src/llamafactory/hparams/.*\.py$", r"^src/llamafactory/extras/constants\.py$"],
        "module_prefix": "src/",
        "pins": ["requirements.txt", "pyproject.toml", "requirements/*.txt"],
    },
    "accelerate": {
        "repo": "huggingface/accelerate", "mirror": "huggingface+accelerate",
        "tags": ["v1.0.1", "v1.2.1", "v1.4.0", "v1.6.0", "v1.8.1", "v1.10.1", "v1.12.0", "v1.14.0"],
        "files": ["src/accelerate/commands/config/config_args.py", "src/accelerate/utils/dataclasses.py"],
        "module_prefix": "src/",
    },
    "deepspeed": {
        "repo": "deepspeedai/DeepSpeed", "mirror": "deepspeedai+DeepSpeed",
        "tags": ["v0.15.4", "v0.16.9", "v0.17.6", "v0.18.9", "v0.19.5"],
        "globs": [r"^deepspeed/runtime/.*\.py$", r"^deepspeed/(monitor|profiling|compression|inference|comm|elasticity|autotuning|nebula)/.*config.*\.py$",
                  r"^deepspeed/.*constants\.py$"],
        "module_prefix": "",
    },
}

# Which classes read a config file of each Stepwise dialect (the roots; their bases are followed).
# hf: YAML/JSON read by HfArgumentParser / TrlParser (TrainingArguments + a TRL config + ModelConfig + ScriptArguments),
#     and Python calls (each call names its own class).
DIALECT_ROOTS = {
    "hf": ["transformers:TrainingArguments", "transformers:Seq2SeqTrainingArguments", "trl:*Config", "trl:ScriptArguments",
           "trl:ModelConfig"],
    "hf-python": ["transformers:BitsAndBytesConfig", "peft:*Config"],
    "axolotl": ["axolotl:AxolotlInputConfig", "axolotl:PluginInputArgs"],
    "llama-factory": ["llamafactory:ParserArguments"],
    "accelerate": ["accelerate:ClusterConfig", "accelerate:SageMakerConfig"],
    "deepspeed": ["deepspeed:DeepSpeedConfig"],
}

# The typed views the rules validate (render writes them to Model/Views/ConfigViews.g.cs): one C# class per upstream
# class, a property per field the class (with its bases) declares in any pinned release. (view class, "lib:Class",
# the dialect whose spelling the fields are, whether to follow bases into other libraries.) LLaMA-Factory's
# ParserArguments is the union its HfArgumentParser fills from one YAML file; only LLaMA-Factory's own classes are
# followed there, as transformers' TrainingArguments has its own view.
VIEWS = [
    ("TrainingArgumentsView", "transformers:TrainingArguments", "Hf", True),
    ("BitsAndBytesConfigView", "transformers:BitsAndBytesConfig", "Hf", True),
    ("LoraConfigView", "peft:LoraConfig", "Hf", True),
    ("ModelConfigView", "trl:ModelConfig", "Hf", True),
    ("AxolotlConfigView", "axolotl:AxolotlInputConfig", "Axolotl", True),
    ("LlamaFactoryArgumentsView", "llamafactory:ParserArguments", "LlamaFactory", False),
]
# Members of Model/Views/ConfigView.cs that a generated property must not hide.
VIEW_RESERVED = {"Setup", "Options", "Document", "Dialect", "IsAxolotl", "IsLlamaFactory", "IsV5", "Version", "Versions",
                 "Release", "Spell", "Canonical", "UpstreamClass", "Library", "FieldNames", "Field", "Fields", "NameAt", "Spelling"}

TRACKED_PINS = ["transformers", "trl", "peft", "accelerate", "deepspeed", "bitsandbytes", "torch"]

# ---------------------------------------------------------------------------------------------------------------------
# The C# record `Stepwise.Core.Model.TrainingArguments` (render writes Model/TrainingArguments.g.cs): what C# users write
# (`new TrainingArguments { MaxSteps = 1000 }`, read by the Roslyn analyzer) and what the bundled trainer reads. One
# property per key below, in this order; its name is the key in PascalCase (a digit run keeps the next letter upper:
# load_in_4bit is LoadIn4Bit), its C# type and default are the field's at the release the bundled trainer follows
# (RECORD_RELEASES; a field that release dropped is taken at the newest release before it that declares it).
# Kinds map integer -> int, float -> double, bool -> bool, string / enum -> string; a None default makes it nullable.
# An entry may override "property", "type" (a C# type) or "default" (a C# literal) only with a "why"; keys of the
# trainer's own config format (no upstream class) state their type and default here, once.
# ---------------------------------------------------------------------------------------------------------------------
RECORD_RELEASES = {
    "transformers": "5.15.0",  # the newest release in the key data; the trainer's loop is transformers' current one
    "trl": "1.9.0",            # model_name_or_path (ModelConfig)
    "peft": "0.19.1",          # the LoRA rules the trainer implements (src/Trainer/Stepwise.Trainer/Lora)
}
TA, BNB, LORA = "transformers:TrainingArguments", "transformers:BitsAndBytesConfig", "peft:LoraConfig"
RECORD = [
    ("output_dir", TA), ("model_name_or_path", "trl:ModelConfig"),
    ("per_device_train_batch_size", TA), ("per_device_eval_batch_size", TA), ("gradient_accumulation_steps", TA),
    ("num_train_epochs", TA), ("max_steps", TA), ("dataloader_drop_last", TA), ("learning_rate", TA),
    ("lr_scheduler_type", TA), ("optim", TA), ("weight_decay", TA), ("adam_beta1", TA), ("adam_beta2", TA),
    ("adam_epsilon", TA), ("max_grad_norm", TA), ("warmup_steps", TA),
    ("warmup_ratio", TA, {"type": "double", "default": None,
                          "why": "transformers 5.0-5.14 declare it `float | None` (deprecated, folded into warmup_steps) and 5.15 drops it; the record keeps the float of 4.x, where 0 means no ratio"}),
    ("seed", TA), ("eval_strategy", TA), ("eval_steps", TA), ("save_strategy", TA), ("save_steps", TA),
    ("save_total_limit", TA), ("load_best_model_at_end", TA), ("metric_for_best_model", TA), ("greater_is_better", TA),
    ("logging_strategy", TA), ("logging_steps", TA), ("resume_from_checkpoint", TA), ("fp16", TA), ("bf16", TA),
    ("gradient_checkpointing", TA),
    # Data: the trainer's own Hugging Face-style format.
    ("train_file", None, {"type": "string?", "default": None}),
    ("validation_file", None, {"type": "string?", "default": None}),
    ("max_length", None, {"type": "int", "default": "1024"}),
    ("val_size", None, {"type": "double", "default": None}),
    ("packing", None, {"type": "bool", "default": None}),
    ("train_on_inputs", None, {"type": "bool", "default": None}),
    # Quantization
    ("load_in_4bit", BNB), ("load_in_8bit", BNB), ("bnb_4bit_quant_type", BNB), ("bnb_4bit_use_double_quant", BNB),
    ("bnb_4bit_compute_dtype", BNB, {"type": "string", "default": '"float32"',
                                     "why": "BitsAndBytesConfig.__init__ turns the None default into torch.float32 (utils/quantization_config.py); the record holds the dtype that results"}),
    # LoRA
    ("r", LORA, {"property": "LoraR", "why": "`R` alone would not say which setting it is"}),
    ("lora_alpha", LORA, {"type": "double", "why": "a double since the record's first release (C# source compatibility); PEFT declares an int that only enters the float scale lora_alpha / r"}),
    ("lora_dropout", LORA),
    ("target_modules", LORA, {"type": "IReadOnlyList<string>?",
                              "why": "PEFT takes a list or one string (a regular expression); the record holds the list (FromSetup splits a comma-separated string)"}),
    ("use_rslora", LORA),
    # Distributed: a Stepwise setting (real runs take it from the launcher).
    ("world_size", None, {"type": "int", "default": "1"}),
]


def mirrors_root(arg: str | None) -> Path:
    return Path(arg or os.environ.get("STEPWISE_MIRRORS") or "/work/.mirror")


class Repo:
    def __init__(self, lib: str, gitdir: Path):
        self.lib, self.gitdir = lib, gitdir

    def git(self, *args: str) -> str:
        return subprocess.run(["git", "--git-dir", str(self.gitdir), *args], check=True, capture_output=True,
                              text=True, encoding="utf-8", errors="replace").stdout

    def commit(self, ref: str) -> str:
        return self.git("rev-parse", ref + "^{commit}").strip()

    def files(self, commit: str) -> list[str]:
        return self.git("ls-tree", "-r", "--name-only", commit).splitlines()

    def show(self, commit: str, path: str) -> str | None:
        cached = CACHE / self.lib / commit / path
        if cached.exists():
            return cached.read_text(encoding="utf-8")
        try:
            text = self.git("show", f"{commit}:{path}")
        except subprocess.CalledProcessError:
            return None
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(text, encoding="utf-8")
        return text


# ---------------------------------------------------------------------------------------------------------------------
# Parsing one module
# ---------------------------------------------------------------------------------------------------------------------
@dataclass
class Field:
    name: str
    type: str
    kind: str
    default: object = None       # JSON value, or {"expr": text}
    choices: list | None = None
    attr: str | None = None      # the Python attribute when a pydantic alias gives the key another name
    alt: list | None = None      # defaults that hold under a condition (a torch version...) instead of `default`


@dataclass
class Klass:
    name: str
    module: str
    style: str                   # dataclass | pydantic | init | enum | constants
    bases: list[str] = field(default_factory=list)   # "lib:Name" or local "Name"
    fields: list[Field] = field(default_factory=list)
    values: list[str] | None = None                  # enum members' values
    raw_bases: list[str] = field(default_factory=list)


NONE = object()


def literal(node: ast.AST, enums: dict[str, list[tuple[str, str]]] | None = None):
    """A JSON-able value for a literal expression, or NONE when it is not one."""
    try:
        v = ast.literal_eval(node)
        if isinstance(v, (tuple, set, frozenset)):
            v = list(v)
        json.dumps(v)
        return v
    except Exception:
        pass
    # OptimizerNames.ADAMW_TORCH -> its value, when the enum is known
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and enums and node.value.id in enums:
        for member, value in enums[node.value.id]:
            if member == node.attr:
                return value
    if isinstance(node, ast.Attribute) and node.attr == "value":
        return literal(node.value, enums)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = literal(node.operand, enums)
        if isinstance(v, (int, float)):
            return -v
    return NONE


def default_of(node: ast.AST | None, enums) -> object:
    if node is None:
        return {"expr": "<required>"}
    v = literal(node, enums)
    if v is not NONE:
        return v
    return {"expr": ast.unparse(node)}


def unwrap_annotation(node: ast.AST) -> ast.AST:
    # Annotated[T, Field(...)] -> T ; ClassVar handled by the caller
    if isinstance(node, ast.Subscript) and isinstance(node.value, (ast.Name, ast.Attribute)) \
            and (getattr(node.value, "id", None) or getattr(node.value, "attr", None)) == "Annotated":
        sl = node.slice
        if isinstance(sl, ast.Tuple) and sl.elts:
            return sl.elts[0]
    return node


def annotation_parts(node: ast.AST) -> list[ast.AST]:
    """Flattens Optional/Union/X | Y into the member types."""
    node = unwrap_annotation(node)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return annotation_parts(node.left) + annotation_parts(node.right)
    if isinstance(node, ast.Subscript):
        head = ast.unparse(node.value).split(".")[-1]
        if head in ("Optional", "Union"):
            sl = node.slice
            elts = sl.elts if isinstance(sl, ast.Tuple) else [sl]
            out = []
            for e in elts:
                out += annotation_parts(e)
            return out
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return annotation_parts(ast.parse(node.value, mode="eval").body)
        except SyntaxError:
            return [node]
    return [node]


def kind_and_choices(node: ast.AST, enums) -> tuple[str, list | None]:
    """Stepwise's KeyType for an annotation (integer, float, bool, string, enum, list, mapping, any) and its values."""
    parts = [p for p in annotation_parts(node) if not (isinstance(p, ast.Constant) and p.value is None)
             and ast.unparse(p) not in ("None", "NoneType")]
    kinds, choices = [], []
    for p in parts:
        head = ast.unparse(p.value if isinstance(p, ast.Subscript) else p).split(".")[-1]
        if head == "Literal" and isinstance(p, ast.Subscript):
            sl = p.slice
            for e in (sl.elts if isinstance(sl, ast.Tuple) else [sl]):
                v = literal(e, enums)
                if v is not NONE:
                    choices.append(v)
            kinds.append("enum")
        elif enums and head in enums:
            choices += [v for _, v in enums[head]]
            kinds.append("enum")
        elif head in ("int", "conint", "PositiveInt", "NonNegativeInt"):
            kinds.append("integer")
        elif head in ("float", "confloat", "PositiveFloat", "NonNegativeFloat"):
            kinds.append("float")
        elif head in ("bool", "StrictBool"):
            kinds.append("bool")
        elif head in ("str", "Path", "PathLike", "constr", "StrictStr"):
            kinds.append("string")
        elif head in ("list", "List", "tuple", "Tuple", "Sequence", "set", "Set", "conlist", "Iterable"):
            kinds.append("list")
        elif head in ("dict", "Dict", "Mapping", "MutableMapping"):
            kinds.append("mapping")
        elif head in ("Any", "object"):
            kinds.append("any")
        else:
            # another model or dataclass (a nested section), or a type defined elsewhere: nothing is claimed
            kinds.append("any")
    uniq = sorted(set(kinds))
    if not uniq:
        return "any", None
    if uniq == ["enum"] or (set(uniq) == {"enum", "string"} and choices):
        # Union[SomeEnum, str]: the parser accepts a string, then SomeEnum(value) refuses any other value
        kind = "enum"
    elif set(uniq) == {"integer", "float"}:
        kind = "float"
    elif len(uniq) == 1:
        kind = uniq[0]
    else:
        kind = "any"
    seen, ordered = set(), []
    for c in choices:
        k = json.dumps(c)
        if k not in seen:
            seen.add(k)
            ordered.append(c)
    return kind, (ordered or None)


def norm_type(node: ast.AST) -> str:
    """One spelling per annotation: Optional[X] / Union[X, None] -> X | None, List -> list, typing. dropped, so that
    a release that only modernised its annotations does not look like a type change."""
    node = unwrap_annotation(node)
    if isinstance(node, ast.Subscript):
        head = ast.unparse(node.value).split(".")[-1]
        sl = node.slice
        elts = list(sl.elts) if isinstance(sl, ast.Tuple) else [sl]
        if head in ("Optional", "Union"):
            parts = []
            for p in annotation_parts(node):
                t = norm_type(p)
                if t not in parts:
                    parts.append(t)
            if head == "Optional" and "None" not in parts:
                parts.append("None")
            if "None" in parts:
                parts = [p for p in parts if p != "None"] + ["None"]
            return " | ".join(parts)
        head = {"List": "list", "Dict": "dict", "Tuple": "tuple", "Set": "set", "Type": "type"}.get(head, head)
        return f"{head}[{', '.join(norm_type(e) for e in elts)}]"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        parts = []
        for p in annotation_parts(node):
            t = norm_type(p)
            if t not in parts:
                parts.append(t)
        if "None" in parts:
            parts = [p for p in parts if p != "None"] + ["None"]
        return " | ".join(parts)
    if isinstance(node, ast.Constant) and node.value is None:
        return "None"
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return norm_type(ast.parse(node.value, mode="eval").body)
        except SyntaxError:
            return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return "[" + ", ".join(norm_type(e) for e in node.elts) + "]"
    text = ast.unparse(node)
    text = re.sub(r"^typing\.", "", text)
    return {"List": "list", "Dict": "dict", "Tuple": "tuple", "NoneType": "None"}.get(text, text)


def call_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        return ast.unparse(node.func).split(".")[-1]
    return None


def kw(node: ast.Call, name: str) -> ast.AST | None:
    for k in node.keywords:
        if k.arg == name:
            return k.value
    return None


class ModuleInfo:
    def __init__(self, lib: str, path: str, module: str, tree: ast.Module):
        self.lib, self.path, self.module, self.tree = lib, path, module, tree
        self.imports: dict[str, str] = {}   # local name -> "pkg.module:Name"
        self.aliases: dict[str, list[str]] = {}  # X = Y at module level (also inside if/try)
        self.strings: dict[str, str] = {}   # NAME = "text" constants
        self.consts: dict[str, object] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module is not None or isinstance(node, ast.ImportFrom):
                mod = ("." * node.level) + (node.module or "")
                for a in node.names:
                    self.imports[a.asname or a.name] = f"{mod}:{a.name}"
        self.top_consts: dict[str, object] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                v = literal(node.value)
                if v is not NONE:
                    self.top_consts[node.targets[0].id] = v
        for node in self._module_level(tree.body):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                name = node.targets[0].id
                if isinstance(node.value, ast.Name):
                    self.aliases.setdefault(name, []).append(node.value.id)
                v = literal(node.value)
                if v is not NONE:
                    self.consts[name] = v
                    if isinstance(v, str):
                        self.strings[name] = v

    @staticmethod
    def _module_level(body):
        for node in body:
            yield node
            if isinstance(node, (ast.If, ast.Try)):
                for sub in (node.body, getattr(node, "orelse", []), getattr(node, "finalbody", [])):
                    yield from ModuleInfo._module_level(sub)
                for h in getattr(node, "handlers", []):
                    yield from ModuleInfo._module_level(h.body)


def is_dataclass(cls: ast.ClassDef) -> bool:
    for d in cls.decorator_list:
        t = d.func if isinstance(d, ast.Call) else d
        if ast.unparse(t).split(".")[-1] == "dataclass":
            return True
    return False


def enum_members(cls: ast.ClassDef) -> list[tuple[str, str]]:
    out = []
    for st in cls.body:
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
            v = literal(st.value)
            if isinstance(v, (str, int)) and not st.targets[0].id.startswith("_"):
                out.append((st.targets[0].id, v))
    return out


def class_fields(cls: ast.ClassDef, style: str, enums, mod: ModuleInfo) -> list[Field]:
    out: list[Field] = []
    if style == "init":
        init = next((s for s in cls.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None)
        if init is None:
            return out
        args = init.args
        pos = args.posonlyargs + args.args
        defaults = [None] * (len(pos) - len(args.defaults)) + list(args.defaults)
        pairs = list(zip(pos, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))
        if args.kwarg is not None:
            out.append(Field("**" + args.kwarg.arg, "", "mapping", {"expr": "<unused keyword arguments>"}, None))
        for a, d in pairs:
            if a.arg in ("self", "cls") or a.arg.startswith("_"):
                continue
            ann = a.annotation
            kind, choices = kind_and_choices(ann, enums) if ann is not None else ("any", None)
            dv = default_of(d, enums) if d is not None else {"expr": "<required>"}
            if ann is None and not isinstance(dv, dict):
                kind = {bool: "bool", int: "integer", float: "float", str: "string", list: "list",
                        dict: "mapping"}.get(type(dv), "any")
            out.append(Field(a.arg, norm_type(ann) if ann is not None else "", kind, dv, choices))
        return out
    # Defaults named by a variable (TrainingArguments: `default_optim = "adamw_torch"`, reassigned under
    # `if is_torch_available(): ... if is_torch_greater_or_equal_than_2_8: default_optim = "adamw_torch_fused"`):
    # the unconditional value is the default, the conditional ones are kept as alternatives.
    plain: dict[str, object] = {}
    conditional: dict[str, list] = {}
    for st in cls.body:
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
            v = literal(st.value, enums)
            if v is not NONE:
                plain[st.targets[0].id] = v
        elif isinstance(st, (ast.If, ast.Try)):
            for n in ast.walk(st):
                if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
                    v = literal(n.value, enums)
                    if v is not NONE:
                        conditional.setdefault(n.targets[0].id, []).append(v)

    def resolve_name(dv):
        if isinstance(dv, dict) and re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", dv.get("expr", "")):
            n = dv["expr"]
            if n in plain:
                return plain[n], [v for v in conditional.get(n, []) if v != plain[n]]
            if n in mod.top_consts:
                return mod.top_consts[n], []
        return dv, []

    for st in cls.body:
        if not isinstance(st, ast.AnnAssign) or not isinstance(st.target, ast.Name):
            continue
        name = st.target.id
        ann_text = norm_type(st.annotation)
        if ast.unparse(st.annotation).startswith(("ClassVar", "typing.ClassVar", "InitVar")) or name == "model_config":
            continue
        kind, choices = kind_and_choices(st.annotation, enums)
        value = st.value
        dv: object = {"expr": "<required>"} if value is None else NONE
        alias = None
        init_ok = True
        # pydantic Annotated[T, Field(alias=...)]
        ann = st.annotation
        if isinstance(ann, ast.Subscript) and ast.unparse(ann.value).split(".")[-1] == "Annotated" \
                and isinstance(ann.slice, ast.Tuple):
            for meta in ann.slice.elts[1:]:
                if call_name(meta) == "Field":
                    a = kw(meta, "alias") or kw(meta, "validation_alias")
                    if a is not None and isinstance(literal(a), str):
                        alias = literal(a)
        if value is not None and call_name(value) in ("field", "Field", "dataclasses.field"):
            c: ast.Call = value  # type: ignore
            d = kw(c, "default")
            if d is None and c.args:
                d = c.args[0]
            df = kw(c, "default_factory")
            if d is not None:
                dv = default_of(d, enums)
                if isinstance(d, ast.Constant) and d.value is Ellipsis:
                    dv = {"expr": "<required>"}
            elif df is not None:
                if isinstance(df, ast.Name) and df.id in ("list", "dict", "set", "tuple"):
                    dv = [] if df.id in ("list", "set", "tuple") else {}
                elif isinstance(df, ast.Lambda):
                    dv = default_of(df.body, enums)
                else:
                    dv = {"expr": ast.unparse(df) + "()"}
            else:
                dv = {"expr": "<required>"}
            if kw(c, "init") is not None and literal(kw(c, "init")) is False:
                init_ok = False
            a = kw(c, "alias") or kw(c, "validation_alias")
            if a is not None and isinstance(literal(a), str):
                alias = literal(a)
            meta = kw(c, "metadata")
            if isinstance(meta, ast.Dict):
                for k, v in zip(meta.keys, meta.values):
                    if isinstance(k, ast.Constant) and k.value == "choices":
                        vals = literal(v, enums)
                        if isinstance(vals, list) and vals:
                            choices = vals
                            if kind in ("string", "any"):
                                kind = "enum"
                        elif isinstance(v, ast.ListComp) or isinstance(v, ast.Call):
                            pass
        elif value is not None:
            dv = default_of(value, enums)
        if not init_ok:
            continue
        dv, alternatives = resolve_name(dv)
        out.append(Field(alias or name, ann_text, kind, dv, choices, attr=name if alias else None, alt=alternatives or None))
    return out


def parse_module(lib: str, path: str, text: str, prefix: str) -> tuple[ModuleInfo, list[tuple[ast.ClassDef, ModuleInfo]]] | None:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    mod = path[len(prefix):] if path.startswith(prefix) else path
    mod = mod[:-3].replace("/", ".")
    if mod.endswith(".__init__"):
        mod = mod[: -len(".__init__")]
    info = ModuleInfo(lib, path, mod, tree)
    classes = [(n, info) for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    return info, classes


def resolve_relative(module: str, target: str) -> str:
    """'..extras.misc' seen from 'llamafactory.hparams.model_args' -> 'llamafactory.extras.misc'."""
    if not target.startswith("."):
        return target
    level = len(target) - len(target.lstrip("."))
    base = module.split(".")
    base = base[: len(base) - level] if level <= len(base) else []
    rest = target.lstrip(".")
    return ".".join(base + ([rest] if rest else []))


LIB_OF_PACKAGE = {"transformers": "transformers", "trl": "trl", "peft": "peft", "axolotl": "axolotl",
                  "llamafactory": "llamafactory", "accelerate": "accelerate", "deepspeed": "deepspeed",
                  "pydantic": "pydantic"}


def extract_release(lib: str, spec: dict, repo: Repo, commit: str) -> dict[str, Klass]:
    all_files = repo.files(commit)
    if "files" in spec:
        paths = [p for p in spec["files"] if p in set(all_files)]
    else:
        rx = [re.compile(g) for g in spec["globs"]]
        ex = [re.compile(g) for g in spec.get("exclude", [])]
        paths = [p for p in all_files if p.endswith(".py") and any(r.search(p) for r in rx) and not any(e.search(p) for e in ex)]
    modules: list[ModuleInfo] = []
    classdefs: list[tuple[ast.ClassDef, ModuleInfo]] = []
    for p in sorted(paths):
        text = repo.show(commit, p)
        if text is None:
            continue
        parsed = parse_module(lib, p, text, spec["module_prefix"])
        if parsed is None:
            continue
        modules.append(parsed[0])
        classdefs += parsed[1]

    # Enums first (their members are the values of annotated fields and enum defaults).
    enums: dict[str, list[tuple[str, str]]] = {}
    by_name: dict[str, ast.ClassDef] = {}
    for cls, mod in classdefs:
        by_name.setdefault(cls.name, cls)
    def is_enum(cls: ast.ClassDef, seen=()) -> bool:
        for b in cls.bases:
            n = ast.unparse(b).split(".")[-1]
            if n in ("Enum", "ExplicitEnum", "StrEnum", "IntEnum"):
                return True
            if n in by_name and n not in seen and n != cls.name and is_enum(by_name[n], seen + (n,)):
                return True
        return False
    for cls, mod in classdefs:
        if is_enum(cls):
            enums[cls.name] = enum_members(cls)

    def is_pydantic(cls: ast.ClassDef, seen=()) -> bool:
        for b in cls.bases:
            n = ast.unparse(b).split(".")[-1]
            if n in ("BaseModel", "DeepSpeedConfigModel", "BaseSettings"):
                return True
            if n in by_name and n not in seen and n != cls.name and is_pydantic(by_name[n], seen + (n,)):
                return True
        return False

    out: dict[str, Klass] = {}
    for cls, mod in classdefs:
        if cls.name in enums:
            out.setdefault(cls.name, Klass(cls.name, mod.module, "enum", values=[v for _, v in enums[cls.name]]))
            continue
        has_init = any(isinstance(s, ast.FunctionDef) and s.name == "__init__" for s in cls.body)
        if is_dataclass(cls) and has_init and not any(isinstance(s, ast.AnnAssign) for s in cls.body):
            # @dataclass with its own __init__ (BitsAndBytesConfig): the signature is what a call accepts
            style = "init"
        elif is_dataclass(cls):
            style = "dataclass"
        elif is_pydantic(cls):
            style = "pydantic"
        elif lib in ("transformers", "peft") and cls.name.endswith("Config") and any(
                isinstance(s, ast.FunctionDef) and s.name == "__init__" for s in cls.body):
            style = "init"
        elif any(isinstance(s, ast.AnnAssign) for s in cls.body) and any(
                (ast.unparse(b).split(".")[-1] in by_name) for b in cls.bases):
            style = "dataclass"  # a subclass of a dataclass without its own decorator keeps the base's fields only
        else:
            continue
        k = Klass(cls.name, mod.module, style)
        k.fields = class_fields(cls, style, enums, mod)
        for b in cls.bases:
            bn = ast.unparse(b)
            if bn.split(".")[-1] in ("BaseModel", "object", "Generic", "ABC", "DeepSpeedConfigModel"):
                continue
            k.raw_bases.append(bn)
            k.bases.append(resolve_base(bn, mod, by_name, lib))
        if cls.name in out and out[cls.name].module != mod.module:
            # Two classes of one name in one library (TRL: ScriptArguments of the recipes in trl/scripts/utils.py and
            # the vLLM server's in trl/scripts/vllm_serve.py; KTOConfig in trl/trainer and trl/experimental/kto): the
            # one users configure wins, i.e. not a server's and not an experimental re-export.
            if module_rank(k.module) >= module_rank(out[cls.name].module):
                continue
        out[cls.name] = k
    if lib == "deepspeed":
        out["DeepSpeedConfig"] = deepspeed_top_level(modules, out)
    if lib == "llamafactory":
        # The classes hparams/parser.py hands to HfArgumentParser (_TRAIN_ARGS, _INFER_ARGS, _EVAL_ARGS and the
        # Megatron-Bridge lists); ParserArguments is their union.
        names = []
        for m in modules:
            if not m.path.endswith("hparams/parser.py"):
                continue
            for node in ModuleInfo._module_level(m.tree.body):
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                        and re.fullmatch(r"_[A-Z_]*ARGS", node.targets[0].id) and isinstance(node.value, (ast.List, ast.Tuple)):
                    for e in node.value.elts:
                        if not isinstance(e, ast.Name):
                            continue
                        ref = e.id if e.id in out else resolve_base(e.id, m, {}, lib)
                        if (ref in out or ":" in ref) and ref not in names:
                            names.append(ref)
        out["ParserArguments"] = Klass("ParserArguments", "llamafactory.hparams.parser", "union", bases=sorted(names))
    if lib == "axolotl":
        # Plugins mix their own pydantic model into the input config: BasePlugin.get_input_args() returns its dotted
        # name ("axolotl.integrations.liger.LigerArgs"). PluginInputArgs is the union of those models.
        plugin_args = []
        for m in modules:
            for fn in ast.walk(m.tree):
                if isinstance(fn, ast.FunctionDef) and fn.name == "get_input_args":
                    for r in ast.walk(fn):
                        if isinstance(r, ast.Return) and isinstance(r.value, ast.Constant) and isinstance(r.value.value, str):
                            name = r.value.value.split(".")[-1]
                            if name in out and name not in plugin_args:
                                plugin_args.append(name)
        out["PluginInputArgs"] = Klass("PluginInputArgs", "axolotl.integrations.base", "union", bases=sorted(plugin_args))
    return out


def module_rank(module: str) -> int:
    return (2 if "vllm_serve" in module or ".cli" in module else 0) + (1 if ".experimental" in module else 0)


def resolve_base(name: str, mod: ModuleInfo, by_name: dict, lib: str) -> str:
    short = name.split(".")[-1]
    seen = set()
    while short in mod.aliases and short not in seen:
        seen.add(short)
        cands = mod.aliases[short]
        pick = next((c for c in cands if c in mod.imports and "transformers" in mod.imports[c]), cands[-1])
        short = pick
    if short in mod.imports:
        target = mod.imports[short]
        module, _, orig = target.partition(":")
        module = resolve_relative(mod.module, module)
        pkg = module.split(".")[0]
        other = LIB_OF_PACKAGE.get(pkg)
        if other and other != lib:
            return f"{other}:{orig}"
        return orig
    if "." in name:
        pkg = name.split(".")[0]
        if LIB_OF_PACKAGE.get(pkg) and LIB_OF_PACKAGE[pkg] != lib:
            return f"{LIB_OF_PACKAGE[pkg]}:{short}"
    return short


def deepspeed_top_level(modules: list[ModuleInfo], classes: dict[str, Klass]) -> Klass:
    """DeepSpeed reads its JSON by hand: get_scalar_param(param_dict, KEY, KEY_DEFAULT), param_dict.get(KEY) and
    KEY in param_dict, with KEY a string constant (runtime/constants.py and friends). The top-level keys are those
    looked up on the `param_dict` parameter of the functions DeepSpeedConfig calls; each key's default is its
    *_DEFAULT constant."""
    strings: dict[str, str] = {}
    consts: dict[str, object] = {}
    for m in modules:
        strings.update(m.strings)
        consts.update(m.consts)
    found: dict[str, Field] = {}

    def key_of(node) -> tuple[str | None, str | None]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value, None
        if isinstance(node, ast.Name) and node.id in strings:
            return strings[node.id], node.id
        return None, None

    def add(node, default_node=None):
        key, const = key_of(node)
        if key is None or not re.fullmatch(r"[a-z][a-z0-9_]*", key):
            return
        dv: object = None
        if default_node is not None:
            dv = literal(default_node)
            if dv is NONE and isinstance(default_node, ast.Name) and default_node.id in consts:
                dv = consts[default_node.id]
            if dv is NONE:
                dv = {"expr": ast.unparse(default_node)}
        elif const and const + "_DEFAULT" in consts:
            dv = consts[const + "_DEFAULT"]
        kind = {bool: "bool", int: "integer", float: "float", str: "string", list: "list", dict: "mapping"}.get(type(dv), "any")
        if key not in found or found[key].default is None:
            found[key] = Field(key, "", kind, dv, None)

    # Only deepspeed/runtime/config.py's own functions and the ones it calls with the whole `param_dict`
    # (get_zero_config(param_dict), get_monitor_config(param_dict) ...): elsewhere `param_dict` is often a section.
    top = next((m for m in modules if m.path == "deepspeed/runtime/config.py"), None)
    called: set[str] = set()
    if top is not None:
        for n in ast.walk(top.tree):
            if isinstance(n, ast.Call) and n.args and isinstance(n.args[0], ast.Name) and n.args[0].id == "param_dict":
                called.add(call_name(n) or "")
    for m in modules:
        for fn in ast.walk(m.tree):
            if not isinstance(fn, ast.FunctionDef):
                continue
            if m is not top and fn.name not in called:
                continue
            params = [a.arg for a in fn.args.args]
            if "param_dict" not in params:
                continue
            # a nested dict passed under another name is not top level: only the parameter itself counts,
            # and only while it is not rebound inside the function
            if any(isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "param_dict" for t in n.targets)
                   for n in ast.walk(fn)):
                continue
            if fn.name.startswith("_") and fn.name != "__init__":
                pass
            for n in ast.walk(fn):
                if isinstance(n, ast.Call) and n.args and isinstance(n.args[0], ast.Name) and n.args[0].id == "param_dict" \
                        and call_name(n) in ("get_scalar_param", "get_list_param", "get_dict_param") and len(n.args) >= 2:
                    add(n.args[1], n.args[2] if len(n.args) > 2 else None)
                elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "get" \
                        and isinstance(n.func.value, ast.Name) and n.func.value.id == "param_dict" and n.args:
                    add(n.args[0], n.args[1] if len(n.args) > 1 else None)
                elif isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id == "param_dict":
                    add(n.slice)
                elif isinstance(n, ast.Compare) and len(n.ops) == 1 and isinstance(n.ops[0], (ast.In, ast.NotIn)):
                    right = n.comparators[0]
                    if (isinstance(right, ast.Name) and right.id == "param_dict") or (
                            isinstance(right, ast.Call) and isinstance(right.func, ast.Attribute)
                            and isinstance(right.func.value, ast.Name) and right.func.value.id == "param_dict"):
                        add(n.left)
    k = Klass("DeepSpeedConfig", "deepspeed.runtime.config", "constants")
    k.fields = sorted(found.values(), key=lambda f: f.name)
    for f in k.fields:
        if isinstance(f.default, dict) and f.kind == "any":
            f.kind = "mapping"
    return k


def version_of(lib: str, repo: Repo, commit: str, tag: str) -> str:
    if tag != "main":
        return tag.lstrip("v")
    for path, rx in [("VERSION", r"^\s*([0-9][^\s]*)"), ("src/llamafactory/extras/env.py", r'VERSION = "([^"]+)"'),
                     ("src/peft/__init__.py", r'__version__ = "([^"]+)"'), ("setup.py", r'version="([^"]+)"'),
                     ("pyproject.toml", r'^version = "([^"]+)"')]:
        text = repo.show(commit, path)
        if text:
            m = re.search(rx, text, re.M)
            if m:
                return m.group(1)
    return "main"


def pins_of(repo: Repo, commit: str, patterns: list[str]) -> dict[str, str]:
    files = repo.files(commit)
    out: dict[str, str] = {}
    for pat in patterns:
        rx = re.compile("^" + re.escape(pat).replace(r"\*", "[^/]*") + "$")
        for p in files:
            if not rx.match(p):
                continue
            text = repo.show(commit, p) or ""
            for m in re.finditer(r"""^\s*["']?(transformers|trl|peft|accelerate|deepspeed|bitsandbytes|torch)\s*((?:[<>=!~]=?\s*[0-9][0-9A-Za-z.*]*\s*,?\s*)+)""",
                                 text, re.M):
                name, specs = m.group(1), re.sub(r"\s+", "", m.group(2)).rstrip(",")
                if name not in out:
                    out[name] = specs
    return out


def extract(mirrors: Path) -> dict:
    data = {"format": 1, "libraries": {}, "classes": []}
    merged: dict[tuple[str, str], dict] = {}
    for lib, spec in LIBRARIES.items():
        gitdir = mirrors / spec["mirror"] / "repo"
        repo = Repo(lib, gitdir)
        releases = []
        for i, tag in enumerate(spec["tags"]):
            ref = "HEAD" if tag == "main" else tag
            commit = repo.commit(ref)
            rel = {"version": version_of(lib, repo, commit, tag), "ref": tag, "commit": commit}
            if tag == "main" and any(r["version"] == rel["version"] for r in releases):
                rel["version"] += "+main"  # the branch head past a release that did not bump its version file
            if spec.get("pins"):
                rel["pins"] = pins_of(repo, commit, spec["pins"])
            releases.append(rel)
            print(f"{lib} {rel['version']} {commit[:10]}", file=sys.stderr)
            for k in extract_release(lib, spec, repo, commit).values():
                key = (lib, k.name)
                entry = merged.setdefault(key, {"lib": lib, "name": k.name, "style": k.style, "modules": {},
                                                "bases": {}, "fields": {}, "values": {}, "present": []})
                entry["present"].append(i)
                entry["modules"].setdefault(k.module, []).append(i)
                entry["style"] = k.style
                entry["bases"].setdefault(json.dumps(k.bases), []).append(i)
                if k.values is not None:
                    entry["values"].setdefault(json.dumps(k.values), []).append(i)
                for f in k.fields:
                    var = {"type": f.type, "kind": f.kind, "default": f.default}
                    if f.choices:
                        var["choices"] = f.choices
                    if f.attr:
                        var["attr"] = f.attr
                    if f.alt:
                        var["alt"] = f.alt
                    entry["fields"].setdefault(f.name, {}).setdefault(json.dumps(var, sort_keys=True), []).append(i)
        data["libraries"][lib] = {"repo": spec["repo"], "mirror": spec["mirror"].replace("+", "/"), "releases": releases}
    for (lib, name), e in sorted(merged.items()):
        cls = {"lib": lib, "name": name, "style": e["style"], "releases": ranges(e["present"]),
               "modules": [{"module": m, "releases": ranges(r)} for m, r in e["modules"].items()],
               "bases": [{"bases": json.loads(b), "releases": ranges(r)} for b, r in e["bases"].items()]}
        if e["values"]:
            cls["values"] = [{"values": json.loads(v), "releases": ranges(r)} for v, r in e["values"].items()]
        cls["fields"] = [{"name": fname, "variants": [dict(json.loads(v), releases=ranges(r)) for v, r in variants.items()]}
                         for fname, variants in e["fields"].items()]
        data["classes"].append(cls)
    data["dialects"] = DIALECT_ROOTS
    return data


def ranges(idx: list[int]) -> str:
    idx = sorted(set(idx))
    out, i = [], 0
    while i < len(idx):
        j = i
        while j + 1 < len(idx) and idx[j + 1] == idx[j] + 1:
            j += 1
        out.append(str(idx[i]) if i == j else f"{idx[i]}-{idx[j]}")
        i = j + 1
    return ",".join(out)


# ---------------------------------------------------------------------------------------------------------------------
# Rendering: the compact line format Stepwise.Core embeds (UpstreamKeys.cs reads it).
#
#   L <lib> <repo>                                  a library
#   R <version> <ref> <commit> [pin=spec ...]       one of its releases, oldest first (index = order)
#   C <name> <style> <releases> <module>            a class of the current library
#   B <releases> <base> [<base> ...]                its bases in those releases (lib:Name across libraries)
#   E <releases> <value> ...                        an enum's member values
#   F <name> <kind> <releases> <default> [<choices>] [attr=<attr>] [type=<annotation>]
#   D <dialect> <root> [<root> ...]                 the classes that read a dialect's config file
#
# Fields are tab-separated; default and choices are JSON (choices a JSON list); `-` when absent.
# ---------------------------------------------------------------------------------------------------------------------
def render(data: dict) -> str:
    lines = ["# Generated by tools/keygen/keygen.py render from tools/keygen/upstream.json: do not edit.",
             "# Facts (names, types, defaults, values, releases) from the upstream sources at the commits below."]
    classes_by_lib: dict[str, list] = {}
    for c in data["classes"]:
        classes_by_lib.setdefault(c["lib"], []).append(c)
    for lib, info in data["libraries"].items():
        lines.append(f"L\t{lib}\t{info['repo']}\t{info['mirror']}")
        for r in info["releases"]:
            pins = [f"{k}{v}" for k, v in sorted(r.get("pins", {}).items())]
            lines.append("\t".join(["R", r["version"], r["ref"], r["commit"]] + pins))
        for c in classes_by_lib.get(lib, []):
            module = c["modules"][-1]["module"]
            lines.append(f"C\t{c['name']}\t{c['style']}\t{c['releases']}\t{module}")
            for b in c["bases"]:
                if b["bases"]:
                    lines.append("\t".join(["B", b["releases"]] + b["bases"]))
            for v in c.get("values", []):
                lines.append("\t".join(["E", v["releases"]] + [json.dumps(x) for x in v["values"]]))
            for f in c["fields"]:
                for v in f["variants"]:
                    parts = ["F", f["name"], v["kind"], v["releases"], json.dumps(v["default"], ensure_ascii=False),
                             json.dumps(v["choices"], ensure_ascii=False) if v.get("choices") else "-"]
                    if v.get("attr"):
                        parts.append("attr=" + v["attr"])
                    if v.get("alt"):
                        parts.append("alt=" + json.dumps(v["alt"], ensure_ascii=False))
                    parts.append("type=" + v["type"].replace("\t", " ").replace("\n", " "))
                    lines.append("\t".join(parts))
    for d, roots in data["dialects"].items():
        lines.append("\t".join(["D", d] + roots))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------------------
# The typed views (C#): for each class in VIEWS, a property per field with the field's own name (PascalCase), its kind
# (BoolField, NumberField, TextField, or ValueField when the releases disagree or the value is a list, mapping or any),
# and a summary naming the upstream annotation, the declaring class and the releases. The fields read the
# TrainingSetup lazily (Model/Views/ConfigView.cs); nothing is reflected.
# ---------------------------------------------------------------------------------------------------------------------
def pascal(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("_") if p)


def xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def view_fields(data: dict, lib: str, name: str, other_libs: bool) -> list[tuple[str, dict, str, str]]:
    """(field name, field, declaring class, library) for a class and its bases (all releases), most derived first."""
    by_key = {(c["lib"], c["name"]): c for c in data["classes"]}
    out: dict[str, tuple[str, dict, str, str]] = {}
    seen: set[tuple[str, str]] = set()

    def visit(l: str, n: str) -> None:
        if (l, n) in seen or (l, n) not in by_key:
            return
        seen.add((l, n))
        c = by_key[(l, n)]
        for f in c["fields"]:
            out.setdefault(f["name"], (f["name"], f, n, l))
        for b in c["bases"]:
            for base in b["bases"]:
                bl, bn = base.split(":", 1) if ":" in base else (l, base)
                if bl != lib and not other_libs:
                    continue
                visit(bl, bn)

    visit(lib, name)
    # private fields (_n_gpu) and a signature's **kwargs are not settings a config states
    return sorted((v for k, v in out.items() if k.isidentifier() and not k.startswith("_")), key=lambda t: t[0])


def release_text(data: dict, lib: str, releases: str) -> str:
    versions = [r["version"] for r in data["libraries"][lib]["releases"]]
    idx: set[int] = set()
    for part in releases.split(","):
        a, _, b = part.partition("-")
        idx.update(range(int(a), int(b or a) + 1))
    if idx == set(range(len(versions))):
        return f"every pinned {lib} release"
    spans = ranges(sorted(idx)).split(",")
    return f"{lib} " + ", ".join(versions[int(s.split('-')[0])] + ("" if "-" not in s else "-" + versions[int(s.split('-')[1])]) for s in spans)


def render_views(data: dict) -> str:
    out = ["// <auto-generated>",
           "// Generated by tools/keygen/keygen.py render from tools/keygen/upstream.json: do not edit.",
           "// Regenerate: ./stepwise dev generate (it runs tools/keygen/keygen.py render; keygen.py check fails when this file is stale).",
           "// </auto-generated>",
           "#nullable enable",
           "using Stepwise.Core;",
           "",
           "namespace Stepwise.Core.Model.Views;"]
    holder = []
    for view, ref, dialect, other_libs in VIEWS:
        lib, name = ref.split(":", 1)
        fields = view_fields(data, lib, name, other_libs)
        cls = next(c for c in data["classes"] if c["lib"] == lib and c["name"] == name)
        module = cls["modules"][-1]["module"]
        out += ["",
                f"/// <summary>{lib} <c>{name}</c> ({module}) as one config states it: {len(fields)} fields, every one its",
                "/// classes declare in a pinned release, read from the setup on first use.</summary>",
                f"public sealed partial class {view} : ConfigView",
                "{",
                f"    private static readonly string[] Names =",
                "    {"]
        for i in range(0, len(fields), 4):
            out.append("        " + " ".join(f'"{f[0]}",' for f in fields[i:i + 4]))
        out += ["    };",
                "",
                f"    public {view}(TrainingSetup setup, AnalysisOptions options)",
                f"        : base(setup, options, Dialect.{dialect}, \"{lib}\", \"{name}\", Names) {{ }}"]
        props: set[str] = set()
        for i, (fname, f, owner, flib) in enumerate(fields):
            prop = pascal(fname)
            if not prop.isidentifier() or not prop[0].isalpha() or prop in VIEW_RESERVED or prop in props or prop == view:
                raise SystemExit(f"{view}: field {fname} gives the property name {prop}, which is taken or not an identifier")
            props.add(prop)
            kinds = {v["kind"] for v in f["variants"]}
            kind = ("BoolField" if kinds == {"bool"} else "NumberField" if kinds <= {"integer", "float"}
                    else "TextField" if kinds <= {"string", "enum"} else "ValueField")
            newest = max(f["variants"], key=lambda v: max(int(x) for x in v["releases"].replace("-", ",").split(",")))
            ann = f" <c>{xml(newest['type'])}</c>" if newest["type"] else ""
            where = release_text(data, flib, ",".join(v["releases"] for v in f["variants"]))
            out += [f"    /// <summary><c>{fname}</c>{ann}: {owner} ({where}).</summary>",
                    f"    public {kind} {prop} => ({kind})(Fields[{i}] ??= new {kind}(this, {i}));"]
        out.append("}")
        holder.append((view, view[:-len("View")] if view.endswith("View") else view))
    out += ["",
            "/// <summary>The views of one setup, each built on first use (a rule context holds one).</summary>",
            "public sealed partial class ConfigViews",
            "{"]
    for view, prop in holder:
        out.append(f"    private {view}? _{prop[0].lower() + prop[1:]};")
    out.append("")
    for view, prop in holder:
        out.append(f"    public {view} {prop} => _{prop[0].lower() + prop[1:]} ??= new {view}(Setup, Options);")
    out.append("}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------------------------------
# The record (Model/TrainingArguments.g.cs): properties, the static key table (no attributes, no reflection), FromSetup
# and the values under their keys. The hand-written half (Model/TrainingArguments.cs) holds the lookups and the
# conversions FromSetup calls.
# ---------------------------------------------------------------------------------------------------------------------
def release_index(data: dict, lib: str, version: str) -> int:
    versions = [r["version"] for r in data["libraries"][lib]["releases"]]
    if version not in versions:
        raise SystemExit(f"RECORD_RELEASES: {lib} {version} is not a release in upstream.json ({', '.join(versions)})")
    return versions.index(version)


def field_at(data: dict, lib: str, name: str, key: str, rel: int) -> dict | None:
    """The variant of a field a class (or a base, across libraries) declares at release index rel of lib."""
    by_key = {(c["lib"], c["name"]): c for c in data["classes"]}
    seen: set[tuple[str, str]] = set()

    def visit(l: str, n: str) -> dict | None:
        if (l, n) in seen or (l, n) not in by_key:
            return None
        seen.add((l, n))
        c = by_key[(l, n)]
        for f in c["fields"]:
            if f["name"] == key:
                for v in f["variants"]:
                    if rel in release_set(v["releases"]):
                        return v
        for b in c["bases"]:
            if rel in release_set(b["releases"]):
                for base in b["bases"]:
                    bl, bn = base.split(":", 1) if ":" in base else (l, base)
                    if bl != l:
                        continue  # another library's releases are numbered apart; the record's classes do not need it
                    if (found := visit(bl, bn)) is not None:
                        return found
        return None

    return visit(lib, name)


def release_set(releases: str) -> set[int]:
    idx: set[int] = set()
    for part in releases.split(","):
        a, _, b = part.partition("-")
        idx.update(range(int(a), int(b or a) + 1))
    return idx


CS_OF_KIND = {"integer": "int", "float": "double", "bool": "bool", "string": "string", "enum": "string"}


def cs_literal(value, cs_type: str) -> str | None:
    """The C# initializer of a default (None when the type's own default is it: false, 0, null)."""
    if value is None or value is False:
        return None
    base = cs_type.rstrip("?")
    if base == "bool":
        return "true"
    if base == "string":
        return json.dumps(value)
    if base == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise SystemExit(f"record: default {value!r} is not an int")
        return None if value == 0 else str(value)
    if base == "double":
        if value == 0:
            return None
        return repr(float(value)) if isinstance(value, float) else str(value)
    raise SystemExit(f"record: no C# literal for {value!r} as {cs_type}")


def record_pascal(key: str) -> str:
    return "".join(re.sub(r"^([0-9]+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), p[:1].upper() + p[1:])
                   for p in key.split("_") if p)


def record_settings(data: dict) -> list[dict]:
    out = []
    for entry in RECORD:
        key, ref = entry[0], entry[1]
        over = entry[2] if len(entry) > 2 else {}
        if any(k in over for k in ("property", "type", "default")) and ref is not None and not over.get("why"):
            raise SystemExit(f"RECORD {key}: an override of the data needs a why")
        s = {"key": key, "property": over.get("property") or record_pascal(key), "why": over.get("why")}
        if ref is None:
            s.update(lib=None, cls=None, release=None, annotation=None, cs_type=over["type"], init=over.get("default"))
        else:
            lib, cls = ref.split(":", 1)
            pin = release_index(data, lib, RECORD_RELEASES[lib])
            v, at = None, pin
            while at >= 0 and (v := field_at(data, lib, cls, key, at)) is None:
                at -= 1  # a field the pinned release dropped (warmup_ratio in transformers 5.15.0)
            if v is None:
                raise SystemExit(f"RECORD {key}: {ref} declares no such field up to {lib} {RECORD_RELEASES[lib]}")
            version = data["libraries"][lib]["releases"][at]["version"]
            cs = over.get("type")
            if cs is None:
                if v["kind"] not in CS_OF_KIND:
                    raise SystemExit(f"RECORD {key}: {ref} declares kind {v['kind']} ({v['type']}); state a C# type with a why")
                cs = CS_OF_KIND[v["kind"]] + ("?" if v["default"] is None else "")
            if "default" in over:
                init = over["default"]
            else:
                if isinstance(v["default"], dict):
                    raise SystemExit(f"RECORD {key}: {ref} computes its default ({v['default']['expr']}); state it with a why")
                init = cs_literal(v["default"], cs)
            s.update(lib=lib, cls=cls, release=version, annotation=v["type"], cs_type=cs, init=init)
        out.append(s)
    props = [s["property"] for s in out]
    if len(set(props)) != len(props):
        raise SystemExit("RECORD: two keys give the same property name")
    return out


def render_record(data: dict) -> str:
    settings = record_settings(data)
    out = ["// <auto-generated>",
           "// Generated by tools/keygen/keygen.py render from tools/keygen/upstream.json (RECORD in keygen.py): do not edit.",
           "// Regenerate: ./stepwise dev generate (it runs tools/keygen/keygen.py render; keygen.py check fails when this file is stale).",
           "// </auto-generated>",
           "#nullable enable",
           "using System.Collections.Generic;",
           "",
           "namespace Stepwise.Core.Model;",
           "",
           "public sealed partial record TrainingArguments",
           "{"]
    for lib, version in RECORD_RELEASES.items():
        out += [f"    /// <summary>The {lib} release whose field types and defaults this record holds.</summary>",
                f"    public const string {pascal(lib)}Release = \"{version}\";"]
    for s in settings:
        if s["lib"] is None:
            where = "a setting of Stepwise's trainer (no upstream class)"
        else:
            ann = f" <c>{xml(s['annotation'])}</c>" if s["annotation"] else ""
            where = f"{s['cls']}{ann} ({s['lib']} {s['release']})"
        why = f" {xml(s['why'])}." if s["why"] else ""
        init = f" = {s['init']};" if s["init"] is not None else ""
        out += ["",
                f"    /// <summary><c>{s['key']}</c>: {where}.{why}</summary>",
                f"    public {s['cs_type']} {s['property']} {{ get; init; }}{init}"]
    out += ["",
            "    /// <summary>Every setting in declaration order: property, key, and the upstream class and release its type and",
            "    /// default come from (null for the trainer's own settings); Why says where the record departs from that field.</summary>",
            "    public static IReadOnlyList<TrainingArgument> Settings { get; } = new TrainingArgument[]",
            "    {"]
    q = lambda v: "null" if v is None else json.dumps(v)
    for s in settings:
        out.append(f"        new({q(s['property'])}, {q(s['key'])}, {q(s['lib'])}, {q(s['cls'])}, {q(s['release'])}, {q(s['why'])}),")
    out += ["    };",
            "",
            "    /// <summary>Each setting's value under its key, in declaration order.</summary>",
            "    public IEnumerable<KeyValuePair<string, object?>> Values()",
            "    {"]
    for s in settings:
        out.append(f"        yield return new KeyValuePair<string, object?>({q(s['key'])}, {s['property']});")
    out += ["    }",
            "",
            "    /// <summary>Fills the record from a setup: stated values win, the rest keep the defaults above. Values that",
            "    /// cannot be converted keep their defaults and are listed in <paramref name=\"problems\"/>.</summary>",
            "    public static TrainingArguments FromSetup(TrainingSetup setup, List<string>? problems = null)",
            "    {",
            "        var read = new SettingReader(setup, problems);",
            "        var d = new TrainingArguments();",
            "        return new TrainingArguments",
            "        {"]
    reader = {"int": "Int", "int?": "Int", "double": "Double", "double?": "Double", "bool": "Bool", "bool?": "Bool",
              "string": "Text", "string?": "TextOrNull", "IReadOnlyList<string>?": "List"}
    for s in settings:
        if s["cs_type"] not in reader:
            raise SystemExit(f"RECORD {s['key']}: no reader for C# type {s['cs_type']}")
        out.append(f"            {s['property']} = read.{reader[s['cs_type']]}({q(s['key'])}, d.{s['property']}),")
    out += ["        };",
            "    }",
            "}"]
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["extract", "render", "check", "all"])
    ap.add_argument("--mirrors", help="folder holding <owner>+<name>/repo bare git mirrors (default /work/.mirror)")
    args = ap.parse_args()
    if args.command in ("extract", "all"):
        data = extract(mirrors_root(args.mirrors))
        UPSTREAM_JSON.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {UPSTREAM_JSON.relative_to(ROOT)}", file=sys.stderr)
    if args.command in ("render", "all"):
        data = json.loads(UPSTREAM_JSON.read_text(encoding="utf-8"))
        KEYS_TXT.parent.mkdir(parents=True, exist_ok=True)
        KEYS_TXT.write_text(render(data), encoding="utf-8")
        print(f"wrote {KEYS_TXT.relative_to(ROOT)}", file=sys.stderr)
        VIEWS_CS.parent.mkdir(parents=True, exist_ok=True)
        VIEWS_CS.write_text(render_views(data), encoding="utf-8")
        print(f"wrote {VIEWS_CS.relative_to(ROOT)}", file=sys.stderr)
        RECORD_CS.write_text(render_record(data), encoding="utf-8")
        print(f"wrote {RECORD_CS.relative_to(ROOT)}", file=sys.stderr)
    if args.command == "check":
        data = json.loads(UPSTREAM_JSON.read_text(encoding="utf-8"))
        stale = [p for p, text in ((KEYS_TXT, render(data)), (VIEWS_CS, render_views(data)),
                                                  (RECORD_CS, render_record(data)))
                 if not p.exists() or p.read_text(encoding="utf-8") != text]
        for p in stale:
            print(f"{p.relative_to(ROOT)} is stale: run ./stepwise dev generate (or /usr/bin/python3 tools/keygen/keygen.py render)", file=sys.stderr)
        if stale:
            return 1
        print("keys.txt, ConfigViews.g.cs and TrainingArguments.g.cs match upstream.json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
