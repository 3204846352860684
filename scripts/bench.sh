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
# answer is not a 2xx. The three servers are measured in ROUNDS interleaved
# rounds (default 3, each starting with the next server) and each ratio is
# the median of the rounds' ratios:
# runs seconds apart share the machine's mood, which on a shared machine
# moves more than most changes do. Figures go to stdout; copy them into
# BENCHMARKS.md.
#
#   scripts/bench.sh            (DURATION=8s CONNECTIONS=64 THREADS=2 ROUNDS=3,
#                                SKIP_CRITERION=1 to skip cargo bench)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
ROUNDS="${ROUNDS:-3}"
. scripts/bench-lib.sh

prepare plain_hello
trap stop_all EXIT
AS_SHIPPED=1 start_sluice
start_peer wasi-http-hello
PLAIN_PORT=$(free_port)
"$BIN/examples/plain_hello" "127.0.0.1:$PLAIN_PORT" &
PLAIN_PID=$!
PIDS+=($!)
wait_up "http://127.0.0.1:$PLAIN_PORT/hello/x"
wait_up "$PEER/hello/x"
deploy_hello
for url in "http://127.0.0.1:$PLAIN_PORT" "$BASE" "$PEER"; do
  answer=$(curl -fsS "$url/hello/x")
  [[ "$answer" == '{"message":"Hello, x!","name":"x"}' ]] || { echo "FAILED: $url answered $answer" >&2; exit 1; }
done

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION, GET /hello/x, $ROUNDS rounds" >&2
results=()
costs=()
for round in $(seq 1 "$ROUNDS"); do
  echo " round $round" >&2
  # Each round starts with a different server, so none is always first.
  for i in 0 1 2; do
    case $(((i + round - 1) % 3)) in
      0) plain=$(CPU_PID=$PLAIN_PID run plain "http://127.0.0.1:$PLAIN_PORT/hello/x") ;;
      1) sluice=$(CPU_PID=$SLUICE_PID run sluice "$BASE/hello/x") ;;
      2) peer=$(CPU_PID=$PEER_PID run peer "$PEER/hello/x") ;;
    esac
  done
  results+=("$plain $sluice $peer $(cat "$WORK/p99.plain") $(cat "$WORK/p99.sluice")")
  costs+=("$(cat "$WORK/cpu.plain") $(cat "$WORK/cpu.sluice") $(cat "$WORK/cpu.peer")")
done
python3 - "${#results[@]}" "${results[@]}" "${costs[@]}" <<'PY'
import statistics, sys
n = int(sys.argv[1])
rounds = [list(map(float, r.split())) for r in sys.argv[2:2 + n]]
costs = [list(map(float, r.split())) for r in sys.argv[2 + n:]]
med = lambda f: statistics.median(f(*r) for r in rounds)
rows = [
    ("req/s vs plain axum", med(lambda p, s, w, pp, ps: p), med(lambda p, s, w, pp, ps: s),
     med(lambda p, s, w, pp, ps: s / p), "{:.1%}", ">= 50 %", lambda v: v >= 0.5, "{:.0f}"),
    ("req/s vs wasmtime serve", med(lambda p, s, w, pp, ps: w), med(lambda p, s, w, pp, ps: s),
     med(lambda p, s, w, pp, ps: s / w), "{:.2f}x", ">= 3x", lambda v: v >= 3, "{:.0f}"),
    ("p99 vs plain axum", med(lambda p, s, w, pp, ps: pp), med(lambda p, s, w, pp, ps: ps),
     med(lambda p, s, w, pp, ps: ps / pp), "{:.2f}x", "<= 2x", lambda v: v <= 2, "{:.2f} ms"),
]
print(f"  {'GET /hello/x (medians)':<26}{'reference':>12}{'sluice':>12}{'ratio':>9}  target")
for name, ref, ours, value, fmt, target, met, unit in rows:
    print(f"  {name:<26}{unit.format(ref):>12}{unit.format(ours):>12}{fmt.format(value):>9}  "
          f"{target} {'met' if met(value) else 'NOT MET'}")
# Each server's own CPU time (user + system) per request answered: what a
# request costs it, apart from how wrk, which shares the cores, is scheduled.
plain, sluice, peer = (statistics.median(c[i] for c in costs) for i in range(3))
print(f"  CPU per request (medians): plain {plain:.1f} µs, sluice {sluice:.1f} µs "
      f"({sluice / plain:.1f}x), wasmtime serve {peer:.1f} µs")
PY

# Memory under 1,000 connections. Pool slots keep up to 4 MiB of linear
# memory resident each, so that the next instance in a slot does not fault.
rss_under_load sluice "$BASE/hello/x" "$SLUICE_PID"

if [[ "${SKIP_CRITERION:-0}" != 1 ]]; then
  cargo bench --quiet -p sluice --bench instantiate -- --noplot 2>&1 | grep -E 'hello/|time:'
fi
