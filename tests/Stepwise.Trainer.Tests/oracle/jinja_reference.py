"""Renders chat templates with Python's jinja2 exactly as transformers does (the oracle for the C# interpreter).

transformers.utils.chat_template_utils._compile_jinja_template: ImmutableSandboxedEnvironment(trim_blocks=True,
lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols]), tojson = json.dumps(ensure_ascii=False, ...),
globals raise_exception and strftime_now; render(messages=..., tools=None, documents=None,
add_generation_prompt=..., **special_tokens_map).

usage: jinja_reference.py CASES.json OUT.json
CASES.json: [{"template": str, "vars": {...}, "now": "YYYY-mm-ddTHH:MM:SS" | null}]
OUT.json:   [{"text": str} | {"error": str, "raised": bool}]
"""
import json
import sys
from datetime import datetime

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


class AssistantTracker(Extension):
    # {% generation %}...{% endgeneration %} renders its body (transformers tracks the span for the assistant mask).
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

    def _generation_support(self, caller):
        return caller()


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
            text = compile_template(case["template"], now).render(**case["vars"])
            out.append({"text": text})
        except Raised as e:
            out.append({"error": str(e), "raised": True})
        except (jinja2.TemplateError, TypeError, ValueError, ZeroDivisionError, OverflowError, AttributeError, KeyError, IndexError) as e:
            # Rendering errors: jinja2's own and the Python errors an expression raises (1 / 0, 'a' < 1, ...).
            out.append({"error": f"{type(e).__name__}: {e}", "raised": False})
    json.dump(out, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)


if __name__ == "__main__":
    main()
