#!/usr/bin/env bash
# Every check and test, as CI runs them. Ends with one summary line: "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export CARGO_TERM_COLOR=never

echo "== format"
cargo fmt --all -- --check
echo "== UI: type-check, unit tests, build (the app embeds ui/dist)"
ui_log=$(mktemp)
(cd ui && npm run --silent typecheck && npx vitest run 2>&1 | tee "$ui_log" && npm run --silent build)
# Vitest may colour its summary (CI forces colour): strip escape codes before counting.
ui_passed=$(sed 's/\x1b\[[0-9;]*m//g' "$ui_log" | awk '/^ *Tests +/ && match($0, /[0-9]+ passed/) {s += substr($0, RSTART, RLENGTH - 7)} END {print s + 0}')
rm -f "$ui_log"
echo "== build (binaries the scenario and end-to-end tests drive)"
cargo build --workspace --bins
echo "== packages (the .deb files the package test installs, from the debug builds)"
./scripts/package.sh debug
echo "== clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== tests"
log=$(mktemp)
status=0
cargo test --workspace --all-targets 2>&1 | tee "$log" || status=$?
# Every server test again on the PostgreSQL backend: the scenario harness starts its servers on
# PostgreSQL (127.0.0.1:5432, database test, or ZOUFANG_TEST_PG_URL), each test in a schema of its own.
# An unreachable PostgreSQL fails these tests; nothing is skipped.
echo "== server tests on PostgreSQL"
ZOUFANG_TEST_DB=postgres cargo test --workspace --test scenarios 2>&1 | tee -a "$log" || status=$?
passed=$({ grep -Eo '[0-9]+ passed' "$log" || true; } | awk -v ui="$ui_passed" '{s+=$1} END {print s+ui}')
failed=$({ grep -Eo '[0-9]+ failed' "$log" || true; } | awk '{s+=$1} END {print s+0}')
rm -f "$log"
cat target/e2e-screenshots/figures.txt 2>/dev/null || true
echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
