#!/usr/bin/env bash
# The installable packages, into dist/: the app as a .deb (Tauri's bundler: menu entry, icon, its
# libraries declared) and the server as a .deb (cargo-deb: systemd unit, its own user, data in
# /var/lib/zoufang, configuration in /etc/zoufang). `release` (make package) builds optimised
# binaries; `debug` packages the debug builds `make test` already made, to test the packaging itself
# within CI's time.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-release}
export PATH="$HOME/.cargo/bin:$PATH"
mkdir -p dist
rm -f dist/*.deb
(cd ui && npm run --silent build)
tauri=ui/node_modules/.bin/tauri
if [ "$profile" = release ]; then
  "$tauri" build --bundles deb --ci
  cargo deb -p zoufang-server --output dist/
  cp target/release/bundle/deb/*.deb dist/
else
  # The workspace's own debug builds (the ones the tests run), bundled as they are.
  [ -x target/debug/zoufang-server ] && [ -x target/debug/zoufang-app ] || cargo build --workspace --bins
  "$tauri" bundle --debug --bundles deb --ci
  cargo deb -p zoufang-server --no-build --profile dev --output dist/
  cp target/debug/bundle/deb/*.deb dist/
fi
ls -l dist/*.deb
