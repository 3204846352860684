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

prepare plain_hello
trap stop_all EXIT
start_sluice
PLAIN_PORT=$(free_port)
"$BIN/examples/plain_hello" "127.0.0.1:$PLAIN_PORT" &
PIDS+=($!)
wait_up "http://127.0.0.1:$PLAIN_PORT/hello/x"
upload_action hello
admin -X POST -d '{"name":"hello","method":"GET","path":"/hello/:name","action":"hello","public":true}' "$BASE/admin/operations"
curl -fsS "$BASE/hello/x" >/dev/null

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION, GET /hello/x"
PLAIN=$(run plain "http://127.0.0.1:$PLAIN_PORT/hello/x")
SLUICE=$(run sluice "$BASE/hello/x")
ratio "sluice / plain throughput" "$SLUICE" "$PLAIN"

if [[ "${SKIP_CRITERION:-0}" != 1 ]]; then
  cargo bench --quiet -p sluice --bench instantiate -- --noplot 2>&1 | grep -E 'hello/|time:'
fi
