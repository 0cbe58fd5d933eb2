#!/usr/bin/env bash
# Peak memory of `stepwise check` on pathological but legal configs (issue 14): a 60 MB YAML `max_steps: [1,1,...]`
# (30 million items), a 60 MB JSON `{"max_steps": 10, "x": [1,1,...]}` and a notebook of 50,000 cells each calling
# TrainingArguments(...). Prints peak RSS and wall time per file and format next to the budget of 10 x the file size
# + 100 MB; with --baseline CLI (another build's stepwise-cli, e.g. the last release) its figures from the same run.
# Needs /usr/bin/time (GNU time). Usage: bench/huge-configs.sh [--baseline PATH] [--items N]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
baseline=""; items=30000000
while [ $# -gt 0 ]; do
  case "$1" in
    --baseline) baseline="$2"; shift 2 ;;
    --items) items="$2"; shift 2 ;;
    *) echo "usage: $0 [--baseline PATH] [--items N]" >&2; exit 2 ;;
  esac
done
[ -x /usr/bin/time ] || { echo "bench: needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
"$ROOT/stepwise" --version >/dev/null 2>&1 || true   # builds .build/stepwise-cli when needed
ours="$ROOT/.build/stepwise-cli/stepwise-cli"
dir="$(mktemp -d)"; trap 'rm -rf "$dir"' EXIT

/usr/bin/python3 - "$dir" "$items" <<'PY'
import json, sys
d, n = sys.argv[1], int(sys.argv[2])
with open(f"{d}/list.yaml", "w") as f:
    f.write("per_device_train_batch_size: 8\nmax_steps: [" + "1," * (n - 1) + "1]\n")
with open(f"{d}/list.json", "w") as f:
    f.write('{"max_steps": 10, "x": [' + "1," * (n - 1) + "1]}\n")
cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
          "source": ["from transformers import TrainingArguments\n"]}]
for i in range(50000):
    cells.append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                  "source": [f"args{i} = TrainingArguments(output_dir='o{i}', per_device_train_batch_size=8, max_steps=1000, num_train_epochs=3)\n"]})
json.dump({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, open(f"{d}/cells.ipynb", "w"))
PY

measure() { # exe file format -> "peak_mb seconds exit"
  local out="$dir/time.txt" rc=0
  /usr/bin/time -v "$1" check --no-git --format "$3" "$2" >/dev/null 2>"$out" || rc=$?
  local kb s
  kb=$(grep 'Maximum resident set size' "$out" | awk '{print $NF}')
  s=$(grep 'Elapsed (wall clock)' "$out" | awk '{print $NF}')
  echo "$((kb / 1024)) $s $rc"
}

printf '%-12s %-6s %8s %10s %10s %8s %s\n' file format "size MB" "budget MB" "peak MB" wall verdict
for f in list.yaml list.json cells.ipynb; do
  size=$(( $(stat -c %s "$dir/$f") / 1048576 ))
  budget=$(( size * 10 + 100 ))
  for fmt in json human; do
    read -r peak wall rc < <(measure "$ours" "$dir/$f" "$fmt")
    verdict=$([ "$peak" -le "$budget" ] && echo within || echo OVER)
    printf '%-12s %-6s %8s %10s %10s %8s %s (exit %s)\n' "$f" "$fmt" "$size" "$budget" "$peak" "$wall" "$verdict" "$rc"
    if [ -n "$baseline" ]; then
      read -r bpeak bwall brc < <(measure "$baseline" "$dir/$f" "$fmt")
      printf '%-12s %-6s %8s %10s %10s %8s baseline %s (exit %s)\n' "" "" "" "" "$bpeak" "$bwall" "$baseline" "$brc"
    fi
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
