"""Renders chat templates with Python's jinja2 exactly as transformers does (the oracle for the C# interpreter).

transformers.utils.chat_template_utils._compile_jinja_template: ImmutableSandboxedEnvironment(trim_blocks=True,
lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols]), tojson = json.dumps(ensure_ascii=False, ...),
globals raise_exception and strftime_now; render(messages=..., tools=None, documents=None,
add_generation_prompt=..., **special_tokens_map).

usage: jinja_reference.py CASES.json OUT.json
CASES.json: [{"template": str, "vars": {...}, "now": "YYYY-mm-ddTHH:MM:SS" | null}]
OUT.json:   [{"text": str, "generation": [[start, end], ...]} | {"error": str, "raised": bool}]
"generation": the ranges the {% generation %} blocks wrote, tracked as transformers' AssistantTracker does for
apply_chat_template(return_assistant_tokens_mask=True): the template is rendered with generate(), and a block's start
is the length of the text yielded before it (Python string indices: code points).
"""
import json
import sys
from datetime import datetime

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


class AssistantTracker(Extension):
    # {% generation %}...{% endgeneration %} renders its body and records where it went.
    tags = {"generation"}

    def __init__(self, environment):
        super().__init__(environment)
        self.rendered_blocks = None
        self.generation_indices = None

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

    def _generation_support(self, caller):
        rv = caller()
        if self.rendered_blocks is not None:
            start = len("".join(self.rendered_blocks))
            self.generation_indices.append([start, start + len(rv)])
        return rv


class Raised(Exception):
    pass


def compile_template(source, now):
    def raise_exception(message):
        raise Raised(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return now.strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env.from_string(source)


def main():
    cases = json.load(open(sys.argv[1], encoding="utf-8"))
    out = []
    for case in cases:
        now = datetime.fromisoformat(case["now"]) if case.get("now") else datetime.now()
        try:
            template = compile_template(case["template"], now)
            tracker = next(e for e in template.environment.extensions.values() if isinstance(e, AssistantTracker))
            blocks, indices = [], []
            tracker.rendered_blocks, tracker.generation_indices = blocks, indices
            for block in template.generate(**case["vars"]):
                blocks.append(block)
            tracker.rendered_blocks = None
            out.append({"text": "".join(blocks), "generation": indices})
        except Raised as e:
            out.append({"error": str(e), "raised": True})
        except (jinja2.TemplateError, TypeError, ValueError, ZeroDivisionError, OverflowError, AttributeError, KeyError, IndexError) as e:
            # Rendering errors: jinja2's own and the Python errors an expression raises (1 / 0, 'a' < 1, ...).
            out.append({"error": f"{type(e).__name__}: {e}", "raised": False})
    json.dump(out, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)


if __name__ == "__main__":
    main()
