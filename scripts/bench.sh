#!/usr/bin/env bash
# Throughput and p99 latency of `GET /hello/x` through Sluice (a fresh
# sandbox per request) against a plain axum handler returning the same JSON,
# side by side with wrk on loopback; then the criterion benchmark of one
# instantiate-and-call. Figures go to stdout; copy them into BENCHMARKS.md.
#
#   scripts/bench.sh            (DURATION=10s CONNECTIONS=64 THREADS=2)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
. scripts/bench-lib.sh

scripts/build-actions.sh >/dev/null
cargo build --release --quiet -p sluice --bin sluice
cargo build --release --quiet -p sluice --example plain_hello
BIN="$CARGO_TARGET_DIR/release"

SLUICE_PORT=$(free_port); PLAIN_PORT=$(free_port)
DATA=$(mktemp -d); TOKEN="bench-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
RUST_LOG=warn SLUICE_ADMIN_TOKEN=$TOKEN "$BIN/sluice" serve --listen "127.0.0.1:$SLUICE_PORT" --data-dir "$DATA" &
S_PID=$!
"$BIN/examples/plain_hello" "127.0.0.1:$PLAIN_PORT" &
P_PID=$!
trap 'kill $S_PID $P_PID 2>/dev/null; rm -rf "$DATA"' EXIT
wait_up "http://127.0.0.1:$SLUICE_PORT/system/health"
wait_up "http://127.0.0.1:$PLAIN_PORT/hello/x"
AUTH="Authorization: Bearer $TOKEN"
curl -fsS -X PUT -H "$AUTH" -H 'Content-Type: application/wasm' --data-binary @actions-examples/dist/hello.wasm \
  "http://127.0.0.1:$SLUICE_PORT/admin/actions/hello" >/dev/null
curl -fsS -X POST -H "$AUTH" -H 'Content-Type: application/json' \
  -d '{"name":"hello","method":"GET","path":"/hello/:name","action":"hello"}' \
  "http://127.0.0.1:$SLUICE_PORT/admin/operations" >/dev/null
curl -fsS "http://127.0.0.1:$SLUICE_PORT/hello/x" >/dev/null

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION, GET /hello/x"
PLAIN=$(run plain "http://127.0.0.1:$PLAIN_PORT/hello/x")
SLUICE=$(run sluice "http://127.0.0.1:$SLUICE_PORT/hello/x")
ratio "sluice / plain throughput" "$SLUICE" "$PLAIN"

if [[ "${SKIP_CRITERION:-0}" != 1 ]]; then
  cargo bench --quiet -p sluice --bench instantiate -- --noplot 2>&1 | grep -E 'hello/|time:'
fi
