#!/usr/bin/env bash
# Installs what Stepwise needs on a Debian/Ubuntu machine, only where it is missing.
#   scripts/setup.sh          runtime needs (libstdc++ with GLIBCXX_3.4.32 for TorchSharp)
#   scripts/setup.sh --test   also the test oracles (Debian's python3-torch, numpy, jinja2, sentencepiece, ipython), clang,
#                             and what the real-VS-Code test needs (chromium, ripgrep, libkrb5-dev, make, g++)
# Idempotent: every step checks first and does nothing when already satisfied.
set -euo pipefail

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
apt_updated=0
apt_update() {
  if [ $apt_updated = 0 ]; then
    $SUDO apt-get update -qq >/dev/null
    apt_updated=1
  fi
}

say() { echo "setup: $*" >&2; }

# TorchSharp 0.107.0's native library needs GLIBCXX_3.4.32 (GCC 13+). Debian 12 ships 3.4.30, so take
# libstdc++6 from Debian 13 (trixie) with a low pin: nothing else is pulled from trixie unless asked.
libstdcxx_ok() {
  local lib
  for lib in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib/aarch64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6; do
    if [ -e "$lib" ] && grep -q 'GLIBCXX_3\.4\.32' "$lib" 2>/dev/null; then return 0; fi
  done
  return 1
}

if libstdcxx_ok; then
  say "libstdc++ already has GLIBCXX_3.4.32"
else
  if [ -r /etc/os-release ] && grep -q '^ID=debian' /etc/os-release && grep -q 'VERSION_CODENAME=bookworm' /etc/os-release; then
    say "installing libstdc++6 from Debian 13 (trixie) for TorchSharp (GLIBCXX_3.4.32 missing)"
    if [ ! -e /etc/apt/sources.list.d/stepwise-trixie.sources ]; then
      $SUDO tee /etc/apt/sources.list.d/stepwise-trixie.sources >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
      $SUDO tee /etc/apt/preferences.d/stepwise-trixie >/dev/null <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
    fi
    apt_update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t trixie libstdc++6 >/dev/null
    libstdcxx_ok || { say "libstdc++6 from trixie did not provide GLIBCXX_3.4.32"; exit 1; }
  else
    say "WARNING: libstdc++ lacks GLIBCXX_3.4.32; TorchSharp (train/quantize) will not load. Install GCC 13+'s libstdc++."
  fi
fi

if [ $want_test = 1 ]; then
  need=()
  /usr/bin/python3 -c 'import torch' 2>/dev/null || need+=(python3-torch)
  /usr/bin/python3 -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
  /usr/bin/python3 -c 'import jinja2' 2>/dev/null || need+=(python3-jinja2)
  /usr/bin/python3 -c 'import sentencepiece' 2>/dev/null || need+=(python3-sentencepiece)
  # IPython's own input transformer is the oracle for which notebook lines are magics and shell commands.
  /usr/bin/python3 -c 'import IPython' 2>/dev/null || need+=(python3-ipython)
  # The language-server tests also run against the Native AOT server, which clang links (docs/lsp.md).
  command -v clang >/dev/null 2>&1 || need+=(clang)
  # The real-VS-Code test (editors/vscode/test/e2e): Debian's chromium driven by playwright-core, ripgrep in place of
  # @vscode/ripgrep's download, and what node-gyp needs to rebuild code-server's native modules.
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v rg >/dev/null 2>&1 || need+=(ripgrep)
  [ -e /usr/include/krb5.h ] || [ -e /usr/include/krb5/krb5.h ] || need+=(libkrb5-dev)
  command -v make >/dev/null 2>&1 || need+=(make)
  command -v g++ >/dev/null 2>&1 || need+=(g++)
  if [ ${#need[@]} -gt 0 ]; then
    say "installing test oracles: ${need[*]}"
    apt_update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    say "python3-torch, python3-numpy, python3-jinja2, python3-sentencepiece, python3-ipython, clang and the e2e packages already installed"
  fi
fi
