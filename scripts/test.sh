#!/usr/bin/env bash
# Runs every test of the repository: the .NET solution, then the Node tests (language-server client,
# VS Code extension) where they exist. Installs what is missing first (scripts/setup.sh --test).
# Ends with one line "tests: N passed, M failed".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh --test || { echo "test: setup failed" >&2; exit 1; }

passed=0; failed=0; status=0
log="$(mktemp)"

# Adds a `dotnet test` run's counts (in $log, exit code $1) to the totals:
# "Passed!  - Failed:     0, Passed:   212, Skipped: ..." per test assembly; a failure with no such line counts as one.
tally_dotnet() {
  local rc=$1 f p
  [ "$rc" -ne 0 ] && status=1
  while read -r f p; do passed=$((passed + p)); failed=$((failed + f)); done < <(
    grep -E '(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+' "$log" | sed -E 's/.*Failed: +([0-9]+), Passed: +([0-9]+).*/\1 \2/')
  if [ "$rc" -ne 0 ] && ! grep -qE '(Passed|Failed)! +- Failed' "$log"; then failed=$((failed + 1)); fi
}

echo "== dotnet test Tooling.sln"
dotnet test Tooling.sln -c Release --nologo 2>&1 | tee "$log"
tally_dotnet "${PIPESTATUS[0]}"

# The language-server tests again, those that start a server (45 of 68) now starting the one that
# `./stepwise lsp` builds: Native AOT where clang is installed (about 80 s to compile on 2 cores), ReadyToRun otherwise.
echo "== language-server tests against ./stepwise lsp's build"
if ./stepwise lsp --version >/dev/null; then
  STEPWISE_LSP_EXE="$ROOT/.build/stepwise-lsp/stepwise-lsp" dotnet test tests/Stepwise.LanguageServer.Tests -c Release --no-build --nologo 2>&1 | tee "$log"
  tally_dotnet "${PIPESTATUS[0]}"
else
  : > "$log"; tally_dotnet 1
fi

# Adds a TAP run's "# pass N" / "# fail M" (in $log, exit code $1) to the totals; a failure with none counts as one.
tally_tap() {
  local rc=$1 p f
  [ "$rc" -ne 0 ] && status=1
  p=$(grep -E '^# pass [0-9]+' "$log" | tail -1 | awk '{print $3}')
  f=$(grep -E '^# fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  if [ "$rc" -ne 0 ] && [ "${f:-0}" = 0 ]; then failed=$((failed + 1)); fi
}

for dir in tests/lsp-node editors/vscode; do
  if [ -f "$dir/package.json" ]; then
    echo "== npm test in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error && npm test) 2>&1 | tee "$log"
    tally_tap "${PIPESTATUS[0]}"
  fi
done

# The packaged extension (stepwise-linux-x64.vsix, built by the packaging test above) in a real VS Code: code-server
# in headless Chromium. Its Train step runs the scripted trainer (the real one trains through the server in
# Train/EndToEndTests.cs above, and through the installed tools below); STEPWISE_E2E_TRAIN=real trains the demo there.
echo "== real VS Code (code-server) end to end"
(cd editors/vscode && npm run -s test:e2e) 2>&1 | tee "$log"
tally_tap "${PIPESTATUS[0]}"

# The .NET tools packed, installed into a temporary tool path and run outside the repository (check, lsp, train).
echo "== dotnet tool packages"
bash scripts/test-tool-package.sh 2>&1 | tee "$log"
tally_tap "${PIPESTATUS[0]}"

rm -f "$log"
echo "tests: $passed passed, $failed failed"
exit $status
