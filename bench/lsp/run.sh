#!/usr/bin/env bash
# Benchmark: stepwise-lsp next to yaml-language-server (installed here, into bench/lsp/node_modules, only).
# Builds our server the way users get it (./stepwise lsp publishes into .build/stepwise-lsp), then runs bench.mjs.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$HERE"
[ -d node_modules/yaml-language-server ] || npm ci --no-audit --no-fund >&2
"$ROOT/stepwise" lsp --version >/dev/null 2>&1 || "$ROOT/stepwise" lsp --version
exec node bench.mjs "$@"
