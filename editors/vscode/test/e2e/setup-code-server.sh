#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3; the newest release whose engine is Node 20) and playwright-core into a
# cache folder, from the npm registry only, and prints that folder. code-server's postinstall downloads prebuilt
# binaries, so it is skipped and what it does is replayed here: argon2 and VS Code's native modules are rebuilt
# against the system Node's headers, Debian's ripgrep stands in for @vscode/ripgrep's download. Idempotent: a
# complete install is reused (.complete marker), so CI pays for it once per machine.
#   needs: node 20 + npm, /usr/include/node (nodejs headers), make, g++, python3, libkrb5-dev, ripgrep, chromium
#   (scripts/setup.sh --test installs the apt packages)
set -euo pipefail
version=4.100.3
playwright=1.65.2
cache="${STEPWISE_E2E_CACHE:-$HOME/.cache/stepwise-e2e}"
dir="$cache/code-server-$version"
say() { echo "setup-code-server: $*" >&2; }

if [ -f "$dir/.complete" ]; then echo "$dir"; exit 0; fi
command -v rg >/dev/null || { say "ripgrep (rg) is missing: apt-get install ripgrep"; exit 1; }
[ -f /usr/include/node/node.h ] || { say "Node's headers are missing (/usr/include/node): apt-get install nodejs-dev or libnode-dev"; exit 1; }
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
# npm_config_yes: node-pty's install script runs `npx node-gyp`, which would otherwise wait for a confirmation.
export npm_config_audit=false npm_config_fund=false npm_config_loglevel=error npm_config_update_notifier=false npm_config_yes=true
echo '{"name":"stepwise-e2e","private":true}' > package.json
say "npm install code-server@$version playwright-core@$playwright (no install scripts)"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --ignore-scripts "code-server@$version" "playwright-core@$playwright" >&2
say "rebuilding argon2 against /usr/include/node"
npm_config_nodedir=/usr npm rebuild argon2 >&2
vs=node_modules/code-server/lib/vscode
say "VS Code's production dependencies"
(cd "$vs" && npm install --omit=dev --ignore-scripts >&2)
ln -sfn node_modules "$vs/node_modules.asar"
mkdir -p "$vs/node_modules/@vscode/ripgrep/bin"
ln -sf "$(command -v rg)" "$vs/node_modules/@vscode/ripgrep/bin/rg"
say "rebuilding VS Code's native modules"
(cd "$vs" && npm_config_nodedir=/usr npm rebuild kerberos @vscode/deviceid @vscode/spdlog native-watchdog node-pty >&2)
say "the built-in extensions' dependencies"
(cd "$vs/extensions" && npm install --omit=dev >&2)
touch .complete
say "installed in $dir"
echo "$dir"
