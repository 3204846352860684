#!/usr/bin/env bash
# `GET /hello/x` three ways, side by side with wrk on loopback in one run:
#   plain  - an axum handler returning the same JSON, no sandbox
#            (runtime/examples/plain_hello.rs);
#   sluice - `sluice serve` as shipped (request log on, tracing at its
#            default level), the `hello` action in a fresh instance per
#            request;
#   peer   - `wasmtime serve -O pooling-allocator` with the same answer as
#            a wasi:http component (bench/wasi-http-hello), built the same
#            way as the examples.
# Then the server's RSS under 1,000 concurrent connections and the
# criterion benchmark of one instantiate-and-call. Fails loudly if any
# answer is not a 2xx. Figures go to stdout; copy them into BENCHMARKS.md.
#
#   scripts/bench.sh            (DURATION=8s CONNECTIONS=64 THREADS=2,
#                                SKIP_CRITERION=1 to skip cargo bench)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
. scripts/bench-lib.sh

prepare plain_hello
trap stop_all EXIT
AS_SHIPPED=1 start_sluice
start_peer wasi-http-hello
PLAIN_PORT=$(free_port)
"$BIN/examples/plain_hello" "127.0.0.1:$PLAIN_PORT" &
PIDS+=($!)
wait_up "http://127.0.0.1:$PLAIN_PORT/hello/x"
wait_up "$PEER/hello/x"
upload_action hello
admin -X POST -d '{"name":"hello","method":"GET","path":"/hello/:name","action":"hello","public":true}' "$BASE/admin/operations"
for url in "http://127.0.0.1:$PLAIN_PORT" "$BASE" "$PEER"; do
  answer=$(curl -fsS "$url/hello/x")
  [[ "$answer" == '{"message":"Hello, x!","name":"x"}' ]] || { echo "FAILED: $url answered $answer" >&2; exit 1; }
done

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION, GET /hello/x" >&2
plain=$(run plain "http://127.0.0.1:$PLAIN_PORT/hello/x")
sluice=$(run sluice "$BASE/hello/x")
peer=$(run peer "$PEER/hello/x")
python3 - "$plain" "$sluice" "$peer" "$(cat "$WORK/p99.plain")" "$(cat "$WORK/p99.sluice")" <<'PY'
import sys
plain, sluice, peer, p99_plain, p99_sluice = map(float, sys.argv[1:])
rows = [
    ("req/s vs plain axum", f"{plain:.0f}", f"{sluice:.0f}", sluice / plain, "{:.1%}", ">= 50 %", sluice / plain >= 0.5),
    ("req/s vs wasmtime serve", f"{peer:.0f}", f"{sluice:.0f}", sluice / peer, "{:.2f}x", ">= 3x", sluice / peer >= 3),
    ("p99 vs plain axum", f"{p99_plain:.2f} ms", f"{p99_sluice:.2f} ms", p99_sluice / p99_plain, "{:.2f}x", "<= 2x", p99_sluice / p99_plain <= 2),
]
print(f"  {'GET /hello/x':<26}{'reference':>12}{'sluice':>12}{'ratio':>9}  target")
for name, ref, ours, value, fmt, target, met in rows:
    print(f"  {name:<26}{ref:>12}{ours:>12}{fmt.format(value):>9}  {target} {'met' if met else 'NOT MET'}")
PY

# Memory under 1,000 connections. Pool slots keep up to 4 MiB of linear
# memory resident each, so that the next instance in a slot does not fault.
rss_under_load sluice "$BASE/hello/x" "$SLUICE_PID"

if [[ "${SKIP_CRITERION:-0}" != 1 ]]; then
  cargo bench --quiet -p sluice --bench instantiate -- --noplot 2>&1 | grep -E 'hello/|time:'
fi
