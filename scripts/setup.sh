#!/usr/bin/env bash
# Installs what building and testing zoufang needs on a Debian machine. Safe to run again: it installs
# only what is missing. Used by `make run`, `make test` and CI.
set -euo pipefail

need_apt=()
have() { command -v "$1" >/dev/null 2>&1; }
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# A C compiler for the bundled SQLite, pkg-config for -sys crates; WebKitGTK and friends for the Tauri
# app; Xvfb, WebKitWebDriver and xdotool (answering the platform's file dialogs) for its end-to-end
# tests; poppler (pdftotext, its CMaps) to read back the printed 公示名单; Node.js and npm for the UI.
for p in build-essential pkg-config file libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev \
  libjavascriptcoregtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev libssl-dev \
  webkit2gtk-driver xvfb xauth imagemagick xdotool fonts-noto-cjk poppler-utils poppler-data; do
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
have node || { echo "setup: Node.js is missing (apt-get install nodejs npm)" >&2; exit 1; }

# tauri-driver bridges WebDriver to the app's WebKitWebDriver (end-to-end tests).
if ! have tauri-driver && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --locked --quiet
fi

# cargo-deb packages the server (`make package`, and the package test in `make test`).
if ! have cargo-deb && [ ! -x "$HOME/.cargo/bin/cargo-deb" ]; then
  echo "setup: installing cargo-deb"
  cargo install cargo-deb --locked --quiet
fi

# The UI's packages, as locked. (`npm install`, not `npm ci`: this registry mirror lists no versions for
# other platforms' optional packages, so npm 11 records them without one and `npm ci` refuses the lock;
# `npm install` installs exactly the locked versions and leaves the lock as it is.)
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

# moto: a real S3-compatible server from PyPI, started by the tests of the server's S3 photo store.
# Into the Python on PATH when it accepts packages; otherwise (Debian's own Python refuses system-wide
# installs) into a virtual environment of the project's, which the test looks for first.
if ! python3 -c "import moto.server, flask" >/dev/null 2>&1 && [ ! -x "$ROOT/target/moto-venv/bin/python" ]; then
  echo "setup: installing moto (S3-compatible test server)"
  if ! python3 -m pip install --quiet --disable-pip-version-check 'moto[server]==5.2.1' 2>/dev/null; then
    mkdir -p "$ROOT/target"
    if ! python3 -m venv "$ROOT/target/moto-venv" 2>/dev/null; then
      SUDO=""
      [ "$(id -u)" -ne 0 ] && SUDO="sudo"
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
      python3 -m venv "$ROOT/target/moto-venv"
    fi
    "$ROOT/target/moto-venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.1'
  fi
fi
# schemathesis: generates requests from the server's OpenAPI description (the API fuzzing test), into
# the same Python as moto.
if [ -x "$ROOT/target/moto-venv/bin/python" ]; then
  "$ROOT/target/moto-venv/bin/python" -c "import schemathesis" >/dev/null 2>&1 ||
    "$ROOT/target/moto-venv/bin/pip" install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
elif ! python3 -c "import schemathesis" >/dev/null 2>&1; then
  echo "setup: installing schemathesis (API fuzzing against the OpenAPI description)"
  python3 -m pip install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
fi
if [ ! -d "$ROOT/ui/node_modules" ] || [ "$ROOT/ui/package-lock.json" -nt "$ROOT/ui/node_modules/.package-lock.json" ]; then
  echo "setup: installing UI packages"
  # --no-save: install what the lock says and never write the lock back (the checkout stays clean).
  (cd "$ROOT/ui" && npm install --no-save --no-audit --no-fund --loglevel=error)
fi
echo "setup: ok (rustc $ver, node $(node --version))"
