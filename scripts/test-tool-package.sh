#!/usr/bin/env bash
# The .NET tools as a user gets them: packs Stepwise and Stepwise.Trainer.Cli into a folder feed, installs both with
# `dotnet tool install --tool-path` (a temporary tool path, an empty NuGet cache: nothing stale is reused), and runs
# them from a folder outside the repository: `stepwise --help`, `check` on the seed config, `lsp` (initialize and
# shutdown over stdio, from Debian's python3), `train` on the demo (forwarded to stepwise-trainer). Prints TAP and the
# package sizes.
#   scripts/test-tool-package.sh            both tools
#   STEPWISE_SKIP_TRAINER_TOOL=1 ...        the analysis tool only
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d /tmp/stepwise-tool-package.XXXXXX)"
trap 'rm -rf "$work"' EXIT
feed="$work/feed" tools="$work/tools" outside="$work/outside"
mkdir -p "$feed" "$outside"
n=0 pass=0 fail=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && sed 's/^/  # /' <<<"$2"; }
size() { du -sh "$1" 2>/dev/null | cut -f1; }

# Packed in the working tree with its own version (0.1.0): `dotnet test -c Release` has built it already, so only the
# publish step runs. The install below uses an empty NuGet cache, so an older package of that version is never used.
if out=$(cd "$root" && dotnet pack src/Analyzer/Stepwise.Cli -c Release -o "$feed" --nologo -v q -clp:ErrorsOnly 2>&1); then
  ok "dotnet pack Stepwise ($(du -k "$feed"/Stepwise.0*.nupkg | cut -f1) KB)"
else not_ok "dotnet pack Stepwise" "$out"; fi
if [ "${STEPWISE_SKIP_TRAINER_TOOL:-0}" != 1 ]; then
  if out=$(cd "$root" && dotnet pack src/Trainer/Stepwise.Trainer.Cli -c Release -o "$feed" --nologo -v q -clp:ErrorsOnly 2>&1); then
    ok "dotnet pack Stepwise.Trainer.Cli ($(ls "$feed"/Stepwise.Trainer.Cli*.nupkg | xargs -n1 basename | tr '\n' ' '); linux-x64 package $(du -m "$feed"/Stepwise.Trainer.Cli.linux-x64.*.nupkg 2>/dev/null | cut -f1) MB)"
  else not_ok "dotnet pack Stepwise.Trainer.Cli" "$out"; fi
fi

tool_install() {
  NUGET_PACKAGES="$work/nuget" DOTNET_CLI_TELEMETRY_OPTOUT=1 dotnet tool install --tool-path "$tools" "$1" --add-source "$feed" 2>&1
}
if out=$(tool_install Stepwise); then ok "dotnet tool install Stepwise (installed: $(size "$tools/.store/stepwise"))"; else not_ok "dotnet tool install Stepwise" "$out"; fi
if [ "${STEPWISE_SKIP_TRAINER_TOOL:-0}" != 1 ]; then
  if out=$(tool_install Stepwise.Trainer.Cli); then ok "dotnet tool install Stepwise.Trainer.Cli (installed: $(size "$tools/.store/stepwise.trainer.cli"))"
  else not_ok "dotnet tool install Stepwise.Trainer.Cli" "$out"; fi
fi

cd "$outside"
export PATH="$tools:$PATH"
cp "$root/examples/seed/after.yaml" "$outside/after.yaml"

out=$(stepwise --help 2>&1)
if grep -qE '^  train ' <<<"$out" && grep -qE '^  check ' <<<"$out" && grep -qE '^  merge ' <<<"$out"; then ok "stepwise --help lists check, train, merge"; else not_ok "stepwise --help" "$out"; fi

out=$(stepwise check after.yaml 2>&1); rc=$?
if [ $rc = 1 ] && grep -q "after.yaml:9:12: warning SW1001: max_steps=1000 trains 2.46 epochs" <<<"$out"; then ok "stepwise check outside the repository: SW1001, exit 1"
else not_ok "stepwise check (exit $rc)" "$out"; fi

out=$(stepwise check --epoch-threshold nan after.yaml 2>&1); rc=$?
if [ $rc = 2 ] && grep -q -- "--epoch-threshold needs a finite number, not 'nan'" <<<"$out"; then ok "stepwise check --epoch-threshold nan: exit 2 naming the option"
else not_ok "stepwise check --epoch-threshold nan (exit $rc)" "$out"; fi

out=$(/usr/bin/python3 - "$tools/stepwise" 2>&1 <<'PY'
import json, subprocess, sys
p = subprocess.Popen([sys.argv[1], "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
def send(o):
    b = json.dumps(o).encode(); p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(b) + b); p.stdin.flush()
def recv():
    h = b""
    while not h.endswith(b"\r\n\r\n"):
        c = p.stdout.read(1)
        if not c: raise SystemExit("the server closed stdout")
        h += c
    n = int([l for l in h.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
    return json.loads(p.stdout.read(n))
send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None, "capabilities": {}}})
r = recv()
print("server", r["result"]["serverInfo"]["name"], "commands", ",".join(r["result"]["capabilities"]["executeCommandProvider"]["commands"]))
send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
send({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
while "id" not in (m := recv()) or m["id"] != 2: pass
send({"jsonrpc": "2.0", "method": "exit"})
print("exit", p.wait(30))
PY
)
if grep -q "server stepwise-lsp commands stepwise.server.train" <<<"$out" && grep -q "exit 0" <<<"$out"; then ok "stepwise lsp: initialize, shutdown, exit 0"
else not_ok "stepwise lsp" "$out"; fi

if [ "${STEPWISE_SKIP_TRAINER_TOOL:-0}" != 1 ]; then
  out=$(timeout 900 stepwise train --progress plain --output-dir "$outside/demo" 2>&1); rc=$?
  if [ $rc = 0 ] && [ -f "$outside/demo/adapter_model.safetensors" ] && grep -q "after 21 steps" <<<"$out"; then
    ok "stepwise train (the demo, through the installed stepwise-trainer): 21 steps, adapter written"
  else not_ok "stepwise train (exit $rc)" "$(tail -20 <<<"$out")"; fi
fi

echo "1..$n"
echo "# pass $pass"
echo "# fail $fail"
[ $fail = 0 ]
