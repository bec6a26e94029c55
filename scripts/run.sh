#!/usr/bin/env bash
# `make run`: installs what is needed, builds the UI, the server and the app, starts a local server with a
# demo county (data/server.db) and opens the app against it. The first start shows the enrolment screen
# with the local server and a fresh one-time code already filled in.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

(cd ui && npm run --silent build)
# The same selection `make test` builds (features unify over it), so after `make test` nothing is rebuilt.
cargo build --workspace --bins

LISTEN="${LISTEN:-127.0.0.1:8470}"
SERVER=target/debug/zoufang-server
mkdir -p data/device data/blobs
if [ "$($SERVER --db data/server.db admin villages --json | tr -d '[:space:]')" = "[]" ]; then
  $SERVER --db data/server.db admin seed-demo
fi
VILLAGE=$($SERVER --db data/server.db admin villages --json | grep -o '"id": *"[^"]*"' | head -1 | sed 's/.*"\([^"]*\)"$/\1/')
CODE=$($SERVER --db data/server.db admin enrol --scope "village:$VILLAGE" --name "演示平板" 2>/dev/null)

$SERVER --db data/server.db serve --listen "$LISTEN" --blobs data/blobs &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -fs "http://$LISTEN/v1/health" >/dev/null 2>&1 && break
  sleep 0.2
done

echo "run: server http://$LISTEN (data/server.db); app data in data/device"
echo "run: enrolment code for the demo village: $CODE"
echo "run: on its first start the app asks you to choose the unlock secret that encrypts data/device"
ZOUFANG_DATA_DIR="$PWD/data/device" ZOUFANG_SERVER="http://$LISTEN" ZOUFANG_ENROL_CODE="$CODE" \
  target/debug/zoufang-app
