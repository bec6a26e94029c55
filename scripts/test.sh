#!/usr/bin/env bash
# Every check and test, as CI runs them. Ends with one summary line: "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export CARGO_TERM_COLOR=never

echo "== format"
cargo fmt --all -- --check
echo "== build (binaries the scenario tests drive)"
cargo build --workspace --bins
echo "== clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== tests"
log=$(mktemp)
status=0
cargo test --workspace --all-targets 2>&1 | tee "$log" || status=$?
passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
rm -f "$log"
echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
