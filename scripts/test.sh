#!/usr/bin/env bash
# Every check and test, as CI runs them. Ends with one summary line: "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# Each stage prints the minutes and seconds since the start, so a slow stage shows in the CI log.
start=$SECONDS
stage() { printf '== [%dm%02ds] %s\n' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)) "$1"; }

stage "setup"
./scripts/setup.sh

stage "format"
cargo fmt --all -- --check
stage "UI: type-check, unit tests, build (the app embeds ui/dist)"
ui_log=$(mktemp)
(cd ui && npm run --silent typecheck && npx vitest run 2>&1 | tee "$ui_log" && npm run --silent build)
# Vitest may colour its summary (CI forces colour): strip escape codes before counting.
ui_passed=$(sed 's/\x1b\[[0-9;]*m//g' "$ui_log" | awk '/^ *Tests +/ && match($0, /[0-9]+ passed/) {s += substr($0, RSTART, RLENGTH - 7)} END {print s + 0}')
rm -f "$ui_log"
stage "build (binaries the scenario and end-to-end tests drive)"
cargo build --workspace --bins
stage "packages (the .deb files the package test installs, from the debug builds)"
./scripts/package.sh debug
stage "clippy"
cargo clippy --workspace --all-targets -- -D warnings
stage "tests"
log=$(mktemp)
status=0
cargo test --workspace --all-targets 2>&1 | tee "$log" || status=$?
# Every server test again on the PostgreSQL backend: the scenario harness starts its servers on
# PostgreSQL (127.0.0.1:5432, database test, or ZOUFANG_TEST_PG_URL), each test in a schema of its own.
# An unreachable PostgreSQL fails these tests; nothing is skipped.
stage "server tests on PostgreSQL"
ZOUFANG_TEST_DB=postgres cargo test --workspace --test scenarios 2>&1 | tee -a "$log" || status=$?
passed=$({ grep -Eo '[0-9]+ passed' "$log" || true; } | awk -v ui="$ui_passed" '{s+=$1} END {print s+ui}')
failed=$({ grep -Eo '[0-9]+ failed' "$log" || true; } | awk '{s+=$1} END {print s+0}')
rm -f "$log"
cat target/e2e-screenshots/figures.txt 2>/dev/null || true
stage "done"
echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
