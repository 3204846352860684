#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what is missing (the wasm
# toolchain from Debian's packages when rustup's wasm32-wasip2 target is not
# there), builds the example actions, checks formatting and lints, and runs
# the end-to-end tests against the real server, with throwaway PostgreSQL,
# MariaDB, Redis and SMTP servers on free loopback ports (HTTP upstreams are
# started by the tests themselves) — twice: with the control plane in
# SQLite (the default) and in PostgreSQL (SLUICE_DATABASE_URL, as a cluster).
#
#   scripts/test.sh            everything
#   SLUICE_SKIP_LINT=1 ...     skip fmt + clippy (quicker local runs)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

echo "==> building example actions"
scripts/build-actions.sh
echo "==> building the console"
scripts/build-console.sh
echo "==> building the developer portal"
scripts/build-portal.sh

if [[ "${SLUICE_SKIP_LINT:-0}" != 1 ]]; then
  echo "==> cargo fmt --check"
  cargo fmt --all -- --check
  (cd actions-examples && cargo fmt --all -- --check)
  (cd sdk && cargo fmt -- --check)
  echo "==> cargo clippy"
  cargo clippy --all-targets --locked -- -D warnings
fi

echo "==> starting throwaway PostgreSQL, MariaDB, Redis and SMTP servers"
DB_DIR=$(mktemp -d)
trap 'scripts/test-databases.sh --stop "$DB_DIR"; rm -rf "$DB_DIR"' EXIT
DB_ENV=$(scripts/test-databases.sh "$DB_DIR")
eval "$DB_ENV"

echo "==> cargo test"
LOG=$(mktemp)
set +e
cargo test --locked --all-targets 2>&1 | tee "$LOG"
STATUS=${PIPESTATUS[0]}
# The end-to-end suite again with the control plane on PostgreSQL (each
# test in a fresh database on the throwaway server), as a cluster runs it.
echo "==> cargo test --test api, control plane on PostgreSQL"
SLUICE_TEST_CONTROL_PLANE=postgres cargo test --locked --test api 2>&1 | tee -a "$LOG"
PG_STATUS=${PIPESTATUS[0]}
[[ "$STATUS" == 0 ]] && STATUS=$PG_STATUS
set -e
# One closing line that sums every test binary's result.
PASSED=$(grep -oE 'test result: [A-Za-z]+\. [0-9]+ passed' "$LOG" | awk '{s += $4} END {print s + 0}')
FAILED=$(grep -oE '; [0-9]+ failed' "$LOG" | awk '{s += $2} END {print s + 0}')
rm -f "$LOG"
echo "tests: $PASSED passed, $FAILED failed"
exit "$STATUS"
