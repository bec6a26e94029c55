#!/usr/bin/env bash
# Installs what building and testing zoufang needs on a Debian machine. Safe to run again: it installs
# only what is missing. Used by `make run`, `make test` and CI.
set -euo pipefail

need_apt=()
have() { command -v "$1" >/dev/null 2>&1; }
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# A C compiler for the bundled SQLite, pkg-config for -sys crates.
for p in build-essential pkg-config; do
  pkg_installed "$p" || need_apt+=("$p")
done
if ! have cargo && [ ! -x "$HOME/.cargo/bin/cargo" ]; then
  need_apt+=(cargo rustc)
fi

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
ver=$(rustc --version | awk '{print $2}')
major=${ver%%.*}; rest=${ver#*.}; minor=${rest%%.*}
if [ "$major" -lt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -lt 85 ]; }; then
  echo "setup: rustc $ver is too old; zoufang needs Rust 1.85 or newer (install it with rustup)." >&2
  exit 1
fi
echo "setup: ok (rustc $ver)"
